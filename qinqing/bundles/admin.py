from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from qinqing.bundles.definitions import DefinitionError, check_graph, parse_input
from qinqing.bundles.models import Bundle, BundleCase, BundleStep
from qinqing.cases.admin import RecordAdmin


class StepForm(forms.ModelForm[BundleStep]):
    """One step: the steps it waits for are picked from the bundle's earlier steps, not typed as JSON."""

    requires = forms.MultipleChoiceField(
        label=_("waits for"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("The earlier steps that must be approved before this one starts."),
    )

    class Meta:
        model = BundleStep
        fields = ["order", "key", "matter", "requires", "performer", "enabled", "inputs", "note", "note_en"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        steps = list(self.instance.bundle.steps.order_by("order", "id")) if self.instance.bundle_id else []
        if self.instance.pk:
            # Earlier steps only: a step never waits for itself or for a later one.
            steps = [s for s in steps if (s.order, s.pk) < (self.instance.order, self.instance.pk)]
        field = self.fields["requires"]
        assert isinstance(field, forms.MultipleChoiceField)
        choices = [(s.key, f"{s.key} · {s.matter.display_name}") for s in steps]
        known = {s.key for s in steps}
        # A prerequisite that is not an earlier step stays visible, so saving never drops it silently.
        choices += [(c, c) for c in (self.instance.requires or []) if c not in known]
        field.choices = choices
        self.initial.setdefault("requires", list(self.instance.requires or []))


class StepFormSet(forms.BaseInlineFormSet[BundleStep, Bundle, forms.ModelForm[BundleStep]]):
    """Refuse a definition whose steps form a cycle, wait for unknown steps or read unknown inputs."""

    def clean(self) -> None:
        super().clean()
        steps = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            requires = list(data.get("requires") or [])
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


class StepInline(admin.StackedInline[BundleStep, Bundle]):
    """Stacked, so every input has its own visible label."""

    model = BundleStep
    form = StepForm
    formset = StepFormSet
    extra = 0


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin[Bundle]):
    list_display = ["code", "name", "lead_department", "government_acts", "active"]
    list_filter = ["active", "government_acts"]
    search_fields = ["code", "name"]
    exclude = ["basis", "confidence"]  # the research behind a definition stays in the data file
    inlines = [StepInline]


@admin.register(BundleCase)
class BundleCaseAdmin(RecordAdmin):
    list_display = ["parent", "bundle", "agent"]
    list_select_related = ["parent", "bundle", "agent"]
