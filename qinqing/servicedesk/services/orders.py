"""Work orders: filed by the enterprise (留言, 诉求, a case question) or converted from a chat; 24-hour clock."""

from __future__ import annotations

import uuid

from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import User
from qinqing.audit.services import record_event
from qinqing.core import clock, events
from qinqing.core.events.types import DeskAssigned, DeskClosed, DeskReplied
from qinqing.servicedesk.errors import DeskInvalid, WrongState
from qinqing.servicedesk.models import Conversation, WorkOrder
from qinqing.servicedesk.services import sla
from qinqing.servicedesk.services._common import (
    clean_text,
    desk_of,
    locked,
    require_enterprise_of,
    require_staff_on,
    snapshot,
    step,
    subject,
)
from qinqing.servicedesk.workflow import OPEN_ORDER, OrderStatus, Stage, can_order

FILED_KINDS = (WorkOrder.Kind.MESSAGE, WorkOrder.Kind.APPEAL, WorkOrder.Kind.CASE)


def _number() -> str:
    return f"GD{clock.local(timezone.now()):%Y%m%d}{uuid.uuid4().hex[:6].upper()}"


def create_order(*, enterprise_user: User, kind: str, title: str, body: str, filed_by: User,
                 conversation: Conversation | None = None, case_number: str = "", owner: User | None = None,
                 stage: str = "") -> WorkOrder:
    """Store a work order with its deadline (inside the caller's service transaction)."""
    enterprise = enterprise_user.enterprise
    assert enterprise is not None
    policy = sla.policy_for("work_order")
    order = WorkOrder(number=_number(), kind=kind, title=title, body=body, filed_by=filed_by, enterprise=enterprise,
                      region=enterprise.region, conversation=conversation, case_number=case_number[:32],
                      owner=owner, assignee=owner, stage=stage,
                      status=OrderStatus.TAKEN if owner is not None else OrderStatus.OPEN)
    order.save()
    sla.set_due(order, sla.due(policy, order.created_at, policy.resolution))
    order.save(update_fields=["due_at", "warned_at"])
    step(order, "filed", actor=filed_by)
    record_event(actor=filed_by, action="servicedesk.workorder_filed", obj=order, after=snapshot(order))
    return order


def file_work_order(*, user: User, kind: str, title: object, body: object, case_number: str = "",
                    conversation: Conversation | None = None) -> WorkOrder:
    """The enterprise leaves a message (留言), an appeal (诉求) or a question about a case."""
    if not user.is_enterprise:
        raise DeskInvalid(_("Only an enterprise files work orders here."))
    if kind not in FILED_KINDS:
        raise DeskInvalid(_("Unknown kind."), errors={"kind": [_("Not one of the allowed values.")]})
    subject_line = clean_text(title, field="title", limit=200)
    details = clean_text(body, field="body")
    if conversation is not None:
        require_enterprise_of(user, conversation)
    with events.atomic():
        return create_order(enterprise_user=user, kind=kind, title=subject_line, body=details, filed_by=user,
                            conversation=conversation, case_number=case_number)


def convert_to_work_order(*, conversation: Conversation, staff: User, title: object, note: object = "") -> WorkOrder:
    """A seat turns a chat that needs offline work into a work order it owns."""
    subject_line = clean_text(title, field="title", limit=200)
    require_staff_on(staff, conversation)
    with events.atomic():
        body = "\n".join(f"[{m.get_author_kind_display()}] {m.text}" for m in conversation.messages.order_by("seq"))
        if isinstance(note, str) and note.strip():
            body = f"{note.strip()}\n\n{body}"
        owner_user = conversation.opened_by
        order = create_order(enterprise_user=owner_user, kind=WorkOrder.Kind.MESSAGE, title=subject_line,
                             body=body[:20000], filed_by=staff, conversation=conversation, owner=staff)
        events.emit(DeskAssigned(**subject(order), item="work_order", item_id=order.pk, staff=staff.username,
                                 taken=True))
    return order


