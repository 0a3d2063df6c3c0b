"""Pages: the enterprise's 服务台 and the chat panel's endpoints, the seat console, supervision and its export."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from qinqing.cases.tests.support import session_client
from qinqing.servicedesk.models import Conversation, WorkOrder
from qinqing.servicedesk.services import chat
from qinqing.servicedesk.tests.support import (
    changhe_enterprise,
    human_chat,
    open_hours,  # noqa: F401 - fixture
    puyan_enterprise,
    staff,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("open_hours")]


def test_the_enterprise_desk_shows_its_dedicated_dxe_and_the_panel_is_on_every_page() -> None:
    client = session_client(changhe_enterprise())
    page = client.get("/service/").content.decode()
    assert "李娜" in page and "09:00–21:00" in page
    home = client.get("/").content.decode()
    assert 'id="desk-panel"' in home and "servicedesk/chat.js" in home
    assert "<script>" not in home.split("</head>")[1], "no inline script"


def test_the_panel_opens_a_chat_with_the_matter_as_context_and_polls_without_websockets() -> None:
    from qinqing.catalog.models import Matter

    matter = Matter.objects.order_by("code").first()
    assert matter is not None
    client = session_client(changhe_enterprise())
    opened = client.post("/service/chat/", {"context_kind": "matter", "context_key": matter.code})
    assert opened.status_code == 201
    cid = opened.json()["id"]
    conversation = Conversation.objects.get(pk=cid)
    assert conversation.context_key == matter.code and conversation.topic == matter.department.code
    sent = client.post(f"/service/conversations/{cid}/messages/", {"text": "<b>你好</b>", "client_id": "p-1"})
    assert sent.status_code == 201
    polled = client.get(f"/service/conversations/{cid}/messages/?after={sent.json()['seq'] - 1}").json()
    assert polled["messages"][0]["text"] == "<b>你好</b>"
    human = client.post(f"/service/conversations/{cid}/action/", {"action": "human"}, headers={"Accept": "application/json"})
    assert human.json()["status"] == "waiting"


def test_the_panel_refuses_a_case_of_another_enterprise_as_context() -> None:
    from qinqing.cases.models import Case

    theirs = Case.objects.exclude(enterprise=changhe_enterprise().enterprise).first()
    client = session_client(changhe_enterprise())
    opened = client.post("/service/chat/", {"context_kind": "case", "context_key": str(theirs.pk) if theirs else "1"})
    conversation = Conversation.objects.get(pk=opened.json()["id"])
    assert conversation.context_kind == "" and conversation.context_title == ""


def test_a_bad_rating_on_the_page_leads_to_the_visible_rectification() -> None:
    conversation = human_chat()
    chat.staff_reply(conversation=conversation, staff=staff("changhe_dxe"), text="好的")
    chat.close_conversation(conversation=conversation, user=conversation.opened_by)
    client = session_client(conversation.opened_by)
    assert "rate-form" in client.get(f"/service/conversations/{conversation.pk}/").content.decode()
    response = client.post("/service/rate/", {"item": "conversation", "id": conversation.pk, "level": "dissatisfied",
                                              "speed": "2", "comment": "没解决"}, follow=True)
    page = response.content.decode()
    assert "整改" in page and 'aria-current="step"' in page
    again = client.post("/service/rate/", {"item": "conversation", "id": conversation.pk, "level": "satisfied"})
    assert again.status_code == 302
    assert WorkOrder.objects.filter(kind="rectification", conversation=conversation).count() == 1


def test_a_work_order_title_with_html_is_shown_escaped() -> None:
    client = session_client(changhe_enterprise())
    response = client.post("/service/workorders/", {"kind": "appeal", "title": "<script>alert(1)</script>",
                                                    "body": "诉求内容"}, follow=True)
    page = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


def test_the_console_lists_the_waiting_chat_offered_to_the_seat_and_others_are_refused() -> None:
    conversation = human_chat()
    page = session_client(staff("changhe_dxe")).get("/service/console/").content.decode()
    assert f"/service/conversations/{conversation.pk}/" in page and "data-countdown" in page
    assert session_client(changhe_enterprise()).get("/service/console/").status_code == 403
    assert session_client(staff("rsj_reviewer")).get("/service/console/").status_code == 403
    assert session_client(puyan_enterprise()).get(f"/service/conversations/{conversation.pk}/").status_code == 404


def test_supervision_lists_overdue_items_and_exports_the_report() -> None:
    conversation = human_chat()
    Conversation.objects.filter(pk=conversation.pk).update(due_at=conversation.created_at)
    client = session_client(staff("bj_supervisor"))
    page = client.get("/service/supervise/").content.decode()
    assert f"/service/conversations/{conversation.pk}/" in page
    export = client.get("/service/supervise/report.xlsx")
    book = load_workbook(io.BytesIO(export.content))
    assert book.sheetnames == ["person", "level", "roles", "region"]
    assert session_client(staff("changhe_dxe")).get("/service/supervise/").status_code == 403
