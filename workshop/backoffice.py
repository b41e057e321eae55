"""The Django admin as the back office, installed in place of django.contrib.admin
(see INSTALLED_APPS) so that its default site is ours (workshop/admin_site.py).

This module is read while apps load: it must import no model.
"""

from django.contrib.admin.apps import AdminConfig


class BackOfficeConfig(AdminConfig):
    default_site = "workshop.admin_site.BackOfficeSite"
