"""Roster endpoints: upload (202, polled), progress, the result workbook, the template."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from qinqing.accounts.http import request_user
from qinqing.cases.models import Case, Roster
from qinqing.cases.queries import cases_for
from qinqing.cases.roster.queries import enrolled_count, roster_progress, roster_workbook, rosters_of
from qinqing.cases.roster.workbooks import XLSX, template_xlsx
from qinqing.cases.services.enrolment import receive_roster, takes_roster
from qinqing.core.api import ErrorOut

router = Router(tags=["rosters"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}


class RosterErrorOut(Schema):
    line: int
    field: str
    column: str
    value: str
    code: str
    message: str


class RosterOut(Schema):
    id: int
    case_id: int
    file: str
    sha256: str
    status: str
    status_label: str
    percent: int
    rows_total: int
    rows_done: int
    enrolled: int
    error_count: int
    finished: bool
    uploaded_at: dt.datetime
    finished_at: dt.datetime | None = None
    result_url: str
    errors: list[RosterErrorOut]


class RostersOut(Schema):
    case_id: int
    enrolled: int
    rosters: list[RosterOut]


def _out(roster: Roster, *, with_errors: bool = True) -> dict[str, Any]:
    out = roster_progress(roster, with_errors=with_errors)
    if out["result_url"]:
        out["result_url"] = f"/api/v1/cases/{roster.case_id}/rosters/{roster.pk}/result"
    return out


def _roster_case(request: HttpRequest, case_id: int) -> Case:
    case = get_object_or_404(cases_for(request_user(request)), pk=case_id)
    if not takes_roster(case):
        raise Http404
    return case


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get("/rosters/template", response={200: None, **ERRORS})
def template(request: HttpRequest) -> HttpResponse:
    """The roster template (.xlsx): Chinese headers, one example row, instructions."""
    return _xlsx(template_xlsx(today=timezone.localdate()), "roster-template.xlsx")


@router.post("/cases/{case_id}/rosters", response={200: RosterOut, 202: RosterOut, **ERRORS})
def upload(request: HttpRequest, case_id: int, file: File[UploadedFile]) -> Status[dict[str, Any]]:
    """Upload a roster (.xlsx or .csv) for an approved enrolment case: 202 and poll its progress.

    The same file again answers 200 with the first roster: nobody is enrolled twice.
    """
    case = _roster_case(request, case_id)
    roster, created = receive_roster(case=case, user=request_user(request),
                                     content=file.read(settings.QINQING_MAX_UPLOAD_BYTES + 1),
                                     filename=file.name or "roster")
    roster.refresh_from_db()
    return Status(202 if created else 200, _out(roster))


@router.get("/cases/{case_id}/rosters", response={200: RostersOut, **ERRORS})
def list_rosters(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """The case's rosters, newest first, and how many employees it has enrolled."""
    case = _roster_case(request, case_id)
    return {"case_id": case.pk, "enrolled": enrolled_count(case),
            "rosters": [_out(r, with_errors=False) for r in rosters_of(case)[:100]]}


@router.get("/cases/{case_id}/rosters/{roster_id}", response={200: RosterOut, **ERRORS})
def progress(request: HttpRequest, case_id: int, roster_id: int) -> dict[str, Any]:
    """One roster's progress (status, percent, rows done) and outcome, with the first errors."""
    case = _roster_case(request, case_id)
    return _out(get_object_or_404(Roster.objects.defer("content"), pk=roster_id, case=case))


@router.get("/cases/{case_id}/rosters/{roster_id}/result", response={200: None, **ERRORS})
def result(request: HttpRequest, case_id: int, roster_id: int) -> HttpResponse:
    """The finished roster as .xlsx: every employee's enrolment number and status, or every error."""
    case = _roster_case(request, case_id)
    roster = get_object_or_404(Roster.objects.defer("content"), pk=roster_id, case=case)
    content, filename = roster_workbook(roster)
    return _xlsx(content, filename)
