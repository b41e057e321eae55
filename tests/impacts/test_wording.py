import pytest

from impacts import wording
from impacts.equivalences import phrases
from impacts.estimate import Range, ServingSite, estimate, params
from impacts.models import Equivalence

SITE = ServingSite(zone="WOR", pue=1.2, wue=0.569)
NNBSP = "\u202f"


def line(total, tokens, high=None, language="fr", **flags):
    result = estimate(
        total_params=params(total, high),
        active_params=None,
        output_tokens=tokens,
        site=SITE,
        quantization="q8" if flags.get("quantized") else "",
    )
    return wording.energy_line(
        result, total_params_b=(total, high), output_tokens=tokens, language=language, **flags
    )


def test_the_deck_line_in_french():
    assert line(35, 1074) == f"35 milliards param. × 1{NNBSP}074 jetons ≈ 0,26 Wh"


def test_the_deck_line_in_english():
    assert line(35, 1074, language="en") == "35 billion params × 1,074 tokens ≈ 0.26 Wh"


def test_estimated_and_quantized_sizes_say_so():
    assert line(440, 452, estimated=True).startswith("440 milliards param. (est.) × ")
    assert "14 milliards param. (quantisé) × 205 jetons" in line(14, 205, quantized=True)


def test_a_range_is_written_as_a_range():
    text = line(300, 452, high=600, estimated=True)
    assert text.startswith("300 à 600 milliards param. (est.) × 452 jetons ≈ ")
    assert " à " in text.split("≈")[1]


def test_small_models_count_in_millions():
    assert line(0.27, 40).startswith("270 millions param. × 40 jetons ≈ ")


def test_an_unknown_impact_says_so():
    text = wording.energy_line(None, total_params_b=None, output_tokens=300)
    assert text == "300 jetons : impact inconnu"
    assert "Wh" not in text


@pytest.mark.parametrize(
    ("value", "fr", "en"),
    [
        (0.26187, "0,26", "0.26"),
        (0.0013, "0,0013", "0.0013"),
        (3.21, "3,2", "3.2"),
        (12.6, "13", "13"),
        (1074, f"1{NNBSP}074", "1,074"),
    ],
)
def test_numbers_are_written_the_local_way(value, fr, en):
    assert wording.number(value, "fr") == fr
    assert wording.number(value, "en") == en


@pytest.mark.parametrize(
    ("hours", "fr", "en"),
    [
        (0.0001, "moins d'une seconde", "less than a second"),
        (12 / 3600, "12 s", "12 s"),
        (3.1 / 60, "3,1 min", "3.1 min"),
        (2.5, "2,5 h", "2.5 h"),
        (24 * 3.2, "3,2 jours", "3.2 days"),
    ],
)
def test_durations_take_the_unit_a_person_would_use(hours, fr, en):
    assert wording.duration(hours, "fr") == fr
    assert wording.duration(hours, "en") == en


def test_equal_ends_are_written_once():
    assert wording.span(Range(0.2612, 0.2618), "Wh") == "0,26 Wh"
    assert wording.span(Range(1.2, 2.4), "Wh") == "1,2 à 2,4 Wh"


@pytest.mark.django_db
def test_shipped_equivalences_have_sources_and_read_well():
    result = estimate(total_params=35, active_params=None, output_tokens=1074, site=SITE)
    texts = [p.text for p in phrases(result)]
    assert texts == [
        "3,1 min d'ampoule LED de 5 W",
        "16 s de vidéo en ligne",
        "0,87 recherche web",
    ]
    for equivalence in Equivalence.objects.all():
        assert equivalence.source_url.startswith("https://")
        assert equivalence.source_title


@pytest.mark.django_db
def test_an_unknown_impact_has_no_equivalence():
    assert phrases(None) == []


@pytest.mark.django_db
def test_an_admin_can_retire_an_equivalence():
    Equivalence.objects.filter(slug="video-en-ligne").update(active=False)
    result = estimate(total_params=35, active_params=None, output_tokens=1074, site=SITE)
    assert len(phrases(result)) == 2
