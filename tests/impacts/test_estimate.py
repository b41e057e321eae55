"""Our estimate is EcoLogits' own, for the cases of reference/impacts.md."""

import pytest
from ecologits.electricity_mix_repository import electricity_mixes
from ecologits.impacts.llm import compute_llm_impacts
from ecologits.utils.range_value import RangeValue

from impacts.estimate import METHOD, ServingSite, estimate, method_version, params

SITE = ServingSite(zone="WOR", pue=1.2, wue=0.569)


def ecologits(active, total, tokens, zone="WOR", **kwargs):
    mix = electricity_mixes.find_electricity_mix(zone=zone)
    return compute_llm_impacts(
        model_active_parameter_count=active,
        model_total_parameter_count=total,
        output_token_count=tokens,
        if_electricity_mix_adpe=mix.adpe,
        if_electricity_mix_pe=mix.pe,
        if_electricity_mix_gwp=mix.gwp,
        if_electricity_mix_wue=mix.wue,
        datacenter_pue=1.2,
        datacenter_wue=0.569,
        **kwargs,
    )


# (total, active, tokens, the reference table's Wh with EcoLogits 0.11.3)
REFERENCE = [
    (35, None, 1074, 0.262),
    (14, None, 205, 0.020),
    (300, None, 452, 3.21),
    (70, None, 452, 0.297),
    (4, None, 452, 0.038),
    (671, 37, 1000, 3.98),
]


@pytest.mark.parametrize(("total", "active", "tokens", "reference_wh"), REFERENCE)
def test_the_estimate_is_ecologits_own(total, active, tokens, reference_wh):
    ours = estimate(total_params=total, active_params=active, output_tokens=tokens, site=SITE)
    theirs = ecologits(active or total, total, tokens)
    assert ours.energy_wh.min == pytest.approx(theirs.energy.value * 1000)
    assert ours.gwp_g.min == pytest.approx(theirs.gwp.value * 1000)
    assert ours.water_ml.min == pytest.approx(theirs.wcf.value * 1000)
    assert ours.energy_wh.mid == pytest.approx(reference_wh, rel=0.02)


def test_the_35b_case_matches_the_reference_table():
    world = estimate(total_params=35, active_params=None, output_tokens=1074, site=SITE)
    france = estimate(
        total_params=35,
        active_params=None,
        output_tokens=1074,
        site=ServingSite(zone="FRA", pue=1.2, wue=0.569),
    )
    assert world.gwp_g.mid == pytest.approx(0.142, rel=0.02)
    assert france.gwp_g.mid == pytest.approx(0.033, rel=0.03)
    assert world.water_ml.mid == pytest.approx(1.15, rel=0.02)


def test_usage_and_embodied_add_up():
    result = estimate(total_params=70, active_params=None, output_tokens=452, site=SITE)
    assert result.gwp_usage_g.min + result.gwp_embodied_g.min == pytest.approx(result.gwp_g.min)
    assert result.gwp_embodied_g.min > 0


def test_quantization_lowers_the_estimate_as_ecologits_models_it():
    # EcoLogits counts the GPUs that the weights need: fewer bits, fewer GPUs.
    full, q8, q4 = (
        estimate(total_params=70, active_params=None, output_tokens=452, quantization=q, site=SITE)
        for q in ("", "q8", "q4")
    )
    assert q4.energy_wh.min < q8.energy_wh.min < full.energy_wh.min
    for bits, ours in ((8, q8), (4, q4), (16, full)):
        theirs = ecologits(70, 70, 452, model_quantization_bits=bits)
        assert ours.energy_wh.min == pytest.approx(theirs.energy.value * 1000)
        assert ours.gwp_g.min == pytest.approx(theirs.gwp.value * 1000)


def test_quantization_never_pretends_to_be_a_smaller_model():
    # A 14 B model fits on one GPU at 16 or 8 bits: EcoLogits finds the same energy.
    # compar:IA's shortcut (counting a q8 14 B model as 7 B) would claim a saving.
    q8 = estimate(
        total_params=14, active_params=None, output_tokens=205, quantization="q8", site=SITE
    )
    full = estimate(total_params=14, active_params=None, output_tokens=205, site=SITE)
    halved = estimate(total_params=7, active_params=None, output_tokens=205, site=SITE)
    assert q8.energy_wh.min == pytest.approx(full.energy_wh.min)
    assert halved.energy_wh.min < q8.energy_wh.min


def test_ranges_stay_ranges():
    result = estimate(
        total_params=params(300, 600), active_params=None, output_tokens=452, site=SITE
    )
    assert result.energy_wh.is_range and result.energy_wh.min < result.energy_wh.max
    low = estimate(total_params=300, active_params=None, output_tokens=452, site=SITE)
    high = estimate(total_params=600, active_params=None, output_tokens=452, site=SITE)
    assert result.energy_wh.min == pytest.approx(low.energy_wh.min)
    assert result.energy_wh.max == pytest.approx(high.energy_wh.max)


def test_a_point_value_is_a_degenerate_range():
    assert params(24) == 24.0
    assert params(24, 24) == 24.0
    assert isinstance(params(300, 600), RangeValue)
    assert params(None) is None


def test_the_zone_changes_emissions_not_energy():
    usa, fra = (
        estimate(
            total_params=70,
            active_params=None,
            output_tokens=452,
            site=ServingSite(zone=zone, pue=1.2, wue=0.569),
        )
        for zone in ("USA", "FRA")
    )
    assert usa.energy_wh == fra.energy_wh
    assert usa.gwp_g.min > 3 * fra.gwp_g.min


def test_the_measured_time_bounds_the_estimate():
    unbounded = estimate(total_params=70, active_params=None, output_tokens=452, site=SITE)
    quick = estimate(
        total_params=70, active_params=None, output_tokens=452, site=SITE, latency_s=0.5
    )
    assert quick.energy_wh.min < unbounded.energy_wh.min


def test_unknown_parameters_give_unknown_not_a_number():
    assert estimate(total_params=None, active_params=None, output_tokens=500) is None


def test_every_estimate_names_its_method_and_version():
    result = estimate(total_params=8, active_params=None, output_tokens=100)
    assert result.method == METHOD == "EcoLogits"
    assert result.method_version == method_version()
    assert result.method_version.count(".") >= 1
    assert result.as_dict()["method_version"] == result.method_version


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"output_tokens": -1}, "negative"),
        ({"site": ServingSite(zone="XYZ")}, "unknown electricity zone"),
        ({"quantization": "q3"}, "unknown quantization"),
    ],
)
def test_impossible_input_is_refused(kwargs, message):
    arguments = {"total_params": 8, "active_params": None, "output_tokens": 10} | kwargs
    with pytest.raises(ValueError, match=message):
        estimate(**arguments)
