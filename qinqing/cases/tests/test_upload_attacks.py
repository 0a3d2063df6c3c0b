"""Hostile uploads: polyglots, web pages, executables in Office files, zip bombs, bodies over the limit."""

from __future__ import annotations

import asyncio
import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from qinqing.cases.models import Material
from qinqing.cases.roster.reading import SheetProblem, sniff
from qinqing.cases.tests.support import PDF_BYTES, client_for, enterprise, nothing_written, open_case
from qinqing.core.bodylimit import BodyLimitASGI

pytestmark = pytest.mark.django_db

DOCX_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    b"</Types>"
)
DOCUMENT = b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>'


def _zip(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def _docx(**extra: bytes) -> bytes:
    return _zip({"[Content_Types].xml": DOCX_TYPES, "word/document.xml": DOCUMENT, **extra})


def _xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> Any:
    case = open_case(0)
    response = client_for(enterprise(0)).post(
        f"/api/v1/cases/{case.pk}/materials", {"file": SimpleUploadedFile(name, content, content_type=content_type)})
    return case, response


def _refused(name: str, content: bytes) -> list[str]:
    case, response = _upload(name, content)
    assert response.status_code == 422, response.content
    assert not Material.objects.filter(case=case).exists()
    return [str(m) for m in response.json()["errors"]["file"]]


def test_a_pdf_polyglot_named_bat_is_stored_and_served_as_pdf():
    case, response = _upload("report.bat", PDF_BYTES + b"\r\n@echo off\r\ndel /q C:\\*\r\n")
    assert response.status_code == 201, response.content
    material = Material.objects.get(case=case)
    assert material.stored_name.endswith(".pdf") and material.original_name == "report.pdf"
    download = client_for(enterprise(0)).get(f"/api/v1/cases/{case.pk}/materials/{material.pk}")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_download_name_is_made_safe_whatever_was_stored():
    case, response = _upload("a.pdf", PDF_BYTES)
    assert response.status_code == 201
    material = Material.objects.get(case=case)
    Material.objects.filter(pk=material.pk).update(original_name='x"; filename=evil.html\r\nSet-Cookie: a=b.bat')
    download = client_for(enterprise(0)).get(f"/api/v1/cases/{case.pk}/materials/{material.pk}")
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.endswith('.pdf"')
    assert "\r" not in disposition and "\n" not in disposition and 'evil.html"' not in disposition
    assert download["X-Content-Type-Options"] == "nosniff"


def test_the_web_page_download_of_a_material_is_an_attachment_too():
    case, _response = _upload("报告.exe", PDF_BYTES)
    material = Material.objects.get(case=case)
    client = client_for(enterprise(0))
    client.force_login(enterprise(0), backend="django.contrib.auth.backends.ModelBackend")
    download = client.get(f"/cases/{case.pk}/materials/{material.pk}/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;") and "pdf" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"


def test_an_html_page_with_a_script_is_refused_even_behind_a_pdf_header():
    _refused("page.html", b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>")
    _refused("report.pdf", b"%PDF-1.4\n<html><body><script>alert(1)</script></body></html>\n%%EOF")
    _refused("image.png", b"\x89PNG\r\n\x1a\n<svg onload=alert(1)>")


def test_a_zip_with_an_executable_under_word_is_not_a_docx():
    assert _refused("evil.docx", _zip({"word/evil.exe": b"MZ\x90\x00" + b"\x00" * 64}))
    [message] = _refused("evil.docx", _docx(**{"word/evil.exe": b"MZ\x90\x00"}))
    assert "可执行" in message
    _refused("evil.docx", _docx(**{"word/media/image1.png": b"MZ\x90\x00 a program named as a picture"}))
    _refused("evil.docx", _docx(**{"word/run.sh": b"#!/bin/sh\nrm -rf /"}))


def test_a_docx_needs_its_declared_content_types():
    _refused("plain.docx", _zip({"word/document.xml": DOCUMENT}))  # no [Content_Types].xml
    wrong = DOCX_TYPES.replace(b"/word/document.xml", b"/word/other.xml")
    _refused("wrong.docx", _zip({"[Content_Types].xml": wrong, "word/document.xml": DOCUMENT}))
    missing = _zip({"[Content_Types].xml": DOCX_TYPES})
    _refused("missing.docx", missing)


def test_macros_and_entity_bombs_are_refused():
    macro = DOCX_TYPES.replace(b"document.main+xml", b"document.macroEnabled.main+xml")
    _refused("macro.docm", _zip({"[Content_Types].xml": macro, "word/document.xml": DOCUMENT}))
    _refused("macro.docx", _docx(**{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}))
    laughs = (b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
              b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">&b;</Types>')
    _refused("laughs.docx", _zip({"[Content_Types].xml": laughs, "word/document.xml": DOCUMENT}))


def test_a_zip_bomb_is_refused_before_anything_expands_it():
    bomb = _docx(**{"word/media/zeros.bin": b"\x00" * (64 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    [message] = _refused("bomb.docx", bomb)
    assert "解压后过大" in message


def test_the_total_uncompressed_size_and_the_entry_count_are_bounded(settings):
    settings.QINQING_UPLOAD_MAX_UNCOMPRESSED_BYTES = 256 * 1024
    _refused("big.docx", _docx(**{f"word/media/{i}.txt": bytes(range(256)) * 400 for i in range(4)}))
    settings.QINQING_UPLOAD_MAX_ZIP_ENTRIES = 50
    _refused("many.docx", _docx(**{f"word/media/{i}.txt": b"x" for i in range(60)}))


def test_a_path_outside_the_archive_is_refused():
    _refused("slip.docx", _docx(**{"../../etc/cron.d/evil": b"* * * * * root true"}))


def test_a_real_docx_and_xlsx_are_accepted_and_typed():
    case, response = _upload("申请书.doc", _docx())
    assert response.status_code == 201, response.content
    material = Material.objects.get(case=case)
    assert material.stored_name.endswith(".docx") and material.original_name == "申请书.docx"
    case, response = _upload("名册", _xlsx())
    assert response.status_code == 201, response.content
    assert Material.objects.get(case=case).original_name == "名册.xlsx"


def test_a_roster_workbook_is_checked_like_any_office_file():
    assert sniff(_xlsx()) == "xlsx"
    with pytest.raises(SheetProblem):
        sniff(_zip({"xl/workbook.xml": b"<workbook/>", "xl/evil.exe": b"MZ"}))
    with pytest.raises(SheetProblem):
        sniff(_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"\x00" * (64 * 1024 * 1024)}))


def test_a_body_declared_over_the_limit_is_refused_before_it_is_read(settings):
    settings.QINQING_MAX_REQUEST_BYTES = 1024 * 1024
    case = open_case(0)
    body = b"--b\r\nContent-Disposition: form-data; name=\"requirement\"\r\n\r\nx\r\n--b--\r\n"
    with nothing_written():
        response = client_for(enterprise(0)).generic(
            "POST", f"/api/v1/cases/{case.pk}/materials", body, content_type="multipart/form-data; boundary=b",
            CONTENT_LENGTH=str(315 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["code"] == "too_large" and "MB" in response.json()["detail"]
    page = client_for(enterprise(0)).generic("POST", f"/cases/{case.pk}/materials/", body,
                                             content_type="multipart/form-data; boundary=b",
                                             CONTENT_LENGTH=str(315 * 1024 * 1024))
    assert page.status_code == 413 and "MB" in page.content.decode()
    bad = client_for(enterprise(0)).generic("POST", f"/api/v1/cases/{case.pk}/materials", body,
                                            content_type="multipart/form-data; boundary=b", CONTENT_LENGTH="-5")
    assert bad.status_code == 400


class _App:
    """An ASGI app that reads the whole body, as Django's handler does."""

    def __init__(self) -> None:
        self.called = False
        self.read = 0
        self.disconnected = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.called = True
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                return
            self.read += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _run_asgi(headers: list[tuple[bytes, bytes]], chunks: list[bytes], path: str = "/api/v1/cases/1/materials"):
    app = _App()
    sent: list[dict[str, Any]] = []
    pending = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    asyncio.run(BodyLimitASGI(app)(scope, receive, send))
    return app, sent


def test_under_asgi_a_declared_body_over_the_limit_is_answered_before_the_app_runs(settings):
    settings.QINQING_MAX_REQUEST_BYTES = 1024 * 1024
    app, sent = _run_asgi([(b"content-type", b"multipart/form-data; boundary=b"),
                           (b"content-length", str(315 * 1024 * 1024).encode())], [b"x"])
    assert not app.called
    assert sent[0]["status"] == 413 and b"too_large" in sent[1]["body"]


def test_under_asgi_a_streamed_body_is_cut_off_at_the_limit(settings):
    settings.QINQING_MAX_REQUEST_BYTES = 1024 * 1024
    chunk = b"x" * (256 * 1024)
    app, sent = _run_asgi([(b"content-type", b"multipart/form-data; boundary=b")], [chunk] * 40)
    assert app.disconnected and app.read <= 1024 * 1024
    assert sent[0]["status"] == 413
    app, sent = _run_asgi([(b"content-type", b"multipart/form-data; boundary=b")], [chunk] * 2)
    assert app.read == 2 * len(chunk) and sent[0]["status"] == 200
