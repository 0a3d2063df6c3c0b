"""Which enterprises a policy version pays, how much, and why.

`evaluate_enterprise` (per record, `facts_for`) serves one enterprise's pages, claims and the
re-match after a fact change. Whole-registry work (publish, simulate, the live count, the nightly
refresh) goes through `match_all` only: the same conditions compiled to Polars over the columnar
snapshot, one partition of enterprises at a time (`match_all_per_record` is the reference it equals).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import datalogic_py
import polars as pl
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import Enterprise
from qinqing.datahub import snapshot
from qinqing.datahub.adapters import RegistryAdapter, TableAdapter, adapter_for
from qinqing.datahub.models import Source
from qinqing.datahub.queries import Fact, all_fact_names, fact_values, facts_for, provenance
from qinqing.policies import facttable
from qinqing.policies.conditions import check_eligibility, collect_reads
from qinqing.policies.formula import Formula, Unknown, parse_formula
from qinqing.policies.models import Policy, PolicyVersion
from qinqing.rules import batch
from qinqing.rules.batch import nest
from qinqing.rules.engine import PASS, UNKNOWN, ConditionOutcome, RuleSetSpec, _truthy, evaluate

REGION_KEY = "region"
INDUSTRY = "registry.industry_name"


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


_COMPILED: dict[tuple[Any, ...], Compiled] = {}


def compile_version(version: PolicyVersion, declared: list[str] | None = None, *,
                    policy: Policy | None = None) -> Compiled:
    """Parse a stored version once for many enterprises (`declared`: the fact names, if already read).

    Kept in a small per-process cache keyed by the version, its rules (a draft is edited in place),
    the policy's region and the declared facts, so that re-matching one enterprise against every
    published policy does not parse 300 rule sets again. `policy`: the version's policy with its region,
    when the caller loaded it (`Policy.current_version` does not carry it back: reading the key would
    otherwise load the policy and its region again, two queries per policy and call).
    """
    declared = all_fact_names() if declared is None else declared
    if policy is not None and policy.pk is not None and policy.pk == version.policy_id:
        PolicyVersion.policy.field.set_cached_value(version, policy)  # later readers of version.policy: no query
    region = version.policy.region
    key = None
    if version.pk is not None:
        rules = json.dumps([version.eligibility, version.amount], sort_keys=True, ensure_ascii=False, default=str)
        key = (version.pk, rules, region.pk, region.path, region.name, tuple(declared))
        cached = _COMPILED.get(key)
        if cached is not None and cached.version is version:
            return cached
        if cached is not None:
            return Compiled(version=version, spec=cached.spec, formula=cached.formula,
                            region_path=cached.region_path, region_name=cached.region_name)
    compiled = Compiled(version=version, spec=check_eligibility(version.eligibility, declared),
                        formula=parse_formula(version.amount, declared), region_path=region.path,
                        region_name=region.name)
    if key is not None:
        if len(_COMPILED) >= 1024:
            _COMPILED.clear()
        _COMPILED[key] = compiled
    return compiled


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


@dataclass
class MatchRun:
    """What whole-registry matching found in one partition: every eligible enterprise, a few near misses.

    `eligible` holds each qualifying enterprise with its Decimal amount (trace and reasons are those
    of the per-record evaluator when `explain` was asked, else the passed conditions without reasons);
    `near_misses` the first `near_misses` enterprises (by id) that miss exactly one condition, explained
    by the per-record evaluator. `method` says how: "batch" (Polars over the snapshot) or "per-record".
    """

    evaluated: int = 0
    eligible: list[Match] = field(default_factory=list)
    near_misses: list[Match] = field(default_factory=list)
    method: str = "batch"
    per_record: int = 0  # enterprises the batch handed to the evaluator (not in the registry)


def _enterprises(region_path: str, partitions: int, part: int) -> Any:
    """The enterprises of a region's subtree in one partition (id mod partitions), by id."""
    query = Enterprise.objects.select_related("region").filter(region__path__startswith=region_path)
    if partitions > 1:
        query = query.annotate(_part=F("id") % partitions).filter(_part=part)
    return query.order_by("pk")


