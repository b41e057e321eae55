"""The Django admin as the back office: members of an organisation may enter it.

Installed in place of django.contrib.admin (see INSTALLED_APPS). What each
member then sees is decided by their role (workshop/tenancy.py).
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class BackOfficeSite(admin.AdminSite):
    site_header = _("Les duels de l'IA · back-office")
    site_title = _("Les duels de l'IA")
    index_title = _("Administration")

    def has_permission(self, request) -> bool:
        from workshop.tenancy import is_member

        user = request.user
        return user.is_active and (user.is_staff or is_member(user))


class BackOfficeConfig(AdminConfig):
    default_site = "workshop.backoffice.BackOfficeSite"
