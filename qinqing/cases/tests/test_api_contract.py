"""What the API answers is what its OpenAPI document promises: status codes and JSON error bodies.

Deterministic reproductions of what the schemathesis fuzzing (tests/test_openapi_fuzz.py) once found.
"""

from __future__ import annotations

import pytest

from qinqing.cases.tests.support import client_for, enterprise, nothing_written, open_case

pytestmark = pytest.mark.django_db


def documented(method: str, path: str) -> set[int]:
    from qinqing.api import api

    responses = api.get_openapi_schema()["paths"][f"/api/v1{path}"][method.lower()]["responses"]
    return {int(code) for code in responses}


def _json_error(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), (response.status_code, response.content[:120])
    body = response.json()
    assert {"code", "detail", "errors"} <= set(body)
    return body


def test_every_documented_error_body_has_code_detail_and_errors():
    from qinqing.api import api

    schema = api.get_openapi_schema()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400 and "content" in response:
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorOut"), (method, path, status)


def test_case_with_a_non_integer_id_answers_a_documented_status():
    response = client_for(enterprise(0)).get("/api/v1/cases/abc")
    assert response.status_code == 422
    assert response.status_code in documented("GET", "/cases/{case_id}")


def test_material_with_a_non_integer_id_answers_a_documented_status():
    case = open_case(0)
    response = client_for(enterprise(0)).get(f"/api/v1/cases/{case.pk}/materials/abc")
    assert response.status_code == 422
    assert response.status_code in documented("GET", "/cases/{case_id}/materials/{material_id}")


def test_review_queue_refuses_an_enterprise_with_the_documented_403():
    response = client_for(enterprise(0)).get("/api/v1/review/queue")
    assert response.status_code in documented("GET", "/review/queue")
    assert response.status_code == 403
    assert _json_error(response)["code"] == "reviewer_only"


def test_upload_with_a_broken_multipart_header_answers_a_json_error():
    case = open_case(0)
    with nothing_written():
        response = client_for(enterprise(0)).post(
            f"/api/v1/cases/{case.pk}/materials", b"--x\r\n", content_type="multipart/form-data"
        )
    assert response.status_code in documented("POST", "/cases/{case_id}/materials")
    assert 400 <= response.status_code < 500
    _json_error(response)


def test_upload_with_a_json_body_instead_of_a_file_is_a_json_422():
    case = open_case(0)
    with nothing_written():
        response = client_for(enterprise(0)).post(
            f"/api/v1/cases/{case.pk}/materials", {"file": "not a file"}, content_type="application/json"
        )
    assert response.status_code == 422
    _json_error(response)


def test_decision_with_an_unparseable_body_is_a_documented_json_error():
    case = open_case(0)
    from qinqing.cases.tests.support import reviewer_of

    with nothing_written():
        response = client_for(reviewer_of(case.matter)).post(
            f"/api/v1/cases/{case.pk}/decision", "\x00", content_type="application/json"
        )
    assert response.status_code in documented("POST", "/cases/{case_id}/decision")
    _json_error(response)
