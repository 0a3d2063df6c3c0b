"""Hand-overs (explicit, logged; the owner answers for the item until the receiver accepts), reassigning, 催办."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import User
from qinqing.audit.services import record_event
from qinqing.core import events
from qinqing.core.events.types import DeskAssigned, DeskEscalated, DeskHandedOver
from qinqing.servicedesk.errors import DeskInvalid, NotYours, WrongState
from qinqing.servicedesk.models import Conversation, DeskProfile, Escalation, Handover, WorkOrder
from qinqing.servicedesk.services._common import (
    about,
    desk_of,
    kind_of,
    locked,
    require_staff_on,
    snapshot,
    step,
    subject,
)
from qinqing.servicedesk.workflow import OPEN_CHAT, OPEN_ORDER, ChatStatus, OrderStatus

Item = Conversation | WorkOrder


def _is_open(item: Item) -> bool:
    return item.status in (OPEN_CHAT if isinstance(item, Conversation) else OPEN_ORDER)


def hand_over(*, item: Item, by: User, to: User, reason: str) -> Handover:
    """Ask another person (another level) to take the item; nothing moves until they accept."""
    if not reason.strip():
        raise DeskInvalid(_("Say why you hand it over."), errors={"reason": [_("This field is required.")]})
    receiver = DeskProfile.objects.select_related("region").filter(user=to).first()
    if receiver is None or to.pk == by.pk:
        raise DeskInvalid(_("Choose another D小二."), errors={"to": [_("Not a D小二.")]})
    with events.atomic():
        item = locked(item)
        require_staff_on(by, item)
        if not _is_open(item) or by.pk not in (item.assignee_id, item.owner_id):
            raise WrongState(_("Only the holder of an open item can hand it over."))
        if item.handovers.filter(status=Handover.Status.PENDING).exists():
            raise WrongState(_("A hand-over is already waiting for its receiver."))
        if not receiver.covers(item.region):
            raise DeskInvalid(_("The receiver does not serve this enterprise."), errors={"to": [_("Out of scope.")]})
        handover = Handover.objects.create(**about(item), from_user=by, to_user=to, reason=reason.strip()[:500])
        step(item, "handover_asked", actor=by, note=f"→ {to}: {reason.strip()}")
        events.emit(DeskHandedOver(**subject(item), item=kind_of(item), item_id=item.pk, from_staff=by.username,
                                   to_staff=to.username, status="pending"))
        record_event(actor=by, action="servicedesk.handover_asked", obj=item, after={"to": to.username,
                                                                                     "reason": reason[:200]})
    return handover


def decide_handover(*, handover: Handover, by: User, accept: bool) -> Handover:
    """The receiver accepts (and from then on owns it) or declines (the owner keeps it)."""
    with events.atomic():
        handover = Handover.objects.select_for_update().get(pk=handover.pk)
        if handover.to_user_id != by.pk:
            raise NotYours(_("This hand-over is addressed to someone else."))
        if handover.status != Handover.Status.PENDING:
            raise WrongState(_("This hand-over was already decided."))
        item = locked(handover.subject)
        before = snapshot(item)
        handover.status = Handover.Status.ACCEPTED if accept else Handover.Status.DECLINED
        handover.decided_at = timezone.now()
        handover.save(update_fields=["status", "decided_at"])
        if accept:
            item.owner = by
            item.assignee = by
            if isinstance(item, WorkOrder) and item.status == OrderStatus.OPEN:
                item.status = OrderStatus.TAKEN
            if isinstance(item, Conversation) and item.status == ChatStatus.WAITING:
                item.status = ChatStatus.ACTIVE
            item.save()
        step(item, "handover_accepted" if accept else "handover_declined", actor=by)
        events.emit(DeskHandedOver(**subject(item), item=kind_of(item), item_id=item.pk,
                                   from_staff=handover.from_user.username, to_staff=by.username,
                                   status=handover.status))
        record_event(actor=by, action=f"servicedesk.handover_{handover.status}", obj=item, before=before,
                     after=snapshot(item))
    return handover


def reassign(*, item: Item, by: User, to: User, note: str = "") -> Item:
    """A supervisor moves an item to another person in scope (logged as a supervised hand-over)."""
    desk = desk_of(by)
    if not desk.is_supervisor:
        raise NotYours(_("Only supervising staff can reassign."))
    receiver = DeskProfile.objects.select_related("region").filter(user=to).first()
    if receiver is None:
        raise DeskInvalid(_("Choose another D小二."), errors={"to": [_("Not a D小二.")]})
    with events.atomic():
        item = locked(item)
        require_staff_on(by, item)
        if not _is_open(item):
            raise WrongState(_("Only open items can be reassigned."))
        if not receiver.covers(item.region):
            raise DeskInvalid(_("The receiver does not serve this enterprise."), errors={"to": [_("Out of scope.")]})
        before = snapshot(item)
        item.assignee = to
        item.owner = to
        if isinstance(item, WorkOrder) and item.status == OrderStatus.OPEN:
            item.status = OrderStatus.TAKEN
        item.save()
        Handover.objects.create(**about(item), from_user=by, to_user=to, reason=note[:500] or "reassigned",
                                status=Handover.Status.ACCEPTED, decided_at=timezone.now())
        step(item, "reassigned", actor=by, note=f"→ {to}")
        events.emit(DeskAssigned(**subject(item), item=kind_of(item), item_id=item.pk, staff=to.username, taken=True))
        record_event(actor=by, action="servicedesk.reassigned", obj=item, before=before, after=snapshot(item))
    return item


def urge(*, item: Item, by: User, note: str = "") -> Escalation:
    """催办: a supervisor presses the holder; logged and shown on the item."""
    desk = desk_of(by)
    if not desk.is_supervisor:
        raise NotYours(_("Only supervising staff can urge."))
    with events.atomic():
        item = locked(item)
        require_staff_on(by, item)
        if not _is_open(item):
            raise WrongState(_("Only open items can be urged."))
        escalation = Escalation.objects.create(**about(item), kind=Escalation.Kind.URGE, level=item.escalation,
                                               to_user=item.assignee, by=by, note=note[:500])
        step(item, "urged", actor=by, note=note)
        events.emit(DeskEscalated(**subject(item), item=kind_of(item), item_id=item.pk, kind="urge",
                                  level=item.escalation, to_staff=item.assignee.username if item.assignee else ""))
        record_event(actor=by, action="servicedesk.urged", obj=item, after={"note": note[:200]})
    return escalation
