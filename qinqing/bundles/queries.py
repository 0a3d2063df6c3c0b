"""Shaped reads of bundles: the guide, the merged form, prefill, progress, the agent's queue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from qinqing.accounts.models import Department, User
from qinqing.bundles.definitions import MergedField, MergedForm, reduction, step_levels
from qinqing.bundles.models import Bundle, BundleCase, BundleStep
from qinqing.bundles.services import merged_form, validate_bundle_data
from qinqing.cases.formdata import Prefill, build_prefill
from qinqing.cases.models import Case, Licence
from qinqing.cases.workflow import Status
from qinqing.catalog.models import SATISFIED_BY_FORM, FormField, MaterialRequirement
from qinqing.core.i18n import english
from qinqing.datahub.models import Source
from qinqing.datahub.queries import facts_for


def _dept(department: Department) -> str:
    return department.name_en if english() and department.name_en else department.name


def online_bundles() -> QuerySet[Bundle]:
    return Bundle.objects.online().select_related("lead_department")


def levels(form: MergedForm) -> dict[str, int]:
    """Column of each step in the diagram: 0 for steps that wait for nothing, else 1 + deepest prerequisite."""
    plans = {p.step.key: p for p in form.plans}
    return step_levels([(k, [r for r in p.step.requires if r in plans]) for k, p in plans.items()])


def _field_schema(merged: MergedField) -> dict[str, Any]:
    f: FormField = merged.field
    return {
        "key": merged.key, "label": f.display_label, "type": f.type, "kind": f.kind, "unit": f.unit,
        "required": merged.required,
        "choices": [{"value": str(c.get("value")), "label": (c.get("label_en") if english() and c.get("label_en") else c.get("label", ""))}
                    for c in f.choices or []],
        "min_value": f.min_value, "max_value": f.max_value, "max_length": f.max_length,
        "prefill": f.prefill or None, "editable": f.editable, "help": f.display_help, "steps": merged.steps,
    }


def bundle_summary(bundle: Bundle, form: MergedForm | None = None) -> dict[str, Any]:
    form = form or merged_form(bundle)
    departments: list[str] = []
    for plan in form.plans:
        name = _dept(plan.step.matter.department)
        if name not in departments:
            departments.append(name)
    return {
        "code": bundle.code, "name": bundle.display_name, "summary": bundle.display_summary,
        "lead_department": _dept(bundle.lead_department), "government_acts": bundle.government_acts,
        "steps": len(form.plans), "departments": departments, "reduction": reduction(form),
        "confidence": bundle.confidence,
    }


def bundle_detail(bundle: Bundle) -> dict[str, Any]:
    """Matters, the dependency graph, the merged form schema and the computed reduction."""
    form = merged_form(bundle)
    level = levels(form)
    steps = []
    for plan in form.plans:
        step, matter = plan.step, plan.step.matter
        steps.append({
            "key": step.key, "matter": matter.code, "matter_name": matter.display_name,
            "department": _dept(matter.department), "requires": [r for r in step.requires if r in level],
            "performer": step.performer, "level": level[step.key], "automatic": matter.is_automatic,
            "promised_limit": matter.promised_limit, "promised_unit": matter.promised_unit,
            "statutory_limit": matter.statutory_limit, "statutory_unit": matter.statutory_unit,
            "licence_name": matter.display_licence_name, "note": step.display_note,
            "fields": len(plan.fields), "asked_fields": sorted(set(plan.asked.values())),
            "from_earlier_steps": {k: f"{s}.{o}" for k, (s, o) in plan.upstream.items()},
            "materials": [{"code": r.code, "name": r.display_name, "required": r.required,
                           "satisfied_by": r.satisfied_by or None} for r in plan.materials],
        })
    disabled = [{"key": s.key, "matter": s.matter.code, "matter_name": s.matter.display_name, "note": s.display_note}
                for s in bundle.steps.select_related("matter").filter(enabled=False)]
    shared = form.shared()
    own = {p.step.key: form.own(p.step.key) for p in form.plans}
    return {
        **bundle_summary(bundle, form),
        "basis": bundle.basis,
        "dag": steps,
        "disabled_steps": disabled,
        "form": {
            "shared": [_field_schema(f) for f in shared],
            "steps": [{"key": p.step.key, "matter_name": p.step.matter.display_name,
                       "fields": [_field_schema(f) for f in own[p.step.key]]} for p in form.plans],
        },
        "materials": [{"code": m.code, "name": m.requirement.display_name, "note": m.requirement.display_note,
                       "steps": m.steps} for m in form.materials],
    }


def bundle_prefill(bundle: Bundle, uscc: str) -> Prefill:
    """What government already holds for the merged form, each value with its provenance."""
    return build_prefill(((m.key, m.field) for m in merged_form(bundle).fields), facts_for(uscc))


def bundle_form_errors(bundle: Bundle, uscc: str, data: Mapping[str, Any], *,
                       fill_booleans: bool = False) -> dict[str, list[str]]:
    """Every field error the merged form would get, without storing anything."""
    return validate_bundle_data(merged_form(bundle), data, facts_for(uscc), fill_booleans=fill_booleans)[1]


def parents_for(user: User) -> QuerySet[Case]:
    """Bundle parent cases the user may see."""
    return (Case.objects.visible_to(user).filter(matter__isnull=True).exclude(bundle_code="")
            .select_related("enterprise", "applicant"))


def progress(parent: Case) -> dict[str, Any]:
    """Every step's state for the progress diagram, with what it waits for and what it produced."""
    bundle_case = BundleCase.objects.select_related("bundle", "agent").get(parent=parent)
    steps = {s.key: s for s in bundle_case.bundle.steps.select_related("matter", "matter__department")}
    children = list(parent.children.select_related("matter", "matter__department").order_by("id"))
    licences = dict(Licence.objects.filter(case__in=children).values_list("case_id", "number"))
    keys = {c.step_key for c in children}
    level = step_levels([(c.step_key, [r for r in steps[c.step_key].requires if r in keys]) for c in children])
    by_key = {c.step_key: c for c in children}
    items = []
    for child in children:
        step = steps[child.step_key]
        waiting_for = [by_key[r].display_title for r in step.requires
                       if r in by_key and by_key[r].status != Status.APPROVED]
        items.append({
            "case": child, "id": child.pk, "key": child.step_key, "title": child.display_title,
            "matter_name": child.display_title,  # the diagram falls back to it, as on the guide page
            "department": _dept(child.matter.department) if child.matter else "", "status": child.status,
            "performer": step.performer, "level": level[child.step_key], "licence": licences.get(child.pk),
            "requires": [by_key[r].display_title for r in step.requires if r in by_key],
            "waiting_for": waiting_for, "due_at": child.due_at, "decided_at": child.decided_at,
            "overdue": child.is_overdue, "decided_automatically": child.decided_automatically,
            "note": child.decision_note,
        })
    columns = [[i for i in items if i["level"] == n] for n in range(1 + max(level.values(), default=0))]
    approved = sum(1 for i in items if i["status"] == Status.APPROVED)
    return {
        "parent": parent, "bundle": bundle_case.bundle, "agent": bundle_case.agent, "steps": items,
        "columns": columns, "approved": approved, "total": len(items),
        "percent": round(100 * approved / len(items)) if items else 0,
        "attention": [i for i in items if i["status"] in (Status.SUPPLEMENT_REQUESTED, Status.REJECTED)],
    }