def match_all_per_record(version: PolicyVersion, *, on: dt.date | None = None, partitions: int = 1, part: int = 0,
                         near_misses: int = 0, enterprises: Iterable[Enterprise] | None = None) -> MatchRun:
    """The reference: every enterprise through `evaluate_enterprise` (facts_for each), one at a time."""
    compiled = compile_version(version)
    run = MatchRun(method="per-record")
    chosen = enterprises if enterprises is not None else _enterprises(
        compiled.region_path, partitions, part).iterator(chunk_size=2000)
    for enterprise in chosen:
        match = evaluate_enterprise(compiled, enterprise, on=on)
        run.evaluated += 1
        if match.eligible:
            run.eligible.append(match)
        elif match.near_miss and len(run.near_misses) < near_misses:
            run.near_misses.append(match)
    return run


def batch_exact() -> bool:
    """Whether the snapshot reads what `facts_for` reads: no source of facts is served by another adapter."""
    for source in Source.objects.filter(provides_facts=True):
        if type(adapter_for(source)) not in (TableAdapter, RegistryAdapter):
            return False
    return True


def _passed(compiled: Compiled, row: dict[str, Any]) -> tuple[ConditionOutcome, ...]:
    region = ConditionOutcome(REGION_KEY, _("Registered in %(region)s") % {"region": compiled.region_name}, PASS, "",
                              {"region": row["_region_path"]}, compiled.region_path)
    return (region, *(ConditionOutcome(c.key, c.label, PASS, "", {f: row.get(f) for f in c.facts}, c.threshold,
                                       c.label_en) for c in compiled.spec.conditions))


