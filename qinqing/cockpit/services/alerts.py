"""Alerts (预警动态): rules as data decide which signals become alerts; staff in scope acknowledge them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from qinqing.accounts.models import User
from qinqing.accounts.scope import scope_of
from qinqing.audit.services import record_event
from qinqing.cockpit.aggregates import ALERTS, ALERTS_OPEN, Deltas
from qinqing.cockpit.classify import ancestors
from qinqing.cockpit.models import Alert, AlertRule, NodeTotal, Severity, Signal
from qinqing.core import events
from qinqing.core.errors import NotFound
from qinqing.notifications.services import notify
from qinqing.notifications.texts import Text
from qinqing.rules.engine import APPROVE, RuleError, RuleSetSpec, evaluate, parse_rule_set

REGIONAL_ROLES = ("street_staff", "grid_staff", "district_staff")

# The rules every platform starts with; district staff edit them (and add their own) in the admin.
DEFAULT_RULES: tuple[dict[str, Any], ...] = (
    {"key": "moved-out", "name": "企业迁出", "name_en": "Enterprise moved out", "signal": Signal.MOVED_OUT,
     "severity": Severity.WARNING, "notify_roles": ["street_staff", "grid_staff"], "order": 10},
    {"key": "deregistered", "name": "企业注销或吊销", "name_en": "Enterprise deregistered or revoked",
     "signal": Signal.DEREGISTERED, "severity": Severity.WARNING, "notify_roles": ["street_staff", "grid_staff"],
     "order": 20},
    {"key": "abnormal", "name": "列入经营异常名录", "name_en": "Listed for abnormal operations",
     "signal": Signal.ABNORMAL, "severity": Severity.WARNING, "notify_roles": ["street_staff", "grid_staff"],
     "order": 30},
    {"key": "headcount-drop", "name": "参保人数骤降（≥30%）", "name_en": "Insured headcount fell by 30 % or more",
     "signal": Signal.HEADCOUNT_DROP, "condition": {">=": [{"var": "signal.drop"}, 0.3]},
     "severity": Severity.CRITICAL, "notify_roles": ["street_staff", "grid_staff"], "order": 40},
    {"key": "payout-failed", "name": "政策兑付失败", "name_en": "Policy payout failed", "signal": Signal.PAYOUT_FAILED,
     "severity": Severity.CRITICAL, "notify_roles": ["street_staff", "district_staff"], "order": 50},
    {"key": "case-overdue", "name": "办件超期", "name_en": "Case overdue", "signal": Signal.CASE_OVERDUE,
     "severity": Severity.WARNING, "notify_roles": ["street_staff"], "order": 60},
    {"key": "visit-overdue", "name": "走访超期", "name_en": "Visit overdue", "signal": Signal.VISIT_OVERDUE,
     "severity": Severity.WARNING, "notify_roles": ["grid_staff", "street_staff"], "order": 70},
)


def load_default_rules() -> int:
    """Create the default rules that do not exist yet (an edited rule is never overwritten); how many were made."""
    made = 0
    for item in DEFAULT_RULES:
        values = {k: v for k, v in item.items() if k != "key"}
        _, created = AlertRule.objects.get_or_create(key=item["key"], defaults=values)
        made += int(created)
    return made


@dataclass(frozen=True)
class Raised:
    """Something that happened to an enterprise, at a node, which alert rules look at."""

    signal: str
    path: str
    region_id: int | None
    uscc: str
    name: str
    at: dt.datetime
    key: str  # what raised it (event position or item), unique per signal
    facts: dict[str, Any] = field(default_factory=dict)


def _vars(expr: Any) -> Iterable[str]:
    if isinstance(expr, dict):
        for op, args in expr.items():
            if op == "var":
                name = args[0] if isinstance(args, list) else args
                if isinstance(name, str) and name:
                    yield name
            else:
                yield from _vars(args)
    elif isinstance(expr, list):
        for item in expr:
            yield from _vars(item)


def compiled(rule: AlertRule) -> RuleSetSpec | None:
    """The rule's condition as a one-condition rule set of the platform's JSONLogic (None: always true)."""
    if not rule.condition:
        return None
    return parse_rule_set({"conditions": [{
        "key": rule.key, "label": rule.name, "failure": "", "facts": sorted(set(_vars(rule.condition))),
        "expr": rule.condition}]})


def check_condition(condition: Any) -> None:
    """Refuse a condition the platform's JSONLogic would not accept (for the admin form)."""
    if condition:
        parse_rule_set({"conditions": [{"key": "c", "label": "c", "failure": "", "facts": sorted(set(_vars(condition))),
                                        "expr": condition}]})


class Rules:
    """The active rules by signal, parsed once per batch."""

    def __init__(self) -> None:
        self.by_signal: dict[str, list[tuple[AlertRule, RuleSetSpec | None]]] = {}
        for rule in AlertRule.objects.filter(active=True):
            try:
                spec = compiled(rule)
            except RuleError:
                continue  # the admin refuses such a condition; a hand-edited row never breaks the feed
            self.by_signal.setdefault(rule.signal, []).append((rule, spec))

    def matching(self, raised: Raised) -> list[AlertRule]:
        out = []
        for rule, spec in self.by_signal.get(raised.signal, []):
            if spec is None or evaluate(spec, raised.facts).outcome == APPROVE:
                out.append(rule)
        return out


