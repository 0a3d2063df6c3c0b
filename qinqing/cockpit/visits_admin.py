from django.contrib import admin

from qinqing.cockpit.models import Visit, VisitRecord, VisitThreshold


@admin.register(VisitThreshold)
class VisitThresholdAdmin(admin.ModelAdmin[VisitThreshold]):
    """Visit prompts as data: the registered capital from which a new registration raises a visit, per region."""

    list_display = ["region", "min_capital", "new_within_days", "due_working_days", "active", "updated_at"]
    list_filter = ["active"]
    search_fields = ["region__code", "region__name"]
    raw_id_fields = ["region"]


class VisitRecordInline(admin.TabularInline[VisitRecord, Visit]):
    model = VisitRecord
    extra = 0
    can_delete = False
    readonly_fields = ["visited_on", "attendees", "topics", "notes", "recorded_by", "recorded_at"]

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin[Visit]):
    """Visit tasks are changed by their services only (audit, events): read-only here."""

    list_display = ["enterprise_name", "uscc", "region", "origin", "status", "assignee", "due_at", "overdue_at"]
    list_filter = ["status", "origin"]
    search_fields = ["uscc", "enterprise_name"]
    inlines = [VisitRecordInline]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
