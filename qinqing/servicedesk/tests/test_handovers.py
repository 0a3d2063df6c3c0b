"""Supervision: reassign and 催办 by 督办 staff only, each logged, evented and shown on the item."""

from __future__ import annotations

import pytest

from qinqing.core.events.types import DeskEscalated, DeskHandedOver
from qinqing.core.models import OutboxEvent
from qinqing.servicedesk.errors import DeskInvalid, NotYours, WrongState
from qinqing.servicedesk.models import Escalation, Step
from qinqing.servicedesk.services import handovers, orders
from qinqing.servicedesk.tests.support import (
    changhe_enterprise,
    open_hours,  # noqa: F401 - fixture
    staff,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("open_hours")]


def _taken_order():
    order = orders.file_work_order(user=changhe_enterprise(), kind="appeal", title="停车难", body="园区停车位不足")
    return orders.take_work_order(order=order, staff=staff("changhe_dxe"))


def test_only_supervising_staff_reassign_and_the_new_holder_owns_it() -> None:
    order = _taken_order()
    with pytest.raises(NotYours):
        handovers.reassign(item=order, by=staff("bj_answer"), to=staff("bj_business"))
    handovers.reassign(item=order, by=staff("bj_supervisor"), to=staff("bj_business"), note="区级协调")
    order.refresh_from_db()
    assert order.owner == staff("bj_business") and order.assignee == staff("bj_business")
    assert Step.objects.filter(work_order=order, action="reassigned").exists()


def test_reassigning_outside_the_enterprises_region_is_refused() -> None:
    order = _taken_order()  # 长河
    with pytest.raises(DeskInvalid):
        handovers.reassign(item=order, by=staff("bj_supervisor"), to=staff("puyan_dxe"))


def test_urging_is_logged_and_evented_and_refused_to_seats() -> None:
    order = _taken_order()
    with pytest.raises(NotYours):
        handovers.urge(item=order, by=staff("changhe_dxe"), note="快点")
    handovers.urge(item=order, by=staff("bj_supervisor"), note="请今天内答复")
    urge = Escalation.objects.get(work_order=order, kind="urge")
    assert urge.to_user == staff("changhe_dxe") and urge.by == staff("bj_supervisor")
    assert OutboxEvent.objects.filter(name=DeskEscalated.NAME, payload__item_id=order.pk,
                                      payload__kind="urge").exists()


def test_a_declined_hand_over_leaves_the_owner_in_charge_and_only_one_may_wait() -> None:
    order = _taken_order()
    owner = staff("changhe_dxe")
    handover = handovers.hand_over(item=order, by=owner, to=staff("bj_business"), reason="需要区级")
    with pytest.raises(WrongState):
        handovers.hand_over(item=order, by=owner, to=staff("bj_answer"), reason="再转")
    handovers.decide_handover(handover=handover, by=staff("bj_business"), accept=False)
    order.refresh_from_db()
    assert order.owner == owner and order.assignee == owner
    statuses = list(OutboxEvent.objects.filter(name=DeskHandedOver.NAME, payload__item_id=order.pk)
                    .values_list("payload__status", flat=True))
    assert statuses == ["pending", "declined"]
    with pytest.raises(WrongState):
        handovers.decide_handover(handover=handover, by=staff("bj_business"), accept=True)
