"""Which enterprises a policy version pays, how much, and why: per-record evaluation.

`evaluate_enterprise` serves one enterprise's pages. Whole-registry work (publish, simulate, the
nightly refresh) goes through `match_all` only, so that a batch compiler of the same conditions
and formulas can replace the per-record loop in this one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import Enterprise
from qinqing.datahub.queries import Fact, all_fact_names, fact_values, facts_for, provenance
from qinqing.policies.conditions import check_eligibility
from qinqing.policies.formula import Formula, Unknown, parse_formula
from qinqing.policies.models import PolicyVersion
from qinqing.rules.engine import PASS, UNKNOWN, ConditionOutcome, RuleSetSpec, evaluate

REGION_KEY = "region"


@dataclass(frozen=True)
class Match:
    """One enterprise against one policy version."""

    enterprise_id: int
    uscc: str
    name: str
    region_path: str
    region_name: str
    industry: str
    eligible: bool
    amount: Decimal | None
    trace: tuple[ConditionOutcome, ...]
    reasons: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def failed(self) -> tuple[ConditionOutcome, ...]:
        return tuple(c for c in self.trace if c.outcome != PASS)

    @property
    def near_miss(self) -> bool:
        """Misses exactly one condition (the one it lacks is `failed[0]`)."""
        return not self.eligible and len(self.failed) == 1


@dataclass(frozen=True)
class Compiled:
    version: PolicyVersion
    spec: RuleSetSpec
    formula: Formula
    region_path: str
    region_name: str


def compile_version(version: PolicyVersion) -> Compiled:
    """Parse a stored version once for many enterprises."""
    declared = all_fact_names()
    region = version.policy.region
    return Compiled(version=version, spec=check_eligibility(version.eligibility, declared),
                    formula=parse_formula(version.amount, declared), region_path=region.path,
                    region_name=region.name)


def _region_outcome(compiled: Compiled, enterprise: Enterprise) -> ConditionOutcome:
    path = enterprise.region.path if enterprise.region is not None else ""
    label = _("Registered in %(region)s") % {"region": compiled.region_name}
    ok = bool(path) and path.startswith(compiled.region_path)
    return ConditionOutcome(REGION_KEY, label, PASS if ok else "fail",
                            "" if ok else _("Not registered in %(region)s") % {"region": compiled.region_name},
                            {"region": path}, compiled.region_path)


def _reasons(trace: Iterable[ConditionOutcome], facts: dict[str, Fact], formula: Formula) -> tuple[dict[str, Any], ...]:
    """The facts that make it qualify, each with its value and where it comes from."""
    names: list[str] = []
    for outcome in trace:
        names += [n for n in outcome.actual if n in facts and n not in names]
    names += [n for n in sorted(formula.facts()) if n in facts and n not in names]
    return tuple({"fact": n, "value": _json(facts[n].value), "unit": facts[n].unit, **provenance(facts[n])}
                 for n in names)


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def evaluate_enterprise(compiled: Compiled, enterprise: Enterprise, facts: dict[str, Fact] | None = None,
                        on: dt.date | None = None) -> Match:
    """Evaluate one enterprise: every condition's outcome, the amount when all pass, the reasons."""
    facts = facts_for(enterprise.uscc) if facts is None else facts
    verdict = evaluate(compiled.spec, fact_values(facts))
    trace = (_region_outcome(compiled, enterprise), *verdict.trace)
    amount: Decimal | None = None
    if all(c.outcome == PASS for c in trace):
        try:
            amount = compiled.formula.amount({k: f.value for k, f in facts.items()}, on or timezone.localdate())
        except Unknown as exc:
            trace = (*trace, ConditionOutcome("amount", _("Amount can be computed"), UNKNOWN,
                                              _("The figure the amount is computed from is missing"),
                                              {str(exc): None}, ""))
        else:
            if amount <= 0:
                trace = (*trace, ConditionOutcome("amount", _("Amount more than 0"), "fail",
                                                  _("The computed amount is 0 yuan"), {}, ""))
                amount = None
    eligible = amount is not None
    industry = facts.get("registry.industry_name")
    region = enterprise.region
    return Match(
        enterprise_id=enterprise.pk, uscc=enterprise.uscc, name=enterprise.name,
        region_path=region.path if region is not None else "", region_name=region.name if region is not None else "",
        industry=str(industry.value) if industry is not None and industry.value else "",
        eligible=eligible, amount=amount, trace=trace,
        reasons=_reasons(trace, facts, compiled.formula) if eligible else (),
    )


def match_all(version: PolicyVersion, enterprises: Iterable[Enterprise], on: dt.date | None = None) -> Iterator[Match]:
    """Evaluate many enterprises against one version: the single entry point of whole-registry matching."""
    compiled = compile_version(version)
    for enterprise in enterprises:
        yield evaluate_enterprise(compiled, enterprise, on=on)


def registry() -> Iterable[Enterprise]:
    """Every enterprise of the registry, with its region, in a stable order."""
    return Enterprise.objects.select_related("region").order_by("pk").iterator(chunk_size=2000)
