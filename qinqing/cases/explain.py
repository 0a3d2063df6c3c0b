"""The automatic check explained to a person: each condition's facts by name and its threshold in words."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.cases.models import Case
from qinqing.catalog.models import FormField
from qinqing.core.i18n import english
from qinqing.datahub.queries import fact_specs
from qinqing.rules.describe import describe
from qinqing.rules.engine import Condition
from qinqing.rules.services import parsed_version

FACT_NAMES = {"registry.years_established": gettext_lazy("Years since establishment")}


class _Words:
    """How one case's facts and their values are named, in the current language."""

    def __init__(self, case: Case) -> None:
        self.english = english()
        self.fields: dict[str, FormField] = (
            {f"form.{f.key}": f for f in case.matter.fields.all()} if case.matter else {})
        self.specs = fact_specs()

    def name(self, fact: str) -> str:
        if fact in self.fields:
            return self.fields[fact].display_label
        if fact in self.specs:
            return self.specs[fact].display_label(self.english)
        return str(FACT_NAMES[fact]) if fact in FACT_NAMES else fact.rsplit(".", 1)[-1]

    def value(self, fact: str, raw: Any) -> str:
        if raw is None or raw == "":
            return "—"
        if isinstance(raw, bool):
            return _("Yes") if raw else _("No")
        field = self.fields.get(fact)
        if field is not None and field.type == FormField.Type.CHOICE:
            for choice in field.choices or []:
                if str(choice.get("value")) == str(raw):
                    return str((choice.get("label_en") if self.english else "") or choice.get("label") or raw)
        if fact in self.specs:
            return self.specs[fact].display_value(raw, self.english)
        return str(raw)

    def requirement(self, condition: Condition | None, threshold: str) -> str:
        if condition is None:
            return threshold
        written = (condition.requirement_en if self.english else "") or condition.requirement
        return written or describe(condition.expr, name=self.name, value=self.value, english=self.english)


def explained_trace(case: Case) -> list[dict[str, Any]]:
    """Each condition of the case's automatic check: label, outcome, facts in words, threshold in words."""
    trace: list[dict[str, Any]] = list((case.verdict or {}).get("trace", []))
    if not trace:
        return []
    words = _Words(case)
    version = case.rule_set_version if case.rule_set_version_id else None
    conditions = {c.key: c for c in parsed_version(version).conditions} if version is not None else {}
    out = []
    for entry in trace:
        measured = entry.get("measured") or {}
        facts = [(words.name(k), words.value(k, v)) for k, v in (entry.get("actual") or {}).items()]
        if measured:
            facts.append(((words.english and measured.get("label_en")) or measured.get("label", ""),
                          measured.get("value", "")))
        out.append({
            **entry,
            "label": (words.english and entry.get("label_en")) or entry.get("label", ""),
            "message": (words.english and entry.get("message_en")) or entry.get("message", ""),
            "facts": facts,
            "requirement": words.requirement(conditions.get(entry.get("key", "")), entry.get("threshold", "")),
        })
    return out
