"""Shaped reads of rosters: progress for the waiting page and the API, a case's enrolment counts."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, Sum
from django.http import Http404
from django.urls import reverse

from qinqing.cases.models import Case, EmployeeEnrolment, Roster
from qinqing.cases.roster.rows import column_label, describe
from qinqing.cases.roster.workbooks import errors_xlsx, result_xlsx

ERRORS_SHOWN = 200  # on the page and in the API; the downloadable report lists every one


def rosters_of(case: Case) -> QuerySet[Roster]:
    return Roster.objects.filter(case=case).defer("content", "errors").order_by("-created_at", "-id")


def enrolled_count(case: Case) -> int:
    return EmployeeEnrolment.objects.filter(case=case).count()


def enrolled_by_case(cases: list[Case]) -> dict[int, int]:
    """Enrolled employees per case, for the pages that list several."""
    rows = (Roster.objects.filter(case__in=cases, status=Roster.Status.COMPLETED)
            .values("case_id").annotate(total=Sum("enrolled")))
    return {row["case_id"]: int(row["total"] or 0) for row in rows}


def shown_errors(roster: Roster, limit: int = ERRORS_SHOWN) -> list[dict[str, Any]]:
    """The first errors, each with its line, column label, value and translated reason."""
    return [{"line": e["line"], "field": e["field"], "column": column_label(e["field"]), "value": e.get("value", ""),
             "code": e["code"], "message": describe(e)} for e in (roster.errors or [])[:limit]]


def roster_progress(roster: Roster, *, with_errors: bool = True) -> dict[str, Any]:
    """Status, percent, rows and the outcome of one roster, as the page and the API show it."""
    done = roster.is_finished
    result_url = reverse("cases:roster_result", args=[roster.case_id, roster.pk]) if done and roster.status in (
        Roster.Status.COMPLETED, Roster.Status.REJECTED) else ""
    return {
        "id": roster.pk, "case_id": roster.case_id, "file": roster.original_name, "sha256": roster.sha256,
        "status": roster.status, "status_label": str(roster.get_status_display()), "percent": roster.percent,
        "rows_total": roster.rows_total, "rows_done": roster.rows_done, "enrolled": roster.enrolled,
        "error_count": roster.error_count, "finished": done, "uploaded_at": roster.created_at,
        "finished_at": roster.finished_at, "result_url": result_url,
        "errors": shown_errors(roster) if with_errors and roster.status == Roster.Status.REJECTED else [],
    }


def roster_workbook(roster: Roster) -> tuple[bytes, str]:
    """A finished roster's download: the enrolment result, or the error report of a refused roster."""
    if roster.status == Roster.Status.COMPLETED:
        labels = dict(EmployeeEnrolment.Status.choices)
        rows = ({**row, "status_label": str(labels.get(row["status"], row["status"]))}
                for row in EmployeeEnrolment.objects.filter(roster=roster).order_by("line").values(
                    "line", "name", "id_number", "hukou_type", "contribution_base", "start_month", "number",
                    "status").iterator(chunk_size=2000))
        return result_xlsx(rows), f"roster-{roster.pk}-enrolled.xlsx"
    if roster.status == Roster.Status.REJECTED:
        return errors_xlsx(roster.errors or []), f"roster-{roster.pk}-errors.xlsx"
    raise Http404
