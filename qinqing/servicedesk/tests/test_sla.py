"""SLA clocks as data: warnings, breaches to 督办, the chief after a second period, pauses only where allowed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from qinqing.core import clock
from qinqing.core.events.types import DeskEscalated, DeskPaused
from qinqing.core.models import OutboxEvent
from qinqing.servicedesk.errors import WrongState
from qinqing.servicedesk.models import Escalation, Pause, SlaPolicy
from qinqing.servicedesk.services import orders, sla
from qinqing.servicedesk.tests.support import (
    changhe_enterprise,
    human_chat,
    open_hours,  # noqa: F401 - fixture
    puyan_enterprise,
    staff,
)
from qinqing.servicedesk.workflow import OrderStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("open_hours")]
ZONE = timezone.get_default_timezone()


def test_a_chat_is_warned_then_escalated_to_the_supervisor_then_to_the_chief() -> None:
    conversation = human_chat(puyan_enterprise())
    due = conversation.due_at
    assert due is not None
    assert sla.check_item(conversation, now=due - dt.timedelta(seconds=90)) == "idle"
    assert sla.check_item(conversation, now=due - dt.timedelta(seconds=30)) == "warning"
    assert sla.check_item(conversation, now=due + dt.timedelta(seconds=1)) == "breach"
    conversation.refresh_from_db()
    breach = Escalation.objects.get(conversation=conversation, kind="breach", level=1)
    assert breach.to_user is not None and breach.to_user.username == "puyan_supervisor", "the street's 督办 first"
    assert conversation.escalate_at == due + dt.timedelta(minutes=3)
    assert sla.check_item(conversation, now=due + dt.timedelta(minutes=2)) == "idle"
    assert sla.check_item(conversation, now=due + dt.timedelta(minutes=3, seconds=1)) == "chief"
    chief = Escalation.objects.get(conversation=conversation, level=2)
    assert chief.to_user is not None and chief.to_user.username == "puyan_chief"
    levels = list(OutboxEvent.objects.filter(name=DeskEscalated.NAME, payload__item_id=conversation.pk)
                  .values_list("payload__kind", "payload__level"))
    assert levels == [("warning", 0), ("breach", 1), ("breach", 2)]


def test_checking_twice_escalates_once() -> None:
    conversation = human_chat()
    assert conversation.due_at is not None
    later = conversation.due_at + dt.timedelta(seconds=5)
    assert sla.check_item(conversation, now=later) == "breach"
    assert sla.check_item(conversation, now=later) == "idle"
    assert Escalation.objects.filter(conversation=conversation, kind="breach").count() == 1


def test_the_sweep_catches_a_breach_a_lost_timer_missed() -> None:
    conversation = human_chat()
    assert conversation.due_at is not None
    done = sla.sweep(now=conversation.due_at + dt.timedelta(seconds=2))
    assert done.get("breach", 0) >= 1
    conversation.refresh_from_db()
    assert conversation.escalation == 1


def test_a_work_order_is_due_in_24_hours_and_pauses_only_while_waiting_for_the_enterprise() -> None:
    user = changhe_enterprise()
    order = orders.file_work_order(user=user, kind="appeal", title="门前道路施工影响经营", body="希望协调施工时间")
    assert order.due_at == order.created_at + dt.timedelta(hours=24)
    seat = staff("changhe_dxe")
    with pytest.raises(WrongState):
        sla.pause_order(order=order, by=seat)  # OPEN may not pause
    orders.take_work_order(order=order, staff=seat)
    order = sla.pause_order(order=order, by=seat, reason="请企业补充施工地点")
    assert order.status == OrderStatus.WAITING_ENTERPRISE
    Pause.objects.filter(work_order=order).update(started_at=timezone.now() - dt.timedelta(hours=2))
    order.paused_at = timezone.now() - dt.timedelta(hours=2)
    order.save(update_fields=["paused_at"])
    before = order.due_at
    order = sla.resume_order(order=order, by=seat)
    assert order.due_at is not None and before is not None
    assert dt.timedelta(hours=2) <= order.due_at - before < dt.timedelta(hours=2, seconds=5)
    assert OutboxEvent.objects.filter(name=DeskPaused.NAME, payload__item_id=order.pk).count() == 2


def test_a_paused_work_order_is_not_escalated() -> None:
    order = orders.file_work_order(user=changhe_enterprise(), kind="message", title="留言", body="请回电")
    seat = staff("changhe_dxe")
    orders.take_work_order(order=order, staff=seat)
    sla.pause_order(order=order, by=seat)
    assert order.due_at is not None
    assert sla.check_item(order, now=order.due_at + dt.timedelta(hours=1)) == "idle"


def test_the_policy_is_data_a_working_day_clock_skips_the_weekend(settings) -> None:
    settings.QINQING_SERVICE_HOURS = {"opens": "09:00", "closes": "21:00"}
    SlaPolicy.objects.filter(channel="work_order").update(unit=clock.Unit.SERVICE_HOURS, skip_weekends=True)
    policy = sla.policy_for("work_order")
    friday_evening = dt.datetime(2026, 12, 4, 20, 0, tzinfo=ZONE)  # a Friday
    assert sla.due(policy, friday_evening, 24) == dt.datetime(2026, 12, 8, 20, 0, tzinfo=ZONE)


# ---- property tests of the chat clock -----------------------------------------------------------

moments = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 31),
                       timezones=st.just(ZONE))


@hsettings(max_examples=200, deadline=None)
@given(start=moments, minutes=st.integers(min_value=1, max_value=600))
def test_a_chat_deadline_always_lands_inside_service_hours_and_counts_exactly(start: dt.datetime, minutes: int) -> None:
    hours = clock.ServiceHours()
    due = clock.add(start, clock.Duration(minutes, clock.Unit.SERVICE_MINUTES), policy=hours).at
    local = clock.local(due)
    assert hours.opens < local.time() <= hours.closes or local.time() == hours.closes
    assert clock.counted(start, due, clock.Unit.SERVICE_MINUTES, policy=hours) == dt.timedelta(minutes=minutes)
    assert due >= start


@hsettings(max_examples=200, deadline=None)
@given(start=moments, first=st.integers(min_value=1, max_value=300), second=st.integers(min_value=1, max_value=300))
def test_chat_deadlines_add_up(start: dt.datetime, first: int, second: int) -> None:
    hours = clock.ServiceHours()
    one = clock.add(start, clock.Duration(first, clock.Unit.SERVICE_MINUTES), policy=hours).at
    two = clock.add(one, clock.Duration(second, clock.Unit.SERVICE_MINUTES), policy=hours).at
    both = clock.add(start, clock.Duration(first + second, clock.Unit.SERVICE_MINUTES), policy=hours).at
    assert two == both


@hsettings(max_examples=100, deadline=None)
@given(start=moments, minutes=st.integers(min_value=0, max_value=600))
def test_service_minutes_never_exceed_calendar_minutes(start: dt.datetime, minutes: int) -> None:
    end = start + dt.timedelta(minutes=minutes)
    assert clock.counted(start, end, clock.Unit.SERVICE_MINUTES, policy=clock.ServiceHours()) <= end - start
