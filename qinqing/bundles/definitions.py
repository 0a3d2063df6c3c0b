"""What a bundle definition means: its order, its merged form and the reduction it brings.

Pure functions over the definition (steps, their matters' fields and materials); no writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from qinqing.catalog.models import FormField, MaterialRequirement
from qinqing.core.graph import Cycle, UnknownNode, depths, topological_order

if TYPE_CHECKING:
    from qinqing.bundles.models import BundleStep

FORM_PREFIX = "form."
STEP_PREFIX = "steps."
STEP_OUTPUTS = ("licence_number", "decided_on", "project_code")


class DefinitionError(ValueError):
    """A bundle definition that cannot work: a cycle, an unknown step, clashing field types."""


@dataclass
class MergedField:
    key: str
    field: FormField
    steps: list[str]
    required: bool

    @property
    def from_data(self) -> bool:
        return bool(self.field.prefill)


@dataclass
class MergedMaterial:
    code: str
    requirement: MaterialRequirement
    steps: list[str]


@dataclass
class StepPlan:
    step: BundleStep
    fields: list[FormField]
    materials: list[MaterialRequirement]
    asked: dict[str, str] = field(default_factory=dict)  # child field key → merged key
    upstream: dict[str, tuple[str, str]] = field(default_factory=dict)  # child key → (step key, output)


@dataclass
class MergedForm:
    plans: list[StepPlan]
    fields: list[MergedField]
    materials: list[MergedMaterial]

    def shared(self) -> list[MergedField]:
        return [f for f in self.fields if len(f.steps) > 1]

    def own(self, step_key: str) -> list[MergedField]:
        return [f for f in self.fields if f.steps == [step_key]]

    def by_key(self) -> dict[str, MergedField]:
        return {f.key: f for f in self.fields}


def parse_input(source: str) -> tuple[str, str]:
    """Split "form.<key>" or "steps.<step>.<output>" into (kind, rest); raise DefinitionError otherwise."""
    if source.startswith(FORM_PREFIX) and source[len(FORM_PREFIX):]:
        return "form", source[len(FORM_PREFIX):]
    if source.startswith(STEP_PREFIX):
        parts = source[len(STEP_PREFIX):].split(".")
        if len(parts) == 2 and parts[0] and parts[1] in STEP_OUTPUTS:
            return "step", source[len(STEP_PREFIX):]
    raise DefinitionError(_('Unknown input "%(source)s".') % {"source": source})


def check_graph(steps: Sequence[tuple[str, Iterable[str]]]) -> list[str]:
    """Return the step keys in dependency order; raise DefinitionError on a cycle or unknown key."""
    try:
        return topological_order(steps)
    except UnknownNode as exc:
        if exc.required == exc.node:
            raise DefinitionError(_('Step "%(step)s" waits for itself.') % {"step": exc.node}) from None
        raise DefinitionError(_('Step "%(step)s" waits for unknown step "%(req)s".')
                              % {"step": exc.node, "req": exc.required}) from None
    except Cycle as exc:
        raise DefinitionError(_("The steps form a cycle: %(cycle)s.")
                              % {"cycle": " → ".join(exc.cycle)}) from None


def step_levels(steps: Sequence[tuple[str, Iterable[str]]]) -> dict[str, int]:
    """Column of each step in a diagram: 0 for steps that wait for nothing, else 1 + deepest prerequisite."""
    pairs = [(key, list(reqs)) for key, reqs in steps]
    check_graph(pairs)
    return depths(pairs)


def merge(steps: Sequence[BundleStep]) -> MergedForm:
    """Build the merged form of a bundle's enabled steps (BundleStep with matter fields/materials loaded).

    A child field is asked once under its merged key (its own key, or the one its step's inputs
    name); a field produced upstream is not asked. Same merged key, same type.
    """
    enabled = [s for s in steps if s.enabled]
    keys = {s.key for s in enabled}
    order = check_graph([(s.key, [r for r in s.requires if r in keys]) for s in enabled])
    by_key = {s.key: s for s in enabled}
    before: dict[str, set[str]] = {}
    for key in order:
        earlier: set[str] = set()
        for req in by_key[key].requires:
            if req in keys:
                earlier |= {req} | before[req]
        before[key] = earlier
    plans: list[StepPlan] = []
    merged: dict[str, MergedField] = {}
    materials: dict[str, MergedMaterial] = {}
    for step in sorted(enabled, key=lambda s: (order.index(s.key), s.order)):
        fields = list(step.matter.fields.all())
        requirements = list(step.matter.materials.all())
        plan = StepPlan(step=step, fields=fields, materials=requirements)
        child_keys = {f.key for f in fields}
        for child_key, source in (step.inputs or {}).items():
            if child_key not in child_keys:
                raise DefinitionError(_('Step "%(step)s" maps unknown field "%(field)s".') % {"step": step.key, "field": child_key})
            kind, rest = parse_input(source)
            if kind == "step":
                upstream, output = rest.split(".")
                if upstream not in before[step.key]:
                    raise DefinitionError(_('Step "%(step)s" reads "%(source)s" but does not wait for that step.')
                                          % {"step": step.key, "source": source})
                plan.upstream[child_key] = (upstream, output)
        for f in fields:
            if f.key in plan.upstream:
                continue
            source = (step.inputs or {}).get(f.key, "")
            merged_key = source[len(FORM_PREFIX):] if source.startswith(FORM_PREFIX) else f.key
            plan.asked[f.key] = merged_key
            existing = merged.get(merged_key)
            if existing is None:
                merged[merged_key] = MergedField(key=merged_key, field=f, steps=[step.key], required=f.required)
                continue
            if existing.field.type != f.type:
                raise DefinitionError(
                    _('Field "%(key)s" is %(a)s in one step and %(b)s in another.')
                    % {"key": merged_key, "a": existing.field.type, "b": f.type})
            if existing.field.unit != f.unit:
                # One typed value goes to every step: it must mean the same figure in each.
                raise DefinitionError(
                    _('Field "%(key)s" is in %(a)s in one step and in %(b)s in another.')
                    % {"key": merged_key, "a": existing.field.unit or "—", "b": f.unit or "—"})
            existing.steps.append(step.key)
            existing.required = existing.required or f.required
            if not existing.field.prefill and f.prefill:
                existing.field = f  # prefer the definition that says where government holds the value
        for r in requirements:
            if r.required and not r.satisfied_by:
                entry = materials.setdefault(r.code, MergedMaterial(code=r.code, requirement=r, steps=[]))
                entry.steps.append(step.key)
        plans.append(plan)
    return MergedForm(plans=plans, fields=list(merged.values()), materials=list(materials.values()))


def reduction(form: MergedForm) -> dict[str, Any]:
    """Fields and materials an enterprise supplies applying for each matter separately vs through the bundle.

    Separately: every field of every form, every required material. Through the bundle: each
    distinct field once, less those government data supplies (prefill) and those produced by an
    earlier step; each distinct material once, less those satisfied by shared data, by an earlier
    step's licence or by the online form itself.
    """
    separate_fields = sum(len(p.fields) for p in form.plans)
    separate_materials = sum(1 for p in form.plans for r in p.materials if r.required)
    asked = [f for f in form.fields if not f.from_data]
    upstream = sum(len(p.upstream) for p in form.plans)
    from_data = sum(1 for f in form.fields if f.from_data)
    by_source: dict[str, int] = {}
    for p in form.plans:
        for r in p.materials:
            if r.required and r.satisfied_by:
                by_source[r.satisfied_by.split(":")[0]] = by_source.get(r.satisfied_by.split(":")[0], 0) + 1
    bundled_fields = len(asked)
    bundled_materials = len(form.materials)
    return {
        "fields": {
            "separate": separate_fields, "bundled": bundled_fields,
            "saved_percent": _percent(separate_fields, bundled_fields),
            "asked_once": sum(1 for f in asked if len(f.steps) > 1),
            "from_data": from_data, "from_earlier_steps": upstream,
        },
        "materials": {
            "separate": separate_materials, "bundled": bundled_materials,
            "saved_percent": _percent(separate_materials, bundled_materials),
            "satisfied_by": dict(sorted(by_source.items())),
        },
    }


def _percent(separate: int, bundled: int) -> float:
    return round(100 * (separate - bundled) / separate, 2) if separate else 0.0
