"""The desk's JSON API: the whole loop over HTTP, 404 for other enterprises, staff cannot rate, bad bodies 4xx."""

from __future__ import annotations

import pytest

from qinqing.cases.tests.support import client_for
from qinqing.servicedesk.tests.support import (
    changhe_enterprise,
    open_hours,  # noqa: F401 - fixture
    puyan_enterprise,
    staff,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("open_hours")]
A = "/api/v1"


def test_the_whole_chat_loop_over_the_api() -> None:
    ent, seat = client_for(changhe_enterprise()), client_for(staff("changhe_dxe"))
    opened = ent.post(f"{A}/conversations", {"text": "企业专项信用报告"}, content_type="application/json")
    assert opened.status_code == 201, opened.content
    body = opened.json()
    cid = body["id"]
    assistant = [m for m in body["messages"] if m["author_kind"] == "assistant" and m["citations"]]
    assert assistant and assistant[0]["citations"][0]["url"].startswith("/matters/")
    human = ent.post(f"{A}/conversations/{cid}/human")
    assert human.json()["status"] == "waiting" and human.json()["assignee"]
    reply = seat.post(f"{A}/conversations/{cid}/messages", {"text": "您好，D小二为您服务"},
                      content_type="application/json")
    assert reply.status_code == 201 and reply.json()["status"] == "active"
    seen = reply.json()["last_seq"]
    ent.post(f"{A}/conversations/{cid}/messages", {"text": "谢谢", "client_id": "c-1"}, content_type="application/json")
    caught = ent.get(f"{A}/conversations/{cid}?after={seen}").json()["messages"]
    assert [m["text"] for m in caught] == ["谢谢"]
    closed = ent.post(f"{A}/conversations/{cid}/close").json()
    assert closed["can_rate"] is True
    staff_rating = seat.post(f"{A}/evaluations", {"conversation": cid, "level": "very_satisfied"},
                             content_type="application/json")
    assert staff_rating.status_code == 403
    rated = ent.post(f"{A}/evaluations", {"conversation": cid, "level": "dissatisfied", "comment": "慢"},
                     content_type="application/json")
    assert rated.status_code == 201 and rated.json()["rectification"]
    again = ent.post(f"{A}/evaluations", {"conversation": cid, "level": "satisfied"}, content_type="application/json")
    assert again.status_code == 409


def test_another_enterprise_gets_404_for_chats_and_work_orders() -> None:
    ent, other = client_for(changhe_enterprise()), client_for(puyan_enterprise())
    cid = ent.post(f"{A}/conversations", {}, content_type="application/json").json()["id"]
    wid = ent.post(f"{A}/workorders", {"kind": "appeal", "title": "诉求", "body": "内容"},
                   content_type="application/json").json()["id"]
    assert other.get(f"{A}/conversations/{cid}").status_code == 404
    assert other.post(f"{A}/conversations/{cid}/messages", {"text": "x"},
                      content_type="application/json").status_code == 404
    assert other.get(f"{A}/workorders/{wid}").status_code == 404
    assert other.post(f"{A}/evaluations", {"work_order": wid, "level": "satisfied"},
                      content_type="application/json").status_code == 404


def test_work_order_staff_actions_and_24_hour_clock() -> None:
    ent, seat = client_for(changhe_enterprise()), client_for(staff("changhe_dxe"))
    filed = ent.post(f"{A}/workorders", {"kind": "message", "title": "留言：社保开户", "body": "请回电"},
                     content_type="application/json")
    assert filed.status_code == 201
    wid = filed.json()["id"]
    assert ent.post(f"{A}/workorders/{wid}/take").status_code == 403
    assert seat.post(f"{A}/workorders/{wid}/take").json()["status"] == "taken"
    assert seat.post(f"{A}/workorders/{wid}/reply", {"text": "已收到"}, content_type="application/json").status_code == 200
    escalated = seat.post(f"{A}/workorders/{wid}/escalate", {"note": "需区级协调"}, content_type="application/json")
    assert escalated.json()["escalation"] == 1
    handed = seat.post(f"{A}/workorders/{wid}/handover", {"to": "bj_business", "reason": "区级业务"},
                       content_type="application/json")
    assert handed.status_code == 201
    receiver = client_for(staff("bj_business"))
    accepted = receiver.post(f"{A}/handovers/{handed.json()['id']}", {"accept": True}, content_type="application/json")
    assert accepted.json()["status"] == "accepted"
    resolved = receiver.post(f"{A}/workorders/{wid}/resolve", {"resolution": "已办结"}, content_type="application/json")
    assert resolved.json()["status"] == "resolved"
    assert [s["action"] for s in resolved.json()["steps"]][:2] == ["filed", "taken"]


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "x" * 5000}, {"text": 5}, {"text": "a\u0000b"}])
def test_bad_message_bodies_get_a_clear_error(body) -> None:
    ent = client_for(changhe_enterprise())
    cid = ent.post(f"{A}/conversations", {}, content_type="application/json").json()["id"]
    response = ent.post(f"{A}/conversations/{cid}/messages", body, content_type="application/json")
    assert response.status_code in (400, 422), response.content
    assert response.json()["errors"] or response.json()["detail"]


def test_staff_cannot_open_a_conversation_and_a_rating_needs_exactly_one_item() -> None:
    seat = client_for(staff("changhe_dxe"))
    assert seat.post(f"{A}/conversations", {}, content_type="application/json").status_code == 422
    ent = client_for(changhe_enterprise())
    both = ent.post(f"{A}/evaluations", {"level": "satisfied"}, content_type="application/json")
    assert both.status_code == 422
