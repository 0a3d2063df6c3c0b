"""Pages of a roster: upload (with the template), the progress polled by htmx, the result workbook."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from qinqing.accounts.http import request_user
from qinqing.cases.models import Case, Roster
from qinqing.cases.queries import cases_for
from qinqing.cases.roster.policy import roster_policy
from qinqing.cases.roster.queries import enrolled_count, roster_progress, roster_workbook, rosters_of
from qinqing.cases.roster.workbooks import XLSX, template_xlsx
from qinqing.cases.services.enrolment import receive_roster, takes_roster
from qinqing.cases.workflow import Status
from qinqing.core.errors import DomainError
from qinqing.core.web import domain_error_messages


def _attachment(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def template(request: HttpRequest) -> HttpResponse:
    """The roster template: Chinese headers, one example row, instructions (no data of anyone)."""
    return _attachment(template_xlsx(today=timezone.localdate()), "roster-template.xlsx")


def _roster_case(request: HttpRequest, pk: int) -> Case:
    case = get_object_or_404(cases_for(request_user(request)), pk=pk)
    if not takes_roster(case):
        raise Http404
    return case


def _receive(request: HttpRequest, case: Case) -> Roster | list[str]:
    """The posted roster, received; or the messages that say why not."""
    file = request.FILES.get("roster")
    if file is None:
        return [_("Choose the roster file (.xlsx or .csv).")]
    try:
        roster, _created = receive_roster(case=case, user=request_user(request), filename=file.name or "roster",
                                          content=file.read(settings.QINQING_MAX_UPLOAD_BYTES + 1))
    except DomainError as exc:
        shown = domain_error_messages(exc)
        return [m for msgs in shown.fields.values() for m in msgs] or [shown.summary]
    return roster


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a roster for an enrolment case; list the case's rosters and the employees enrolled."""
    case = _roster_case(request, pk)
    errors: list[str] = []
    if request.method == "POST":
        received = _receive(request, case)
        if isinstance(received, Roster):
            return redirect("cases:roster_progress", pk=case.pk, roster_id=received.pk)
        errors = received
    return render(request, "cases/roster_upload.html", {
        "case": case, "rosters": [roster_progress(r, with_errors=False) for r in rosters_of(case)[:50]],
        "enrolled": enrolled_count(case), "errors": errors, "may_upload": case.status == Status.APPROVED,
        "policy": roster_policy(), "bounds": roster_policy().bounds,
    }, status=422 if errors else 200)


@login_required
def progress(request: HttpRequest, pk: int, roster_id: int) -> HttpResponse:
    """The waiting page; with htmx, only the progress block (polled every second until done)."""
    case = _roster_case(request, pk)
    roster = get_object_or_404(Roster.objects.defer("content"), pk=roster_id, case=case)
    context = {"case": case, "roster": roster_progress(roster), "enrolled": enrolled_count(case)}
    if getattr(request, "htmx", False):
        return render(request, "cases/_roster_progress.html", context)
    return render(request, "cases/roster_progress.html", context)


@login_required
def result(request: HttpRequest, pk: int, roster_id: int) -> HttpResponse:
    """The finished roster as .xlsx: each employee's enrolment number and status, or every error."""
    case = _roster_case(request, pk)
    roster = get_object_or_404(Roster.objects.defer("content"), pk=roster_id, case=case)
    content, filename = roster_workbook(roster)
    return _attachment(content, filename)
