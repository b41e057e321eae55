from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from duels.impact import SORTS, TYPICAL_ANSWER_TOKENS, catalogue_rows
from duels.models import AIModel

COLUMNS = [
    ("name", _("Modèle")),
    ("size", _("Taille")),
    ("energy", _("Énergie pour 1 000 jetons")),
    ("emissions", _("Émissions pour 1 000 jetons")),
]


def _columns(sort: str) -> list[dict]:
    """Header links: a click sorts by the column, a second click reverses it."""
    columns = []
    for key, label in COLUMNS:
        active = sort.lstrip("-") == key
        descending = active and sort.startswith("-")
        columns.append(
            {
                "label": label,
                "url": f"?sort={'' if descending or not active else '-'}{key}",
                "aria_sort": ("descending" if descending else "ascending") if active else "none",
            }
        )
    return columns


def model_impacts(request: HttpRequest) -> HttpResponse:
    """Public page: every enabled model's energy and emissions per 1,000 output tokens."""
    sort = request.GET.get("sort", "energy")
    if sort.lstrip("-") not in SORTS:
        sort = "energy"
    models = AIModel.objects.enabled().select_related("maker", "endpoint")
    return render(
        request,
        "duels/model_impacts.html",
        {
            "rows": catalogue_rows(models, get_language() or "fr", sort),
            "columns": _columns(sort),
            "typical_tokens": TYPICAL_ANSWER_TOKENS,
        },
    )
