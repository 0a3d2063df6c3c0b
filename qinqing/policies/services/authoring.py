"""Author, version, simulate, publish, pause and close policies (policy officers of the department)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import Role, User
from qinqing.accounts.scope import scope_of
from qinqing.audit.services import record_event
from qinqing.core import events
from qinqing.datahub.queries import all_fact_names
from qinqing.policies.conditions import ConditionsInvalid, check_eligibility
from qinqing.policies.errors import PolicyInvalid, PolicyNotManaged, WrongPolicyStatus
from qinqing.policies.formula import FormulaError, parse_formula
from qinqing.policies.matching import Match, match_all
from qinqing.policies.models import FundPool, Policy, PolicyVersion
from qinqing.policies.simulation import simulate
from qinqing.policies.workflow import POLICY_TRANSITIONS, Mode, PolicyStatus, can_transition
from qinqing.regions.models import Region

DOCUMENT_NUMBER = re.compile(r"^\S.{0,40}[〔\[（(]\d{4}[〕\]）)]\s*\d{1,5}\s*号$")
VERSIONED = ("eligibility", "amount", "amount_text", "amount_text_en", "clause", "period")


@dataclass
class Checked:
    """A policy's fields after validation."""

    values: dict[str, Any] = field(default_factory=dict)
    version: dict[str, Any] = field(default_factory=dict)
    budget: Decimal | None = None


def _may_manage(officer: User, policy: Policy | None = None) -> None:
    scope = scope_of(officer)
    if scope.is_superuser:
        return
    if Role.POLICY_OFFICER.value not in scope.roles or scope.department_id is None:
        raise PolicyNotManaged(_("Only a policy officer may author policies."))
    if policy is not None and policy.department_id != scope.department_id:
        raise PolicyNotManaged(_("This policy belongs to another department."))
    own = officer.region.path if officer.region is not None else ""
    if policy is not None and own and not policy.region.path.startswith(own):
        raise PolicyNotManaged(_("This policy applies beyond your region."))


def _date(raw: Any, name: str, errors: dict[str, list[str]]) -> dt.date | None:
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw or ""))
    except ValueError:
        errors.setdefault(name, []).append(_("Enter a date as YYYY-MM-DD."))
        return None


def check_policy(data: Mapping[str, Any], *, officer: User, creating: bool) -> Checked:
    """Validate every field at once; raise PolicyInvalid with a message per field."""
    errors: dict[str, list[str]] = {}
    out = Checked()
    declared = all_fact_names()
    title = str(data.get("title") or "").strip()
    if creating or "title" in data:
        if not title or len(title) > 200:
            errors["title"] = [_("Enter a title of at most 200 characters.")]
        out.values["title"] = title
    for key in ("title_en", "summary", "summary_en", "source_note", "board"):
        if key in data:
            out.values[key] = str(data.get(key) or "").strip()
    if creating or "document_number" in data:
        number = str(data.get("document_number") or "").strip()
        if not DOCUMENT_NUMBER.match(number):
            errors["document_number"] = [_("Enter the document number as issued, e.g. 杭政办函〔2026〕12号.")]
        out.values["document_number"] = number
    if creating or "region" in data:
        region = Region.objects.filter(code=str(data.get("region") or "")).first()
        own = officer.region.path if officer.region is not None and not officer.is_superuser else ""
        if region is None:
            errors["region"] = [_("Choose a region.")]
        elif own and not region.path.startswith(own):
            errors["region"] = [_("Choose a region within your own.")]
        out.values["region"] = region
    if creating or "valid_from" in data or "valid_until" in data:
        start = _date(data.get("valid_from"), "valid_from", errors)
        end = _date(data.get("valid_until"), "valid_until", errors)
        if start and end and end < start:
            errors["valid_until"] = [_("The end of validity is before its start.")]
        out.values.update(valid_from=start, valid_until=end)
    if creating or "mode" in data:
        mode = str(data.get("mode") or "")
        if mode not in Mode.values:
            errors["mode"] = [_("Choose 免申即享, 即申即享 or 审核兑付.")]
        out.values["mode"] = mode
    if "tags" in data:
        tags = data.get("tags") or []
        if isinstance(tags, str):
            tags = [t for t in re.split(r"[,，、\s]+", tags) if t]
        out.values["tags"] = [str(t)[:20] for t in tags][:10]
    if creating or "eligibility" in data:
        try:
            check_eligibility(data.get("eligibility"), declared)
        except ConditionsInvalid as exc:
            errors["eligibility"] = exc.errors
        out.version["eligibility"] = data.get("eligibility")
    formula = None
    if creating or "amount" in data:
        try:
            formula = parse_formula(data.get("amount"), declared)
        except FormulaError as exc:
            errors["amount"] = [str(exc)]
        out.version["amount"] = data.get("amount")
        text = str(data.get("amount_text") or "").strip()
        if not text:
            errors["amount_text"] = [_("Say the amount rule in words, e.g. 研发费用的50%，最高200万元.")]
        out.version["amount_text"] = text[:300]
    for key in ("amount_text_en", "clause"):
        if key in data:
            out.version[key] = str(data.get(key) or "").strip()[:300]
    if "period" in data and data.get("period") not in ("year", "once"):
        errors["period"] = [_("Choose yearly or once.")]
    elif "period" in data:
        out.version["period"] = data["period"]
    if creating or "budget" in data:
        try:
            budget = Decimal(str(data.get("budget")))
            if not budget.is_finite() or budget <= 0:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors["budget"] = [_("Enter the budget in yuan, more than 0.")]
        else:
            out.budget = budget.quantize(Decimal("0.01"))
            if formula is not None and out.budget < formula.cap:
                errors["budget"] = [_("The budget (%(budget)s yuan) is below one payout at the cap (%(cap)s yuan).")
                                    % {"budget": out.budget, "cap": formula.cap}]
    if errors:
        raise PolicyInvalid(_("The policy cannot be saved: please correct the marked fields."), errors=errors)
    return out


