"""The seat console, availability, supervision and its report."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from qinqing.accounts.http import request_user
from qinqing.servicedesk import queries
from qinqing.servicedesk.views._common import (
    seat_of,
)

# ---- staff ----------------------------------------------------------------------------------------


@login_required
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    """The seat console: waiting and active chats with live countdowns, work orders, hand-overs to accept."""
    user = request_user(request)
    seat_of(user)
    return render(request, "servicedesk/console.html", {"c": queries.console(user)})


@login_required
@require_POST
def availability(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    desk = seat_of(user)
    desk.available = request.POST.get("available") == "1"
    desk.save(update_fields=["available"])
    return redirect("servicedesk:console")


@login_required
@require_GET
def supervise(request: HttpRequest) -> HttpResponse:
    """Overdue and near-due items in scope, reassign and 催办, and the report by level, role, person, region."""
    user = request_user(request)
    if not seat_of(user).is_supervisor:
        raise PermissionDenied
    data = queries.report(user)
    return render(request, "servicedesk/supervise.html", {
        "due": queries.overdue_and_near(user), "report": data, "colleagues": queries.staff_in_scope(user),
        "by_level": queries.group_report(data["rows"], "level"),
        "by_region": queries.group_report(data["rows"], "region"),
        "by_role": queries.group_report(data["rows"], "roles")})


@login_required
@require_GET
def report_xlsx(request: HttpRequest) -> HttpResponse:
    """The supervision report as an Excel workbook: one sheet per grouping."""
    from openpyxl import Workbook

    user = request_user(request)
    if not seat_of(user).is_supervisor:
        raise PermissionDenied
    data = queries.report(user)
    book = Workbook()
    sheets = (("person", data["rows"]), ("level", queries.group_report(data["rows"], "level")),
              ("roles", queries.group_report(data["rows"], "roles")),
              ("region", queries.group_report(data["rows"], "region")))
    levels = [label for _value, label in data["rating_levels"]]
    for index, (key, rows) in enumerate(sheets):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = key
        sheet.append([key, "已办结", "首次响应", "按时响应", "达标率%", "超时督办", *[str(x) for x in levels]])
        for row in rows:
            sheet.append([row[key] if key != "person" else row["person"], row["closed"], row["first"], row["on_time"],
                          row["attainment"], row["breaches"], *row["ratings"].values()])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="servicedesk-report.xlsx"'
    return response


# ---- attachments ----------------------------------------------------------------------------------
