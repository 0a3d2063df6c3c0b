"""The chat WebSocket: scope-checked connect, persisted-then-acknowledged messages, live push, catch-up by seq."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from qinqing.accounts.models import User
from qinqing.servicedesk.models import Message
from qinqing.servicedesk.services import chat
from qinqing.servicedesk.tests.support import (
    changhe_enterprise,
    human_chat,
    open_hours,  # noqa: F401 - fixture
    puyan_enterprise,
    staff,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("open_hours", "push_at_once")]


@pytest.fixture
def push_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's transaction never commits: push at once instead of after the commit."""
    from qinqing.servicedesk.services import _common

    monkeypatch.setattr(_common, "after_commit", lambda callback: callback())
ORIGIN = (b"origin", b"http://testserver")


def _cookie(user: User | None) -> list[tuple[bytes, bytes]]:
    if user is None:
        return [ORIGIN]
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return [ORIGIN, (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode())]


def _communicator(conversation_id: int, headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    from qinqing.asgi import application

    return WebsocketCommunicator(application, f"/ws/conversations/{conversation_id}/", headers=headers)


def test_the_enterprise_and_its_seat_connect_others_are_refused() -> None:
    conversation = human_chat()

    async def attempt(headers: list[tuple[bytes, bytes]]) -> bool:
        communicator = _communicator(conversation.pk, headers)
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return bool(connected)

    assert async_to_sync(attempt)(_cookie(conversation.opened_by))
    assert async_to_sync(attempt)(_cookie(staff("changhe_dxe")))
    assert async_to_sync(attempt)(_cookie(staff("hz_chief")))
    assert not async_to_sync(attempt)(_cookie(puyan_enterprise()))
    assert not async_to_sync(attempt)(_cookie(staff("puyan_dxe")))
    assert not async_to_sync(attempt)(_cookie(staff("rsj_reviewer")))
    assert not async_to_sync(attempt)(_cookie(None))
    without_origin = [h for h in _cookie(conversation.opened_by) if h[0] != b"origin"]
    assert not async_to_sync(attempt)(without_origin)


def test_a_message_is_stored_before_its_ack_and_pushed_to_the_seat() -> None:
    conversation = human_chat()
    seat = staff("changhe_dxe")

    ent_headers, desk_headers = _cookie(conversation.opened_by), _cookie(seat)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        ent = _communicator(conversation.pk, ent_headers)
        desk = _communicator(conversation.pk, desk_headers)
        await ent.connect()
        await desk.connect()
        await ent.send_json_to({"type": "message", "text": "我想咨询稳岗返还", "client_id": "w-1"})
        pushed_to_ent = await ent.receive_json_from(timeout=5)
        ack = await ent.receive_json_from(timeout=5) if pushed_to_ent["type"] == "message" else pushed_to_ent
        pushed = await desk.receive_json_from(timeout=5)
        await ent.disconnect()
        await desk.disconnect()
        return pushed_to_ent, ack, pushed

    _first, ack, pushed = async_to_sync(scenario)()
    assert ack["type"] == "ack" and ack["client_id"] == "w-1"
    stored = Message.objects.get(conversation=conversation, client_id="w-1")
    assert stored.seq == ack["seq"]
    assert pushed["type"] == "message" and pushed["message"]["seq"] == stored.seq
    assert pushed["message"]["text"] == "我想咨询稳岗返还"


def test_a_reconnecting_client_catches_up_without_gaps_or_duplicates() -> None:
    user = changhe_enterprise()
    conversation = human_chat(user)
    seen = conversation.last_seq
    seat = staff("changhe_dxe")
    chat.staff_reply(conversation=conversation, staff=seat, text="第一条答复")
    chat.staff_reply(conversation=conversation, staff=seat, text="第二条答复")

    headers = _cookie(user)

    async def scenario() -> dict[str, Any]:
        ent = _communicator(conversation.pk, headers)
        await ent.connect()
        await ent.send_json_to({"type": "catch_up", "after": seen})
        got = await ent.receive_json_from(timeout=5)
        await ent.disconnect()
        return got

    got = async_to_sync(scenario)()
    assert [m["seq"] for m in got["messages"]] == [seen + 1, seen + 2]
    assert [m["text"] for m in got["messages"]] == ["第一条答复", "第二条答复"]


def test_bad_frames_get_an_error_and_a_retry_is_acknowledged_with_the_same_seq() -> None:
    conversation = human_chat()

    headers = _cookie(conversation.opened_by)

    async def scenario() -> list[dict[str, Any]]:
        ent = _communicator(conversation.pk, headers)
        await ent.connect()
        out = []
        for frame in ([1, 2], {"type": "nope"}, {"type": "message", "text": ""}):
            await ent.send_json_to(frame)
            out.append(await ent.receive_json_from(timeout=5))
        for _ in range(2):
            await ent.send_json_to({"type": "message", "text": "重发", "client_id": "same"})
            while True:
                frame = await ent.receive_json_from(timeout=5)
                if frame["type"] == "ack":
                    out.append(frame)
                    break
        await ent.disconnect()
        return out

    frames = async_to_sync(scenario)()
    assert [f["type"] for f in frames[:3]] == ["error", "error", "error"]
    assert frames[2]["code"] == "desk_invalid"
    assert frames[3]["seq"] == frames[4]["seq"]
    assert Message.objects.filter(conversation=conversation, client_id="same").count() == 1


def test_a_flood_over_the_websocket_is_refused_after_the_limit_and_markup_comes_back_as_text() -> None:
    conversation = human_chat()
    headers = _cookie(conversation.opened_by)

    async def scenario() -> list[dict[str, Any]]:
        ent = _communicator(conversation.pk, headers)
        await ent.connect()
        answers = []
        for n in range(chat.FLOOD_LIMIT + 4):
            await ent.send_json_to({"type": "message", "text": f"<img src=x onerror=alert({n})>",
                                    "client_id": f"flood-{n}"})
            while True:
                frame = await ent.receive_json_from(timeout=5)
                if frame["type"] in ("ack", "error"):
                    answers.append(frame)
                    break
        await ent.disconnect()
        return answers

    answers = async_to_sync(scenario)()
    kinds = [a["type"] for a in answers]
    stored = Message.objects.filter(conversation=conversation, client_id__startswith="flood-")
    # The 转人工 message counts too: the limit is per client and window, whatever the text.
    assert kinds.count("error") >= 4 and all(a["code"] == "too_many_messages" for a in answers if a["type"] == "error")
    assert stored.count() == kinds.count("ack") <= chat.FLOOD_LIMIT
    # Stored and sent back exactly as written: the page shows it as text (textContent), never as markup.
    assert stored.first().text == "<img src=x onerror=alert(0)>"  # type: ignore[union-attr]


def test_a_flood_over_the_polling_fallback_gets_429() -> None:
    conversation = human_chat()
    client = Client()
    client.force_login(conversation.opened_by, backend="django.contrib.auth.backends.ModelBackend")
    codes = [client.post(f"/service/conversations/{conversation.pk}/messages/", {"text": f"刷屏{n}"}).status_code
             for n in range(chat.FLOOD_LIMIT + 2)]
    assert codes[0] == 201 and codes[-1] == 429


def test_a_seat_that_lost_the_chat_is_disconnected_when_it_writes_and_stores_nothing() -> None:
    """Scope is checked by the service under the row lock (no query per frame before it): a seat moved to another
    street since connecting is closed with 4404, its message not stored; the enterprise's still flows."""
    from qinqing.regions.models import Region

    conversation = human_chat()
    seat = staff("changhe_dxe")
    chat.take_conversation(conversation=conversation, staff=seat)
    desk_headers, ent_headers = _cookie(seat), _cookie(conversation.opened_by)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        desk = _communicator(conversation.pk, desk_headers)
        ent = _communicator(conversation.pk, ent_headers)
        assert (await desk.connect())[0] and (await ent.connect())[0]
        await move_seat_and_hand_chat_on()
        await desk.send_json_to({"type": "message", "text": "已不是我的", "client_id": "gone-1"})
        closed = await desk.receive_output(timeout=5)
        await ent.send_json_to({"type": "message", "text": "还在吗", "client_id": "still-1"})
        frames = [await ent.receive_json_from(timeout=5), await ent.receive_json_from(timeout=5)]
        await ent.disconnect()
        return closed, next(f for f in frames if f["type"] == "ack")

    from channels.db import database_sync_to_async

    @database_sync_to_async
    def move_seat_and_hand_chat_on() -> None:
        desk = seat.desk
        desk.region = Region.objects.get(code="330108001")  # 西兴街道
        desk.save(update_fields=["region"])
        conversation.refresh_from_db()
        type(conversation).objects.filter(pk=conversation.pk).update(owner=staff("xixing_chief"),
                                                                     assignee=staff("xixing_chief"))

    closed, ack = async_to_sync(scenario)()
    assert closed == {"type": "websocket.close", "code": 4404}
    assert not Message.objects.filter(conversation=conversation, client_id="gone-1").exists()
    assert Message.objects.get(conversation=conversation, client_id="still-1").seq == ack["seq"]
