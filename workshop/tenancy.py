"""Who may do what with an organisation's data: the one place where tenancy is decided.

Roles grant actions on the organisation's own records only. The admin, the
pages, the consumers and the exports ask here; none of them re-implements it.
Superusers may do everything; shared scripts (no organisation) can be read by
every member and changed by superusers only.
"""

from django.db.models import Model, QuerySet

from workshop.models import Membership, Organisation, Role

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ALL = frozenset({VIEW, ADD, CHANGE, DELETE})
READ = frozenset({VIEW})

ADMIN, FACILITATOR, ANALYST = Role.ADMIN.value, Role.FACILITATOR.value, Role.ANALYST.value
DATASET = "dataset"

# model name -> role -> actions, on records of the member's own organisations.
ROLE_ACTIONS: dict[str, dict[str, frozenset[str]]] = {
    "organisation": {ADMIN: frozenset({VIEW, CHANGE}), FACILITATOR: READ, ANALYST: READ},
    # Members join by invitation (workshop/invitations.py), never added by an e-mail
    # typed here: only superusers add a membership directly.
    "membership": {ADMIN: frozenset({VIEW, CHANGE, DELETE})},
    # An invitation is sent, read or withdrawn; never changed once its link is out.
    "invitation": {ADMIN: frozenset({VIEW, ADD, DELETE})},
    "script": {ADMIN: ALL, FACILITATOR: ALL, ANALYST: READ},
    "step": {ADMIN: ALL, FACILITATOR: ALL, ANALYST: READ},
    "workshop": {ADMIN: ALL, FACILITATOR: ALL, ANALYST: READ},
    "room": {ADMIN: ALL, FACILITATOR: ALL, ANALYST: READ},
    # Not a model: the organisation's votes as a dataset (pages, downloads, archives, the
    # admin's export), with the participants' comments. Analysts and admins only; a
    # facilitator runs workshops and sees their results live, not every vote exported.
    DATASET: {ADMIN: READ, ANALYST: READ},
}

# Any member may read the shared catalogue, to build scripts from it.
CATALOGUE_READ = frozenset({"duels.view_maker", "duels.view_aimodel", "duels.view_prompt"})


def roles_of(user) -> dict[int, str]:
    """{organisation id: role} for a user, cached on the user object for the request."""
    if not user.is_authenticated:
        return {}
    cached = getattr(user, "_organisation_roles", None)
    if cached is None:
        cached = dict(Membership.objects.filter(user=user).values_list("organisation_id", "role"))
        user._organisation_roles = cached
    return cached


def is_member(user) -> bool:
    return bool(roles_of(user))


def may(user, action: str, model_name: str, organisation_id: int | None) -> bool:
    """May this user do `action` on a `model_name` record of this organisation?"""
    if user.is_superuser:
        return True
    if organisation_id is None:
        # Shared records (templates) are read by members, changed by superusers.
        return action == VIEW and model_name in ("script", "step") and is_member(user)
    role = roles_of(user).get(organisation_id)
    return role is not None and action in ROLE_ACTIONS.get(model_name, {}).get(role, ())


def may_anywhere(user, action: str, model_name: str) -> bool:
    if user.is_superuser:
        return True
    return any(
        action in ROLE_ACTIONS.get(model_name, {}).get(role, ()) for role in roles_of(user).values()
    )


def organisations_for(user, action: str, model_name: str) -> QuerySet[Organisation]:
    """The organisations in which the user may do `action` on `model_name` records."""
    if user.is_superuser:
        return Organisation.objects.all()
    ids = [
        organisation_id
        for organisation_id, role in roles_of(user).items()
        if action in ROLE_ACTIONS.get(model_name, {}).get(role, ())
    ]
    return Organisation.objects.filter(id__in=ids)


def model_permissions(user) -> set[str]:
    """Django permission names that the user's roles grant, whatever the organisation."""
    permissions = set(CATALOGUE_READ) if is_member(user) else set()
    for model_name, by_role in ROLE_ACTIONS.items():
        if model_name == DATASET:
            continue  # no model, so no Django permission: asked with may() instead
        for role in roles_of(user).values():
            permissions.update(
                f"workshop.{action}_{model_name}" for action in by_role.get(role, ())
            )
    return permissions


def organisation_id_of(obj: Model) -> int | None:
    """The organisation a record of the workshop app belongs to."""
    match obj._meta.model_name:
        case "organisation":
            return obj.pk
        case "membership" | "invitation" | "script" | "workshop":
            return obj.organisation_id
        case "step":
            return obj.script.organisation_id
        case "room":
            return obj.workshop.organisation_id
    raise ValueError(f"{obj._meta.label} is not organisation data")
