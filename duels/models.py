"""What is compared: makers, endpoints, the model catalogue, prompts and generations.

No knowledge of people, rooms or votes lives here (see DESIGN.md).
"""

import hashlib
import json
import os
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator, URLValidator
from django.db import models
from django.db.models import Case, F, Q, When
from django.utils.translation import gettext_lazy as _

from duels.catalogue import SizeClass, size_class_for, size_class_range
from duels.endpoint_safety import key_variable_allowed, validate_key_variable
from impacts.zones import WORLD, validate_zone

ENV_VAR_NAME = RegexValidator(
    r"^[A-Z][A-Z0-9_]*$",
    _("Nom de variable d'environnement : majuscules, chiffres et « _ », p. ex. MISTRAL_API_KEY."),
)
# compar:IA's model ids are slugs that may hold dots ("qwen2.5-coder-32b-instruct").
MODEL_ID = RegexValidator(
    r"^[a-z0-9][a-z0-9._-]*$",
    _("Minuscules, chiffres, points, tirets et « _ », p. ex. llama-3.3-70b."),
)
PARAMS = {"max_digits": 9, "decimal_places": 3, "validators": [MinValueValidator(Decimal("0.001"))]}


class Maker(models.Model):
    slug = models.SlugField(_("identifiant"), unique=True)
    name = models.CharField(_("nom"), max_length=100)
    country = models.CharField(_("pays"), max_length=100, blank=True)
    url = models.URLField(_("site"), blank=True)
    proprietary_terms = models.URLField(
        _("conditions d'utilisation (modèles propriétaires)"), blank=True
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("éditeur")
        verbose_name_plural = _("éditeurs")

    def __str__(self) -> str:
        return self.name


class Endpoint(models.Model):
    """An API that serves models. Its key is read from the environment, never stored.

    Which variables may hold a key, and where a worker may connect: duels/endpoint_safety.py.
    """

    class ApiStyle(models.TextChoices):
        OPENAI = "openai", _("Compatible OpenAI (chat completions)")
        MANUAL = "manual", _("Manuel (réponse collée par un administrateur)")

    slug = models.SlugField(_("identifiant"), unique=True)
    name = models.CharField(_("nom"), max_length=100)
    base_url = models.URLField(
        _("URL de base"), blank=True, validators=[URLValidator(schemes=["http", "https"])]
    )
    api_style = models.CharField(
        _("protocole"), max_length=20, choices=ApiStyle.choices, default=ApiStyle.OPENAI
    )
    api_key_env = models.CharField(
        _("variable d'environnement de la clé"),
        max_length=100,
        blank=True,
        validators=[ENV_VAR_NAME, validate_key_variable],
        help_text=_(
            "Le nom de la variable, jamais la clé elle-même, parmi celles que le déploiement "
            "autorise (PROVIDER_KEY_VARIABLES). Vide : pas de clé."
        ),
    )
    is_local = models.BooleanField(
        _("serveur local (boucle locale)"),
        default=False,
        help_text=_(
            "Un serveur sur la machine même (127.0.0.1, localhost) : seul un point d'accès "
            "marqué ainsi peut être joint par la boucle locale, et en http."
        ),
    )
    zone = models.CharField(
        _("zone électrique du centre de données"),
        max_length=3,
        default=WORLD,
        validators=[validate_zone],
        help_text=_("Code ISO 3166 à trois lettres (FRA, USA, SWE...), ou WOR pour le monde."),
    )
    pue = models.DecimalField(
        _("PUE"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.20"),
        validators=[MinValueValidator(Decimal("1"))],
        help_text=_("Efficacité énergétique du centre de données (1 = parfaite)."),
    )
    wue = models.DecimalField(
        _("WUE (L/kWh)"),
        max_digits=5,
        decimal_places=3,
        default=Decimal("0.569"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Eau consommée sur site par kWh."),
    )
    timeout_seconds = models.PositiveIntegerField(_("délai maximal (s)"), default=120)
    max_concurrency = models.PositiveIntegerField(
        _("requêtes simultanées au plus"), default=4, validators=[MinValueValidator(1)]
    )
    max_tokens = models.PositiveIntegerField(
        _("plafond de jetons par réponse"),
        null=True,
        blank=True,
        help_text=_("Pour un serveur lent (modèle local sur processeur). Vide : pas de plafond."),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("point d'accès")
        verbose_name_plural = _("points d'accès")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_concurrency__gte=1), name="endpoint_concurrency_at_least_one"
            ),
            models.CheckConstraint(condition=Q(pue__gte=1), name="endpoint_pue_at_least_one"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Said here, where a superuser types it; workers refuse it anyway (endpoint_safety).
        # Not tied to a field: a curator's form has neither the URL nor the key variable.
        if self.api_key_env and self.base_url.lower().startswith("http:") and not self.is_local:
            raise ValidationError(
                _("Une clé n'est envoyée qu'en HTTPS, sauf à un serveur local marqué comme tel."),
                code="key_over_http",
            )

    @property
    def requires_key(self) -> bool:
        return bool(self.api_key_env)

    @property
    def key_is_set(self) -> bool:
        """Whether the named variable is an allowed key variable that holds a value in this
        process's environment: never a way to learn whether any other variable exists."""
        return bool(
            self.api_key_env
            and key_variable_allowed(self.api_key_env)
            and os.environ.get(self.api_key_env)
        )


class AIModelQuerySet(models.QuerySet):
    def enabled(self):
        return self.filter(status=AIModel.Status.ENABLED)

    def with_size_params(self):
        """Annotate the parameter count that decides the size class (a range's midpoint)."""
        return self.annotate(
            size_basis_b=Case(
                When(
                    total_params_b_max__isnull=False,
                    then=(F("total_params_b") + F("total_params_b_max")) / 2,
                ),
                default=F("total_params_b"),
                output_field=models.DecimalField(max_digits=9, decimal_places=3),
            )
        )

    def of_size_class(self, size_class: str):
        lower, upper = size_class_range(size_class)
        queryset = self.with_size_params().filter(size_basis_b__gte=lower)
        if upper is not None:
            queryset = queryset.filter(size_basis_b__lt=upper)
        return queryset


class AIModel(models.Model):
    """A model of the catalogue, with the facts compar:IA keeps (reference/catalogue.md)."""

    class Architecture(models.TextChoices):
        DENSE = "dense", _("Dense")
        MOE = "moe", _("Mélange d'experts (MoE)")
        MATFORMER = "matformer", _("MatFormer")
        UNKNOWN = "unknown", _("Inconnue")

    class Quantization(models.TextChoices):
        NONE = "", _("Aucune (16 bits)")
        Q8 = "q8", _("8 bits (q8)")
        Q4 = "q4", _("4 bits (q4)")

    class Reasoning(models.TextChoices):
        NO = "no", _("Non")
        YES = "yes", _("Oui")
        HYBRID = "hybrid", _("Hybride (activable)")

    class Distribution(models.TextChoices):
        API_ONLY = "api-only", _("Propriétaire")
        OPEN_WEIGHTS = "open-weights", _("Semi-ouvert")
        FULLY_OPEN = "fully-open-source", _("Open source")

    class Status(models.TextChoices):
        ENABLED = "enabled", _("Actif")
        DISABLED = "disabled", _("Désactivé")
        ARCHIVED = "archived", _("Archivé")

    slug = models.CharField(
        _("identifiant"),
        max_length=100,
        unique=True,
        validators=[MODEL_ID],
        help_text=_("Stable, comme chez compar:IA, p. ex. llama-3.3-70b."),
    )
    name = models.CharField(_("nom affiché"), max_length=100)
    maker = models.ForeignKey(
        Maker, on_delete=models.PROTECT, related_name="models", verbose_name=_("éditeur")
    )
    release_date = models.DateField(
        _("date de sortie (mois)"),
        null=True,
        blank=True,
        help_text=_("Seul le mois compte : saisir le premier jour du mois."),
    )
    architecture = models.CharField(
        _("architecture"), max_length=20, choices=Architecture.choices, default=Architecture.DENSE
    )
    total_params_b = models.DecimalField(
        _("paramètres totaux (milliards)"),
        null=True,
        blank=True,
        help_text=_("Vide si inconnu. Pour une fourchette : la borne basse."),
        **PARAMS,
    )
    total_params_b_max = models.DecimalField(
        _("paramètres totaux, borne haute"),
        null=True,
        blank=True,
        help_text=_("Seulement si la taille est une fourchette."),
        **PARAMS,
    )
    active_params_b = models.DecimalField(
        _("paramètres actifs (milliards)"),
        null=True,
        blank=True,
        help_text=_("Obligatoire pour un mélange d'experts. Vide : égal au total."),
        **PARAMS,
    )
    active_params_b_max = models.DecimalField(
        _("paramètres actifs, borne haute"), null=True, blank=True, **PARAMS
    )
    params_estimated = models.BooleanField(
        _("tailles estimées"),
        default=False,
        help_text=_("L'éditeur ne publie pas la taille : l'interface affiche « (est.) »."),
    )
    quantization = models.CharField(
        _("quantisation servie"), max_length=4, choices=Quantization.choices, blank=True
    )
    reasoning = models.CharField(
        _("raisonnement"), max_length=10, choices=Reasoning.choices, default=Reasoning.NO
    )
    license = models.CharField(_("licence"), max_length=100)
    distribution = models.CharField(_("distribution"), max_length=20, choices=Distribution.choices)
    description = models.TextField(_("description pour le public"), blank=True)
    size_description = models.CharField(_("taille, en une ligne"), max_length=200, blank=True)
    fun_fact = models.TextField(_("le saviez-vous ?"), blank=True)
    url = models.URLField(_("lien"), blank=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.ENABLED
    )
    endpoint = models.ForeignKey(
        Endpoint,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="models",
        verbose_name=_("point d'accès"),
    )
    endpoint_model_id = models.CharField(
        _("identifiant du modèle chez le fournisseur"), max_length=200, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AIModelQuerySet.as_manager()

    class Meta:
        ordering = ["maker__name", "name"]
        verbose_name = _("modèle")
        verbose_name_plural = _("modèles")
        constraints = [
            models.CheckConstraint(
                condition=~Q(architecture="moe") | Q(active_params_b__isnull=False),
                name="aimodel_moe_has_active_params",
            ),
            models.CheckConstraint(
                condition=Q(total_params_b_max__isnull=True)
                | Q(total_params_b__isnull=False, total_params_b__lte=F("total_params_b_max")),
                name="aimodel_total_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(active_params_b_max__isnull=True)
                | Q(active_params_b__isnull=False, active_params_b__lte=F("active_params_b_max")),
                name="aimodel_active_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(active_params_b__isnull=True)
                | Q(total_params_b__isnull=True)
                | Q(active_params_b__lte=F("total_params_b"))
                # Compared with NULL, a check passes: so test the bound only where it exists.
                | Q(total_params_b_max__isnull=False, active_params_b__lte=F("total_params_b_max")),
                name="aimodel_active_within_total",
            ),
            models.CheckConstraint(
                condition=Q(endpoint__isnull=True) | ~Q(endpoint_model_id=""),
                name="aimodel_endpoint_has_model_id",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def size_params_b(self) -> Decimal | None:
        if self.total_params_b is None:
            return None
        if self.total_params_b_max is None:
            return self.total_params_b
        return (self.total_params_b + self.total_params_b_max) / 2

    @property
    def size_class(self) -> SizeClass | None:
        """Derived from total parameters, never stored (XS < 15 B ... XL >= 400 B)."""
        return size_class_for(self.size_params_b)

    @property
    def is_mixture_of_experts(self) -> bool:
        return self.architecture == self.Architecture.MOE


class PromptQuerySet(models.QuerySet):
    def library(self):
        """The shared library: every prompt but the questions asked live in a workshop."""
        return self.exclude(slug__startswith=Prompt.LIVE_SLUG_PREFIX)


class Prompt(models.Model):
    """A question of the shared library, asked of both models of a duel."""

    # A question asked live in a workshop is saved as a prompt too, its slug starting
    # with this: its words are a room's, often a participant's, not the library's.
    LIVE_SLUG_PREFIX = "direct-"

    slug = models.SlugField(_("identifiant"), max_length=100, unique=True)
    title = models.CharField(_("titre"), max_length=200)
    text = models.TextField(_("texte"))
    language = models.CharField(_("langue"), max_length=10, default="fr")
    category = models.CharField(_("catégorie"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PromptQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("question")
        verbose_name_plural = _("bibliothèque de questions")

    def __str__(self) -> str:
        return self.title


class GenerationQuerySet(models.QuerySet):
    def of_library(self):
        """Answers to the shared library's prompts, not to a question asked live."""
        return self.filter(prompt__in=Prompt.objects.library())

    def for_key(self, model: AIModel, prompt: Prompt, system_prompt: str, settings: dict):
        return self.filter(
            model=model, prompt=prompt, settings_key=settings_key(system_prompt, settings)
        )

    def reusable_for(self, model: AIModel, prompt: Prompt, system_prompt: str, settings: dict):
        """Finished answers to the same question under the same settings, newest first."""
        return (
            self.for_key(model, prompt, system_prompt, settings)
            .filter(status=Generation.Status.DONE)
            .order_by("-finished_at", "-pk")
        )


def settings_key(system_prompt: str, settings: dict) -> str:
    """A stable digest of what makes two generations interchangeable (besides model, prompt)."""
    canonical = json.dumps(
        {"system_prompt": system_prompt, "settings": settings}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class Generation(models.Model):
    """One model's answer to one prompt under given settings; reusable across workshops.

    The work of fetching it lives in duels/generation.py (run by duels/tasks.py).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminée")
        FAILED = "failed", _("Échec")

    class TokenSource(models.TextChoices):
        COUNTED = "counted", _("Comptés par le fournisseur")
        ESTIMATED = "estimated", _("Estimés")

    class Origin(models.TextChoices):
        API = "api", _("Demandée au fournisseur")
        PASTED = "pasted", _("Collée par un administrateur")

    model = models.ForeignKey(
        AIModel, on_delete=models.PROTECT, related_name="generations", verbose_name=_("modèle")
    )
    prompt = models.ForeignKey(
        Prompt, on_delete=models.PROTECT, related_name="generations", verbose_name=_("question")
    )
    system_prompt = models.TextField(_("prompt système"), blank=True)
    settings = models.JSONField(
        _("réglages d'échantillonnage"),
        default=dict,
        blank=True,
        help_text=_("Température, nombre maximal de jetons..."),
    )
    settings_key = models.CharField(max_length=64, editable=False, db_index=True, default="")
    origin = models.CharField(
        _("origine"), max_length=10, choices=Origin.choices, default=Origin.API
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # The worker that holds the generation, and until when; a lapsed lease may be taken over.
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    text = models.TextField(_("réponse"), blank=True)
    reasoning_text = models.TextField(_("raisonnement"), blank=True)
    input_tokens = models.PositiveIntegerField(_("jetons en entrée"), null=True, blank=True)
    output_tokens = models.PositiveIntegerField(
        _("jetons en sortie"),
        null=True,
        blank=True,
        help_text=_("Raisonnement compris : ces jetons-là sont générés aussi."),
    )
    reasoning_tokens = models.PositiveIntegerField(
        _("jetons de raisonnement"), null=True, blank=True
    )
    token_source = models.CharField(
        _("origine des comptes de jetons"), max_length=10, choices=TokenSource.choices, blank=True
    )
    time_to_first_token_ms = models.PositiveIntegerField(
        _("délai du premier jeton (ms)"), null=True, blank=True
    )
    duration_ms = models.PositiveIntegerField(_("durée totale (ms)"), null=True, blank=True)
    error = models.TextField(_("erreur"), blank=True)
    attempts = models.PositiveIntegerField(_("tentatives"), default=0)
    energy_wh_min = models.FloatField(null=True, blank=True)
    energy_wh_max = models.FloatField(null=True, blank=True)
    gwp_g_min = models.FloatField(_("gCO2eq min"), null=True, blank=True)
    gwp_g_max = models.FloatField(_("gCO2eq max"), null=True, blank=True)
    water_ml_min = models.FloatField(_("eau min (mL)"), null=True, blank=True)
    water_ml_max = models.FloatField(_("eau max (mL)"), null=True, blank=True)
    impact_method = models.CharField(_("méthode d'impact"), max_length=50, blank=True)
    impact_method_version = models.CharField(_("version de la méthode"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("génération")
        verbose_name_plural = _("générations")
        indexes = [models.Index(fields=["model", "prompt", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(energy_wh_min__isnull=True)
                | Q(energy_wh_max__isnull=True)
                | Q(energy_wh_min__lte=F("energy_wh_max")),
                name="generation_energy_range_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(text=""),
                name="generation_done_has_text",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model} · {self.prompt}"

    def save(self, *args, **kwargs):
        # The key is derived from the fields it digests, never set by hand.
        self.settings_key = settings_key(self.system_prompt, self.settings)
        super().save(*args, **kwargs)
