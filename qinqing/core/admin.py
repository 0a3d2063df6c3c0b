from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from qinqing.core import events
from qinqing.core.calendar import invalidate
from qinqing.core.models import CalendarDay, OutboxCursor, OutboxEvent


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin[CalendarDay]):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: forms.ModelForm[CalendarDay], change: bool) -> None:
        super().save_model(request, obj, form, change)
        invalidate()

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        super().delete_model(request, obj)
        invalidate()


class _ReadOnly(admin.ModelAdmin[Any]):
    """Rows written only by the event machinery: shown, never edited."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(_ReadOnly):
    list_display = ["seq", "occurred_at", "name", "version", "enterprise", "region"]
    list_filter = ["name"]
    search_fields = ["enterprise", "region"]
    ordering = ["-seq"]


@admin.register(OutboxCursor)
class OutboxCursorAdmin(_ReadOnly):
    list_display = ["consumer", "applied", "lag", "updated_at"]

    @admin.display(description=_("events not yet read"))
    def lag(self, obj: OutboxCursor) -> int:
        return events.lag().get(obj.consumer, 0)
