"""What the applicant does to an open case: add materials (answering a supplement request), withdraw."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import User
from qinqing.audit.services import record_event
from qinqing.cases.errors import NOT_ALLOWED_NOW, CaseInvalid, TransitionRefused
from qinqing.cases.models import Case, CaseEvent, Material
from qinqing.cases.services._common import Upload, emit_closed, locked, matter_of, snapshot, transition
from qinqing.cases.services.materials import store_materials
from qinqing.cases.workflow import Status
from qinqing.core import clock, events


def _shift(deadline: dt.datetime, paused_at: dt.datetime, now: dt.datetime, unit: str) -> dt.datetime:
    return clock.extend(deadline, unit, clock.Pause(paused_at, now)).at


def add_materials(*, case: Case, user: User, uploads: Iterable[Upload]) -> list[Material]:
    """Upload materials to an open case; answering a supplement request resumes the clock."""
    uploads = list(uploads)
    if not uploads:
        raise CaseInvalid(_("Choose a file to upload."), errors={"file": [_("This field is required.")]})
    with events.atomic():
        case = locked(case)
        if case.enterprise_id != user.enterprise_id:
            raise TransitionRefused(_("Only the applicant may add materials."))
        if not case.is_open:
            raise TransitionRefused(NOT_ALLOWED_NOW % {"status": case.get_status_display()})
        before = snapshot(case)
        supplementing = case.status == Status.SUPPLEMENT_REQUESTED
        stored = store_materials(case, uploads, user, supplement=supplementing)
        names = "、".join(m.original_name for m in stored)
        if supplementing and case.paused_at is not None:
            now = timezone.now()
            case.due_at = _shift(case.due_at, case.paused_at, now, matter_of(case).promised_unit)
            case.statutory_due_at = _shift(case.statutory_due_at, case.paused_at, now, matter_of(case).statutory_unit)
            case.paused_at = None
            transition(case, Status.UNDER_REVIEW, actor=user, action="supplemented", note=names)
        else:
            CaseEvent.objects.create(case=case, actor=user, actor_label=user.label(), action="materials_added",
                                     note=names)
        case.save()
        record_event(actor=user, action="case.materials_added", obj=case, before=before,
                     after={**snapshot(case), "materials": [m.sha256 for m in stored]})
    return stored


def withdraw_case(*, case: Case, user: User, note: str = "") -> Case:
    """Withdraw an application before it is decided."""
    with events.atomic():
        case = locked(case)
        matter_of(case)  # a 一件事 is withdrawn together with its steps, never on its own
        if case.enterprise_id != user.enterprise_id:
            raise TransitionRefused(_("Only the applicant may withdraw the case."))
        before = snapshot(case)
        transition(case, Status.WITHDRAWN, actor=user, action="withdrawn", note=note)
        case.paused_at = None
        case.decided_at = timezone.now()
        case.save()
        record_event(actor=user, action="case.withdrawn", obj=case, before=before, after=snapshot(case))
        emit_closed(case)
    return case