def _new_code(officer: User) -> str:
    prefix = (officer.department.code.lower() if officer.department is not None else "gov")
    return f"{prefix}-{timezone.now():%Y%m%d%H%M%S%f}"


def create_policy(*, officer: User, data: Mapping[str, Any]) -> Policy:
    """Create a draft policy with its first version and fund pool."""
    _may_manage(officer)
    checked = check_policy(data, officer=officer, creating=True)
    if officer.department is None or checked.budget is None:
        raise PolicyNotManaged(_("Only a policy officer may author policies."))
    with events.atomic():
        policy = Policy.objects.create(code=str(data.get("code") or _new_code(officer)),
                                       department=officer.department, **checked.values)
        version = PolicyVersion.objects.create(policy=policy, number=1, **checked.version)
        policy.current_version = version
        policy.save(update_fields=["current_version"])
        FundPool.objects.create(policy=policy, total=checked.budget)
        record_event(actor=officer, action="policy.created", obj=policy,
                     after={"code": policy.code, "version": 1, "budget": str(checked.budget)})
    return policy


def revise_policy(*, policy: Policy, officer: User, data: Mapping[str, Any]) -> Policy:
    """Change a policy: a draft is edited in place; after publishing, a change of rules is a new version."""
    _may_manage(officer, policy)
    if policy.status == PolicyStatus.CLOSED:
        raise WrongPolicyStatus(_("A closed policy cannot be changed."))
    merged = dict(data)
    current = policy.current_version
    assert current is not None
    if "amount" not in merged:
        merged["amount"] = current.amount
    checked = check_policy(merged, officer=officer, creating=False)
    with events.atomic():
        policy = Policy.objects.select_for_update().get(pk=policy.pk)
        for key, value in checked.values.items():
            setattr(policy, key, value)
        changes = {k: v for k, v in checked.version.items() if getattr(current, k) != v}
        if changes:
            if policy.status == PolicyStatus.DRAFT and not current.entitlements.exists():
                for key, value in changes.items():
                    setattr(current, key, value)
                current.save()
            else:
                number = (policy.versions.aggregate(n=Max("number"))["n"] or 0) + 1
                values = {k: getattr(current, k) for k in VERSIONED} | changes
                policy.current_version = PolicyVersion.objects.create(policy=policy, number=number, **values)
        policy.save()
        if checked.budget is not None:
            pool = FundPool.objects.select_for_update().get(policy=policy)
            if checked.budget < pool.committed + pool.paid:
                raise PolicyInvalid(_("The budget cannot be below what is already committed and paid."),
                                    errors={"budget": [_("At least %(min)s yuan.") % {"min": pool.committed + pool.paid}]})
            pool.total = checked.budget
            pool.save(update_fields=["total"])
        record_event(actor=officer, action="policy.revised", obj=policy,
                     after={"version": policy.current_version.number if policy.current_version else None,
                            "changed": sorted(checked.values) + sorted(changes)})
    return policy


def _transition(policy: Policy, officer: User, target: str, action: str) -> Policy:
    _may_manage(officer, policy)
    with events.atomic():
        policy = (Policy.objects.select_for_update(of=("self",)).select_related("department", "current_version")
                  .get(pk=policy.pk))
        if not can_transition(POLICY_TRANSITIONS, policy.status, target):
            raise WrongPolicyStatus(_("A policy that is %(status)s cannot be %(target)s.")
                                    % {"status": policy.get_status_display(), "target": PolicyStatus(target).label})
        before = policy.status
        policy.status = target
        if target == PolicyStatus.PUBLISHED and policy.published_at is None:
            policy.published_at = timezone.now()
        policy.save(update_fields=["status", "published_at"])
        record_event(actor=officer, action=action, obj=policy, before={"status": before}, after={"status": target})
        if target == PolicyStatus.PUBLISHED:
            assert policy.current_version is not None
            events.emit(events.PolicyPublished(
                region=policy.region.code, policy_id=policy.pk, version_id=policy.current_version.pk,
                code=policy.code, mode=policy.mode, department=policy.department.code))
    return policy


