"""Rules of the model catalogue that do not need the database: size classes."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class SizeClass(models.TextChoices):
    # compar:IA's classes, from total parameters in billions.
    XS = "XS", _("XS (moins de 15 Md)")
    S = "S", _("S (15 à 60 Md)")
    M = "M", _("M (60 à 100 Md)")
    L = "L", _("L (100 à 400 Md)")
    XL = "XL", _("XL (400 Md et plus)")


# Lower bound (inclusive) of each class, in billions of parameters.
SIZE_CLASS_BOUNDS: list[tuple[SizeClass, Decimal]] = [
    (SizeClass.XS, Decimal(0)),
    (SizeClass.S, Decimal(15)),
    (SizeClass.M, Decimal(60)),
    (SizeClass.L, Decimal(100)),
    (SizeClass.XL, Decimal(400)),
]


def size_class_for(total_params_b: Decimal | None) -> SizeClass | None:
    if total_params_b is None:
        return None
    found = None
    for size_class, lower in SIZE_CLASS_BOUNDS:
        if total_params_b >= lower:
            found = size_class
    return found


def size_class_range(size_class: str) -> tuple[Decimal, Decimal | None]:
    """The [lower, upper) bounds of a class, for filtering in the database."""
    for index, (candidate, lower) in enumerate(SIZE_CLASS_BOUNDS):
        if candidate == size_class:
            upper = SIZE_CLASS_BOUNDS[index + 1][1] if index + 1 < len(SIZE_CLASS_BOUNDS) else None
            return lower, upper
    raise ValueError(f"unknown size class {size_class!r}")
