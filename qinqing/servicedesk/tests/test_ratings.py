"""Closed-loop evaluation: once per closure, enterprise only, a bad rating opens a visible rectification."""

from __future__ import annotations

import pytest

from qinqing.core.events.types import DeskRated
from qinqing.core.models import OutboxEvent
from qinqing.servicedesk.errors import AlreadyRated, DeskInvalid, NotYours, WrongState
from qinqing.servicedesk.models import Step, WorkOrder
from qinqing.servicedesk.services import chat, orders, ratings
from qinqing.servicedesk.tests.support import (
    human_chat,
    open_hours,  # noqa: F401 - fixture
    puyan_enterprise,
    staff,
)
from qinqing.servicedesk.workflow import OrderStatus, Stage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("open_hours")]


def _answered_and_closed():
    conversation = human_chat()
    seat = staff("changhe_dxe")
    chat.staff_reply(conversation=conversation, staff=seat, text="已为您解答")
    return chat.close_conversation(conversation=conversation, user=conversation.opened_by), seat


def test_an_open_chat_cannot_be_rated() -> None:
    conversation = human_chat()
    with pytest.raises(WrongState):
        ratings.rate(item=conversation, user=conversation.opened_by, level="satisfied")


def test_a_closed_chat_is_rated_once() -> None:
    conversation, _seat = _answered_and_closed()
    ratings.rate(item=conversation, user=conversation.opened_by, level="very_satisfied",
                 indicators={"speed": 5, "attitude": 5}, comment="很快")
    with pytest.raises(AlreadyRated):
        ratings.rate(item=conversation, user=conversation.opened_by, level="dissatisfied")
    assert OutboxEvent.objects.filter(name=DeskRated.NAME, payload__item_id=conversation.pk).count() == 1


def test_staff_and_other_enterprises_cannot_rate() -> None:
    conversation, seat = _answered_and_closed()
    with pytest.raises(NotYours):
        ratings.rate(item=conversation, user=seat, level="very_satisfied")
    with pytest.raises(NotYours):
        ratings.rate(item=conversation, user=puyan_enterprise(), level="very_dissatisfied")


@pytest.mark.parametrize("indicators", [{"speed": 6}, {"speed": 0}, {"mood": 3}, {"speed": "5"}, {"speed": True}, [1]])
def test_bad_sub_indicators_are_refused(indicators) -> None:
    conversation, _seat = _answered_and_closed()
    with pytest.raises(DeskInvalid):
        ratings.rate(item=conversation, user=conversation.opened_by, level="satisfied", indicators=indicators)


def test_a_bad_rating_opens_a_rectification_the_owner_works_through_to_a_second_rating() -> None:
    conversation, seat = _answered_and_closed()
    evaluation = ratings.rate(item=conversation, user=conversation.opened_by, level="dissatisfied",
                              comment="答非所问")
    rectification = ratings.rectification_of(evaluation)
    assert rectification is not None
    assert rectification.kind == WorkOrder.Kind.RECTIFICATION and rectification.stage == Stage.VERIFY
    assert rectification.owner == seat and rectification.status == OrderStatus.TAKEN
    assert WorkOrder.objects.visible_to(conversation.opened_by).filter(pk=rectification.pk).exists()
    with pytest.raises(WrongState):
        orders.resolve_work_order(order=rectification, staff=seat, resolution="好了")
    orders.advance_rectification(order=rectification, staff=seat, note="核实：首次答复未针对问题")
    orders.advance_rectification(order=rectification, staff=seat, note="已补充正确的办理指引")
    rectification = orders.resolve_work_order(order=rectification, staff=seat, resolution="已电话回访，企业认可")
    assert rectification.stage == Stage.SECOND_RATING
    actions = list(Step.objects.filter(work_order=rectification).values_list("action", flat=True))
    assert actions == ["filed", "rectification_verify", "rectification_fix", "resolved"]
    second = ratings.rate(item=rectification, user=conversation.opened_by, level="satisfied")
    assert second.closure == 1 and not second.is_bad
