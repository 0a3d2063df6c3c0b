"""SLA clocks as data: deadlines from the policy of each channel, pauses, warnings, breaches and escalation."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import User
from qinqing.audit.services import record_event
from qinqing.core import clock, events
from qinqing.core.events.types import DeskEscalated, DeskPaused
from qinqing.regions.models import Region
from qinqing.servicedesk.errors import WrongState
from qinqing.servicedesk.models import (
    Channel,
    Conversation,
    DeskProfile,
    DeskRole,
    Escalation,
    Pause,
    SlaPolicy,
    WorkOrder,
)
from qinqing.servicedesk.services._common import about, kind_of, locked, snapshot, step, subject
from qinqing.servicedesk.workflow import HUMAN_CHAT, OPEN_ORDER, OrderStatus, can_order

# The defaults of the seed (亲清D小二): 3 minutes online within service hours; 24 hours offline.
DEFAULTS = {
    Channel.CHAT: {"unit": clock.Unit.SERVICE_MINUTES, "first_response": 3, "reply": 3, "resolution": 0,
                   "warn_before_seconds": 60, "escalate_after": 3, "pausable": []},
    Channel.WORK_ORDER: {"unit": clock.Unit.CALENDAR_HOURS, "first_response": 0, "reply": 0, "resolution": 24,
                         "warn_before_seconds": 2 * 3600, "escalate_after": 24,
                         "pausable": [OrderStatus.WAITING_ENTERPRISE.value]},
}


def policy_for(channel: str) -> SlaPolicy:
    """The channel's policy row, created from the defaults the first time it is needed."""
    policy = SlaPolicy.objects.filter(channel=channel).first()
    if policy is None:
        policy, _created = SlaPolicy.objects.get_or_create(channel=channel, defaults=DEFAULTS[Channel(channel)])
    return policy


def hours_of(policy: SlaPolicy) -> clock.ServiceHours:
    """The platform's service hours, on working days only when the policy says so (holidays and 调休 as data)."""
    base = clock.service_hours()
    if policy.skip_weekends:
        return dataclasses.replace(base, skip_weekends=True, skip_holidays=True)
    return base


def due(policy: SlaPolicy, start: dt.datetime, amount: int) -> dt.datetime | None:
    """The moment `amount` units of the policy's clock after `start`; None when the policy sets no limit."""
    if amount <= 0:
        return None
    return clock.add(start, clock.Duration(amount, clock.Unit(policy.unit)), policy=hours_of(policy)).at


def counted_seconds(policy: SlaPolicy, start: dt.datetime, end: dt.datetime) -> int:
    """Seconds the policy's clock ran from `start` to `end` (service time only, for service units)."""
    return int(clock.counted(start, end, policy.unit, policy=hours_of(policy)).total_seconds())


def in_service_hours(moment: dt.datetime | None = None) -> bool:
    """Tell whether the online seats are open now (09:00–21:00 by default)."""
    hours = clock.service_hours()
    local = clock.local(moment or timezone.now())
    return hours.is_service_day(local.date()) and hours.opens <= local.time() < hours.closes


def policy_of(item: Conversation | WorkOrder) -> SlaPolicy:
    return policy_for(Channel.CHAT if isinstance(item, Conversation) else Channel.WORK_ORDER)


def set_due(item: Conversation | WorkOrder, due_at: dt.datetime | None) -> None:
    """Move an item's deadline (resetting its warning) and schedule the precise timer for it."""
    item.due_at = due_at
    item.warned_at = None
    if due_at is not None:
        from qinqing.servicedesk.tasks import schedule_check

        schedule_check(kind_of(item), item.pk, due_at, warn_before=policy_of(item).warn_before_seconds)


# ---- pauses -------------------------------------------------------------------------------------


def pause_order(*, order: WorkOrder, by: User, reason: str = "") -> WorkOrder:
    """Wait for the enterprise: the clock stops, if the policy allows pausing in that state."""
    with events.atomic():
        order = locked(order)
        policy = policy_of(order)
        target = OrderStatus.WAITING_ENTERPRISE
        if target.value not in (policy.pausable or []) or not can_order(order.status, target):
            raise WrongState(_("The clock cannot be paused in this state."))
        before = snapshot(order)
        now = timezone.now()
        order.status, order.paused_at = target, now
        order.save(update_fields=["status", "paused_at"])
        Pause.objects.create(work_order=order, state=target, reason=reason[:500], by=by, started_at=now)
        step(order, "paused", actor=by, note=reason)
        events.emit(DeskPaused(**subject(order), item="work_order", item_id=order.pk, state=target))
        record_event(actor=by, action="servicedesk.paused", obj=order, before=before, after=snapshot(order))
    return order


def resume_order(*, order: WorkOrder, by: User) -> WorkOrder:
    """The enterprise answered: the clock runs again and the deadline moves by the paused time."""
    with events.atomic():
        order = locked(order)
        if order.status != OrderStatus.WAITING_ENTERPRISE:
            raise WrongState(_("The clock is not paused."))
        before = snapshot(order)
        now = timezone.now()
        pause = Pause.objects.filter(work_order=order, ended_at__isnull=True).order_by("-started_at").first()
        if pause is not None:
            pause.ended_at = now
            pause.save(update_fields=["ended_at"])
        if order.due_at is not None and order.paused_at is not None:
            policy = policy_of(order)
            moved = clock.extend(order.due_at, policy.unit, clock.Pause(order.paused_at, now), policy=hours_of(policy))
            set_due(order, moved.at)
        order.status, order.paused_at = OrderStatus.TAKEN, None
        order.save()
        step(order, "resumed", actor=by)
        events.emit(DeskPaused(**subject(order), item="work_order", item_id=order.pk,
                               state=OrderStatus.WAITING_ENTERPRISE, resumed=True))
        record_event(actor=by, action="servicedesk.resumed", obj=order, before=before, after=snapshot(order))
    return order


