"""What one answer costs, estimated with EcoLogits (never re-implemented here).

From a model's total and active parameters (billions, possibly ranges), its
served quantization, the output tokens (reasoning tokens included: they are
generated too), the measured generation time when known, and where it is
served (electricity zone, PUE, WUE), EcoLogits gives energy, greenhouse gases
and water as ranges, split into usage and embodied parts. We keep the method's
name and version with every figure. Unknown parameters give `None`: "impact
unknown", never a made-up number.
"""

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib.metadata import version

from ecologits.electricity_mix_repository import electricity_mixes
from ecologits.impacts.llm import compute_llm_impacts
from ecologits.utils.range_value import RangeValue

from impacts.zones import WORLD

METHOD = "EcoLogits"

# Bits per weight of the served model, as EcoLogits' `model_quantization_bits` takes them.
QUANTIZATION_BITS = {"": 16, "q8": 8, "q4": 4}

Number = int | float | Decimal


@cache
def method_version() -> str:
    return version("ecologits")


@dataclass(frozen=True)
class Range:
    """A min-max range; a point value is a range whose ends are equal."""

    min: float
    max: float

    @classmethod
    def of(cls, value: float | RangeValue, scale: float = 1) -> "Range":
        if isinstance(value, RangeValue):
            return cls(value.min * scale, value.max * scale)
        return cls(value * scale, value * scale)

    @property
    def is_range(self) -> bool:
        return self.min != self.max

    @property
    def mid(self) -> float:
        return (self.min + self.max) / 2

    def __add__(self, other: "Range") -> "Range":
        return Range(self.min + other.min, self.max + other.max)

    def __mul__(self, factor: float) -> "Range":
        return Range(self.min * factor, self.max * factor)

    def as_dict(self) -> dict[str, float]:
        return {"min": self.min, "max": self.max}


@dataclass(frozen=True)
class ServingSite:
    """Where a model is served. Energy depends on it, not on where the audience sits."""

    zone: str = WORLD
    pue: float = 1.2
    wue: float = 0.569


# When an endpoint says nothing: the world's electricity mix, and EcoLogits' defaults for a
# hyperscale data centre (OpenAI's figures: PUE 1.20, WUE 0.569 L/kWh).
DEFAULT_SITE = ServingSite()


@dataclass(frozen=True)
class Estimate:
    energy_wh: Range
    gwp_g: Range
    water_ml: Range
    gwp_usage_g: Range
    gwp_embodied_g: Range
    output_tokens: int
    site: ServingSite
    method: str
    method_version: str

    def as_dict(self) -> dict:
        return {
            "energy_wh": self.energy_wh.as_dict(),
            "gwp_g": self.gwp_g.as_dict(),
            "water_ml": self.water_ml.as_dict(),
            "gwp_usage_g": self.gwp_usage_g.as_dict(),
            "gwp_embodied_g": self.gwp_embodied_g.as_dict(),
            "output_tokens": self.output_tokens,
            "zone": self.site.zone,
            "pue": self.site.pue,
            "wue": self.site.wue,
            "method": self.method,
            "method_version": self.method_version,
        }


def params(low: Number | None, high: Number | None = None) -> float | RangeValue | None:
    """A parameter count in billions, or a range of them, as EcoLogits takes it."""
    if low is None:
        return None
    if high is None or Decimal(str(high)) == Decimal(str(low)):
        return float(low)
    return RangeValue(min=float(low), max=float(high))


def estimate(
    *,
    total_params: float | RangeValue | None,
    active_params: float | RangeValue | None,
    output_tokens: int,
    quantization: str = "",
    site: ServingSite = DEFAULT_SITE,
    latency_s: float | None = None,
) -> Estimate | None:
    """Estimate one answer's impact; None when the model's size is unknown.

    Raises ValueError for impossible input (negative tokens, unknown zone or quantization).
    """
    if output_tokens < 0:
        raise ValueError(f"output tokens cannot be negative: {output_tokens}")
    if quantization not in QUANTIZATION_BITS:
        raise ValueError(f"unknown quantization {quantization!r}: use q4, q8 or none")
    mix = electricity_mixes.find_electricity_mix(zone=site.zone)
    if mix is None:
        raise ValueError(f"unknown electricity zone {site.zone!r}")
    if total_params is None:
        return None
    # A dense model (or one whose experts are not known) uses all its parameters.
    active = total_params if active_params is None else active_params
    impacts = compute_llm_impacts(
        model_active_parameter_count=active,
        model_total_parameter_count=total_params,
        output_token_count=output_tokens,
        if_electricity_mix_adpe=mix.adpe,
        if_electricity_mix_pe=mix.pe,
        if_electricity_mix_gwp=mix.gwp,
        if_electricity_mix_wue=mix.wue,
        datacenter_pue=site.pue,
        datacenter_wue=site.wue,
        request_latency=latency_s,
        model_quantization_bits=QUANTIZATION_BITS[quantization],
    )
    return Estimate(
        energy_wh=Range.of(impacts.energy.value, 1000),  # kWh -> Wh
        gwp_g=Range.of(impacts.gwp.value, 1000),  # kgCO2eq -> gCO2eq
        water_ml=Range.of(impacts.wcf.value, 1000),  # L -> mL
        gwp_usage_g=Range.of(impacts.usage.gwp.value, 1000),
        gwp_embodied_g=Range.of(impacts.embodied.gwp.value, 1000),
        output_tokens=output_tokens,
        site=site,
        method=METHOD,
        method_version=method_version(),
    )
