"""Ordinary hostile input gets a 4xx with a clear message, never a 500; every 500 is logged with a request id."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from qinqing.bundles.tests.support import SOCIAL, merged_data, submit_industrial
from qinqing.cases.models import Material
from qinqing.cases.tests import support as s

pytestmark = pytest.mark.django_db

LONE = '"\\ud800"'
LONE_LOW = '"x\\udfffy"'


def _json_with(template: dict[str, Any], field_path: list[str], raw_json_string: str) -> str:
    """Serialise `template` with the value at `field_path` replaced by a raw JSON string literal."""
    marker = "__RAW__"
    node: Any = template
    for key in field_path[:-1]:
        node = node[key]
    node[field_path[-1]] = marker
    return json.dumps(template).replace(f'"{marker}"', raw_json_string)


def _refused_as_bad_text(response: Any) -> None:
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["code"] == "bad_request"
    assert "surrogate" in body["detail"] or "代理" in body["detail"]


@pytest.mark.parametrize("raw", [LONE, LONE_LOW])
def test_a_lone_surrogate_in_a_case_submission_is_a_400(raw: str):
    matter = s.matter_approved_for(0)
    data = s.form_data(matter)
    first = next(iter(data))
    body = _json_with({"matter": matter.code, "data": data}, ["data", first], raw)
    response = s.client_for(s.enterprise(0), **{"Idempotency-Key": s.new_key()}).post(
        "/api/v1/cases", body, content_type="application/json")
    _refused_as_bad_text(response)


def test_a_lone_surrogate_in_a_key_is_a_400_too():
    body = '{"matter": "x", "data": {"\\ud800": 1}}'
    response = s.client_for(s.enterprise(0), **{"Idempotency-Key": s.new_key()}).post(
        "/api/v1/cases", body, content_type="application/json")
    _refused_as_bad_text(response)


def test_a_lone_surrogate_at_the_anonymous_token_endpoint_is_a_400():
    response = Client().post("/api/v1/auth/token", '{"username": "\\ud800", "password": "x"}',
                             content_type="application/json")
    _refused_as_bad_text(response)


def test_an_escaped_surrogate_pair_is_ordinary_text():
    response = Client().post("/api/v1/auth/token", '{"username": "nobody\\ud83d\\ude00", "password": "x"}',
                             content_type="application/json")
    assert response.status_code == 401


def test_a_lone_surrogate_in_a_decision_note_is_a_400():
    case = s.open_case(0)
    body = _json_with({"outcome": "approve", "note": ""}, ["note"], LONE)
    response = s.client_for(s.reviewer_of(case.matter)).post(f"/api/v1/cases/{case.pk}/decision", body,
                                                             content_type="application/json")
    _refused_as_bad_text(response)


def test_a_lone_surrogate_in_a_bundle_submission_is_a_400():
    user = s.enterprise(0)
    data = merged_data(SOCIAL, user)
    body = _json_with({"data": data}, ["data", next(iter(data))], LONE)
    response = s.client_for(user, **{"Idempotency-Key": s.new_key()}).post(
        f"/api/v1/bundles/{SOCIAL}/submissions", body, content_type="application/json")
    _refused_as_bad_text(response)


@pytest.mark.parametrize("number", ["1e999999999", "-1e999999999", "1e-999999999", "NaN", "Infinity", "-Infinity",
                                    "9" * 5000])
def test_a_huge_or_non_finite_number_in_a_decimal_field_is_a_field_error(number: str):
    from qinqing.catalog.models import FormField

    field = FormField.objects.filter(type=FormField.Type.DECIMAL).select_related("matter").first()
    assert field is not None
    data = s.form_data(field.matter)
    data[field.key] = number
    response = s.client_for(s.enterprise(0), **{"Idempotency-Key": s.new_key()}).post(
        "/api/v1/cases", json.dumps({"matter": field.matter.code, "data": data}), content_type="application/json")
    if number == "1e-999999999":  # rounds to 0.00: a number, possibly out of range
        assert response.status_code in (201, 422), response.content[:300]
        return
    assert response.status_code == 422, response.content[:300]
    assert field.key in json.dumps(response.json()["errors"])


def test_a_nul_in_a_multipart_field_is_a_400():
    case = s.open_case(0)
    response = s.client_for(s.enterprise(0)).post(f"/api/v1/cases/{case.pk}/materials", {
        "file": SimpleUploadedFile("a.pdf", s.PDF_BYTES, content_type="application/pdf"),
        "requirement": "site\x00opinion"})
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    page = s.session_client(s.enterprise(0)).post(f"/cases/{case.pk}/materials/", {
        "file": SimpleUploadedFile("a.pdf", s.PDF_BYTES, content_type="application/pdf"), "note": "a\x00b"})
    assert page.status_code == 400


def test_a_binary_upload_with_nul_bytes_is_still_accepted():
    case = s.open_case(0)
    response = s.client_for(s.enterprise(0)).post(f"/api/v1/cases/{case.pk}/materials", {
        "file": SimpleUploadedFile("a.pdf", s.PDF_BYTES + b"\x00\x00", content_type="application/pdf"),
        "requirement": s.required_material(case.matter).code})
    assert response.status_code == 201, response.content[:300]


def test_the_page_of_a_material_supplied_from_shared_data_leads_to_its_case():
    parent = submit_industrial()
    material = Material.objects.filter(case__in=[parent, *parent.children.all()]).exclude(data_source="").first()
    assert material is not None
    client = s.session_client(parent.applicant)
    response = client.get(f"/cases/{material.case_id}/materials/{material.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{material.case_id}/"
    api = s.client_for(parent.applicant).get(f"/api/v1/cases/{material.case_id}/materials/{material.pk}")
    assert api.status_code == 404


def test_a_material_whose_file_is_missing_is_a_logged_404(caplog):
    import io

    from qinqing.cases.services import add_materials
    from qinqing.cases.uploads import check_upload

    case = s.open_case(0)
    [material] = add_materials(case=case, user=s.enterprise(0), uploads=[("", check_upload(io.BytesIO(s.PDF_BYTES),
                                                                                             "a.pdf"))])
    material.file.delete(save=False)
    with caplog.at_level(logging.ERROR, logger="qinqing"):
        response = s.session_client(s.enterprise(0)).get(f"/cases/{case.pk}/materials/{material.pk}/")
    assert response.status_code == 404
    assert "missing" in caplog.text


# ---- request ids and the error log --------------------------------------------------------------


def test_every_answer_carries_a_request_id():
    first, second = Client().get("/help/"), Client().get("/api/v1/matters")
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]


def test_a_request_id_from_a_client_is_ignored_and_from_a_trusted_proxy_kept(settings):
    offered = "lb-2026-abcdef12"
    assert Client(headers={"X-Request-ID": offered}).get("/help/")["X-Request-ID"] != offered
    settings.QINQING_TRUSTED_PROXIES = ["127.0.0.1"]
    assert Client(headers={"X-Request-ID": offered}).get("/help/")["X-Request-ID"] == offered
    assert Client(headers={"X-Request-ID": "evil\nline"}).get("/help/")["X-Request-ID"] != "evil\nline"


@override_settings(ROOT_URLCONF="qinqing.core.tests.crash_urls", DEBUG=False)
def test_a_500_is_written_to_the_error_log_with_its_request_id(settings):
    response = Client(raise_request_exception=False).get("/crash/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    for handler in logging.getLogger("django.request").handlers:
        handler.flush()
    text = settings.QINQING_ERROR_LOG.read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if request_id in line)
    assert "django.request" in line and "/crash/" in line
    assert "boom for the error log test" in text
