"""Attachments through the JSON API: the page's checks (size, type by content, markup), the API's scope (another
enterprise or a D小二 outside the region: 404, never 500), `client_id` idempotency in chats, translated field errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from qinqing.cases.tests.support import client_for
from qinqing.servicedesk.models import Attachment
from qinqing.servicedesk.services import chat, orders
from qinqing.servicedesk.tests.support import (
    changhe_enterprise,
    human_chat,
    open_hours,  # noqa: F401 - fixture
    puyan_enterprise,
    staff,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("open_hours")]
A = "/api/v1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _file(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_a_file_sent_in_a_chat_over_the_api_is_a_message_listed_and_downloadable_by_both_parties() -> None:
    conversation = human_chat()
    ent, seat = client_for(changhe_enterprise()), client_for(staff("changhe_dxe"))
    sent = ent.post(f"{A}/conversations/{conversation.pk}/attachments",
                    {"file": _file("营业执照.png", PNG, "text/html"), "client_id": "api-f-1"})
    assert sent.status_code == 201, sent.content
    body = sent.json()
    # Typed by its bytes, not by the type the client claimed.
    assert body["name"] == "营业执照.png" and body["content_type"] == "image/png" and body["size"] == len(PNG)
    assert body["uploaded_by"] == "enterprise" and body["seq"] and body["client_id"] == "api-f-1"
    # A resend with the same client_id (the answer was lost) is the same file and the same message.
    again = ent.post(f"{A}/conversations/{conversation.pk}/attachments",
                     {"file": _file("营业执照.png", PNG), "client_id": "api-f-1"})
    assert again.status_code == 201 and again.json()["id"] == body["id"] and Attachment.objects.count() == 1
    # The message carries it, linked to the API's download route.
    messages = ent.get(f"{A}/conversations/{conversation.pk}").json()["messages"]
    carried = [m["attachment"] for m in messages if m["attachment"]]
    assert carried == [{"id": body["id"], "name": "营业执照.png", "size": len(PNG), "content_type": "image/png",
                        "url": body["url"]}]
    # The D小二 answers with a file of its own; both see both, oldest first.
    answer = seat.post(f"{A}/conversations/{conversation.pk}/attachments", {"file": _file("答复.pdf", PDF)})
    assert answer.status_code == 201 and answer.json()["uploaded_by"] == "staff"
    for client in (ent, seat):
        listed = client.get(f"{A}/conversations/{conversation.pk}/attachments").json()
        assert [f["name"] for f in listed] == ["营业执照.png", "答复.pdf"]
        download = client.get(body["url"])
        assert download.status_code == 200 and _body(download) == PNG
        assert download["Content-Type"] == "image/png" and download["X-Content-Type-Options"] == "nosniff"
        assert "attachment" in download["Content-Disposition"] and "sandbox" in download["Content-Security-Policy"]


def test_a_work_order_takes_files_from_both_sides_over_the_api() -> None:
    user = changhe_enterprise()
    order = orders.file_work_order(user=user, kind="appeal", title="退税进度", body="请核实")
    ent, seat = client_for(user), client_for(staff("changhe_dxe"))
    added = ent.post(f"{A}/workorders/{order.pk}/attachments", {"file": _file("凭证.pdf", PDF)})
    assert added.status_code == 201, added.content
    assert added.json()["seq"] is None and added.json()["content_type"] == "application/pdf"
    assert seat.post(f"{A}/workorders/{order.pk}/attachments", {"file": _file("答复.pdf", PDF)}).status_code == 201
    listed = ent.get(f"{A}/workorders/{order.pk}/attachments").json()
    assert [(f["name"], f["uploaded_by"]) for f in listed] == [("凭证.pdf", "enterprise"), ("答复.pdf", "staff")]
    assert _body(seat.get(listed[0]["url"])) == PDF
    assert "attached" in [s["action"] for s in ent.get(f"{A}/workorders/{order.pk}").json()["steps"]]


def _other_parties() -> list[Client]:
    """Another enterprise, and a D小二 of another street (outside the chat's region and not holding it)."""
    return [client_for(puyan_enterprise()), client_for(staff("xixing_dxe"))]


def test_another_enterprise_and_a_seat_outside_scope_get_404_on_every_attachment_route() -> None:
    conversation = human_chat()
    order = orders.file_work_order(user=changhe_enterprise(), kind="appeal", title="诉求", body="内容")
    ent = client_for(changhe_enterprise())
    chat_file = ent.post(f"{A}/conversations/{conversation.pk}/attachments", {"file": _file("a.png", PNG)}).json()
    order_file = ent.post(f"{A}/workorders/{order.pk}/attachments", {"file": _file("b.pdf", PDF)}).json()
    for other in _other_parties():
        for path in (f"/conversations/{conversation.pk}/attachments", f"/workorders/{order.pk}/attachments"):
            assert other.get(f"{A}{path}").status_code == 404
            assert other.post(f"{A}{path}", {"file": _file("x.pdf", PDF)}).status_code == 404
        assert other.get(chat_file["url"]).status_code == 404
        assert other.get(order_file["url"]).status_code == 404
    # The right item with a file of another item: 404 too, not the file.
    assert ent.get(f"{A}/conversations/{conversation.pk}/attachments/{order_file['id']}").status_code == 404
    assert ent.get(f"{A}/workorders/{order.pk}/attachments/{chat_file['id']}").status_code == 404
    assert ent.get(f"{A}/workorders/999999/attachments").status_code == 404
    assert Attachment.objects.count() == 2


@pytest.mark.parametrize(("name", "content", "says"), [
    ("合同.pdf", b"<html><script>alert(1)</script></html>", "不是支持的文件类型"),
    ("report.pdf", b"MZ\x90\x00" + b"\x00" * 60, "不是支持的文件类型"),
    ("polyglot.pdf", b"%PDF-1.4\n<script>alert(1)</script>", "不是支持的文件类型"),
    ("空.pdf", b"", "空"),
])
def test_a_file_that_is_not_what_it_claims_gets_a_translated_error_on_the_file_field(
        name: str, content: bytes, says: str) -> None:
    conversation = human_chat()
    refused = client_for(changhe_enterprise(), **{"Accept-Language": "zh-hans"}).post(
        f"{A}/conversations/{conversation.pk}/attachments", {"file": _file(name, content)})
    assert refused.status_code == 422, refused.content
    problems = refused.json()["errors"]["file"]
    assert any(says in p for p in problems), problems
    assert Attachment.objects.count() == 0 and not conversation.messages.filter(text__startswith="📎").exists()


def test_an_oversized_or_missing_file_is_a_field_error_in_english_too(settings: Any) -> None:
    settings.QINQING_DESK_MAX_ATTACHMENT_BYTES = 1024
    order = orders.file_work_order(user=changhe_enterprise(), kind="appeal", title="诉求", body="内容")
    ent = client_for(changhe_enterprise(), **{"Accept-Language": "en"})
    big = ent.post(f"{A}/workorders/{order.pk}/attachments", {"file": _file("big.pdf", PDF + b"0" * 2000)})
    assert big.status_code == 422 and big.json()["errors"]["file"] == ["big.pdf is larger than 0.000976562 MB."]
    missing = ent.post(f"{A}/workorders/{order.pk}/attachments", {"note": "no file"})
    assert missing.status_code == 422 and missing.json()["errors"]["file"]
    assert order.attachments.count() == 0


def test_a_closed_chat_refuses_new_files_but_still_serves_the_old_ones() -> None:
    conversation = human_chat()
    user = changhe_enterprise()
    ent = client_for(user)
    kept = ent.post(f"{A}/conversations/{conversation.pk}/attachments", {"file": _file("a.png", PNG)}).json()
    chat.close_conversation(conversation=conversation, user=user)
    refused = ent.post(f"{A}/conversations/{conversation.pk}/attachments", {"file": _file("b.png", PNG)})
    assert refused.status_code == 409 and refused.json()["code"] == "wrong_state"
    assert ent.get(kept["url"]).status_code == 200
