"""Attachments in chats and work orders: checked by content like case uploads, size-limited, scoped (another
enterprise or a seat out of scope → 404), pushed live and shown in the console and the enterprise's panel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qinqing.cases.tests.support import session_client
from qinqing.servicedesk.models import Attachment
from qinqing.servicedesk.services import orders
from qinqing.servicedesk.tests.support import (
    changhe_enterprise,
    human_chat,
    open_hours,  # noqa: F401 - fixture
    puyan_enterprise,
    staff,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("open_hours")]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _file(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_file_in_the_chat_is_a_message_with_a_link_that_only_the_chat_s_parties_can_open() -> None:
    conversation = human_chat()
    owner = session_client(changhe_enterprise())
    sent = owner.post(f"/service/conversations/{conversation.pk}/attachments/",
                      {"file": _file("营业执照.png", PNG, "image/png"), "client_id": "f-1"},
                      headers={"Accept": "application/json"})
    assert sent.status_code == 201, sent.content
    message = sent.json()["message"]
    assert message["text"] == "📎 营业执照.png" and message["attachment"]["name"] == "营业执照.png"
    url = message["attachment"]["url"]
    # A retried upload with the same client_id is the same message, not a second file.
    again = owner.post(f"/service/conversations/{conversation.pk}/attachments/",
                       {"file": _file("营业执照.png", PNG, "image/png"), "client_id": "f-1"},
                       headers={"Accept": "application/json"})
    assert again.json()["seq"] == sent.json()["seq"] and Attachment.objects.count() == 1
    # The polling fallback and the catch-up carry it too; the seat console shows it.
    polled = owner.get(f"/service/conversations/{conversation.pk}/messages/").json()
    assert polled["messages"][-1]["attachment"]["url"] == url
    download = owner.get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG  # type: ignore[attr-defined]
    assert download["Content-Type"] == "image/png" and download["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download["Content-Disposition"] and "sandbox" in download["Content-Security-Policy"]
    assert session_client(staff("changhe_dxe")).get(url).status_code == 200
    assert session_client(puyan_enterprise()).get(url).status_code == 404  # another enterprise
    assert session_client(staff("xixing_dxe")).get(url).status_code == 404  # a seat of another street
    assert session_client(puyan_enterprise()).post(
        f"/service/conversations/{conversation.pk}/attachments/", {"file": _file("a.png", PNG)}).status_code == 404


@pytest.mark.parametrize(("name", "content", "says"), [
    ("合同.pdf", b"<html><script>alert(1)</script></html>", "checked by content"),
    ("report.pdf", b"MZ\x90\x00" + b"\x00" * 60, "checked by content"),
    ("空.pdf", b"", "empty"),
])
def test_a_file_that_is_not_what_it_claims_is_refused_with_a_reason(name: str, content: bytes, says: str) -> None:
    conversation = human_chat()
    refused = session_client(changhe_enterprise()).post(
        f"/service/conversations/{conversation.pk}/attachments/", {"file": _file(name, content)},
        headers={"Accept": "application/json"})
    assert refused.status_code == 422
    body = refused.json()
    assert body["errors"]["file"] and Attachment.objects.count() == 0
    assert not conversation.messages.filter(text__startswith="📎").exists()


def test_a_file_above_the_desk_s_limit_is_refused(settings: Any) -> None:
    settings.QINQING_DESK_MAX_ATTACHMENT_BYTES = 1024
    conversation = human_chat()
    refused = session_client(changhe_enterprise()).post(
        f"/service/conversations/{conversation.pk}/attachments/", {"file": _file("大.pdf", PDF + b"0" * 2000)},
        headers={"Accept": "application/json"})
    assert refused.status_code == 422 and "MB" in refused.json()["errors"]["file"][0]


def test_a_work_order_carries_files_from_both_sides_and_shows_them() -> None:
    user = changhe_enterprise()
    order = orders.file_work_order(user=user, kind="appeal", title="退税进度", body="请核实")
    owner = session_client(user)
    added = owner.post(f"/service/workorders/{order.pk}/attachments/", {"file": _file("凭证.pdf", PDF)})
    assert added.status_code == 302
    seat = session_client(staff("changhe_dxe"))
    assert seat.post(f"/service/workorders/{order.pk}/attachments/",
                     {"file": _file("答复.pdf", PDF)}).status_code == 302
    names = list(order.attachments.values_list("original_name", flat=True))
    assert names == ["凭证.pdf", "答复.pdf"]
    page = owner.get(f"/service/workorders/{order.pk}/").content.decode()
    assert "凭证.pdf" in page and "答复.pdf" in page and 'enctype="multipart/form-data"' in page
    assert "attached" in list(order.steps.values_list("action", flat=True))
    other = session_client(puyan_enterprise())
    assert other.post(f"/service/workorders/{order.pk}/attachments/", {"file": _file("x.pdf", PDF)}).status_code == 404
    attachment = order.attachments.first()
    assert attachment is not None and other.get(f"/service/attachments/{attachment.pk}/").status_code == 404
    bad = owner.post(f"/service/workorders/{order.pk}/attachments/", {"file": _file("x.pdf", b"<svg onload=1>")},
                     follow=True)
    assert "x.pdf 不是支持的文件类型" in bad.content.decode()
    assert order.attachments.count() == 2


def test_the_websocket_catch_up_carries_the_attachment() -> None:
    from qinqing.servicedesk.consumers import _catch_up

    conversation = human_chat()
    session_client(changhe_enterprise()).post(f"/service/conversations/{conversation.pk}/attachments/",
                                              {"file": _file("图.png", PNG)})
    body = _catch_up(conversation.pk, 0)
    files = [m["attachment"] for m in body["messages"] if m["attachment"]]
    assert [f["name"] for f in files] == ["图.png"]
