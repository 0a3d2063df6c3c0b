"""Employee rosters (职工花名册): accept the file, check every row, enrol all employees at once.

`receive_roster` takes the upload (type checked by content, the same file again replays the first
roster) and queues `process_roster` on the task queue; that reads and checks every row, storing its
progress on the roster row as it goes, and enrols the whole roster in one transaction, or nobody
when any row is wrong. One audit record per roster, with the count and the file's SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import Enterprise, User
from qinqing.audit.services import record_event
from qinqing.cases.errors import RosterRefused, TransitionRefused
from qinqing.cases.models import Case, CaseEvent, EmployeeEnrolment, Roster
from qinqing.cases.roster.policy import roster_policy
from qinqing.cases.roster.reading import SheetProblem, read_sheet, sniff
from qinqing.cases.roster.rows import Context, EmployeeRow, RowError, check_rows, describe, map_header
from qinqing.cases.uploads import display_name
from qinqing.cases.workflow import Status
from qinqing.core import events
from qinqing.core.events import EmployeesEnrolled
from qinqing.core.idempotency import once
from qinqing.datahub.queries import facts_for

log = logging.getLogger(__name__)
BATCH = 2000
# Progress: reading the file takes up to READ_SHARE % of the bar, checking rows up to CHECK_SHARE %.
READ_SHARE = 40
CHECK_SHARE = 90
# 50,000 rows take about a minute; a roster still unfinished after this had its worker die.
STALLED_AFTER = dt.timedelta(minutes=30)


def takes_roster(case: Case) -> bool:
    """Whether the case's matter enrols employees by roster (data: `cases/data/employee_roster.json`)."""
    return case.matter is not None and case.matter.code in roster_policy().matters


def _acting_for(case: Case, user: User) -> str:
    if user.is_enterprise and user.enterprise_id == case.enterprise_id:
        return ""
    if user.is_agent and Case.objects.visible_to(user).filter(pk=case.pk).exists():
        return str(case.enterprise)
    raise TransitionRefused(_("Only the enterprise, or its authorised agent, may upload a roster."))


def _refuse(code: str, **params: Any) -> RosterRefused:
    message = describe({"code": code, "params": params})
    return RosterRefused(message, errors={"file": [message]})


