"""The back office's site: members of an organisation may log in and enter it.

What each member then sees is decided by their role (workshop/tenancy.py).
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

from workshop import invitations
from workshop.tenancy import is_member


class BackOfficeLoginForm(AdminAuthenticationForm):
    """Django's admin login lets in staff only; members of an organisation may enter too,
    and so may an account with an invitation to accept (it logs in to follow its link)."""

    def confirm_login_allowed(self, user):
        if user.is_active and (is_member(user) or invitations.waiting_for(user)):
            return
        super().confirm_login_allowed(user)


class BackOfficeSite(admin.AdminSite):
    login_form = BackOfficeLoginForm
    site_header = _("Les duels de l'IA · back-office")
    site_title = _("Les duels de l'IA")
    index_title = _("Administration")

    def has_permission(self, request) -> bool:
        user = request.user
        return user.is_active and (user.is_staff or is_member(user))
