from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.http import request_user
from qinqing.cases.models import Case, CaseEvent, EmployeeEnrolment, Licence, Material, Roster
from qinqing.cases.services import revoke_licence
from qinqing.cases.workflow import Status, action_label


class EventInline(admin.TabularInline[CaseEvent, Case]):
    model = CaseEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "actor_label", "acting_for", "action_words", "from_words", "to_words", "note")
    fields = readonly_fields

    @admin.display(description=_("action"))
    def action_words(self, obj: CaseEvent) -> str:
        return action_label(obj.action)

    @admin.display(description=_("from status"))
    def from_words(self, obj: CaseEvent) -> str:
        return _status_words(obj.from_status)

    @admin.display(description=_("to status"))
    def to_words(self, obj: CaseEvent) -> str:
        return _status_words(obj.to_status)

    def has_add_permission(self, request: HttpRequest, obj: Case | None = None) -> bool:
        return False


def _status_words(status: str) -> str:
    try:
        return str(Status(status).label)
    except ValueError:
        return status


class RecordAdmin(admin.ModelAdmin[Any]):
    """Rows that change only through services: shown read-only, never added or deleted here."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(RecordAdmin):
    """Cases change only through services; the admin shows them."""

    list_display = ["number", "matter", "enterprise", "status", "decided_automatically", "submitted_at", "due_at"]
    list_filter = ["status", "decided_automatically", "matter__board"]
    search_fields = ["number", "enterprise__uscc", "enterprise__name"]
    inlines = [EventInline]


@admin.register(Licence)
class LicenceAdmin(RecordAdmin):
    list_display = ["number", "title", "holder_name", "issued_at", "valid_until", "status"]
    list_filter = ["status", "matter__department"]
    search_fields = ["number", "holder_name", "enterprise__uscc"]
    actions = ["revoke"]

    @admin.action(description=_("Revoke selected licences"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Licence]) -> None:
        for licence in queryset:
            revoke_licence(licence=licence, actor=request_user(request), reason=str(_("Revoked by an administrator")))
        messages.success(request, _("%(n)d licences revoked.") % {"n": queryset.count()})


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin[Material]):
    list_display = ["original_name", "case", "content_type", "size", "uploaded_at"]
    readonly_fields = ["case", "requirement", "file", "stored_name", "original_name", "content_type", "size",
                       "sha256", "uploaded_by", "for_supplement"]


@admin.register(Roster)
class RosterAdmin(RecordAdmin):
    """Employee rosters and their outcome; changed only by the roster service."""

    list_display = ("id", "case", "enterprise", "original_name", "status", "enrolled", "error_count", "created_at")
    list_filter = ("status",)
    exclude = ("content",)
    search_fields = ("case__number", "enterprise__uscc", "sha256")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields if f.name != "content"]


@admin.register(EmployeeEnrolment)
class EmployeeEnrolmentAdmin(RecordAdmin):
    """Employees enrolled through rosters (职工参保登记)."""

    list_display = ("number", "name", "enterprise", "case", "hukou_type", "contribution_base", "start_month", "status")
    list_filter = ("status", "hukou_type")
    search_fields = ("number", "id_number", "name", "enterprise__uscc")
    list_select_related = ("enterprise", "case")
