
from django.contrib import admin
from django.http import HttpRequest

from qinqing.audit.models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin[AuditRecord]):
    list_display = ["id", "stream", "seq", "at", "actor_label", "acting_for", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    ordering = ["-id"]
    search_fields = ["object_id", "actor_label", "acting_for"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditRecord | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditRecord | None = None) -> bool:
        return False
