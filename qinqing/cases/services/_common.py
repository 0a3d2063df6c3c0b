"""What the case services share: locking, moving through the transition table, event fields."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import Enterprise, User
from qinqing.audit.services import record_event
from qinqing.cases.errors import NOT_ALLOWED_NOW, IdempotencyMismatch, TransitionRefused
from qinqing.cases.models import Case, CaseEvent
from qinqing.cases.uploads import CheckedUpload
from qinqing.cases.workflow import CLOSED_STATUSES, can_transition
from qinqing.catalog.models import Matter
from qinqing.core import events
from qinqing.core.events import CaseClosed, Subject

Upload = tuple[str, CheckedUpload]  # (requirement code or "", checked file)
FORM = "form"  # MaterialRequirement.satisfied_by: the online form itself is this material


def matter_of(case: Case) -> Matter:
    """The case's matter; a bundle's parent case has none and is acted on through its steps."""
    if case.matter is None:
        raise TransitionRefused(_("This is a 一件事: act on its steps."))
    return case.matter


def snapshot(case: Case) -> dict[str, Any]:
    return {"status": case.status, "due_at": case.due_at, "paused_at": case.paused_at}


def case_number(now: dt.datetime) -> str:
    """A fresh case number: QQ + local date + 8 hex digits."""
    return f"QQ{timezone.localtime(now):%Y%m%d}{secrets.token_hex(4).upper()}"


def fingerprint(matter: Matter, data: Mapping[str, Any]) -> str:
    text = json.dumps({"matter": matter.code, "data": data}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def replay(existing: Case, fingerprint: str) -> Case:
    """The case a retried request created first; a different request under the same key is refused."""
    if existing.request_fingerprint and existing.request_fingerprint != fingerprint:
        raise IdempotencyMismatch(_("This Idempotency-Key was already used for a different application."))
    return existing


def about(enterprise: Enterprise) -> Subject:
    """Whom an event concerns: the enterprise's USCC and region code."""
    region = enterprise.region
    return {"enterprise": enterprise.uscc, "region": region.code if region is not None else ""}


def transition(case: Case, target: str, *, actor: User | None, action: str, note: str = "",
               acting_for: str = "") -> None:
    """Change status through the transition table and add a timeline event (the row is saved by the caller)."""
    if not can_transition(case.status, target):
        raise TransitionRefused(NOT_ALLOWED_NOW % {"status": case.get_status_display()})
    before = case.status
    case.status = target
    CaseEvent.objects.create(
        case=case, actor=actor, actor_label=actor.label() if actor else "",
        acting_for=acting_for, action=action, from_status=before, to_status=target, note=note,
    )


def emit_closed(case: Case) -> None:
    """Tell the subscribers a case has closed (a 一件事 may unlock its next steps)."""
    events.emit(CaseClosed(case_id=case.pk, status=str(case.status), parent_id=case.parent_id,
                           **about(case.enterprise)))


def move_case(case: Case, target: str, *, actor: User | None, action: str, note: str = "",
              acting_for: str = "") -> None:
    """Change a case's status through the transition table, record it and save it."""
    with events.atomic():
        before = snapshot(case)
        transition(case, target, actor=actor, action=action, note=note, acting_for=acting_for)
        if target in CLOSED_STATUSES:
            case.decided_at = case.decided_at or timezone.now()
            case.paused_at = None
        case.save()
        record_event(actor=actor, action=f"case.{action}", obj=case, before=before, after=snapshot(case),
                     acting_for=acting_for)
        if target in CLOSED_STATUSES:
            emit_closed(case)


def locked(case: Case) -> Case:
    """Lock the case for a state change; a bundle's step locks its parent first.

    Advancing a bundle locks the parent, then its steps: taking the locks in that order keeps two
    decisions on sibling steps from deadlocking. Only case rows are locked: the matter is a
    nullable (outer) join, which PostgreSQL cannot lock.
    """
    if case.parent_id is not None:
        Case.objects.select_for_update().only("pk").get(pk=case.parent_id)
    return (Case.objects.select_for_update(of=("self",))
            .select_related("matter", "matter__department", "enterprise", "enterprise__region").get(pk=case.pk))


def link(case: Case) -> str:
    return f"/cases/{case.pk}/"
