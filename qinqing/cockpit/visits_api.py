"""/api/v1/visits and /api/v1/enterprises/{uscc}/portrait: visit tasks and the enterprise portrait."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from qinqing.accounts.http import request_user
from qinqing.cockpit.portrait import portrait_for, visit_rows
from qinqing.cockpit.services import visits as visit_services
from qinqing.cockpit.visit_queries import StatusFilter, WhoseFilter, visit_list
from qinqing.core.api import ErrorOut

router = Router(tags=["cockpit"])

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut,
                         422: ErrorOut, 429: ErrorOut}


class RecordOut(Schema):
    id: int
    visited_on: dt.date
    attendees: str
    topics: list[str]
    topic_labels: list[str]
    notes: str
    recorded_by: str


class VisitOut(Schema):
    id: int
    uscc: str
    enterprise_name: str
    region: str
    region_name: str
    origin: str
    status: str
    status_label: str
    reason: str
    assignee: str
    raised_at: dt.datetime
    due_at: dt.datetime
    due_provisional: bool
    overdue: bool
    closed_at: dt.datetime | None
    work_order: str
    records: list[RecordOut]


class VisitPage(Schema):
    items: list[VisitOut]
    next_cursor: str | None


class VisitIn(Schema):
    uscc: str = Field(..., max_length=40)
    reason: str = Field("", max_length=300)
    due_working_days: int | None = Field(None, ge=0, le=60)


class RecordIn(Schema):
    visited_on: str = Field(..., max_length=10, description="ISO date, e.g. 2026-12-07")
    attendees: str = Field(..., max_length=500)
    topics: list[str] = Field(..., max_length=4, description="policy, qa, appeal, follow_up")
    notes: str = Field("", max_length=5000)
    close: bool = True


@router.get("/visits", response={200: VisitPage, **ERRORS})
def list_visits(request: HttpRequest, whose: WhoseFilter = "node", status: StatusFilter = "open", cursor: str = "",
                limit: int = 50) -> dict[str, Any]:
    """Visit tasks in the viewer's region scope (`whose=mine`: assigned to the viewer), soonest due first."""
    page = visit_list(request_user(request), whose=whose, status=status, cursor=cursor, limit=limit)
    return {"items": visit_rows(page.items), "next_cursor": page.next_cursor}


@router.post("/visits", response={201: VisitOut, **ERRORS})
def create_visit(request: HttpRequest, payload: VisitIn) -> Status[Any]:
    """Arrange a visit to an enterprise of the viewer's scope (404 outside it; 409 when one is open)."""
    user = request_user(request)
    visit = visit_services.create_visit(user=user, uscc=payload.uscc, reason=payload.reason,
                                        due_working_days=payload.due_working_days)
    return Status(201, visit_rows([visit_services.visible_visit(user, visit.pk)])[0])


@router.get("/visits/{visit_id}", response={200: VisitOut, **ERRORS})
def get_visit(request: HttpRequest, visit_id: int) -> dict[str, Any]:
    return visit_rows([visit_services.visible_visit(request_user(request), visit_id)])[0]


@router.post("/visits/{visit_id}/record", response={201: VisitOut, **ERRORS})
def record_visit(request: HttpRequest, visit_id: int, payload: RecordIn) -> Status[Any]:
    """Write down the visit (day, attendees, topics, notes); `close` (default) closes the task."""
    user = request_user(request)
    visit = visit_services.visible_visit(user, visit_id)
    visit_services.record_visit(user=user, visit=visit, data=payload.dict(exclude={"close"}), close=payload.close)
    return Status(201, visit_rows([visit_services.visible_visit(user, visit_id)])[0])


class LocationOut(Schema):
    code: str
    name: str
    level: str
    level_label: str


class FactOut(Schema):
    field: str
    label: str
    value: str
    source: str
    source_name: str
    as_of: str


class TagOut(Schema):
    key: str
    label: str
    source: str


class PortraitPointOut(Schema):
    period: str
    headcount: Decimal | None
    tax_paid: Decimal | None
    sources: list[str]


class PortraitCaseOut(Schema):
    number: str
    title: str
    status: str
    status_label: str
    submitted_at: dt.datetime


class PortraitBundleOut(PortraitCaseOut):
    steps: int
    steps_open: int


class PortraitLicenceOut(Schema):
    number: str
    title: str
    status: str
    status_label: str
    issued_at: dt.datetime
    valid_until: dt.date | None


class PortraitEntitlementOut(Schema):
    policy: str
    title: str
    period: str
    amount: Decimal
    status: str
    status_label: str
    payout_status: str
    paid_at: dt.datetime | None


class PortraitAlertOut(Schema):
    id: int
    signal: str
    severity: str
    label: str
    raised_at: dt.datetime
    acknowledged: bool


class PortraitOut(Schema):
    uscc: str
    name: str
    location: list[LocationOut]
    facts: list[FactOut]
    tags: list[TagOut]
    series: list[PortraitPointOut]
    cases: list[PortraitCaseOut]
    licences: list[PortraitLicenceOut]
    bundles: list[PortraitBundleOut]
    policies: list[PortraitEntitlementOut]
    visits: list[VisitOut]
    alerts: list[PortraitAlertOut]


@router.get("/enterprises/{uscc}/portrait", response={200: PortraitOut, **ERRORS})
def portrait(request: HttpRequest, uscc: str) -> Any:
    """The enterprise portrait (企业画像) for staff whose region scope contains the enterprise; 404 otherwise."""
    return portrait_for(request_user(request), uscc)
