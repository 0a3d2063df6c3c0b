"""/api/v1/cockpit/{region_code}/summary|timeseries|alerts|enterprises and acknowledging an alert.

A region outside the caller's scope answers 404 like an unknown one; bad dates and filters 422 per field.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.params.functions import Query as QueryParam

from qinqing.accounts.http import request_user
from qinqing.cockpit import queries
from qinqing.cockpit.classify import tag_list
from qinqing.cockpit.models import Alert, EnterpriseState
from qinqing.cockpit.services.alerts import acknowledge_alert
from qinqing.core.api import ErrorOut
from qinqing.core.errors import ValidationFailed
from qinqing.core.paging import DEFAULT_LIMIT

router = Router(tags=["cockpit"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class NodeOut(Schema):
    code: str
    name: str
    level: str


class PolicyPayoutOut(Schema):
    policy: str
    count: int
    amount: Decimal


class ChildOut(NodeOut):
    enterprises: int
    registered_30d: int
    payouts_amount: Decimal
    alerts_open: int


class SummaryOut(Schema):
    node: NodeOut
    breadcrumb: list[NodeOut]
    today: dt.date
    year_start: dt.date
    enterprises: int
    by_status: dict[str, int]
    by_industry: dict[str, int]
    by_size: dict[str, int]
    by_capital_band: dict[str, int]
    by_tag: dict[str, int]
    registered_30d: int
    deregistered_30d: int
    moved_in_30d: int
    moved_out_30d: int
    payouts_count: int
    payouts_amount: Decimal
    payouts_by_policy: list[PolicyPayoutOut]
    cases_handled: int
    miaoban_share: Decimal | None
    alerts_open: int
    visits_open: int
    visits_overdue: int
    children: list[ChildOut]


class PointOut(Schema):
    start: dt.date
    value: Decimal | int


class SeriesOut(Schema):
    node: NodeOut
    measure: str
    interval: str
    date_from: dt.date
    date_to: dt.date
    points: list[PointOut]


class EnterpriseOut(Schema):
    uscc: str
    name: str
    region: str
    status: str
    industry: str
    size: str
    capital: Decimal | None
    capital_band: str
    tags: list[str]
    headcount: int | None
    established_on: dt.date | None


class EnterprisePageOut(Schema):
    items: list[EnterpriseOut]
    next_cursor: str | None


class AlertOut(Schema):
    id: int
    rule: str
    rule_name: str
    signal: str
    severity: str
    region: str
    uscc: str
    enterprise_name: str
    detail: dict[str, Any]
    raised_at: dt.datetime
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None


class AlertPageOut(Schema):
    items: list[AlertOut]
    next_cursor: str | None


class EnterpriseQuery(Schema):
    status: str = ""
    industry: str = ""
    tag: str = ""
    capital_band: str = ""
    q: str = ""
    cursor: str = ""
    limit: int = DEFAULT_LIMIT


def _node(node: Any) -> dict[str, str]:
    return {"code": node.code, "name": node.name, "level": node.level}


def _last_code(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    return parts[-1] if parts else ""


def _enterprise(row: EnterpriseState) -> dict[str, Any]:
    return {"uscc": row.uscc, "name": row.name, "region": _last_code(row.path), "status": row.status,
            "industry": row.industry, "size": row.size, "capital": row.capital, "capital_band": row.capital_band,
            "tags": tag_list(row.tags), "headcount": row.headcount, "established_on": row.established_on}


def alert_out(alert: Alert) -> dict[str, Any]:
    by = alert.acknowledged_by
    return {"id": alert.pk, "rule": alert.rule.key, "rule_name": alert.rule.name, "signal": alert.signal,
            "severity": alert.severity, "region": _last_code(alert.path), "uscc": alert.uscc,
            "enterprise_name": alert.enterprise_name, "detail": alert.detail, "raised_at": alert.raised_at,
            "acknowledged_by": (by.display_name or by.username) if by is not None else None,
            "acknowledged_at": alert.acknowledged_at}


def _link_next(request: HttpRequest, response: HttpResponse, cursor: str | None) -> None:
    if cursor is None:
        return
    query = request.GET.copy()
    query["cursor"] = cursor
    response["Link"] = f'<{request.build_absolute_uri(request.path)}?{query.urlencode()}>; rel="next"'


@router.get("/cockpit/{region_code}/summary", response={200: SummaryOut, **ERRORS})
def summary(request: HttpRequest, region_code: str) -> dict[str, Any]:
    """A node's cards for its whole subtree, its breadcrumb and its children (moves: 30 days; payouts, cases: this year)."""
    node = queries.viewable_node(request_user(request), region_code)
    figures = queries.summary(node)
    out = {name: getattr(figures, name) for name in SummaryOut.model_fields if hasattr(figures, name)}
    out["payouts_by_policy"] = [{"policy": p, "count": n, "amount": a} for p, n, a in figures.payouts_by_policy]
    out["node"] = _node(node)
    out["breadcrumb"] = [_node(r) for r in queries.breadcrumb(node)]
    out["children"] = [vars(c) for c in queries.children(node)]
    return out


