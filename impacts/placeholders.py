"""The one placeholder of an equivalence's phrase: "{quantity} d'ampoule LED de 5 W".

Phrases are catalogue text that curators edit in the back office, so they never go
through `str.format`: its fields reach attributes and indexes of the value ("{quantity.
__class__}") and pad it to any width ("{quantity:>2000000}"), and an unknown name raises
at every reveal. A phrase holds `{quantity}` exactly once and no other brace; the model's
validation refuses anything else, and `fill` refuses it again for a phrase that reached
the database another way (an update, an import, a row older than this rule).
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

QUANTITY = "{quantity}"

# A pair of braces with no brace inside, or a brace on its own.
_BRACES = re.compile(r"\{[^{}]*\}|[{}]")


def problem(phrase: str) -> ValidationError | None:
    """Why this phrase cannot be shown, or None when it can."""
    found = 0
    for match in _BRACES.finditer(phrase):
        token = match.group()
        if token == QUANTITY:
            found += 1
        elif len(token) == 1:
            return ValidationError(
                _(
                    "L'accolade « %(brace)s » est seule : les accolades ne servent "
                    "qu'à écrire {quantity}."
                ),
                code="stray_brace",
                params={"brace": token},
            )
        elif token.startswith("{quantity"):
            return ValidationError(
                _(
                    "« %(token)s » n'est pas permis : écrivez {quantity} tel quel, "
                    "sans format, attribut ni indice."
                ),
                code="quantity_with_format",
                params={"token": token},
            )
        else:
            return ValidationError(
                _("« %(token)s » n'est pas un repère connu : seul {quantity} est permis."),
                code="unknown_placeholder",
                params={"token": token},
            )
    if found == 0:
        return ValidationError(
            _("La phrase doit contenir {quantity}, là où s'écrit la quantité."),
            code="no_quantity",
        )
    if found > 1:
        return ValidationError(
            _("{quantity} ne doit paraître qu'une fois dans la phrase."), code="quantity_twice"
        )
    return None


def validate_phrase(phrase: str) -> None:
    error = problem(phrase)
    if error is not None:
        raise error


def fill(phrase: str, quantity: str) -> str | None:
    """The phrase with the quantity written in; None for a phrase `validate_phrase` refuses."""
    if problem(phrase) is not None:
        return None
    return phrase.replace(QUANTITY, quantity)