# ---- warnings, breaches, escalation -------------------------------------------------------------


def responsible(region: Region | None, role: str) -> User | None:
    """The nearest person with `role` whose region covers the enterprise: street before district before city."""
    if region is None:
        return None
    rows = DeskProfile.objects.select_related("user", "region").filter(user__is_active=True)
    best: DeskProfile | None = None
    for desk in rows:
        if desk.has_role(role) and desk.covers(region) and (best is None or len(desk.region.path) > len(best.region.path)):
            best = desk
    return best.user if best is not None else None


def is_running(item: Conversation | WorkOrder) -> bool:
    if isinstance(item, Conversation):
        return item.status in HUMAN_CHAT
    return item.status in (OrderStatus.OPEN, OrderStatus.TAKEN)


def check_item(item: Conversation | WorkOrder, *, now: dt.datetime | None = None) -> str:
    """Warn before the deadline, escalate to 督办 at it and to the chief a period later; say what was done."""
    now = now or timezone.now()
    with events.atomic():
        item = locked(item)
        if not is_running(item) or item.due_at is None:
            return "idle"
        policy = policy_of(item)
        if item.escalation == 0 and item.due_at <= now:
            escalate_at = due(policy, item.due_at, policy.escalate_after)
            _escalate(item, level=1, kind=Escalation.Kind.BREACH, role=DeskRole.SUPERVISING, escalate_at=escalate_at)
            return "breach"
        if item.escalation == 1 and item.escalate_at is not None and item.escalate_at <= now:
            _escalate(item, level=2, kind=Escalation.Kind.BREACH, role=DeskRole.CHIEF, escalate_at=None)
            return "chief"
        warn_from = item.due_at - dt.timedelta(seconds=policy.warn_before_seconds)
        if item.escalation == 0 and item.warned_at is None and policy.warn_before_seconds and warn_from <= now:
            item.warned_at = now
            item.save(update_fields=["warned_at"])
            Escalation.objects.create(**about(item), kind=Escalation.Kind.WARNING, level=0, to_user=item.assignee)
            events.emit(DeskEscalated(**subject(item), item=kind_of(item), item_id=item.pk, kind="warning", level=0,
                                      to_staff=item.assignee.username if item.assignee else ""))
            return "warning"
    return "idle"


def _escalate(item: Conversation | WorkOrder, *, level: int, kind: str, role: str, escalate_at: dt.datetime | None,
              by: User | None = None, note: str = "") -> None:
    before = snapshot(item)
    to_user = responsible(item.region, role)
    item.escalation = level
    item.escalate_at = escalate_at
    item.save(update_fields=["escalation", "escalate_at"])
    Escalation.objects.create(**about(item), kind=kind, level=level, to_user=to_user, by=by, note=note[:500])
    step(item, f"escalated_{level}", actor=by, note=note)
    if escalate_at is not None:
        from qinqing.servicedesk.tasks import schedule_check

        schedule_check(kind_of(item), item.pk, escalate_at, warn_before=0)
    events.emit(DeskEscalated(**subject(item), item=kind_of(item), item_id=item.pk, kind=kind, level=level,
                              to_staff=to_user.username if to_user else ""))
    record_event(actor=by or "sla", action=f"servicedesk.escalated.{kind}", obj=item, before=before,
                 after=snapshot(item))


def escalate(*, item: Conversation | WorkOrder, by: User, note: str = "") -> Conversation | WorkOrder:
    """The owner asks supervision (督办) for help before the deadline: level 1 now."""
    from qinqing.servicedesk.services._common import require_staff_on

    with events.atomic():
        item = locked(item)
        require_staff_on(by, item)
        if not is_running(item) and not isinstance(item, WorkOrder):
            raise WrongState(_("Only open items can be escalated."))
        if isinstance(item, WorkOrder) and item.status not in OPEN_ORDER:
            raise WrongState(_("Only open items can be escalated."))
        level = min(item.escalation + 1, 2)
        role = DeskRole.SUPERVISING if level == 1 else DeskRole.CHIEF
        _escalate(item, level=level, kind=Escalation.Kind.MANUAL, role=role, escalate_at=None, by=by, note=note)
    return item


def sweep(*, now: dt.datetime | None = None, limit: int = 5000) -> dict[str, int]:
    """The safety net behind the precise timers: check every open item due, near due, or due for the chief."""
    now = now or timezone.now()
    done: dict[str, int] = {}
    for model, statuses, channel in ((Conversation, HUMAN_CHAT, Channel.CHAT),
                                     (WorkOrder, (OrderStatus.OPEN, OrderStatus.TAKEN), Channel.WORK_ORDER)):
        # Only what is due for a warning, a breach or the chief: the database picks them by index.
        horizon = now + dt.timedelta(seconds=policy_for(channel).warn_before_seconds)
        rows = model.objects.filter(status__in=statuses).filter(
            Q(escalation=0, due_at__lte=horizon, warned_at__isnull=True) | Q(escalation=0, due_at__lte=now)
            | Q(escalation=1, escalate_at__lte=now)).order_by("due_at")[:limit]
        for item in rows:
            outcome = check_item(item, now=now)
            done[outcome] = done.get(outcome, 0) + 1
    return done