def _decimal_facts(row: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """A row's figures as the formula reads them: floats back to their shortest decimal text (exact below 15 digits)."""
    return {n: (repr(row[n]) if isinstance(row.get(n), float) else row.get(n)) for n in names}


def match_all(version: PolicyVersion, *, on: dt.date | None = None, partitions: int = 1, part: int = 0,
              near_misses: int = 0, explain: bool = False) -> MatchRun:
    """Match one partition of a policy's region against a version: the single entry point of whole-registry matching.

    The conditions are compiled once (`rules.batch`) into Polars expressions over the columnar snapshot
    of the partition's enterprises (`datahub.snapshot`, one row per enterprise of the region, partitioned
    by enterprise id so that each partition can run as its own Huey job, see docs/deploy.md); the
    Decimal amount is computed for the qualifying rows only. Enterprises the registry does not hold
    (facts from the platform account) and registries served by another adapter go through the
    per-record evaluator, which gives the same answers (property-tested both ways).
    """
    if not batch_exact():
        return match_all_per_record(version, on=on, partitions=partitions, part=part, near_misses=near_misses)
    compiled = compile_version(version)
    day = on or timezone.localdate()
    spec, formula = compiled.spec, compiled.formula
    facts = sorted({f for c in spec.conditions for f in c.facts} | formula.facts() | {INDUSTRY})
    frame = facttable.read(facts, partitions=partitions, part=part, today=day, region_path=compiled.region_path)
    schema = {k: v for k, v in snapshot.schema().items() if k in frame.columns}
    run = MatchRun(evaluated=frame.height)
    outside = frame.filter(pl.col("_in_registry") == 0)["_id"].to_list()
    keys = [c.key for c in spec.conditions]
    judged = batch.outcomes(frame.lazy().filter(pl.col("_in_registry") == 1), spec, schema)
    misses = pl.sum_horizontal([(~pl.col(k).fill_null(False)).cast(pl.Int32) for k in keys])
    judged = judged.with_columns(misses.alias("_misses")).collect()
    reads = sorted(formula.facts())
    near_ids: list[int] = []
    by_id: dict[int, Enterprise] = {}
    if near_misses:
        near_ids += judged.filter(~pl.col("eligible") & (pl.col("_misses") == 1)).select(
            pl.col("_id").bottom_k(near_misses))["_id"].to_list()
    for row in judged.filter(pl.col("eligible")).sort("_id").iter_rows(named=True):
        amount: Decimal | None = None
        try:
            amount = formula.amount(_decimal_facts(row, reads), day) if row["eligible"] else None
        except Unknown:
            amount = None
        if amount is not None and amount > 0:
            industry = row.get(INDUSTRY)
            run.eligible.append(Match(
                enterprise_id=row["_id"], uscc=row["uscc"], name=row["_name"], region_path=row["_region_path"] or "",
                region_name=row["_region_name"] or "", industry=str(industry) if industry else "", eligible=True,
                amount=amount, trace=_passed(compiled, row)))
        elif near_misses:
            near_ids.append(row["_id"])  # every condition passed and the amount is not > 0: a near miss too
    if outside:
        # Facts from the platform account only: the evaluator decides (exactly as it would for everyone).
        by_id = {e.pk: e for e in Enterprise.objects.select_related("region").filter(pk__in=outside)}
        run.per_record = len(by_id)
        for pk in sorted(by_id):
            match = evaluate_enterprise(compiled, by_id[pk], on=on)
            if match.eligible:
                run.eligible.append(match)
            elif match.near_miss:
                near_ids.append(pk)
        run.eligible.sort(key=lambda m: m.enterprise_id)
    if explain:
        chosen = {e.pk: e for e in Enterprise.objects.select_related("region").filter(
            pk__in=[m.enterprise_id for m in run.eligible if not m.reasons])}
        run.eligible = [m if m.reasons else evaluate_enterprise(compiled, chosen[m.enterprise_id], on=on)
                        for m in run.eligible]
    if near_ids and near_misses:
        wanted = sorted(near_ids)[:near_misses]
        # Explained on their snapshot rows (the values the batch decided on), without a facts_for each.
        rows = {row["_id"]: row for row in frame.filter(pl.col("_id").is_in(wanted)).iter_rows(named=True)}
        outside_set = set(outside)
        chosen = {e.pk: e for e in Enterprise.objects.select_related("region").filter(
            pk__in=[pk for pk in wanted if pk in outside_set])}
        run.near_misses = [evaluate_enterprise(compiled, chosen[pk], on=on) if pk in chosen
                           else _explain_row(compiled, rows[pk], on) for pk in wanted]
    return run


_NO_TIME = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _explain_row(compiled: Compiled, row: dict[str, Any], on: dt.date | None) -> Match:
    """The per-record evaluator's match on a snapshot row (its trace; the row's values stand for the facts)."""
    from qinqing.regions.models import Region

    firm = Enterprise(pk=row["_id"], uscc=row["uscc"], name=row["_name"] or "")
    firm.region = Region(path=row["_region_path"] or "", name=row["_region_name"] or "")
    facts = {name: Fact(value, "", "", _NO_TIME) for name, value in row.items()
             if not name.startswith("_") and name != "uscc" and value is not None}
    return evaluate_enterprise(compiled, firm, facts=facts, on=on)


_READS: dict[int, tuple[Any, str, tuple[str, ...]]] = {}


def _condition_reads(cond: Any) -> tuple[str, tuple[str, ...]]:
    """A condition's identity (its JSONLogic as run) and every fact it reads, kept per condition object."""
    found = _READS.get(id(cond))
    if found is None or found[0] is not cond:
        rule = cond.expr if cond.run is None else cond.run
        names: set[str] = set(cond.facts)
        collect_reads(rule, names)
        if len(_READS) > 20_000:
            _READS.clear()
        found = _READS[id(cond)] = (cond, json.dumps(rule, sort_keys=True, ensure_ascii=False, default=str),
                                    tuple(sorted(names)))
    return found[1], found[2]


def qualifies_on_row(compiled: Compiled, row: dict[str, Any], day: dt.date, seen: dict[str, bool] | None = None) -> bool:
    """Whether a snapshot row (`facttable.row_of`) qualifies: every condition passes and the amount is > 0.

    The evaluator's answer for one enterprise without its trace: each condition is run on only the facts
    it reads, once per row however many policies share it (`seen`), as `rules.engine.evaluate` decides
    it (a declared fact unknown → not passed). The region is the caller's check.
    """
    seen = {} if seen is None else seen
    for cond in compiled.spec.conditions:
        key, names = _condition_reads(cond)
        passed = seen.get(key)
        if passed is None:
            if any(row.get(f) is None or row.get(f) == "" for f in cond.facts):
                passed = False
            else:
                try:
                    passed = _truthy(datalogic_py.apply(key, nest({n: row.get(n) for n in names})))
                except Exception:
                    passed = False
            seen[key] = passed
        if not passed:
            return False
    try:
        amount = compiled.formula.amount(_decimal_facts(row, compiled.formula.facts()), day)
    except Unknown:
        return False
    return amount > 0


def partitions_for(count: int, per_partition: int = 200_000) -> int:
    """How many partitions a registry of `count` enterprises is matched in (one Huey job each)."""
    return max(1, -(-count // per_partition))


def registry() -> Iterable[Enterprise]:
    """Every enterprise of the registry, with its region, in a stable order."""
    return Enterprise.objects.select_related("region").order_by("pk").iterator(chunk_size=2000)
