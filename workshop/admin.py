"""Back office of organisations: each member sees their own organisations' records only.

Every admin here goes through OrganisationScoped, which asks workshop/tenancy.py.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from workshop import invitations, slide_length, tenancy
from workshop.models import Invitation, Membership, Organisation, Room, Script, Step, Workshop
from workshop.preparation import prepare

# Steps that move are parked this far down first, so two steps can swap places
# without tripping the database's unique (script, order) constraint.
_PARKING_OFFSET = 1_000_000


class OrganisationScoped:
    """Scopes an admin (or inline) to the organisations where the user's role allows it."""

    # Lookup from this model to its organisation.
    organisation_lookup = "organisation"

    def _model_name(self) -> str:
        return self.model._meta.model_name

    # Whether members also read the shared templates (records without an organisation).
    includes_shared = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        visible = tenancy.organisations_for(request.user, tenancy.VIEW, self._model_name())
        scope = Q(**{f"{self.organisation_lookup}__in": visible})
        if self.includes_shared and tenancy.is_member(request.user):
            scope |= Q(**{f"{self.organisation_lookup}__isnull": True})
        return queryset.filter(scope)

    def _may(self, request, action: str, obj) -> bool:
        if obj is None:
            return tenancy.may_anywhere(request.user, action, self._model_name())
        return tenancy.may(
            request.user, action, self._model_name(), tenancy.organisation_id_of(obj)
        )

    def has_view_permission(self, request, obj=None):
        return self._may(request, tenancy.VIEW, obj) or self._may(request, tenancy.CHANGE, obj)

    def has_add_permission(self, request, obj=None):
        return self._may(request, tenancy.ADD, None)

    def has_change_permission(self, request, obj=None):
        return self._may(request, tenancy.CHANGE, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, tenancy.DELETE, obj)

    def has_module_permission(self, request):
        return request.user.is_superuser or tenancy.is_member(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Offer only the records the user may add to: nothing of another organisation.
        user = request.user
        if not user.is_superuser:
            allowed = tenancy.organisations_for(user, tenancy.ADD, self._model_name())
            if db_field.name == "organisation":
                kwargs["queryset"] = allowed
                kwargs["required"] = True
                if self.model is Script:
                    # Left empty, a script would become a template shared with every
                    # organisation: that is the superusers' to publish.
                    kwargs["help_text"] = ""
                    kwargs["error_messages"] = {
                        "required": _(
                            "Choisissez l'organisation : seuls les super-utilisateurs "
                            "publient des modèles partagés."
                        )
                    }
            elif db_field.name == "workshop":
                kwargs["queryset"] = Workshop.objects.filter(organisation__in=allowed)
            elif db_field.name == "script":
                kwargs["queryset"] = Script.objects.filter(
                    Q(organisation__in=allowed) | Q(organisation__isnull=True)
                )
            elif db_field.name == "current_step":
                kwargs["queryset"] = Step.objects.filter(
                    Q(script__organisation__in=allowed) | Q(script__organisation__isnull=True)
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        self.refuse_foreign_destination(request, obj, change)
        super().save_model(request, obj, form, change)

    def refuse_foreign_destination(self, request, obj, change: bool) -> None:
        """The form offers only the user's own organisations; a crafted POST that gets past
        it (an empty organisation, another one) still writes nothing. The admin's views run
        in a transaction: the refusal undoes the whole request."""
        action = tenancy.CHANGE if change else tenancy.ADD
        if not tenancy.may(
            request.user, action, self._model_name(), tenancy.organisation_id_of(obj)
        ):
            raise PermissionDenied

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "facilitators" and not request.user.is_superuser:
            # Only people of the user's own organisations, never the platform's whole list.
            allowed = tenancy.organisations_for(request.user, tenancy.ADD, self._model_name())
            kwargs["queryset"] = (
                get_user_model().objects.filter(memberships__organisation__in=allowed).distinct()
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ParentScoped(OrganisationScoped):
    """For inlines: permissions follow the parent record being edited."""

    def _may(self, request, action: str, obj) -> bool:
        if obj is None or obj.pk is None:
            return tenancy.may_anywhere(request.user, action, self._model_name())
        return tenancy.may(
            request.user, action, self._model_name(), tenancy.organisation_id_of(obj)
        )


class MembershipForm(forms.ModelForm):
    """An organisation's admin changes a member's role; the account is shown by its e-mail
    address, never picked from the platform's users. New members come by invitation."""

    email = forms.EmailField(label=_("adresse e-mail du compte"), disabled=True, required=False)

    class Meta:
        model = Membership
        fields = ["organisation", "email", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["email"].initial = self.instance.user.email


class SuperuserMembershipForm(forms.ModelForm):
    """Superusers add a membership directly, picking from every account."""

    class Meta:
        model = Membership
        fields = ["organisation", "user", "role"]


@admin.register(Membership)
class MembershipAdmin(OrganisationScoped, admin.ModelAdmin):
    form = MembershipForm
    list_display = ["user", "organisation", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user", "organisation"]

    def get_form(self, request, obj=None, **kwargs):
        if request.user.is_superuser:
            kwargs["form"] = SuperuserMembershipForm
            kwargs["fields"] = SuperuserMembershipForm.Meta.fields
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # A member stays in their organisation: the admin changes their role, or removes them.
        return [] if request.user.is_superuser else ["organisation"]


class MembershipInline(ParentScoped, admin.TabularInline):
    model = Membership
    form = MembershipForm
    extra = 0

    def get_fields(self, request, obj=None):
        return ["user", "role"] if request.user.is_superuser else ["email", "role"]

    def get_formset(self, request, obj=None, **kwargs):
        if request.user.is_superuser:
            kwargs["form"] = SuperuserMembershipForm
        return super().get_formset(request, obj, **kwargs)


@admin.register(Invitation)
class InvitationAdmin(OrganisationScoped, admin.ModelAdmin):
    """Organisations' admins invite by e-mail address. The answer is the same whatever the
    address: no account is looked up until the invited person follows the link."""

    list_display = ["email", "organisation", "role", "created_at", "expires_at", "accepted_at"]
    list_filter = ["role"]
    search_fields = ["email"]
    list_select_related = ["organisation"]
    readonly_fields = ["invited_by", "created_at", "expires_at", "accepted_at", "accepted_by"]

    def get_fields(self, request, obj=None):
        fields = ["organisation", "email", "role"]
        return fields if obj is None else [*fields, *self.readonly_fields]

    def has_change_permission(self, request, obj=None):
        # Its link is out: an invitation is withdrawn (deleted) and another one sent.
        return False

    def save_model(self, request, obj, form, change):
        self.refuse_foreign_destination(request, obj, change)
        token = invitations.issue(obj, invited_by=request.user)
        link = request.build_absolute_uri(reverse("invitation", args=[token]))
        sent = invitations.send(obj, link)
        if sent:
            how = _(
                "Lien envoyé par e-mail, à transmettre aussi si besoin (plus affiché ensuite) :"
            )
        else:
            how = _("L'e-mail n'a pas pu partir : transmettez ce lien (plus affiché ensuite) :")
        self.message_user(
            request,
            format_html('{} {} <a href="{}">{}</a>', _("Invitation créée."), how, link, link),
            messages.SUCCESS if sent else messages.WARNING,
        )

    def response_add(self, request, obj, post_url_continue=None):
        # The message above says it all, with the link; back to the list of invitations.
        return redirect("admin:workshop_invitation_changelist")


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScoped, admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    organisation_lookup = "pk"

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class StepInline(ParentScoped, admin.StackedInline):
    model = Step
    extra = 0
    organisation_lookup = "script__organisation"
    includes_shared = True
    ordering = ["order"]
    autocomplete_fields = ["prompt", "model_a", "model_b"]
    fields = [
        ("order", "kind"),
        "title",
        "body",
        ("image_url", "image_alt"),
        "speaker_notes",
        "prompt",
        ("pair_mode", "model_a", "model_b"),
        ("question_kind", "choices"),
    ]


@admin.register(Script)
class ScriptAdmin(OrganisationScoped, admin.ModelAdmin):
    list_display = ["title", "organisation", "language", "step_count"]
    list_filter = ["language"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [StepInline]
    includes_shared = True

    @admin.display(description=_("étapes"))
    def step_count(self, script: Script) -> int:
        return script.steps.count()

    def save_formset(self, request, form, formset, change):
        if formset.model is not Step:
            return super().save_formset(request, form, formset, change)
        with transaction.atomic():
            moved = [
                f.instance.pk for f in formset.forms if f.instance.pk and "order" in f.changed_data
            ]
            Step.objects.filter(pk__in=moved).update(order=F("order") + _PARKING_OFFSET)
            saved = super().save_formset(request, form, formset, change)
        self._warn_long_slides(request, form.instance)
        return saved

    def _warn_long_slides(self, request, script: Script) -> None:
        for step in script.steps.exclude(kind=Step.Kind.DUEL).order_by("order"):
            found = slide_length.estimate(step.body, has_image=bool(step.image_url))
            if found.too_long:
                messages.warning(
                    request,
                    _(
                        "Étape %(order)d « %(title)s » : ce texte est trop long pour l'écran de "
                        "projection ; il y sera affiché à %(percent)d %% de sa taille. "
                        "Raccourcissez-le ou partagez-le en deux étapes."
                    )
                    % {"order": step.order, "title": step.title, "percent": 100 * found.scale},
                )


class RoomInline(ParentScoped, admin.TabularInline):
    model = Room
    extra = 0
    organisation_lookup = "workshop__organisation"
    fields = ["name", "capacity", "join_code"]
    readonly_fields = ["join_code"]


@admin.register(Workshop)
class WorkshopAdmin(OrganisationScoped, admin.ModelAdmin):
    list_display = ["title", "organisation", "starts_at", "status", "vote_mode", "language"]
    list_filter = ["status", "vote_mode", "language", "audience"]
    search_fields = ["title", "rooms__join_code"]
    date_hierarchy = "starts_at"
    list_select_related = ["organisation"]
    inlines = [RoomInline]
    filter_horizontal = ["facilitators"]
    fields = [
        "organisation",
        "title",
        "script",
        ("starts_at", "ends_at"),
        "facilitators",
        ("audience", "language"),
        ("vote_mode", "accepts_proposals"),
        "status",
        "preparation_link",
    ]
    readonly_fields = ["preparation_link"]

    actions = ["prepare_answers"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "status" in form.changed_data and obj.status == Workshop.Status.SCHEDULED:
            # Scheduling a workshop sends for its answers, so they are ready on the day.
            result = prepare(obj)
            self.message_user(request, _preparation_message(result))

    @admin.action(description=_("Préparer les réponses des duels"))
    def prepare_answers(self, request, queryset):
        for workshop in queryset:
            if tenancy.may(request.user, tenancy.CHANGE, "workshop", workshop.organisation_id):
                self.message_user(
                    request, f"{workshop} : {_preparation_message(prepare(workshop))}"
                )

    @admin.display(description=_("préparation"))
    def preparation_link(self, workshop: Workshop) -> str:
        if workshop.pk is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("preparation", args=[workshop.pk]),
            _("Voir la préparation des réponses"),
        )

    def save_formset(self, request, form, formset, change):
        if formset.model is not Room:
            return super().save_formset(request, form, formset, change)
        rooms = formset.save(commit=False)
        for room in formset.deleted_objects:
            room.delete()
        for room in rooms:
            if room.pk is None:
                Room.objects.save_new(room)
            else:
                room.save()
        formset.save_m2m()


@admin.register(Room)
class RoomAdmin(OrganisationScoped, admin.ModelAdmin):
    list_display = ["name", "workshop", "join_code", "capacity"]
    search_fields = ["name", "join_code", "workshop__title"]
    list_select_related = ["workshop"]
    readonly_fields = ["join_code"]
    organisation_lookup = "workshop__organisation"

    def save_model(self, request, obj, form, change):
        self.refuse_foreign_destination(request, obj, change)
        if change:
            obj.save()
        else:
            Room.objects.save_new(obj)


def _preparation_message(result) -> str:
    message = _("%(queued)d réponses en file, %(reused)d déjà prêtes ou en cours.") % {
        "queued": result.queued,
        "reused": result.reused,
    }
    return " ".join([message, *result.skipped])


# The dataset export action on workshops lives with the exports.
from workshop import admin_exports  # noqa: E402, F401
