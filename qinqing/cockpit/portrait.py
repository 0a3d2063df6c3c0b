"""The enterprise portrait (企业画像): one enterprise whole, for staff whose region scope contains it.

Registration facts with their sources, location down to the unit, tags, headcount and tax over time,
cases and licences, 一件事 in progress, policies and payouts, visits and alerts. Every section is read
for one enterprise; the caller authorised it through `locate_for` (404 outside the viewer's scope).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.cases.models import Case, Licence
from qinqing.cases.workflow import OPEN_STATUSES
from qinqing.cockpit.locate import Located, locate_for
from qinqing.cockpit.models import Alert, Visit
from qinqing.core import clock
from qinqing.core.i18n import english
from qinqing.datahub.models import Source
from qinqing.datahub.queries import REGISTRY, records_for
from qinqing.datahub.rows.fields import field_specs
from qinqing.policies.models import Entitlement
from qinqing.regions.models import Region

REGISTRY_FIELDS = ("name", "legal_representative", "registered_capital", "industry_name", "industry_code",
                   "entity_type", "address", "region_code", "established_on", "status")
YES = frozenset({"是", "yes", "Yes", "true", "1"})
NO = frozenset({"", "否", "no", "No", "false", "0", "无"})


@dataclass(frozen=True)
class Portrait:
    uscc: str
    name: str
    location: list[dict[str, str]]
    facts: list[dict[str, str]]
    tags: list[dict[str, str]]
    series: list[dict[str, Any]]
    cases: list[dict[str, Any]]
    licences: list[dict[str, Any]]
    bundles: list[dict[str, Any]]
    policies: list[dict[str, Any]]
    visits: list[dict[str, Any]]
    alerts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def series_max(self) -> dict[str, Decimal]:
        """The largest headcount and tax of the series (bar lengths of the page's small chart)."""
        out: dict[str, Decimal] = {}
        for key in ("headcount", "tax_paid"):
            values = [Decimal(str(row[key])) for row in self.series if row.get(key) is not None]
            out[key] = max(values) if values else Decimal(0)
        return out


def location(region: Region) -> list[dict[str, str]]:
    """The region nodes from the city down to the enterprise's node (unit, floor, building, community…)."""
    codes = [c for c in region.path.split("/") if c]
    nodes = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [{"code": c, "name": nodes[c].name, "level": nodes[c].level, "level_label": str(nodes[c].get_level_display())}
            for c in codes if c in nodes]


def _registry_facts(found: Located) -> list[dict[str, str]]:
    record = found.registry
    if record is None:
        return [{"field": "name", "label": _("Enterprise name"), "value": found.name,
                 "source": "platform", "source_name": _("This platform's account"), "as_of": ""}]
    source = Source.objects.get(code=REGISTRY)
    specs = {s.name: s for s in field_specs(source)}
    en = english()
    out: list[dict[str, str]] = []
    for name in REGISTRY_FIELDS:
        spec = specs.get(name)
        value = getattr(record, name)
        shown = spec.display_value(value if not isinstance(value, dt.date) else value.isoformat(), en) if spec \
            else str(value)
        out.append({"field": name, "label": spec.display_label(en) if spec else name, "value": shown,
                    "source": source.code, "source_name": source.name_en if en and source.name_en else source.name,
                    "as_of": clock.local(record.as_of).strftime("%Y-%m-%d %H:%M")})
    return out


def _tags(uscc: str) -> list[dict[str, str]]:
    tags: list[dict[str, str]] = []
    seen: set[str] = set()

    def add(key: str, label: str, source: str) -> None:
        if key not in seen:
            seen.add(key)
            tags.append({"key": key, "label": label, "source": source})

    for source in ("enterprise_indicators", "enterprise_annual"):
        for record in records_for(uscc, source)[:1]:
            data = record.data
            if str(data.get("high_tech") or "") in YES:
                add("high_tech", _("High-tech enterprise"), record.source_name)
            specialised = str(data.get("specialised") or "")
            if specialised not in NO:
                level = specialised if specialised not in YES else ""
                add("specialised", _("Specialised and innovative") + (f"（{level}）" if level else ""),
                    record.source_name)
            if str(data.get("above_scale") or "") in YES:
                add("above_scale", _("Above designated size"), record.source_name)
    for record in records_for(uscc, "qualifications"):
        add(f"qualification:{record.key}", f"{record.data.get('type') or ''} {record.data.get('level') or ''}".strip(),
            record.source_name)
    return tags


def _number(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _series(uscc: str) -> list[dict[str, Any]]:
    """Headcount and tax by period: monthly sources when held, else the annual reports; oldest first."""
    rows: dict[str, dict[str, Any]] = {}

    def put(period: str, key: str, value: Decimal | None, source: str) -> None:
        if value is None or not period:
            return
        row = rows.setdefault(period, {"period": period, "headcount": None, "tax_paid": None, "sources": []})
        if row[key] is None:
            row[key] = value
            if source not in row["sources"]:
                row["sources"].append(source)

    for record in records_for(uscc, "social_monthly"):
        put(str(record.data.get("period") or ""), "headcount", _number(record.data.get("insured_count")),
            record.source_name)
    for record in records_for(uscc, "tax_monthly"):
        put(str(record.data.get("period") or ""), "tax_paid", _number(record.data.get("tax_paid")), record.source_name)
    if not rows:
        for record in records_for(uscc, "enterprise_annual"):
            year = str(record.data.get("year") or "")
            put(year, "headcount", _number(record.data.get("employees")), record.source_name)
            put(year, "tax_paid", _number(record.data.get("tax_paid")), record.source_name)
        for record in records_for(uscc, "enterprise_indicators"):
            put(str(record.data.get("period") or ""), "tax_paid", _number(record.data.get("tax_paid")),
                record.source_name)
        for record in records_for(uscc, "social_insurance")[:1]:
            as_of = clock.local(record.as_of).strftime("%Y-%m")
            put(as_of, "headcount", _number(record.data.get("insured_count")), record.source_name)
    return [rows[k] for k in sorted(rows)][-24:]


def _cases(found: Located) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    if found.enterprise is None:
        return [], [], []
    rows = (Case.objects.filter(enterprise=found.enterprise).select_related("matter")
            .order_by("-submitted_at", "-id")[:20])
    cases = [{"number": c.number, "title": c.display_title, "status": c.status, "status_label": c.get_status_display(),
              "submitted_at": c.submitted_at, "bundle": c.bundle_code, "parent": c.parent_id is not None} for c in rows]
    bundles = [{"number": c.number, "title": c.display_title, "status": c.status,
                "status_label": c.get_status_display(), "submitted_at": c.submitted_at,
                "steps": c.children.count(), "steps_open": c.children.filter(status__in=OPEN_STATUSES).count()}
               for c in Case.objects.filter(enterprise=found.enterprise, parent__isnull=True)
               .exclude(bundle_code="").filter(status__in=OPEN_STATUSES).order_by("-submitted_at")[:10]]
    licences = [{"number": lic.number, "title": lic.title, "status": lic.status,
                 "status_label": lic.get_status_display(), "issued_at": lic.issued_at, "valid_until": lic.valid_until}
                for lic in Licence.objects.filter(enterprise=found.enterprise).order_by("-issued_at")[:20]]
    return cases, licences, bundles


def _policies(found: Located) -> list[dict[str, Any]]:
    if found.enterprise is None:
        return []
    rows = Entitlement.objects.filter(enterprise=found.enterprise).select_related("policy").order_by("-created_at")[:20]
    out = []
    for e in rows:
        payout = getattr(e, "payout", None)
        out.append({"policy": e.policy.code, "title": e.policy.title, "period": e.period, "amount": e.amount,
                    "status": e.status, "status_label": e.get_status_display(),
                    "payout_status": payout.status if payout else "",
                    "payout_label": payout.get_status_display() if payout else "",
                    "paid_at": payout.paid_at if payout else None})
    return out


def place_labels(regions: list[Region]) -> dict[str, str]:
    """A short place of each node, from its community or park down (东信社区 东方通信科技园 5层 502室), one query."""
    codes = {c for r in regions for c in r.path.split("/")[3:] if c}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    return {r.code: " ".join(names.get(c, c) for c in r.path.split("/")[3:] if c) or r.name for r in regions}


def visit_rows(visits: list[Visit], now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Visits as the portrait and the API show them, records included."""
    moment = now or timezone.now()
    places = place_labels([v.region for v in visits])
    out = []
    for v in visits:
        out.append({"id": v.pk, "uscc": v.uscc, "enterprise_name": v.enterprise_name, "region": v.region.code,
                    "region_name": places.get(v.region.code, v.region.name), "origin": v.origin,
                    "origin_label": v.get_origin_display(),
                    "status": v.status, "status_label": v.get_status_display(), "reason": v.reason,
                    "assignee": v.assignee.username if v.assignee else "",
                    "assignee_name": str(v.assignee) if v.assignee else "",
                    "raised_at": v.raised_at, "due_at": v.due_at, "due_provisional": v.due_provisional,
                    "overdue": v.is_overdue(moment), "closed_at": v.closed_at,
                    "work_order": v.work_order.number if v.work_order_id and v.work_order else "",
                    "records": [{"id": r.pk, "visited_on": r.visited_on, "attendees": r.attendees, "topics": r.topics,
                                 "topic_labels": r.topic_labels(), "notes": r.notes,
                                 "recorded_by": str(r.recorded_by)} for r in v.records.all()]})
    return out


def alerts_of(uscc: str) -> list[dict[str, Any]]:
    """The enterprise's alerts from the cockpit's alert feed, newest first."""
    rows = Alert.objects.filter(uscc=uscc).order_by("-raised_at", "-id")[:20]
    return [{"id": a.pk, "signal": a.signal, "severity": a.severity, "raised_at": a.raised_at,
             "label": a.get_signal_display(), "severity_label": a.get_severity_display(),
             "acknowledged": a.acknowledged_at is not None} for a in rows]


def portrait_for(user: object, uscc: str) -> Portrait:
    """The whole portrait of an enterprise in the user's region scope; NotFound (404) otherwise."""
    found = locate_for(user, uscc)
    cases, licences, bundles = _cases(found)
    visits = list(Visit.objects.filter(uscc=found.uscc).select_related("region", "assignee", "work_order")
                  .prefetch_related("records__recorded_by").order_by("-raised_at"))
    return Portrait(uscc=found.uscc, name=found.name, location=location(found.region),
                    facts=_registry_facts(found), tags=_tags(found.uscc), series=_series(found.uscc), cases=cases,
                    licences=licences, bundles=bundles, policies=_policies(found), visits=visit_rows(visits),
                    alerts=alerts_of(found.uscc))
