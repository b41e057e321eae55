"""Equivalences of one estimate: "≈ 3 min d'ampoule LED de 5 W", each with its source."""

from dataclasses import dataclass

from impacts import wording
from impacts.estimate import Estimate, Range
from impacts.models import Equivalence


@dataclass(frozen=True)
class Phrase:
    text: str
    quantity: Range
    source_title: str
    source_url: str


def _quantity_text(equivalence: Equivalence, quantity: Range, language: str) -> str:
    if equivalence.unit_kind == Equivalence.UnitKind.DURATION:
        low = wording.duration(quantity.min, language)
        high = wording.duration(quantity.max, language)
        return low if low == high else f"{low} {wording.words(language)['to']} {high}"
    low = wording.number(quantity.min, language)
    high = wording.number(quantity.max, language)
    return low if low == high else f"{low} {wording.words(language)['to']} {high}"


def _phrase_template(equivalence: Equivalence, quantity: Range, language: str) -> str:
    if language.startswith("en"):
        return equivalence.phrase_en
    if equivalence.phrase_fr_one and wording.rounded(quantity.max) < 2:
        return equivalence.phrase_fr_one
    return equivalence.phrase_fr


def basis_of(estimate: Estimate, basis: str) -> Range:
    return {
        Equivalence.Basis.ENERGY: estimate.energy_wh,
        Equivalence.Basis.EMISSIONS: estimate.gwp_g,
        Equivalence.Basis.WATER: estimate.water_ml,
    }[basis]


def phrase(equivalence: Equivalence, estimate: Estimate, language: str = "fr") -> Phrase:
    quantity = basis_of(estimate, equivalence.basis) * (1 / float(equivalence.basis_per_unit))
    template = _phrase_template(equivalence, quantity, language)
    return Phrase(
        text=template.format(quantity=_quantity_text(equivalence, quantity, language)),
        quantity=quantity,
        source_title=equivalence.source_title,
        source_url=equivalence.source_url,
    )


def phrases(
    estimate: Estimate | None, language: str = "fr", limit: int | None = None
) -> list[Phrase]:
    """The active equivalences of an estimate, in their order; none for an unknown impact."""
    if estimate is None:
        return []
    active = Equivalence.objects.filter(active=True)
    if limit is not None:
        active = active[:limit]
    return [phrase(equivalence, estimate, language) for equivalence in active]
