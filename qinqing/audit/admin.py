
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from qinqing.audit.labels import action_label
from qinqing.audit.models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin[AuditRecord]):
    list_display = ["id", "stream", "seq", "at", "actor_label", "acting_for", "action_words", "object_type", "object_id", "key_id"]
    list_filter = ["action", "object_type"]
    ordering = ["-id"]
    search_fields = ["object_id", "actor_label", "acting_for"]

    @admin.display(description=_("action"), ordering="action")
    def action_words(self, obj: AuditRecord) -> str:
        return action_label(obj.action)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditRecord | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditRecord | None = None) -> bool:
        return False
