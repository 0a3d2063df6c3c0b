"""A 一件事 moving on: steps start as their prerequisites are approved, exactly once; withdrawal.

Progress is driven by `CaseClosed` events (see `qinqing/flows.py`): whenever a step closes, the
subscriber `on_case_closed` runs `advance` on its parent at the end of the same transaction.
Each pass starts the steps whose prerequisites were approved before it began; a step it starts
that is decided at once closes with its own event, which triggers the next pass after the
licence it issued is on record. The parent row lock makes concurrent passes take turns, so each
step starts exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from qinqing.accounts.models import User
from qinqing.bundles.errors import AgentNotAuthorised, StepRefused
from qinqing.bundles.models import Bundle, BundleCase, BundleStep
from qinqing.cases.formdata import clean_form_data
from qinqing.cases.models import Case, Licence
from qinqing.cases.services import move_case, start_case
from qinqing.cases.workflow import CLOSED_STATUSES, Status
from qinqing.core import events
from qinqing.core.events import CaseClosed
from qinqing.datahub.queries import Fact, facts_for
from qinqing.notifications.models import Notification
from qinqing.notifications.services import notify
from qinqing.notifications.texts import Named, Text, named

FAILED = (Status.REJECTED, Status.WITHDRAWN, Status.CANCELLED)


def on_case_closed(event: CaseClosed) -> None:
    """A step closed: its bundle may start further steps or close (same transaction)."""
    if event.parent_id is not None:
        advance(event.parent_id)


def advance(parent_id: int) -> None:
    """Start every waiting step whose prerequisites are approved, cancel those that can no longer
    start, close the parent when every step has closed."""
    with events.atomic():
        parent = Case.objects.select_for_update(of=("self",)).select_related("enterprise").get(pk=parent_id)
        if parent.status != Status.IN_PROGRESS:
            return
        bundle_case = BundleCase.objects.select_related("bundle").get(parent=parent)
        children = {c.step_key: c for c in Case.objects.select_for_update(of=("self",)).filter(parent=parent)
                    .select_related("matter", "enterprise", "enterprise__region", "applicant").order_by("id")}
        steps = {s.key: s for s in bundle_case.bundle.steps.all()}
        status_before = {key: c.status for key, c in children.items()}
        facts: dict[str, Fact] | None = None
        for key, child in children.items():
            if status_before[key] != Status.WAITING:
                continue
            required = [r for r in steps[key].requires if r in children]
            if any(status_before[r] in FAILED for r in required):
                move_case(child, Status.CANCELLED, actor=None, action="cancelled",
                          note="、".join(children[r].display_title for r in required if status_before[r] in FAILED))
            elif all(status_before[r] == Status.APPROVED for r in required):
                facts = facts if facts is not None else facts_for(parent.enterprise.uscc)
                _start_step(parent, bundle_case, child, steps[key], children, facts)
        if all(c.status in CLOSED_STATUSES for c in children.values()):
            _close(parent, children)


def _close(parent: Case, children: Mapping[str, Case]) -> None:
    approved = all(c.status == Status.APPROVED for c in children.values())
    move_case(parent, Status.COMPLETED if approved else Status.CLOSED, actor=None,
              action="completed" if approved else "closed")
    _notify_enterprise(parent, Text(gettext_noop("一件事 finished: %(title)s"), {"title": bundle_title(parent)}),
                       Text(gettext_noop("Every step of %(number)s has been decided."), {"number": parent.number}))


def _upstream_values(step: BundleStep, children: Mapping[str, Case]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for child_key, source in (step.inputs or {}).items():
        if not source.startswith("steps."):
            continue
        upstream, output = source[len("steps."):].split(".")
        case = children.get(upstream)
        if case is None:
            continue
        if output == "licence_number":
            number = Licence.objects.filter(case=case).values_list("number", flat=True).first()
            if number:
                values[child_key] = number
        elif output == "project_code":
            payload = Licence.objects.filter(case=case).values_list("payload", flat=True).first() or {}
            if payload.get("project_code"):
                values[child_key] = payload["project_code"]
        elif output == "decided_on" and case.decided_at:
            values[child_key] = timezone.localtime(case.decided_at).date().isoformat()
    return values


def _start_step(parent: Case, bundle_case: BundleCase, child: Case, step: BundleStep,
                children: Mapping[str, Case], facts: Mapping[str, Fact]) -> None:
    """The step's prerequisites are approved: take in what they produced, then start or hand to the agent."""
    assert child.matter is not None
    data = {**child.data, **_upstream_values(step, children)}
    cleaned, sources, errors = clean_form_data(list(child.matter.fields.all()), data, facts)
    child.data = cleaned if not errors else data
    child.prefill_sources = sources
    if step.performer == BundleStep.Performer.AGENT or errors:
        note = "；".join(f"{k}: {'、'.join(v)}" for k, v in errors.items())
        move_case(child, Status.PREPARING, actor=None, action="handed_to_agent", note=note)
        if bundle_case.agent is not None:
            notify(recipient=bundle_case.agent, kind=Notification.Kind.CASE_RECEIVED,
                   title=Text(gettext_noop("To prepare: %(matter)s"), {"matter": named(child.matter)}),
                   body=Text(gettext_noop("%(enterprise)s · %(bundle)s: this step is ready for you to prepare and submit."),
                             {"enterprise": child.enterprise.name, "bundle": bundle_title(parent)}),
                   link=f"/agent/cases/{child.pk}/")
        return
    start_case(child, actor=None, action="started", data=cleaned, sources=sources, acting_for=parent.acting_for,
               note=_("Earlier steps approved") if step.requires else "", facts=facts)


def bundle_title(parent: Case) -> Named:
    """The 一件事's title in both languages (the parent case stores the Chinese one)."""
    en = Bundle.objects.filter(code=parent.bundle_code).values_list("name_en", flat=True).first() or ""
    return Named(parent.title, en)


def _notify_enterprise(parent: Case, title: Text, body: Text) -> None:
    for user in parent.enterprise.users.filter(is_active=True):
        notify(recipient=user, kind=Notification.Kind.DECISION, title=title, body=body,
               link=f"/bundles/cases/{parent.pk}/")


def withdraw_bundle(*, parent: Case, user: User, note: str = "") -> Case:
    """The enterprise withdraws the whole 一件事: open steps are withdrawn, waiting ones never start."""
    if not parent.is_bundle:
        raise StepRefused(_("This is not a 一件事."))
    if not (user.is_enterprise and user.enterprise_id == parent.enterprise_id):
        raise AgentNotAuthorised(_("Only the enterprise may withdraw its application."))
    with events.atomic():
        parent = Case.objects.select_for_update().get(pk=parent.pk)
        if parent.status != Status.IN_PROGRESS:
            raise StepRefused(_("This 一件事 has already finished."))
        # The parent is withdrawn in this same transaction, before the steps' CaseClosed events
        # are dispatched: those find it closed and start nothing.
        for child in Case.objects.select_for_update(of=("self",)).filter(parent=parent).select_related(
                "enterprise", "enterprise__region").order_by("id"):
            if child.status in (Status.WAITING, Status.PREPARING):
                move_case(child, Status.CANCELLED, actor=user, action="cancelled", note=note)
            elif child.status in (Status.SUBMITTED, Status.UNDER_REVIEW, Status.SUPPLEMENT_REQUESTED):
                move_case(child, Status.WITHDRAWN, actor=user, action="withdrawn", note=note)
        move_case(parent, Status.WITHDRAWN, actor=user, action="withdrawn", note=note)
    return parent
