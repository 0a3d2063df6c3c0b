"""A region's desk activity, as the cockpit reads it: counts, the two clocks' shares, the five levels, scope.

The rows are scripted with their own timestamps in a March 2025 window that the demo's live rows never fall in.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.regions.models import Region
from qinqing.servicedesk.models import Conversation, Evaluation, Pause, WorkOrder
from qinqing.servicedesk.queries import region_activity
from qinqing.servicedesk.tests.support import changhe_enterprise, puyan_enterprise, staff
from qinqing.servicedesk.workflow import ChatStatus, OrderStatus

pytestmark = pytest.mark.django_db
ZONE = timezone.get_default_timezone()
T0 = dt.datetime(2025, 3, 10, 10, 0, tzinfo=ZONE)  # a Monday morning, inside service hours
SINCE, UNTIL = dt.datetime(2025, 3, 1, tzinfo=ZONE), dt.datetime(2025, 4, 1, tzinfo=ZONE)
NOW = dt.datetime(2025, 3, 20, 12, 0, tzinfo=ZONE)
PUYAN, DONGXIN, CHANGHE, BINJIANG = "330108003", "330108003015", "330108002", "330108"


def path(code: str) -> str:
    return Region.objects.get(code=code).path


def chat(user: User, *, handed: dt.datetime | None, first: dt.datetime | None = None,
         closed: dt.datetime | None = None, created: dt.datetime | None = None) -> Conversation:
    assert user.enterprise is not None
    item = Conversation.objects.create(enterprise=user.enterprise, region=user.enterprise.region, opened_by=user,
                                       status=ChatStatus.CLOSED if closed else ChatStatus.ACTIVE)
    Conversation.objects.filter(pk=item.pk).update(created_at=created or handed or T0, handed_over_at=handed,
                                                   first_response_at=first, closed_at=closed)
    return item


def order(user: User, *, created: dt.datetime, resolved: dt.datetime | None = None, kind: str = WorkOrder.Kind.APPEAL,
          due: dt.datetime | None = None, status: str | None = None) -> WorkOrder:
    assert user.enterprise is not None
    item = WorkOrder.objects.create(
        number=f"T{uuid.uuid4().hex[:12]}", kind=kind, title="测试", body="测试", filed_by=user,
        enterprise=user.enterprise, region=user.enterprise.region,
        status=status or (OrderStatus.RESOLVED if resolved else OrderStatus.TAKEN))
    WorkOrder.objects.filter(pk=item.pk).update(created_at=created, resolved_at=resolved, due_at=due)
    return item


def rate(user: User, level: str, *, at: dt.datetime = T0, closure: int = 1, **item: Any) -> None:
    assert user.enterprise is not None
    rating = Evaluation.objects.create(enterprise=user.enterprise, by=user, closure=closure, level=level, **item)
    Evaluation.objects.filter(pk=rating.pk).update(created_at=at)


@pytest.fixture
def scripted() -> None:
    puyan, changhe = puyan_enterprise(), changhe_enterprise()
    minute, hour = dt.timedelta(minutes=1), dt.timedelta(hours=1)
    # Chats of the 浦沿 enterprise: answered in 1 minute, in 10 minutes, never (past its 3 minutes), still
    # waiting inside its 3 minutes (not decided), and one from February (outside the window).
    on_time = chat(puyan, handed=T0, first=T0 + minute, closed=T0 + 20 * minute)
    late = chat(puyan, handed=T0 + hour, first=T0 + hour + 10 * minute, closed=T0 + 2 * hour)
    chat(puyan, handed=T0 + 2 * hour, closed=T0 + 2 * hour + 5 * minute)
    chat(puyan, handed=NOW - minute)
    chat(puyan, handed=T0 - dt.timedelta(days=30), first=T0 - dt.timedelta(days=30) + minute)
    chat(puyan, handed=None, created=T0, closed=T0 + minute)  # the assistant answered; no D小二 clock
    # Work orders: in 2 hours; in 30 hours with 10 of them waiting for the enterprise (20 counted); in 30 hours;
    # open past its deadline; a visit (its own due date: not in the 24-hour share); an open rectification.
    quick = order(puyan, created=T0, resolved=T0 + 2 * hour)
    paused = order(puyan, created=T0, resolved=T0 + 30 * hour)
    Pause.objects.create(work_order=paused, state=OrderStatus.WAITING_ENTERPRISE, by=staff("puyan_dxe"),
                         started_at=T0 + hour, ended_at=T0 + 11 * hour)
    order(puyan, created=T0, resolved=T0 + 30 * hour)
    order(puyan, created=T0 + 24 * hour, due=T0 + 48 * hour)
    order(puyan, created=T0, resolved=T0 + 100 * hour, kind=WorkOrder.Kind.VISIT)
    order(puyan, created=T0, kind=WorkOrder.Kind.RECTIFICATION, due=NOW + hour)
    for level, item in (("very_satisfied", {"conversation": on_time}), ("very_satisfied", {"work_order": quick}),
                        ("satisfied", {"work_order": paused}), ("dissatisfied", {"conversation": late})):
        rate(puyan, level, **item)
    rate(puyan, "very_dissatisfied", at=T0 - dt.timedelta(days=30), closure=2, conversation=late)  # February: outside
    # The 长河 enterprise: one chat answered in time, one order resolved in time, one 基本满意.
    other = chat(changhe, handed=T0, first=T0 + minute)
    order(changhe, created=T0, resolved=T0 + hour)
    rate(changhe, "basically_satisfied", conversation=other)


def test_a_streets_desk_figures_count_its_own_enterprises_items_on_their_clocks(scripted: None) -> None:
    got = region_activity(path(PUYAN), since=SINCE, until=UNTIL, now=NOW)
    assert (got.conversations_opened, got.conversations_closed) == (5, 4)
    assert (got.orders_opened, got.orders_closed) == (6, 4)
    assert (got.chats_decided, got.chats_on_time) == (3, 1), "in time, late, never answered; waiting is undecided"
    assert (got.orders_decided, got.orders_on_time) == (4, 2), "2 h and 30 h less a 10 h pause in time; the visit out"
    assert got.ratings == {"very_satisfied": 2, "satisfied": 1, "basically_satisfied": 0, "dissatisfied": 1,
                           "very_dissatisfied": 0}
    assert list(got.ratings) == ["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied",
                                 "very_dissatisfied"], "the five official levels, best first"
    assert (got.rated, got.satisfied) == (4, 3)
    assert got.chat_limit and got.order_limit


def test_every_figure_stays_inside_the_subtree(scripted: None) -> None:
    changhe = region_activity(path(CHANGHE), since=SINCE, until=UNTIL, now=NOW)
    assert (changhe.conversations_opened, changhe.orders_opened, changhe.chats_decided, changhe.orders_decided) \
        == (1, 1, 1, 1)
    assert changhe.ratings["basically_satisfied"] == 1 and changhe.rated == 1
    dongxin = region_activity(path(DONGXIN), since=SINCE, until=UNTIL, now=NOW)  # the 浦沿 enterprise's community
    puyan = region_activity(path(PUYAN), since=SINCE, until=UNTIL, now=NOW)
    assert (dongxin.conversations_opened, dongxin.rated) == (puyan.conversations_opened, puyan.rated)
    district = region_activity(path(BINJIANG), since=SINCE, until=UNTIL, now=NOW)
    assert district.conversations_opened == puyan.conversations_opened + changhe.conversations_opened
    assert district.rated == puyan.rated + changhe.rated
    assert district.orders_on_time == puyan.orders_on_time + changhe.orders_on_time
    xixing = region_activity(path("330108001"), since=SINCE, until=UNTIL, now=NOW)
    assert (xixing.conversations_opened, xixing.orders_opened, xixing.rated) == (0, 0, 0)


def test_open_rectifications_are_counted_whenever_they_were_filed(scripted: None) -> None:
    before = region_activity(path(PUYAN), since=UNTIL, until=UNTIL + dt.timedelta(days=1), now=NOW)
    assert before.rectifications_open >= 1 and before.conversations_opened == 0
    WorkOrder.objects.filter(kind=WorkOrder.Kind.RECTIFICATION, region__path__startswith=path(PUYAN)).update(
        status=OrderStatus.RESOLVED)
    assert region_activity(path(PUYAN), since=SINCE, until=UNTIL, now=NOW).rectifications_open == 0
