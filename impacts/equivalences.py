"""Equivalences of one estimate: "≈ 3 min d'ampoule LED de 5 W", each with its source."""

import logging
from dataclasses import dataclass

from impacts import placeholders, wording
from impacts.estimate import Estimate, Range
from impacts.models import Equivalence

logger = logging.getLogger(__name__)


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


def _phrase_field(equivalence: Equivalence, quantity: Range, language: str) -> str:
    if language.startswith("en"):
        return "phrase_en"
    if equivalence.phrase_fr_one and wording.rounded(quantity.max) < 2:
        return "phrase_fr_one"
    return "phrase_fr"


# The (equivalence, phrase field) whose broken phrase this process has logged already:
# every reveal of every workshop shows it, and one line says enough. Kept for the
# process's life (a few per catalogue entry at most); tests empty it with
# forget_broken_phrases().
_broken_phrases_logged: set[tuple[int, str]] = set()


def forget_broken_phrases() -> None:
    _broken_phrases_logged.clear()


def _text(equivalence: Equivalence, field: str, quantity_text: str) -> str:
    """The phrase with its quantity; for a phrase that cannot be shown (it reached the
    database without the model's validation), the quantity and the equivalence's name,
    so that a catalogue text never breaks a reveal or a page."""
    phrase_text = getattr(equivalence, field)
    text = placeholders.fill(phrase_text, quantity_text)
    if text is not None:
        return text
    if (equivalence.pk, field) not in _broken_phrases_logged:
        _broken_phrases_logged.add((equivalence.pk, field))
        logger.warning(
            "Equivalence %s (%s): its %s cannot be shown (%s); screens show the quantity "
            "and the name instead until a curator corrects it.",
            equivalence.pk,
            equivalence.slug,
            field,
            " ".join(placeholders.problem(phrase_text).messages),
        )
    return f"{quantity_text} — {equivalence.name}"


def basis_of(estimate: Estimate, basis: str) -> Range:
    return {
        Equivalence.Basis.ENERGY: estimate.energy_wh,
        Equivalence.Basis.EMISSIONS: estimate.gwp_g,
        Equivalence.Basis.WATER: estimate.water_ml,
    }[basis]


def phrase(equivalence: Equivalence, estimate: Estimate, language: str = "fr") -> Phrase:
    quantity = basis_of(estimate, equivalence.basis) * (1 / float(equivalence.basis_per_unit))
    field = _phrase_field(equivalence, quantity, language)
    return Phrase(
        text=_text(equivalence, field, _quantity_text(equivalence, quantity, language)),
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
