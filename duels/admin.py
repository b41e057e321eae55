"""Back office of the catalogue: curators edit makers, models, endpoints and prompts."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from duels.catalogue import SizeClass
from duels.endpoint_safety import key_variable_allowed
from duels.generation import paste, retry
from duels.impact import IMPACT_FIELDS
from duels.models import AIModel, Endpoint, Generation, Maker, Prompt


@admin.register(Maker)
class MakerAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "url"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    """Curators keep an endpoint's facts (zone, PUE, limits, notes). Where the workers connect
    and which key they send are a superuser's: creating or deleting an endpoint, its base URL,
    its key variable and its local flag (duels/endpoint_safety.py says why)."""

    list_display = [
        "name",
        "api_style",
        "base_url",
        "is_local",
        "api_key_env",
        "key_status",
        "zone",
    ]
    list_filter = ["api_style", "zone"]
    search_fields = ["name", "slug", "base_url"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["key_status"]
    network_fields = ["base_url", "api_key_env", "is_local"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "api_style", "base_url", "is_local", "notes"]}),
        (_("Clé d'API"), {"fields": ["api_key_env", "key_status"]}),
        (_("Centre de données"), {"fields": ["zone", "pue", "wue"]}),
        (_("Limites"), {"fields": ["timeout_seconds", "max_concurrency"]}),
    ]

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Read-only fields are left out of the form: a crafted POST cannot set them.
            readonly += self.network_fields
        return readonly

    @admin.display(description=_("clé"))
    def key_status(self, endpoint: Endpoint) -> str:
        # Whether a key is set, never what it holds; and only for the variables an endpoint
        # may name, so this column tells nothing about any other variable of the server.
        if not endpoint.requires_key:
            return _("aucune clé nécessaire")
        if not key_variable_allowed(endpoint.api_key_env):
            return format_html("⛔ {}", _("variable non autorisée"))
        if endpoint.key_is_set:
            return format_html("✅ {}", _("clé définie"))
        return format_html("❌ {}", _("clé manquante"))


class SizeClassFilter(admin.SimpleListFilter):
    title = _("classe de taille")
    parameter_name = "size_class"

    def lookups(self, request, model_admin):
        return SizeClass.choices

    def queryset(self, request, queryset):
        if self.value() in SizeClass.values:
            return queryset.of_size_class(self.value())
        return queryset


@admin.register(AIModel)
class AIModelAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "maker",
        "params_display",
        "size_class_display",
        "distribution",
        "reasoning",
        "status",
        "endpoint",
    ]
    list_filter = [
        "maker",
        "status",
        SizeClassFilter,
        "distribution",
        "reasoning",
        "architecture",
        "endpoint",
    ]
    search_fields = ["name", "slug", "maker__name", "endpoint_model_id"]
    list_select_related = ["maker", "endpoint"]
    autocomplete_fields = ["maker"]
    readonly_fields = ["size_class_display"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "maker", "release_date", "status"]}),
        (
            _("Taille et architecture"),
            {
                "fields": [
                    "architecture",
                    ("total_params_b", "total_params_b_max"),
                    ("active_params_b", "active_params_b_max"),
                    "params_estimated",
                    "size_class_display",
                    "quantization",
                    "reasoning",
                ]
            },
        ),
        (_("Licence"), {"fields": ["license", "distribution"]}),
        (
            _("Pour le public"),
            {"fields": ["description", "size_description", "fun_fact", "url"]},
        ),
        (_("Service"), {"fields": ["endpoint", "endpoint_model_id"]}),
    ]

    @admin.display(description=_("paramètres (Md)"))
    def params_display(self, model: AIModel) -> str:
        if model.total_params_b is None:
            return _("inconnu")
        text = f"{model.total_params_b.normalize():f}"
        if model.total_params_b_max is not None:
            text += f"-{model.total_params_b_max.normalize():f}"
        if model.active_params_b is not None:
            text += f" / {model.active_params_b.normalize():f}"
        if model.params_estimated:
            text += " (est.)"
        return text

    @admin.display(description=_("classe de taille"))
    def size_class_display(self, model: AIModel) -> str:
        return model.size_class or _("inconnue")


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ["title", "language", "category", "source"]
    list_filter = ["language", "category"]
    search_fields = ["title", "text", "slug"]
    prepopulated_fields = {"slug": ["title"]}

    def get_queryset(self, request):
        # Every organisation's members read the shared library (and search it to build
        # their scripts); the questions asked live in one organisation's workshops are
        # not part of it. The autocomplete of a step's prompt reads this queryset too.
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.exclude(slug__startswith=Prompt.LIVE_SLUG_PREFIX)


class PastedAnswerForm(forms.ModelForm):
    """The manual provider: an answer copied from any chat interface, with its model."""

    class Meta:
        model = Generation
        fields = ["model", "prompt", "system_prompt", "settings", "text", "reasoning_text"]

    def clean_text(self):
        text = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError(_("Collez la réponse du modèle."))
        return text


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = [
        "model",
        "prompt",
        "status",
        "origin",
        "output_tokens",
        "token_source",
        "created_at",
    ]
    list_filter = ["status", "origin", "token_source", "model"]
    search_fields = ["model__name", "prompt__title", "text"]
    list_select_related = ["model", "prompt"]
    autocomplete_fields = ["model", "prompt"]
    actions = ["retry_failed"]
    readonly_fields = [
        "status",
        "origin",
        "error",
        "attempts",
        "input_tokens",
        "output_tokens",
        "reasoning_tokens",
        "token_source",
        "time_to_first_token_ms",
        "duration_ms",
        *IMPACT_FIELDS,
        "started_at",
        "finished_at",
    ]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = PastedAnswerForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return PastedAnswerForm.Meta.fields
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
        else:
            paste(obj)

    @admin.action(description=_("Réessayer les générations en échec"))
    def retry_failed(self, request, queryset):
        failed = list(queryset.filter(status=Generation.Status.FAILED))
        for generation in failed:
            retry(generation)
        self.message_user(
            request, _("%(count)d génération(s) relancée(s).") % {"count": len(failed)}
        )
