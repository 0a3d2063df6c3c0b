from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.models import Department, Enterprise, User


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    list_display = ["username", "display_name", "kind", "enterprise", "department", "is_active"]
    list_filter = ["kind", "department", "is_active"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Qinqing"), {"fields": ("kind", "display_name", "phone", "enterprise", "department", "region", "roles")}),
    )
    raw_id_fields = ["enterprise", "region"]


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin[Enterprise]):
    list_display = ["uscc", "name", "region", "created_at"]
    search_fields = ["uscc", "name"]
    raw_id_fields = ["region"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name"]
