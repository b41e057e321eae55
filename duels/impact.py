"""What the catalogue's models cost per answer: the bridge from duels to impacts.

A model is served at its endpoint's data centre (zone, PUE, WUE); a model
without an endpoint is counted at impacts.estimate.DEFAULT_SITE (world mix,
PUE 1.20, WUE 0.569 L/kWh). Output tokens include reasoning tokens: a
reasoning model generates them too.
"""

from dataclasses import dataclass

from django.db import transaction

from duels.models import AIModel, Endpoint, Generation
from impacts import display, wording
from impacts.display import Figures
from impacts.estimate import DEFAULT_SITE, ServingSite, estimate, params

# One typical answer, to put figures per answer in words (about 300 words of French).
TYPICAL_ANSWER_TOKENS = 400


def site_of(endpoint: Endpoint | None) -> ServingSite:
    if endpoint is None:
        return DEFAULT_SITE
    return ServingSite(zone=endpoint.zone, pue=float(endpoint.pue), wue=float(endpoint.wue))


def estimate_for(model: AIModel, output_tokens: int, latency_s: float | None = None):
    """The estimate of one answer of `output_tokens` by this model; None if its size is unknown."""
    return estimate(
        total_params=params(model.total_params_b, model.total_params_b_max),
        active_params=params(model.active_params_b, model.active_params_b_max),
        output_tokens=output_tokens,
        quantization=model.quantization,
        site=site_of(model.endpoint),
        latency_s=latency_s,
    )


def size_text(model: AIModel, language: str = "fr") -> str:
    """ "24 milliards param.", with "(est.)" and the active share where they apply."""
    if model.total_params_b is None:
        return wording.words(language)["unknown_size"]
    text = wording.parameters(
        float(model.total_params_b),
        None if model.total_params_b_max is None else float(model.total_params_b_max),
        language,
    )
    if model.active_params_b is not None and model.active_params_b != model.total_params_b:
        active = wording.number(float(model.active_params_b), language, significant=3)
        text += " " + wording.words(language)["active"].format(active=active)
    if model.params_estimated:
        text += " " + wording.words(language)["estimated"]
    return text


def answer_figures(
    model: AIModel, output_tokens: int, language: str = "fr", latency_s: float | None = None
) -> Figures:
    """Everything a screen shows about one answer of this model: line, figures, equivalences."""
    result = estimate_for(model, output_tokens, latency_s)
    line = wording.energy_line(
        result,
        total_params_b=None
        if model.total_params_b is None
        else (
            float(model.total_params_b),
            None if model.total_params_b_max is None else float(model.total_params_b_max),
        ),
        output_tokens=output_tokens,
        active_params_b=None if model.active_params_b is None else float(model.active_params_b),
        estimated=model.params_estimated,
        quantized=bool(model.quantization),
        language=language,
    )
    return display.figures(result, line, language)


@dataclass(frozen=True)
class CatalogueRow:
    """A catalogue model with its figures per 1,000 output tokens and for a typical answer."""

    model: AIModel
    size: str
    per_thousand: Figures
    typical: Figures

    @property
    def energy_per_thousand(self) -> float | None:
        estimate_ = self.per_thousand.estimate
        return None if estimate_ is None else estimate_.energy_wh.mid

    @property
    def emissions_per_thousand(self) -> float | None:
        estimate_ = self.per_thousand.estimate
        return None if estimate_ is None else estimate_.gwp_g.mid


# What each column sorts by; None (unknown) always goes last.
SORTS = {
    "name": lambda row: row.model.name.lower(),
    "size": lambda row: row.model.size_params_b,
    "energy": lambda row: row.energy_per_thousand,
    "emissions": lambda row: row.emissions_per_thousand,
}


def catalogue_rows(models, language: str = "fr", sort: str = "energy") -> list[CatalogueRow]:
    """Rows of the impact page, sorted by `sort` ("-energy" for descending)."""
    descending = sort.startswith("-")
    value = SORTS.get(sort.lstrip("-"), SORTS["energy"])
    rows = [
        CatalogueRow(
            model=model,
            size=size_text(model, language),
            per_thousand=answer_figures(model, 1000, language),
            typical=answer_figures(model, TYPICAL_ANSWER_TOKENS, language),
        )
        for model in models
    ]
    known = sorted((r for r in rows if value(r) is not None), key=value, reverse=descending)
    return known + [r for r in rows if value(r) is None]


IMPACT_FIELDS = [
    "energy_wh_min",
    "energy_wh_max",
    "gwp_g_min",
    "gwp_g_max",
    "water_ml_min",
    "water_ml_max",
    "impact_method",
    "impact_method_version",
]


def impact_values(generation: Generation) -> dict:
    """The impact fields of a generation, computed now; all empty when it cannot be known."""
    empty = dict.fromkeys(IMPACT_FIELDS) | {"impact_method": "", "impact_method_version": ""}
    if generation.output_tokens is None:
        return empty
    latency = generation.duration_ms / 1000 if generation.duration_ms else None
    result = estimate_for(generation.model, generation.output_tokens, latency)
    if result is None:
        return empty
    return {
        "energy_wh_min": result.energy_wh.min,
        "energy_wh_max": result.energy_wh.max,
        "gwp_g_min": result.gwp_g.min,
        "gwp_g_max": result.gwp_g.max,
        "water_ml_min": result.water_ml.min,
        "water_ml_max": result.water_ml.max,
        "impact_method": result.method,
        "impact_method_version": result.method_version,
    }


def store_impact(generation: Generation) -> bool:
    """Compute and save a generation's impact; say whether any stored figure changed."""
    values = impact_values(generation)
    changed = any(getattr(generation, name) != value for name, value in values.items())
    if changed:
        for name, value in values.items():
            setattr(generation, name, value)
        generation.save(update_fields=IMPACT_FIELDS)
    return changed


def recompute_impacts(queryset=None) -> tuple[int, int]:
    """Recompute the stored impacts of finished generations (after a method upgrade).

    Returns (how many were checked, how many changed).
    """
    if queryset is None:
        queryset = Generation.objects.filter(status=Generation.Status.DONE)
    checked = changed = 0
    for generation in queryset.select_related("model__endpoint").iterator(chunk_size=500):
        with transaction.atomic():
            changed += store_impact(generation)
        checked += 1
    return checked, changed
