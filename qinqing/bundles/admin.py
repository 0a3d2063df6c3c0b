from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from qinqing.bundles.definitions import DefinitionError, check_graph, parse_input
from qinqing.bundles.models import Bundle, BundleCase, BundleStep
from qinqing.cases.admin import RecordAdmin


class StepFormSet(forms.BaseInlineFormSet[BundleStep, Bundle, forms.ModelForm[BundleStep]]):
    """Refuse a definition whose steps form a cycle, wait for unknown steps or read unknown inputs."""

    def clean(self) -> None:
        super().clean()
        steps = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            requires = data.get("requires") or []
            if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
                raise ValidationError("requires must be a list of step keys")
            inputs = data.get("inputs") or {}
            try:
                for source in dict(inputs).values():
                    parse_input(str(source))
            except (DefinitionError, TypeError, ValueError) as exc:
                raise ValidationError(str(exc)) from exc
            steps.append((data["key"], requires))
        try:
            check_graph(steps)
        except DefinitionError as exc:
            raise ValidationError(str(exc)) from exc


class StepInline(admin.TabularInline[BundleStep, Bundle]):
    model = BundleStep
    formset = StepFormSet
    extra = 0
    fields = ["order", "key", "matter", "requires", "performer", "enabled", "inputs", "note"]
    autocomplete_fields = ["matter"]


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin[Bundle]):
    list_display = ["code", "name", "lead_department", "government_acts", "active"]
    list_filter = ["active", "government_acts"]
    search_fields = ["code", "name"]
    inlines = [StepInline]


@admin.register(BundleCase)
class BundleCaseAdmin(RecordAdmin):
    list_display = ["parent", "bundle", "agent"]
    list_select_related = ["parent", "bundle", "agent"]