def _date(raw: str, name: str, errors: dict[str, list[str]]) -> dt.date | None:
    if not raw.strip():
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        errors[name] = [_("Not a date: write it as YYYY-MM-DD.")]
        return None


@router.get("/cockpit/{region_code}/timeseries", response={200: SeriesOut, **ERRORS})
def timeseries(request: HttpRequest, region_code: str, measure: str = "", interval: str = "day",
               date_from: str = QueryParam("", alias="from"), date_to: str = QueryParam("", alias="to")) -> dict[str, Any]:
    """One measure of a node over time: `from`/`to` (YYYY-MM-DD, inclusive), `interval` day, week or month."""
    node = queries.viewable_node(request_user(request), region_code)
    errors: dict[str, list[str]] = {}
    first, last = _date(date_from, "from", errors), _date(date_to, "to", errors)
    try:
        queries.check_series(measure, first, last, interval)
    except ValidationFailed as exc:
        for name, messages in exc.errors.items():
            errors.setdefault(name, [str(m) for m in messages])
    if errors or first is None or last is None:
        raise ValidationFailed(_("The time series cannot be drawn: check the highlighted fields."), errors=errors)
    points = queries.timeseries(node, measure, first, last, interval)
    return {"node": _node(node), "measure": measure, "interval": interval, "date_from": first, "date_to": last,
            "points": [{"start": p.start, "value": p.value} for p in points]}


@router.get("/cockpit/{region_code}/enterprises", response={200: EnterprisePageOut, **ERRORS})
def enterprises(request: HttpRequest, response: HttpResponse, region_code: str,
                params: Query[EnterpriseQuery]) -> dict[str, Any]:
    """The node's enterprises in USCC order, a page at a time (`next_cursor`, and a `Link` header).

    Filters: `status` (active, abnormal, revoked, deregistered, moved_out, or in_business), `industry`
    (GB/T 4754 section letter), `tag` (high_tech, specialised, above_scale), `capital_band`, `q` (the start
    of a name or a USCC).
    """
    node = queries.viewable_node(request_user(request), region_code)
    filters = queries.EnterpriseFilters(status=params.status.strip(), industry=params.industry.strip(),
                                        tag=params.tag.strip(), capital_band=params.capital_band.strip(), q=params.q)
    page = queries.enterprises(node, filters=filters, cursor=params.cursor, limit=params.limit)
    _link_next(request, response, page.next_cursor)
    return {"items": [_enterprise(e) for e in page.items], "next_cursor": page.next_cursor}


@router.get("/cockpit/{region_code}/alerts", response={200: AlertPageOut, **ERRORS})
def alerts(request: HttpRequest, response: HttpResponse, region_code: str, cursor: str = "",
           limit: int = DEFAULT_LIMIT, open_only: bool = False) -> dict[str, Any]:
    """The node's alert feed (预警动态), newest first, a page at a time; `open_only` leaves out acknowledged ones."""
    node = queries.viewable_node(request_user(request), region_code)
    page = queries.alerts(node, cursor=cursor, limit=limit, open_only=open_only)
    _link_next(request, response, page.next_cursor)
    return {"items": [alert_out(a) for a in page.items], "next_cursor": page.next_cursor}


@router.post("/cockpit/alerts/{alert_id}/acknowledge", response={200: AlertOut, **ERRORS})
def acknowledge(request: HttpRequest, alert_id: int) -> dict[str, Any]:
    """Mark an alert of the caller's region as seen (staff whose scope holds it; others get 404)."""
    alert = acknowledge_alert(alert_id=alert_id, user=request_user(request))
    return alert_out(Alert.objects.select_related("rule", "acknowledged_by").get(pk=alert.pk))