def agent_queue(user: User) -> QuerySet[Case]:
    """Steps waiting for this agent to prepare, oldest first (only enterprises that authorised it)."""
    return (Case.objects.visible_to(user).filter(status=Status.PREPARING)
            .select_related("matter", "matter__department", "enterprise", "parent").order_by("submitted_at", "id"))


def sources_needed(bundle_codes: frozenset[str]) -> frozenset[str]:
    """The shared-data sources the 一件事 read (empty codes: every online one): prefilled fields, materials.

    An agent authorised for these 一件事 reads these sources of the authorising enterprise and no
    other (`QINQING_DATAHUB_BUNDLE_SOURCES` names this function).
    """
    bundles = Bundle.objects.online()
    if bundle_codes:
        bundles = bundles.filter(code__in=sorted(bundle_codes))
    matters = BundleStep.objects.filter(bundle__in=bundles, enabled=True).values("matter_id")
    prefixes = {p.split(".", 1)[0] for p in FormField.objects.filter(matter_id__in=matters).exclude(prefill="")
                .values_list("prefill", flat=True)}
    codes = {code for prefix, code in Source.objects.values_list("fact_prefix", "code") if prefix in prefixes}
    codes |= {value.partition(":")[0].strip() for value in MaterialRequirement.objects.filter(matter_id__in=matters)
              .exclude(satisfied_by__in=["", SATISFIED_BY_FORM]).values_list("satisfied_by", flat=True)}
    return frozenset(codes)
