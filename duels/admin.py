"""Back office of the catalogue: curators edit makers, models, endpoints and prompts."""

from collections import defaultdict

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import NestedObjects, quote
from django.db import router
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from duels.catalogue import SizeClass
from duels.endpoint_safety import key_variable_allowed
from duels.generation import paste, retry
from duels.impact import IMPACT_FIELDS
from duels.models import AIModel, Endpoint, Generation, Maker, Prompt


class CatalogueAdmin(admin.ModelAdmin):
    """The catalogue is every organisation's: its pages name nothing of one of them."""

    def get_deleted_objects(self, objs, request):
        # Every relation from an organisation's records to the catalogue protects it (a
        # duel keeps its answers, a step its prompt and models), so deleting a record in
        # use is refused. Django's page names what protects it, other organisations'
        # duels (titled by their workshop) and answers to their live questions among
        # them: a curator reads only the kinds and counts of what is not theirs to see.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected and not request.user.is_superuser:
            protected = protected_as_seen_by(request, self.admin_site, objs)
        return deleted, counts, perms_needed, protected


def protected_as_seen_by(request, admin_site, objs) -> list[str]:
    """What keeps `objs` from being deleted: named where the user's own back office pages
    show it, otherwise counted by kind."""
    objs = list(objs)
    collector = NestedObjects(using=router.db_for_write(type(objs[0])))
    collector.collect(objs)
    by_model = defaultdict(list)
    for obj in collector.protected:
        by_model[type(obj)].append(obj)
    shown = []
    for model, found in by_model.items():
        visible = set()
        model_admin = admin_site.get_model_admin(model) if admin_site.is_registered(model) else None
        if model_admin is not None and model_admin.has_view_or_change_permission(request):
            pks = [obj.pk for obj in found]
            visible = set(
                model_admin.get_queryset(request).filter(pk__in=pks).values_list("pk", flat=True)
            )
        opts = model._meta
        for obj in found:
            if obj.pk in visible:
                shown.append(_named(admin_site, obj))
        hidden = len(found) - len(visible)
        if hidden:
            shown.append(
                _("%(kind)s des organisations : %(count)d")
                % {"kind": capfirst(opts.verbose_name_plural), "count": hidden}
            )
    return shown


def _named(admin_site, obj) -> str:
    opts = obj._meta
    try:
        url = reverse(
            f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)]
        )
    except NoReverseMatch:
        return format_html("{}: {}", capfirst(opts.verbose_name), obj)
    return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)


@admin.register(Maker)
class MakerAdmin(CatalogueAdmin):
    list_display = ["name", "country", "url"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Endpoint)
class EndpointAdmin(CatalogueAdmin):
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
class AIModelAdmin(CatalogueAdmin):
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
class PromptAdmin(CatalogueAdmin):
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
        return queryset.library()


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
class GenerationAdmin(CatalogueAdmin):
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

    def get_queryset(self, request):
        # Scoped as the prompts' admin is: the answers to a question asked live carry a
        # room's words (and their duels, a workshop's title), not the catalogue's.
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.of_library()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # The autocomplete offers the library only; the form accepts nothing else, so
        # that a live question's id typed by hand is refused too.
        if db_field.name == "prompt" and not request.user.is_superuser:
            kwargs["queryset"] = Prompt.objects.library()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
