"""The back office's export action on workshops: their votes as a compar:IA dataset (zip).

Registered on the Workshop admin from here so that workshop/admin.py stays as it is.
Offered to analysts and admins only (tenancy's "dataset"), and the workshops of
organisations whose votes the user may not export are left out, even when posted.
"""

import tempfile

from django.contrib import admin, messages
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _

from workshop import dataset, dataset_files, tenancy
from workshop.models import Workshop


def may_export(request) -> bool:
    """Whether the action is offered: the user may export some organisation's votes."""
    return tenancy.may_anywhere(request.user, tenancy.VIEW, tenancy.DATASET)


@admin.action(
    description=_("Exporter les votes (jeu de données compar:IA, Parquet)"),
    permissions=["export_votes"],
)
def export_votes(modeladmin, request, queryset):
    visible = [
        workshop.pk
        for workshop in queryset
        if tenancy.may(request.user, tenancy.VIEW, tenancy.DATASET, workshop.organisation_id)
    ]
    if not visible:
        modeladmin.message_user(request, _("Aucun atelier à exporter."), messages.WARNING)
        return None
    selection = dataset.Selection(
        organisation_ids=None
        if request.user.is_superuser
        else tuple(
            tenancy.organisations_for(request.user, tenancy.VIEW, tenancy.DATASET).values_list(
                "pk", flat=True
            )
        ),
        workshop_ids=tuple(visible),
    )
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    dataset_files.export_to_zip(selection, "parquet", spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename="votes-ateliers.zip")


def register() -> None:
    """Add the action to the Workshop admin, once."""
    model_admin = admin.site._registry.get(Workshop)
    if model_admin is None:
        return
    actions = list(model_admin.actions or [])
    if export_votes not in actions:
        # The admin asks has_<permission>_permission of the action's permissions.
        model_admin.has_export_votes_permission = may_export
        model_admin.actions = [*actions, export_votes]


register()
