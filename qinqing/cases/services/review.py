"""A reviewer's decisions: approve, reject, ask for a supplement."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from qinqing.accounts.models import User
from qinqing.audit.services import record_event
from qinqing.cases.errors import CaseInvalid, TransitionRefused
from qinqing.cases.models import Case
from qinqing.cases.services._common import about, emit_closed, link, locked, matter_of, snapshot, transition
from qinqing.cases.services.licences import issue_licence
from qinqing.cases.workflow import Status
from qinqing.core import events
from qinqing.core.events import CaseDecided
from qinqing.notifications.models import Notification
from qinqing.notifications.services import notify
from qinqing.notifications.texts import Text, named


def _require_reviewer(case: Case, reviewer: User) -> None:
    if not (reviewer.is_reviewer and reviewer.department_id == matter_of(case).department_id) and not reviewer.is_superuser:
        raise TransitionRefused(_("Only a reviewer of the responsible department may decide this case."))


def _emit_decided(case: Case, outcome: str) -> None:
    events.emit(CaseDecided(case_id=case.pk, number=case.number, matter=matter_of(case).code, outcome=outcome,
                            parent_id=case.parent_id, **about(case.enterprise)))


def approve_case(*, case: Case, reviewer: User, note: str = "") -> Case:
    """Approve a case under review and issue its licence."""
    with events.atomic():
        case = locked(case)
        _require_reviewer(case, reviewer)
        before = snapshot(case)
        transition(case, Status.APPROVED, actor=reviewer, action="approved", note=note)
        case.decided_at = timezone.now()
        case.decision_note = note
        case.save()
        _emit_decided(case, "approved")
        issue_licence(case)
        record_event(actor=reviewer, action="case.approved", obj=case, before=before, after=snapshot(case))
        emit_closed(case)
    return case


def reject_case(*, case: Case, reviewer: User, note: str) -> Case:
    """Reject a case; the reason is required and shown to the enterprise."""
    if not note.strip():
        raise CaseInvalid(_("Give the reason for the rejection."), errors={"note": [_("This field is required.")]})
    with events.atomic():
        case = locked(case)
        _require_reviewer(case, reviewer)
        before = snapshot(case)
        transition(case, Status.REJECTED, actor=reviewer, action="rejected", note=note)
        case.decided_at = timezone.now()
        case.decision_note = note
        case.save()
        _emit_decided(case, "rejected")
        record_event(actor=reviewer, action="case.rejected", obj=case, before=before, after=snapshot(case))
        emit_closed(case)
        notify(recipient=case.applicant, kind=Notification.Kind.DECISION,
               title=Text(gettext_noop("Not approved: %(matter)s"), {"matter": named(matter_of(case))}),
               body=Text(gettext_noop("Case %(number)s was not approved: %(note)s"),
                         {"number": case.number, "note": note}),
               link=link(case))
    return case


def request_supplement(*, case: Case, reviewer: User, note: str) -> Case:
    """Ask the enterprise for missing material; the deadline clock pauses until it answers."""
    if not note.strip():
        raise CaseInvalid(_("Say what must be supplemented."), errors={"note": [_("This field is required.")]})
    with events.atomic():
        case = locked(case)
        _require_reviewer(case, reviewer)
        before = snapshot(case)
        transition(case, Status.SUPPLEMENT_REQUESTED, actor=reviewer, action="supplement_requested", note=note)
        case.paused_at = timezone.now()
        case.decision_note = note
        case.save()
        record_event(actor=reviewer, action="case.supplement_requested", obj=case, before=before,
                     after=snapshot(case))
        notify(recipient=case.applicant, kind=Notification.Kind.SUPPLEMENT_REQUESTED,
               title=Text(gettext_noop("Supplement requested: %(matter)s"), {"matter": named(matter_of(case))}),
               body=note, link=link(case))
    return case