def raise_alerts(raised: Sequence[Raised], deltas: Deltas, *, rules: Rules | None = None) -> list[Alert]:
    """Turn signals into alerts by the rules (each once), count them and tell the node's staff."""
    if not raised:
        return []
    rules = rules or Rules()
    candidates: list[Alert] = []
    for item in raised:
        if item.region_id is None:
            continue
        for rule in rules.matching(item):
            candidates.append(Alert(
                rule=rule, signal=item.signal, severity=rule.severity, node_id=item.region_id, path=item.path,
                uscc=item.uscc, enterprise_name=item.name[:200], detail=item.facts.get("signal", {}),
                raised_at=item.at, day=timezone.localdate(item.at), source_key=f"{rule.key}:{item.key}"[:120]))
    if not candidates:
        return []
    known = set(Alert.objects.filter(source_key__in=[a.source_key for a in candidates])
                .values_list("source_key", flat=True))
    fresh = [a for a in candidates if a.source_key not in known]
    Alert.objects.bulk_create(fresh)
    for alert in fresh:
        deltas.flow_path(alert.path, ALERTS, alert.day)
        deltas.total(alert.path, [(ALERTS_OPEN, "")], +1)
    _tell_staff(fresh)
    return fresh


def _tell_staff(alerts: Sequence[Alert]) -> None:
    """An inbox message to the staff of the alert's node and above whose role the rule names."""
    if not alerts:
        return
    codes = {code for alert in alerts for code in ancestors(alert.path)}
    staff: dict[str, list[User]] = {}
    for user in User.objects.filter(kind=User.Kind.STAFF, is_active=True, region__code__in=codes).select_related("region"):
        if user.region is not None:
            staff.setdefault(user.region.code, []).append(user)
    for alert in alerts:
        roles = set(alert.rule.notify_roles or [])
        told = {u.pk: u for code in ancestors(alert.path) for u in staff.get(code, [])
                if roles.intersection(u.roles or [])}
        for user in told.values():
            notify(recipient=user, kind="cockpit.alert", link=f"/cockpit/{ancestors(alert.path)[-1]}/",
                   title=Text(gettext_noop("Alert: %(rule)s"), {"rule": alert.rule.name}),
                   body=Text(gettext_noop("%(enterprise)s (%(uscc)s)"),
                             {"enterprise": alert.enterprise_name, "uscc": alert.uscc}))


def acknowledge_alert(*, alert_id: int, user: User) -> Alert:
    """Mark an alert of the user's region as seen (once); an alert outside their scope is not found."""
    scope = scope_of(user)
    with events.atomic():
        alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
        if alert is None or not (scope.is_superuser or (scope.is_regional and alert.path.startswith(scope.region_path))):
            raise NotFound(_("No such alert."))
        if alert.acknowledged_at is not None:
            return alert
        alert.acknowledged_by = user
        alert.acknowledged_at = timezone.now()
        alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
        deltas = Deltas()
        deltas.total(alert.path, [(ALERTS_OPEN, "")], -1)
        deltas.write()
        record_event(actor=user, action="cockpit.alert_acknowledged", obj=alert,
                     after={"rule": alert.rule.key, "uscc": alert.uscc, "node": alert.path})
    return alert


def open_alerts(path: str) -> int:
    """Alerts not yet acknowledged in a node's subtree (from the node's total)."""
    code = ancestors(path)[-1] if path else ""
    row = NodeTotal.objects.filter(node=code, measure=ALERTS_OPEN, dimension="").values_list("count", flat=True).first()
    return int(row or 0)


def raise_overdue_case_alerts(*, now: dt.datetime | None = None, limit: int = 5_000) -> int:
    """Alert on cases past their promised deadline and still waiting for a department (the periodic sweep).

    A case raises its overdue alert once (`source_key`), at the node where the cockpit sees its enterprise.
    """
    from qinqing.cases.models import Case
    from qinqing.cases.workflow import CLOCK_STATUSES
    from qinqing.cockpit.aggregates import Deltas as _Deltas
    from qinqing.cockpit.models import EnterpriseState

    now = now or timezone.now()
    late = list(Case.objects.filter(status__in=CLOCK_STATUSES, due_at__lt=now, matter__isnull=False)
                .order_by("due_at", "pk").values("pk", "number", "due_at", "enterprise__uscc")[:limit])
    if not late:
        return 0
    known = set(Alert.objects.filter(source_key__in=[f"case-overdue:case_overdue:{c['pk']}" for c in late])
                .values_list("source_key", flat=True))
    states = {s.uscc: s for s in EnterpriseState.objects.filter(uscc__in={c["enterprise__uscc"] for c in late})}
    raised = []
    for case in late:
        state = states.get(case["enterprise__uscc"])
        if state is None or f"case-overdue:case_overdue:{case['pk']}" in known:
            continue
        raised.append(Raised(
            signal=Signal.CASE_OVERDUE, path=state.path, region_id=state.region_id, uscc=state.uscc, name=state.name,
            at=now, key=f"case_overdue:{case['pk']}",
            facts={"signal": {"kind": Signal.CASE_OVERDUE, "case": case["number"],
                              "due_at": case["due_at"].isoformat()},
                   "enterprise": {"status": state.status, "industry": state.industry, "size": state.size,
                                  "headcount": state.headcount}}))
    with events.atomic():
        deltas = _Deltas()
        made = raise_alerts(raised, deltas)
        deltas.write()
    return len(made)