def publish_policy(*, policy: Policy, officer: User) -> Policy:
    """Publish (or resume) a policy: matching runs over the registry and 免申即享 pays, after commit."""
    return _transition(policy, officer, PolicyStatus.PUBLISHED, "policy.published")


def pause_policy(*, policy: Policy, officer: User) -> Policy:
    """Stop new entitlements and claims until published again."""
    return _transition(policy, officer, PolicyStatus.PAUSED, "policy.paused")


def close_policy(*, policy: Policy, officer: User) -> Policy:
    """Close a policy for good."""
    return _transition(policy, officer, PolicyStatus.CLOSED, "policy.closed")


@dataclass(frozen=True)
class Simulation:
    """What publishing would do: who qualifies, the cost against the budget, where, and who nearly does."""

    evaluated: int
    qualifying: int
    total: Decimal
    budget: Decimal
    by_region: list[tuple[str, int, Decimal]]
    by_industry: list[tuple[str, int, Decimal]]
    sample: list[Match]
    near_misses: list[Match]

    @property
    def within_budget(self) -> bool:
        return self.total <= self.budget

    def as_dict(self) -> dict[str, Any]:
        def split(rows: list[tuple[str, int, Decimal]]) -> list[dict[str, Any]]:
            return [{"name": n, "count": c, "total": str(t)} for n, c, t in rows]

        return {
            "evaluated": self.evaluated, "qualifying": self.qualifying, "total": str(self.total),
            "budget": str(self.budget), "within_budget": self.within_budget,
            "by_region": split(self.by_region), "by_industry": split(self.by_industry),
            "sample": [{"uscc": m.uscc, "name": m.name, "amount": str(m.amount)} for m in self.sample],
            "near_misses": [{"uscc": m.uscc, "name": m.name, "missing": m.failed[0].label,
                             "message": m.failed[0].message} for m in self.near_misses],
        }


def run_simulation(version: PolicyVersion, *, sample: int = 10) -> Simulation:
    """Match every enterprise of the registry in the policy's region against a version (no writes)."""
    policy = version.policy
    budget = FundPool.objects.get(policy=policy).total if policy.pk else Decimal(0)
    tally = simulate(version, sample=sample)  # in SQL on PostgreSQL: only aggregates and sample rows travel
    if tally is not None:
        return Simulation(evaluated=tally.evaluated, qualifying=tally.qualifying, total=tally.total, budget=budget,
                          by_region=tally.by_region, by_industry=tally.by_industry, sample=tally.sample,
                          near_misses=tally.near_misses)
    run = match_all(version, near_misses=sample)
    counts: Counter[str] = Counter()
    totals: defaultdict[str, Decimal] = defaultdict(Decimal)
    ind_counts: Counter[str] = Counter()
    ind_totals: defaultdict[str, Decimal] = defaultdict(Decimal)
    total = Decimal(0)
    for match in run.eligible:
        assert match.amount is not None
        total += match.amount
        counts[match.region_name] += 1
        totals[match.region_name] += match.amount
        ind_counts[match.industry or "—"] += 1
        ind_totals[match.industry or "—"] += match.amount
    return Simulation(
        evaluated=run.evaluated, qualifying=len(run.eligible), total=total, budget=budget,
        by_region=[(n, c, totals[n]) for n, c in counts.most_common()],
        by_industry=[(n, c, ind_totals[n]) for n, c in ind_counts.most_common()],
        sample=run.eligible[:sample], near_misses=run.near_misses[:sample])


def simulate_policy(*, policy: Policy, officer: User) -> Simulation:
    """Simulate the current version before (or after) publishing; the run is audited and counted."""
    _may_manage(officer, policy)
    version = policy.current_version
    assert version is not None
    result = run_simulation(version)
    with events.atomic():
        record_event(actor=officer, action="policy.simulated", obj=policy,
                     after={"version": version.number, "qualifying": result.qualifying, "total": str(result.total)})
        events.emit(events.PolicySimulated(region=policy.region.code, policy_id=policy.pk, version_id=version.pk,
                                           qualifying=result.qualifying, total=str(result.total)))
    return result


def qualifying_count(*, eligibility: Any, region: Region) -> int | None:
    """How many enterprises of a region meet (unsaved) conditions: the builder's live count; None if invalid."""
    try:
        check_eligibility(eligibility, all_fact_names())
    except ConditionsInvalid:
        return None
    policy = Policy(region=region)
    draft = PolicyVersion(policy=policy, number=0, eligibility=eligibility, amount={"expr": "1", "cap": "1"})
    return run_simulation(draft, sample=0).qualifying


def count_qualifying(*, policy: Policy, officer: User, eligibility: Any) -> int | None:
    """How many enterprises of the region meet these (unsaved) conditions: the builder's live count."""
    _may_manage(officer, policy)
    try:
        check_eligibility(eligibility, all_fact_names())
    except ConditionsInvalid:
        return None
    version = policy.current_version
    assert version is not None
    draft = PolicyVersion(policy=policy, number=0, eligibility=eligibility, amount=version.amount,
                          amount_text=version.amount_text)
    return run_simulation(draft, sample=0).qualifying