def receive_roster(*, case: Case, user: User, content: bytes, filename: str) -> tuple[Roster, bool]:
    """Accept a roster for an approved enrolment case and queue its check; return (roster, created).

    The same file uploaded again for the same case returns the first roster (never enrolled twice);
    a roster that failed for a technical reason, or whose worker died, is queued again.
    """
    acting_for = _acting_for(case, user)
    if not takes_roster(case):
        raise TransitionRefused(_("This matter does not take an employee roster."))
    if case.status != Status.APPROVED:
        raise TransitionRefused(_("Upload the roster once this registration is approved."))
    limit = settings.QINQING_MAX_UPLOAD_BYTES
    if len(content) > limit:
        raise _refuse("too_large", mb=limit // (1024 * 1024))
    try:
        kind = sniff(content)
    except SheetProblem as problem:
        raise _refuse(problem.code, **problem.params) from None
    digest = hashlib.sha256(content).hexdigest()

    def lookup() -> Roster | None:
        return Roster.objects.filter(case=case, sha256=digest).first()

    def create() -> Roster:
        roster = Roster.objects.create(
            case=case, enterprise_id=case.enterprise_id, uploaded_by=user, acting_for=acting_for,
            original_name=display_name(filename), file_kind=kind, content=content, size=len(content),
            sha256=digest,
        )
        _enqueue_after_commit(roster.pk)
        return roster

    def replay(existing: Roster) -> Roster:
        if existing.status == Roster.Status.FAILED or _stalled(existing):
            Roster.objects.filter(pk=existing.pk).update(status=Roster.Status.QUEUED, percent=0, rows_done=0)
            _enqueue_after_commit(existing.pk)
            existing.refresh_from_db()
        return existing

    return once(lookup=lookup, create=create, replay=replay, atomic=events.atomic)


def _stalled(roster: Roster) -> bool:
    """Unfinished long after any roster would have finished: its worker died (the row says where it stopped)."""
    return not roster.is_finished and timezone.now() - roster.created_at > STALLED_AFTER


def _enqueue_after_commit(roster_id: int) -> None:
    from qinqing.cases.tasks import process_roster_task

    # robust: a queue that cannot be reached leaves the roster queued, it does not fail the upload.
    transaction.on_commit(lambda: process_roster_task(roster_id), robust=True)


def _claim(roster_id: int) -> bool:
    """Move a queued roster to reading; False when another run has it or it is done (a retried task)."""
    return bool(Roster.objects.filter(pk=roster_id, status=Roster.Status.QUEUED)
                .update(status=Roster.Status.READING))


def _progress(roster_id: int, **fields: Any) -> None:
    # Outside any transaction: each update commits at once, so the waiting page sees it.
    Roster.objects.filter(pk=roster_id).update(**fields)


def _city(enterprise: Enterprise, facts: dict[str, Any]) -> str:
    region = enterprise.region
    if region is not None and len(region.code) >= 4:
        return region.code[:4] + "00"
    code = facts.get("registry.region_code")
    text = str(code.value) if code is not None and code.value is not None else ""
    return text[:4] + "00" if len(text) >= 4 else ""


def _context(roster: Roster) -> Context:
    enterprise = roster.enterprise
    facts = facts_for(enterprise.uscc)
    established = facts.get("registry.established_on")
    enrolled = dict(EmployeeEnrolment.objects.filter(enterprise=enterprise).values_list("id_number", "number"))
    return Context(
        policy=roster_policy(), city=_city(enterprise, facts), today=timezone.localdate(),
        established=established.value if established is not None and isinstance(established.value, dt.date) else None,
        enrolled=enrolled,
    )


def process_roster(*, roster_id: int) -> Roster:
    """Read and check a queued roster, then enrol every employee at once, or nobody.

    Progress (status, percent, rows) is committed on the roster row as the work goes; the
    enrolment itself is one transaction. A technical failure marks the roster failed: uploading
    the same file again queues it again.
    """
    if not _claim(roster_id):
        return Roster.objects.get(pk=roster_id)
    try:
        return _process(Roster.objects.select_related("case", "enterprise__region", "uploaded_by").get(pk=roster_id))
    except Exception:  # recorded on the row, which the waiting page shows; the log has the details
        log.exception("roster %s failed", roster_id)
        _progress(roster_id, status=Roster.Status.FAILED, finished_at=timezone.now())
        return Roster.objects.get(pk=roster_id)


def _process(roster: Roster) -> Roster:
    policy = roster_policy()

    def read_progress(done: int, expected: int) -> None:
        share = min(READ_SHARE, READ_SHARE * done // expected) if expected else 0
        _progress(roster.pk, rows_done=done, rows_total=max(expected, done), percent=share)

    try:
        sheet = read_sheet(bytes(roster.content), roster.file_kind, max_rows=policy.max_rows, progress=read_progress)
    except SheetProblem as problem:
        return _reject(roster, [RowError(0, "", problem.code, params=problem.params or None)], rows=0)
    columns, missing = map_header(sheet.header)
    total = len(sheet.rows)
    if missing:
        return _reject(roster, missing, rows=total)
    _progress(roster.pk, status=Roster.Status.VALIDATING, rows_total=total, rows_done=0, percent=READ_SHARE)

    def check_progress(done: int) -> None:
        _progress(roster.pk, rows_done=done, percent=READ_SHARE + (CHECK_SHARE - READ_SHARE) * done // total)

    clean, errors = check_rows(sheet.rows, columns, _context(roster), progress=check_progress)
    if errors:
        return _reject(roster, errors, rows=total)
    _progress(roster.pk, status=Roster.Status.ENROLLING, rows_done=total, percent=CHECK_SHARE)
    return _enrol(roster, clean)


def _reject(roster: Roster, errors: list[RowError], *, rows: int) -> Roster:
    """Keep every error on the roster; nobody is enrolled."""
    with events.atomic():
        roster = Roster.objects.select_for_update().get(pk=roster.pk)
        roster.status = Roster.Status.REJECTED
        roster.errors = [e.as_json() for e in errors]
        roster.error_count = len(errors)
        roster.rows_total = rows
        roster.percent = 100
        roster.finished_at = timezone.now()
        roster.content = b""
        roster.save()
        record_event(actor=roster.uploaded_by, action="roster.rejected", obj=roster.case, acting_for=roster.acting_for,
                     after=_summary(roster, bad_lines=len({e.line for e in errors})))
    return roster


def _summary(roster: Roster, **extra: Any) -> dict[str, Any]:
    return {"roster": roster.pk, "file": roster.original_name, "sha256": roster.sha256, "rows": roster.rows_total,
            "enrolled": roster.enrolled, "errors": roster.error_count, **extra}


def _numbers(roster: Roster, rows: list[EmployeeRow], now: dt.datetime) -> Iterator[EmployeeEnrolment]:
    prefix = f"ZG{timezone.localtime(now):%Y%m}{roster.pk:07d}"
    for index, row in enumerate(rows, start=1):
        yield EmployeeEnrolment(
            number=f"{prefix}{index:05d}", case_id=roster.case_id, roster_id=roster.pk,
            enterprise_id=roster.enterprise_id, line=row.line, name=row.name, id_number=row.id_number,
            hukou_type=row.hukou_type, contribution_base=row.contribution_base, start_month=row.start_month,
            status=EmployeeEnrolment.Status.ENROLLED, enrolled_at=now,
        )


def _enrol(roster: Roster, rows: list[EmployeeRow]) -> Roster:
    """Enrol every employee of a clean roster in one transaction: all of them, or (on any error) none."""
    now = timezone.now()
    with events.atomic():
        roster = (Roster.objects.select_for_update(of=("self",))
                  .select_related("case", "enterprise__region", "uploaded_by").get(pk=roster.pk))
        if roster.status == Roster.Status.COMPLETED:  # a retried task: already enrolled
            return roster
        EmployeeEnrolment.objects.bulk_create(_numbers(roster, rows, now), batch_size=BATCH)
        roster.status = Roster.Status.COMPLETED
        roster.enrolled = len(rows)
        roster.rows_done = roster.rows_total = len(rows)
        roster.percent = 100
        roster.finished_at = now
        roster.content = b""
        roster.save()
        case = roster.case
        CaseEvent.objects.create(
            case=case, actor=roster.uploaded_by, actor_label=roster.uploaded_by.label(), acting_for=roster.acting_for,
            action="employees_enrolled", note=_("%(count)s employees enrolled from %(file)s")
            % {"count": len(rows), "file": roster.original_name},
        )
        record_event(actor=roster.uploaded_by, action="roster.enrolled", obj=case, acting_for=roster.acting_for,
                     after=_summary(roster))
        region = roster.enterprise.region
        events.emit(EmployeesEnrolled(case_id=case.pk, roster_id=roster.pk, count=len(rows), sha256=roster.sha256,
                                      enterprise=roster.enterprise.uscc, region=region.code if region else ""))
    return roster


def enrolments_of(case: Case) -> QuerySet[EmployeeEnrolment]:
    """The case's enrolled employees in roster and line order."""
    return EmployeeEnrolment.objects.filter(case=case).order_by("roster_id", "line")
