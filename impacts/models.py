"""Equivalences: what an answer's energy, emissions or water amount to in daily life."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from impacts.placeholders import validate_phrase


class Equivalence(models.Model):
    class Basis(models.TextChoices):
        ENERGY = "wh", _("Énergie (Wh)")
        EMISSIONS = "gco2eq", _("Émissions (gCO2eq)")
        WATER = "ml", _("Eau (mL)")

    class UnitKind(models.TextChoices):
        DURATION = "duration", _("Durée (en heures ; affichée en s, min, h ou jours)")
        COUNT = "count", _("Nombre")

    slug = models.SlugField(_("identifiant"), unique=True)
    name = models.CharField(_("nom"), max_length=200)
    basis = models.CharField(_("base"), max_length=10, choices=Basis.choices)
    basis_per_unit = models.DecimalField(
        _("quantité de la base pour une unité"),
        max_digits=12,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0.0001"))],
        help_text=_("P. ex. 5 (Wh) pour une heure d'ampoule LED de 5 W."),
    )
    unit_kind = models.CharField(_("unité"), max_length=10, choices=UnitKind.choices)
    phrase_fr = models.CharField(
        _("phrase (français)"),
        max_length=200,
        validators=[validate_phrase],
        help_text=_(
            "Avec {quantity} une fois et aucune autre accolade, "
            "p. ex. « {quantity} d'ampoule LED de 5 W »."
        ),
    )
    phrase_fr_one = models.CharField(
        _("phrase au singulier (français)"),
        max_length=200,
        blank=True,
        validators=[validate_phrase],
        help_text=_("Pour une quantité inférieure à 2, p. ex. « {quantity} recherche web »."),
    )
    phrase_en = models.CharField(
        _("phrase (anglais)"), max_length=200, validators=[validate_phrase]
    )
    source_title = models.CharField(_("source"), max_length=200)
    source_url = models.URLField(_("lien vers la source"))
    order = models.PositiveIntegerField(_("ordre"), default=0)
    active = models.BooleanField(_("affichée"), default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("équivalence")
        verbose_name_plural = _("équivalences")
        constraints = [
            models.CheckConstraint(
                condition=Q(basis_per_unit__gt=0), name="equivalence_factor_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name
