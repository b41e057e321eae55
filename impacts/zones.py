"""Electricity zones, as EcoLogits knows them (ISO 3166 alpha-3, plus WOR for the world)."""

from functools import cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from ecologits.electricity_mix_repository import electricity_mixes

WORLD = "WOR"


@cache
def known_zones() -> frozenset[str]:
    return frozenset(mix.zone for mix in electricity_mixes.list_electricity_mixes())


def validate_zone(value: str) -> None:
    if value not in known_zones():
        raise ValidationError(
            _("Zone électrique inconnue : %(zone)s (code ISO à trois lettres, ou WOR)."),
            params={"zone": value},
            code="unknown_zone",
        )