def take_work_order(*, order: WorkOrder, staff: User) -> WorkOrder:
    """The first staff member to take an open work order owns it (首问责任)."""
    with events.atomic():
        order = locked(order)
        require_staff_on(staff, order)
        if order.assignee_id == staff.pk and order.status == OrderStatus.TAKEN:
            return order
        if order.status != OrderStatus.OPEN or order.assignee_id not in (None, staff.pk):
            raise WrongState(_("This work order is already taken; ask its owner for a hand-over."))
        before = snapshot(order)
        order.status = OrderStatus.TAKEN
        order.assignee = staff
        order.owner = order.owner or staff
        order.save()
        step(order, "taken", actor=staff)
        events.emit(DeskAssigned(**subject(order), item="work_order", item_id=order.pk, staff=staff.username,
                                 taken=True))
        record_event(actor=staff, action="servicedesk.workorder_taken", obj=order, before=before, after=snapshot(order))
    return order


def reply_work_order(*, order: WorkOrder, staff: User, text: object) -> WorkOrder:
    """The holder writes to the enterprise (shown on its timeline)."""
    value = clean_text(text)
    with events.atomic():
        order = locked(order)
        require_staff_on(staff, order)
        if order.status not in OPEN_ORDER or order.assignee_id != staff.pk:
            raise WrongState(_("Take the work order before answering it."))
        step(order, "replied", actor=staff, note=value)
        events.emit(DeskReplied(**subject(order), item="work_order", item_id=order.pk, author="staff",
                                staff=staff.username))
        record_event(actor=staff, action="servicedesk.workorder_replied", obj=order, after={"text": value[:200]})
    return order


def resolve_work_order(*, order: WorkOrder, staff: User, resolution: object) -> WorkOrder:
    """Close the loop: the answer is written, the clock stops, the enterprise may rate it."""
    value = clean_text(resolution, field="resolution")
    with events.atomic():
        order = locked(order)
        require_staff_on(staff, order)
        if order.assignee_id != staff.pk or not can_order(order.status, OrderStatus.RESOLVED):
            raise WrongState(_("Only the holder of an open work order can resolve it."))
        if order.kind == WorkOrder.Kind.RECTIFICATION and order.stage != Stage.CALL_BACK:
            raise WrongState(_("Verify, fix and call back before closing a rectification."))
        before = snapshot(order)
        now = timezone.now()
        order.status, order.resolution, order.resolved_at = OrderStatus.RESOLVED, value, now
        if order.kind == WorkOrder.Kind.RECTIFICATION:
            order.stage = Stage.SECOND_RATING
        order.closures += 1
        sla.set_due(order, None)
        order.escalate_at = None
        order.save()
        step(order, "resolved", actor=staff, note=value)
        events.emit(DeskClosed(**subject(order), item="work_order", item_id=order.pk,
                               staff=order.owner.username if order.owner else staff.username))
        record_event(actor=staff, action="servicedesk.workorder_resolved", obj=order, before=before,
                     after=snapshot(order))
    return order


def advance_rectification(*, order: WorkOrder, staff: User, note: object) -> WorkOrder:
    """Move a rectification one step: verified → fixed → called back (then resolved for the second rating)."""
    value = clean_text(note, field="note")
    with events.atomic():
        order = locked(order)
        require_staff_on(staff, order)
        if order.kind != WorkOrder.Kind.RECTIFICATION or order.status not in OPEN_ORDER:
            raise WrongState(_("Not an open rectification."))
        if order.assignee_id != staff.pk:
            raise WrongState(_("Take the work order first."))
        following = {Stage.VERIFY: Stage.FIX, Stage.FIX: Stage.CALL_BACK}.get(Stage(order.stage))
        if following is None:
            raise WrongState(_("Resolve the rectification to ask for the second rating."))
        done = order.stage
        order.stage = following
        order.save(update_fields=["stage"])
        step(order, f"rectification_{done}", actor=staff, note=value)
        record_event(actor=staff, action="servicedesk.rectification_step", obj=order,
                     after={"done": done, "stage": following})
    return order


def desk_user(user: User) -> User:
    """Refuse anyone without a D小二 profile (used by pages before offering staff actions)."""
    desk_of(user)
    return user
