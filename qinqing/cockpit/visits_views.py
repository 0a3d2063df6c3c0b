"""Pages of visit tasks (走访任务, phone-first for grid staff) and the enterprise portrait (企业画像)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from qinqing.accounts.http import request_user
from qinqing.cockpit.errors import VisitConflict, VisitInvalid
from qinqing.cockpit.models import VisitRecord
from qinqing.cockpit.portrait import portrait_for, visit_rows
from qinqing.cockpit.services import visits as visit_services
from qinqing.cockpit.visit_queries import visit_list
from qinqing.core import clock
from qinqing.core.errors import NotFound
from qinqing.core.forms import post_bool
from qinqing.core.paging import BadCursor
from qinqing.core.web import domain_error_messages

WHOSE = ("mine", "node")
STATUSES = ("open", "overdue", "closed", "all")


@login_required
@require_http_methods(["GET", "POST"])
def visit_list_page(request: HttpRequest) -> HttpResponse:
    """走访任务: mine or my node's, by status, overdue highlighted; staff arrange a visit by USCC (POST)."""
    user = request_user(request)
    form_errors: dict[str, list[str]] = {}
    summary = ""
    if request.method == "POST":
        try:
            visit = visit_services.create_visit(user=user, uscc=request.POST.get("uscc", ""),
                                                reason=request.POST.get("reason", ""))
        except (VisitInvalid, VisitConflict, NotFound) as exc:
            shown = domain_error_messages(exc)
            summary, form_errors = shown.summary, shown.fields or {"uscc": [shown.summary]}
        else:
            return redirect("cockpit:visit", visit_id=visit.pk)
    whose = request.GET.get("whose") if request.GET.get("whose") in WHOSE else "mine"
    status = request.GET.get("status") if request.GET.get("status") in STATUSES else "open"
    try:
        page = visit_list(user, whose=whose, status=status, cursor=request.GET.get("cursor", ""))  # type: ignore[arg-type]
    except BadCursor:
        page = visit_list(user, whose=whose, status=status)  # type: ignore[arg-type]
    context = {"visits": visit_rows(page.items), "next_cursor": page.next_cursor, "whose": whose, "status": status,
               "statuses": [("open", _("Not closed")), ("overdue", _("Overdue")), ("closed", _("Closed after the visit")),
                            ("all", _("All"))],
               "form_errors": form_errors, "summary": summary, "posted": request.POST,
               "labels": {"uscc": _("Unified social credit code"), "reason": _("Purpose of the visit")}}
    return render(request, "cockpit/visits.html", context, status=422 if form_errors else 200)


def _record_data(request: HttpRequest) -> dict[str, Any]:
    return {"visited_on": request.POST.get("visited_on", ""), "attendees": request.POST.get("attendees", ""),
            "topics": request.POST.getlist("topics"), "notes": request.POST.get("notes", "")}


@login_required
@require_http_methods(["GET", "POST"])
def visit_page(request: HttpRequest, visit_id: int) -> HttpResponse:
    """One visit task with its records and the record form (POST records it; closing unless follow-up stays open)."""
    user = request_user(request)
    try:
        visit = visit_services.visible_visit(user, visit_id)
    except NotFound as exc:
        raise Http404 from exc
    errors: dict[str, list[str]] = {}
    summary = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "close":
                visit_services.close_visit(user=user, visit=visit)
            else:
                visit_services.record_visit(user=user, visit=visit, data=_record_data(request),
                                            close=not post_bool(request.POST.get("keep_open")))
        except (VisitInvalid, VisitConflict) as exc:
            shown = domain_error_messages(exc)
            summary, errors = shown.summary, shown.fields
        else:
            return redirect(reverse("cockpit:visit", kwargs={"visit_id": visit.pk}) + "#records")
    row = visit_rows([visit_services.visible_visit(user, visit_id)])[0]
    posted = request.POST if request.method == "POST" else None
    context = {"visit": row, "topics": VisitRecord.Topic.choices, "errors": errors, "summary": summary,
               "posted": posted, "posted_topics": posted.getlist("topics") if posted is not None else [],
               "today": clock.local(timezone.now()).date(),
               "labels": {"visited_on": _("Visited on"), "attendees": _("Attendees"), "topics": _("Topics"),
                          "notes": _("Notes"), "status": _("Status")}}
    return render(request, "cockpit/visit.html", context, status=422 if errors else 200)


@login_required
def portrait_page(request: HttpRequest, uscc: str) -> HttpResponse:
    """企业画像: the enterprise whole, for staff whose region scope contains it (404 otherwise)."""
    try:
        portrait = portrait_for(request_user(request), uscc)
    except NotFound as exc:
        raise Http404 from exc
    return render(request, "cockpit/portrait.html", {"p": portrait, "series_max": portrait.series_max})
