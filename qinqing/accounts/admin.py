from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.forms import AdminLoginForm
from qinqing.accounts.models import Department, Enterprise, LoginAttempt, User
from qinqing.accounts.services import deactivate_user

# The admin logs in through the login throttle too.
admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    list_display = ["username", "display_name", "kind", "enterprise", "department", "is_active"]
    list_filter = ["kind", "department", "is_active"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Qinqing"), {"fields": ("kind", "display_name", "phone", "enterprise", "department", "region", "roles")}),
    )
    raw_id_fields = ["enterprise", "region"]

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """Deactivating a login here revokes its API tokens too."""
        deactivated = change and "is_active" in form.changed_data and not obj.is_active
        super().save_model(request, obj, form, change)
        if deactivated:
            actor = request.user if isinstance(request.user, User) else None
            deactivate_user(user=obj, actor=actor)


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin[Enterprise]):
    list_display = ["uscc", "name", "region", "created_at"]
    search_fields = ["uscc", "name"]
    raw_id_fields = ["region"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name"]


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin[LoginAttempt]):
    """The login log: read-only, for investigating throttling and sprays."""

    list_display = ["at", "username", "ip", "succeeded", "second_factor"]
    list_filter = ["succeeded", "second_factor"]
    search_fields = ["username", "ip"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
