
from django import forms
from django.contrib import admin
from django.http import HttpRequest

from qinqing.core.calendar import invalidate
from qinqing.core.models import CalendarDay


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
