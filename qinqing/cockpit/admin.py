"""The cockpit in the admin: alert rules editable by district staff (and administrators); alerts read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _

from qinqing.accounts.models import Role, User
from qinqing.audit.services import record_event
from qinqing.cockpit.models import Alert, AlertRule, CockpitModule
from qinqing.cockpit.services.alerts import REGIONAL_ROLES, check_condition
from qinqing.core import events
from qinqing.rules.engine import RuleError


def _may_edit_rules(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and (user.is_superuser or (isinstance(user, User) and user.has_role(Role.DISTRICT_STAFF))))


class DistrictStaffAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Configuration that district staff (区级工作人员) and superusers edit: rules and modules, not code."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_edit_rules(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit_rules(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _may_edit_rules(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit_rules(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit_rules(request)


class AlertRuleForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = AlertRule
        fields = ("key", "name", "name_en", "signal", "condition", "severity", "notify_roles", "active", "order")

    def clean_condition(self) -> Any:
        condition = self.cleaned_data.get("condition")
        try:
            check_condition(condition)
        except RuleError as exc:
            raise forms.ValidationError(_("Not a condition the platform accepts: %(reason)s") % {"reason": exc}) from exc
        return condition

    def clean_notify_roles(self) -> Any:
        roles = self.cleaned_data.get("notify_roles") or []
        if not isinstance(roles, list) or not all(isinstance(r, str) and r in REGIONAL_ROLES for r in roles):
            raise forms.ValidationError(_("Give a list of roles among: %(roles)s.") % {"roles": ", ".join(REGIONAL_ROLES)})
        return roles


@admin.register(AlertRule)
class AlertRuleAdmin(DistrictStaffAdmin):
    form = AlertRuleForm
    list_display = ("key", "name", "signal", "severity", "active", "order")
    list_filter = ("signal", "severity", "active")


    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # alerts point at their rule; switch a rule off instead

    def save_model(self, request: HttpRequest, obj: AlertRule, form: Any, change: bool) -> None:
        with events.atomic():
            before = {f: form.initial.get(f) for f in form.changed_data} if change else None
            super().save_model(request, obj, form, change)
            record_event(actor=request.user, action="cockpit.alert_rule_saved", obj=obj, before=before,
                         after={f: form.cleaned_data.get(f) for f in form.changed_data})


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("raised_at", "rule", "severity", "enterprise_name", "uscc", "path", "acknowledged_at")
    list_filter = ("severity", "signal")
    search_fields = ("uscc", "enterprise_name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CockpitModule)
class CockpitModuleAdmin(DistrictStaffAdmin):
    """Street modules as data (district staff and administrators): the spec is checked on save, every problem
    named (see `cockpit.modules`); each save is audited."""

    list_display = ("title", "key", "region", "order", "active", "updated_at")
    list_filter = ("active",)
    search_fields = ("title", "key", "region__name", "region__code")
    autocomplete_fields = ("region",)
    ordering = ("region__code", "order", "key")

    def save_model(self, request: HttpRequest, obj: CockpitModule, form: Any, change: bool) -> None:
        with events.atomic():
            before = {f: form.initial.get(f) for f in form.changed_data} if change else None
            super().save_model(request, obj, form, change)
            record_event(actor=request.user, action="cockpit.module_saved", obj=obj, before=before,
                         after={f: str(form.cleaned_data.get(f)) for f in form.changed_data})
