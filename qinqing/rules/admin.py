from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from qinqing.accounts.http import request_user
from qinqing.rules.engine import RuleError, parse_rule_set
from qinqing.rules.models import RuleSet, RuleSetVersion
from qinqing.rules.services import publish_rule_set_version


class VersionForm(forms.ModelForm[RuleSetVersion]):
    class Meta:
        model = RuleSetVersion
        fields = ["rule_set", "conditions", "note"]

    def clean_conditions(self) -> Any:
        conditions = self.cleaned_data["conditions"]
        try:
            parse_rule_set(conditions)
        except RuleError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return conditions


@admin.register(RuleSetVersion)
class RuleSetVersionAdmin(admin.ModelAdmin[RuleSetVersion]):
    form = VersionForm
    list_display = ["rule_set", "number", "note", "created_at"]
    list_filter = ["rule_set"]

    def has_change_permission(self, request: HttpRequest, obj: RuleSetVersion | None = None) -> bool:
        return obj is None

    def save_model(self, request: HttpRequest, obj: RuleSetVersion, form: forms.ModelForm[RuleSetVersion], change: bool) -> None:
        version = publish_rule_set_version(
            rule_set=obj.rule_set, conditions=obj.conditions, note=obj.note, actor=request_user(request)
        )
        obj.pk, obj.number = version.pk, version.number


class VersionInline(admin.TabularInline[RuleSetVersion, RuleSet]):
    model = RuleSetVersion
    extra = 0
    can_delete = False
    readonly_fields = ("number", "conditions", "note", "created_at")
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest, obj: RuleSet | None = None) -> bool:
        return False


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin[RuleSet]):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [VersionInline]
