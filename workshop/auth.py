"""An authentication backend that turns organisation roles into Django permissions.

It grants model-level permissions only (so the admin shows the right menus);
which records a member sees is decided per organisation in workshop/tenancy.py.
"""

from django.contrib.auth.backends import BaseBackend

from workshop import tenancy


class MembershipBackend(BaseBackend):
    def authenticate(self, request, **credentials):
        return None  # ModelBackend checks passwords; this backend only grants permissions

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or obj is not None:
            return set()
        return tenancy.model_permissions(user_obj)

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        return any(p.startswith(f"{app_label}.") for p in self.get_all_permissions(user_obj))
