"""Chats: assistant first with a citation, 转人工 to the dedicated D小二, 首问责任, sequence catch-up, bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q

from qinqing.audit.models import AuditRecord
from qinqing.core.events.types import DeskAssigned, DeskReplied
from qinqing.core.models import OutboxEvent
from qinqing.servicedesk.errors import DeskInvalid, NotDeskStaff, NotYours, TooManyMessages, WrongState
from qinqing.servicedesk.models import Conversation, DeskProfile, Message
from qinqing.servicedesk.services import chat, handovers
from qinqing.servicedesk.tests.support import (
    NEVER_OPEN_NOW,
    changhe_enterprise,
    human_chat,
    open_hours,  # noqa: F401 - fixture
    puyan_enterprise,
    staff,
)
from qinqing.servicedesk.workflow import ChatStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("open_hours")]


def test_the_assistant_answers_first_and_cites_the_guide_it_used() -> None:
    user = changhe_enterprise()
    conversation = chat.open_conversation(user=user)
    chat.post_message(conversation=conversation, user=user, text="企业专项信用报告怎么办理？")
    answer = conversation.messages.filter(author_kind="assistant").order_by("-seq").first()
    assert answer is not None and answer.citations, "the assistant cites a guide"
    assert answer.citations[0]["url"].startswith("/matters/")
    conversation.refresh_from_db()
    assert conversation.status == ChatStatus.ASSISTANT


def test_asking_for_a_human_offers_the_chat_to_the_dedicated_dxe_with_a_three_minute_clock() -> None:
    conversation = human_chat()
    assert conversation.status == ChatStatus.WAITING
    assert conversation.assignee is not None and conversation.assignee.username == "changhe_dxe"
    assert conversation.owner is None, "nobody owns it until someone takes it"
    assert conversation.due_at is not None and conversation.handed_over_at is not None
    assert conversation.due_at - conversation.handed_over_at == dt.timedelta(minutes=3)
    names = set(OutboxEvent.objects.filter(name=DeskAssigned.NAME).values_list("payload__item_id", flat=True))
    assert conversation.pk in names


def test_routing_skips_an_unavailable_dedicated_dxe_and_stays_in_the_enterprises_region() -> None:
    DeskProfile.objects.filter(user__username="changhe_dxe").update(available=False)
    conversation = human_chat()
    assert conversation.assignee is not None
    desk = DeskProfile.objects.get(user=conversation.assignee)
    assert desk.covers(conversation.region) and desk.takes_seats
    assert conversation.assignee.username != "changhe_dxe"


def test_routing_round_robins_and_respects_the_concurrency_cap() -> None:
    DeskProfile.objects.filter(user__username="changhe_dxe").update(max_concurrent=1)
    first, second, third = human_chat(), human_chat(), human_chat()
    assert first.assignee.username == "changhe_dxe"  # type: ignore[union-attr]
    assert second.assignee.username != "changhe_dxe"  # type: ignore[union-attr]
    assert third.assignee != second.assignee, "the next free seat, not the one just given a chat"


def test_the_first_to_take_owns_it_and_a_colleague_cannot_snatch_it() -> None:
    conversation = human_chat()
    chat.take_conversation(conversation=conversation, staff=staff("changhe_dxe"))
    with pytest.raises(WrongState):
        chat.take_conversation(conversation=conversation, staff=staff("bj_answer"))
    conversation.refresh_from_db()
    assert conversation.owner.username == "changhe_dxe"  # type: ignore[union-attr]


def test_a_hand_over_leaves_the_owner_accountable_until_the_receiver_accepts() -> None:
    conversation = human_chat()
    owner, receiver = staff("changhe_dxe"), staff("bj_business")
    chat.take_conversation(conversation=conversation, staff=owner)
    handover = handovers.hand_over(item=conversation, by=owner, to=receiver, reason="涉及项目审批，转区级业务")
    conversation.refresh_from_db()
    assert conversation.owner == owner and conversation.assignee == owner
    with pytest.raises(NotYours):
        handovers.decide_handover(handover=handover, by=staff("bj_answer"), accept=True)
    handovers.decide_handover(handover=handover, by=receiver, accept=True)
    conversation.refresh_from_db()
    assert conversation.owner == receiver and conversation.assignee == receiver
    assert AuditRecord.objects.filter(action="servicedesk.handover_accepted", object_id=str(conversation.pk)).exists()


def test_a_staff_reply_stops_the_clock_and_the_next_enterprise_message_restarts_it() -> None:
    conversation = human_chat()
    seat = staff("changhe_dxe")
    chat.staff_reply(conversation=conversation, staff=seat, text="您好，我是长河街道D小二李娜。")
    conversation.refresh_from_db()
    assert conversation.status == ChatStatus.ACTIVE and conversation.owner == seat
    assert conversation.first_response_at is not None and conversation.due_at is None
    replied = OutboxEvent.objects.filter(name=DeskReplied.NAME, payload__item_id=conversation.pk,
                                         payload__first=True).first()
    assert replied is not None and replied.payload["on_time"] is True
    chat.post_message(conversation=conversation, user=conversation.opened_by, text="还有一个问题")
    conversation.refresh_from_db()
    assert conversation.due_at is not None


def test_outside_service_hours_the_chat_says_so_and_offers_a_message(settings) -> None:
    settings.QINQING_SERVICE_HOURS = NEVER_OPEN_NOW
    conversation = human_chat()
    assert conversation.status == ChatStatus.ASSISTANT
    last = conversation.messages.order_by("-seq").first()
    assert last is not None and last.author_kind == "system" and "非服务时间" in last.text


def test_a_reconnecting_client_gets_every_later_message_once_in_order() -> None:
    user = changhe_enterprise()
    conversation = human_chat(user)
    seen = conversation.last_seq
    for i in range(5):
        chat.post_message(conversation=conversation, user=user, text=f"第{i}条")
    later = chat.messages_after(conversation, seen)
    seqs = [m.seq for m in later]
    assert seqs == list(range(seen + 1, seen + 6))
    assert [m.text for m in later] == [f"第{i}条" for i in range(5)]


def test_a_retried_message_with_the_same_client_id_is_stored_once() -> None:
    user = changhe_enterprise()
    conversation = human_chat(user)
    first = chat.post_message(conversation=conversation, user=user, text="你好", client_id="abc-1")
    again = chat.post_message(conversation=conversation, user=user, text="你好", client_id="abc-1")
    assert first.pk == again.pk
    assert Message.objects.filter(conversation=conversation, client_id="abc-1").count() == 1


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001, "a\x00b", "\x07"])
def test_empty_oversized_or_control_character_messages_are_refused(text: str) -> None:
    user = changhe_enterprise()
    conversation = chat.open_conversation(user=user)
    with pytest.raises(DeskInvalid):
        chat.post_message(conversation=conversation, user=user, text=text)


def test_html_is_stored_as_text_and_odd_unicode_survives() -> None:
    user = changhe_enterprise()
    conversation = human_chat(user)
    text = "<script>alert(1)</script> 𠀀 é 👩‍💻 ‮"
    message = chat.post_message(conversation=conversation, user=user, text=text)
    assert Message.objects.get(pk=message.pk).text == text.strip()


def test_a_flood_of_messages_is_rate_limited() -> None:
    user = changhe_enterprise()
    conversation = human_chat(user)
    with pytest.raises(TooManyMessages):
        for i in range(20):
            chat.post_message(conversation=conversation, user=user, text=f"刷屏{i}")


def test_another_enterprise_cannot_write_into_or_read_a_chat() -> None:
    conversation = human_chat()
    other = puyan_enterprise()
    with pytest.raises(NotYours):
        chat.post_message(conversation=conversation, user=other, text="我是别人")
    assert not Conversation.objects.visible_to(other).filter(pk=conversation.pk).exists()
    assert Conversation.objects.visible_to(conversation.opened_by).filter(pk=conversation.pk).exists()


def test_staff_see_their_region_only_and_non_desk_staff_cannot_act() -> None:
    conversation = human_chat()  # 长河
    assert Conversation.objects.visible_to(staff("changhe_dxe")).filter(pk=conversation.pk).exists()
    assert Conversation.objects.visible_to(staff("hz_chief")).filter(pk=conversation.pk).exists()
    assert not Conversation.objects.visible_to(staff("puyan_dxe")).filter(Q(pk=conversation.pk)).exists()
    with pytest.raises(NotYours):
        chat.take_conversation(conversation=conversation, staff=staff("puyan_dxe"))
    with pytest.raises(NotDeskStaff):
        chat.take_conversation(conversation=conversation, staff=staff("rsj_reviewer"))
