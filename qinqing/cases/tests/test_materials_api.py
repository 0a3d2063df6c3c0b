"""Uploading materials: checked by content, stored under random names, downloadable only by who may see the case."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile

from qinqing.cases.models import Material
from qinqing.cases.tests.support import (
    PDF_BYTES,
    client_for,
    enterprise,
    nothing_written,
    open_case,
    required_material,
    reviewer_elsewhere,
    reviewer_of,
)

pytestmark = pytest.mark.django_db

STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(pdf|png|jpg|docx|xlsx|ofd)$")


def _upload(client, case, name: str, content: bytes, requirement: str = "", content_type: str = "application/pdf"):
    data: dict[str, object] = {"file": SimpleUploadedFile(name, content, content_type=content_type)}
    if requirement:
        data["requirement"] = requirement
    return client.post(f"/api/v1/cases/{case.pk}/materials", data)


def _download(client, case, material_id: int):
    return client.get(f"/api/v1/cases/{case.pk}/materials/{material_id}")


def test_pdf_upload_keeps_the_chinese_name_for_display_and_stores_a_random_name():
    case = open_case(0)
    requirement = required_material(case.matter)
    response = _upload(client_for(enterprise(0)), case, "营业执照副本（2025）.pdf", PDF_BYTES, requirement.code)
    assert response.status_code == 201, response.content
    listed = response.json()["materials"]
    assert [m["name"] for m in listed] == ["营业执照副本（2025）.pdf"]
    assert listed[0]["requirement"] == requirement.code
    assert listed[0]["content_type"] == "application/pdf"
    assert listed[0]["size"] == len(PDF_BYTES)
    material = Material.objects.get(pk=listed[0]["id"])
    assert STORED_NAME.match(material.stored_name)
    assert Path(material.file.name).name == material.stored_name
    assert "营业执照" not in material.file.name
    assert Path(material.file.path).read_bytes() == PDF_BYTES


def test_path_traversal_file_name_is_stored_inside_the_media_root():
    case = open_case(0)
    response = _upload(client_for(enterprise(0)), case, "../../etc/passwd.pdf", PDF_BYTES)
    assert response.status_code == 201, response.content
    material = Material.objects.get(pk=response.json()["materials"][0]["id"])
    assert material.original_name == "passwd.pdf"
    assert ".." not in material.file.name
    assert "passwd" not in material.file.name
    assert "etc" not in material.file.name.split("/")
    media = Path(django_settings.MEDIA_ROOT).resolve()
    assert Path(material.file.path).resolve().is_relative_to(media)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("x.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64),
        ("x.pdf", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64),
        ("说明.pdf", b"#!/bin/sh\nrm -rf /\n"),
        ("photo.png", b"<html><script>alert(1)</script></html>"),
        ("table.xlsx", b"PK\x03\x04not really a zip file"),
    ],
    ids=["windows-exe", "elf", "shell-script", "html", "broken-zip"],
)
def test_upload_with_a_document_name_but_other_content_is_refused(name, content):
    case = open_case(0)
    with nothing_written():
        response = _upload(client_for(enterprise(0)), case, name, content)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "upload_refused"
    assert "file" in body["errors"]


_MAIN_TYPES = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}


def _zip(*names: str) -> bytes:
    """A minimal Office archive: its parts, and [Content_Types].xml declaring the main one (checked on upload)."""
    import io
    import zipfile

    overrides = "".join(f'<Override PartName="/{n}" ContentType="{_MAIN_TYPES[n]}"/>' for n in names if n in _MAIN_TYPES)
    types = f'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">{overrides}</Types>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, types if name == "[Content_Types].xml" else "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("营业执照.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image/png"),
        ("身份证.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32, "image/jpeg"),
        ("章程.docx", _zip("[Content_Types].xml", "word/document.xml"),
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("花名册.xlsx", _zip("[Content_Types].xml", "xl/workbook.xml"),
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
    ids=["png", "jpeg", "docx", "xlsx"],
)
def test_accepted_document_types_are_recognised_by_content_whatever_the_declared_type(name, content, content_type):
    case = open_case(0)
    response = _upload(client_for(enterprise(0)), case, name, content, content_type="application/octet-stream")
    assert response.status_code == 201, response.content
    material = response.json()["materials"][0]
    assert material["content_type"] == content_type
    assert material["name"] == name


def test_zip_archive_that_is_not_an_office_document_is_refused():
    case = open_case(0)
    with nothing_written():
        response = _upload(client_for(enterprise(0)), case, "合同.docx", _zip("payload.exe"))
    assert response.status_code == 422


def test_very_long_file_name_is_shortened_for_display():
    case = open_case(0)
    response = _upload(client_for(enterprise(0)), case, "材" * 300 + ".pdf", PDF_BYTES)
    assert response.status_code == 201
    assert 0 < len(response.json()["materials"][0]["name"]) <= 255


def test_control_characters_are_removed_from_the_display_name():
    case = open_case(0)
    response = _upload(client_for(enterprise(0)), case, "a\x07b\u202ec.pdf", PDF_BYTES)
    assert response.status_code == 201
    name = response.json()["materials"][0]["name"]
    assert name == "abc.pdf"


def test_oversized_upload_is_refused(settings):
    settings.QINQING_MAX_UPLOAD_BYTES = 1024
    case = open_case(0)
    with nothing_written():
        response = _upload(client_for(enterprise(0)), case, "big.pdf", PDF_BYTES + b"0" * 2048)
    assert response.status_code in (413, 422)
    assert "file" in response.json()["errors"]


def test_upload_just_under_the_limit_is_accepted(settings):
    settings.QINQING_MAX_UPLOAD_BYTES = 1024
    case = open_case(0)
    content = PDF_BYTES + b"0" * (1024 - len(PDF_BYTES))
    assert len(content) == 1024
    assert _upload(client_for(enterprise(0)), case, "ok.pdf", content).status_code == 201


def test_empty_file_is_refused():
    case = open_case(0)
    with nothing_written():
        response = _upload(client_for(enterprise(0)), case, "empty.pdf", b"")
    assert response.status_code == 422


def test_upload_for_an_unknown_requirement_is_refused():
    case = open_case(0)
    with nothing_written():
        response = _upload(client_for(enterprise(0)), case, "a.pdf", PDF_BYTES, requirement="no-such-material")
    assert response.status_code == 422
    assert "requirement" in response.json()["errors"]


def test_upload_without_a_file_is_a_422():
    case = open_case(0)
    with nothing_written():
        response = client_for(enterprise(0)).post(f"/api/v1/cases/{case.pk}/materials", {"requirement": "x"})
    assert response.status_code == 422


def test_reviewer_cannot_add_materials_to_a_case():
    case = open_case(0)
    with nothing_written():
        response = _upload(client_for(reviewer_of(case.matter)), case, "a.pdf", PDF_BYTES)
    assert response.status_code == 409


def test_download_returns_the_same_bytes_to_the_owner_and_the_departments_reviewer():
    case = open_case(0)
    content = PDF_BYTES + b"% owner copy\n"
    material_id = _upload(client_for(enterprise(0)), case, "申请书.pdf", content).json()["materials"][0]["id"]
    for user in (enterprise(0), reviewer_of(case.matter)):
        response = _download(client_for(user), case, material_id)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == content
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]


def test_download_is_404_to_another_enterprise_and_another_departments_reviewer():
    case = open_case(0)
    material_id = _upload(client_for(enterprise(0)), case, "申请书.pdf", PDF_BYTES).json()["materials"][0]["id"]
    for user in (enterprise(1), reviewer_elsewhere(case.matter)):
        response = _download(client_for(user), case, material_id)
        assert response.status_code == 404, user.username
        assert response.json()["code"] == "not_found"


def test_material_id_of_another_case_is_404_even_on_a_visible_case():
    mine = open_case(0)
    theirs = open_case(1)
    their_material = _upload(client_for(enterprise(1)), theirs, "a.pdf", PDF_BYTES).json()["materials"][0]["id"]
    assert _download(client_for(enterprise(0)), mine, their_material).status_code == 404
