"""Hostile input never causes a server error: NUL bytes, blank idempotency keys.

PostgreSQL refuses NUL (0x00) in text and jsonb values; SQLite stores them. Input carrying one must be
refused as a client error before it reaches the database, on every backend.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from qinqing.cases.models import Case
from qinqing.cases.tests.support import (
    client_for,
    enterprise,
    field_of_type,
    form_data,
    matter_approved_for,
    open_case,
    reviewer_of,
)

pytestmark = pytest.mark.django_db



def _no_server_error(response) -> None:
    assert response.status_code == 400, response.status_code
    if response.wsgi_request.path.startswith("/api/"):
        assert response.json()["code"] == "bad_request"


GET_ROUTES = [
    "/api/v1/matters?board=%00",
    "/api/v1/cases?status=%00",
    "/api/v1/matters/%00",
    "/api/v1/matters/%00/prefill",
    "/api/v1/licences/%00/verify",
    "/api/v1/licences/%00/pdf",
    "/matters/?board=%00",
    "/matters/%00/",
    "/verify/?number=%00",
    "/verify/%00/",
]


@pytest.mark.parametrize("url", GET_ROUTES)
def test_nul_byte_in_a_url_is_a_client_error(url):
    client = client_for(enterprise(0))
    client.raise_request_exception = False
    _no_server_error(client.get(url))


def test_nul_byte_in_a_search_query_is_a_client_error():
    response = Client(raise_request_exception=False).get("/api/v1/matters", {"q": "公积金\x00"})
    _no_server_error(response)


def test_nul_byte_in_a_token_username_is_a_client_error():
    client = Client(raise_request_exception=False)
    response = client.post("/api/v1/auth/token", json.dumps({"username": "x\u0000", "password": "y"}),
                           content_type="application/json")
    _no_server_error(response)


def test_nul_byte_in_the_matter_code_of_a_submission_is_a_client_error():
    client = client_for(enterprise(0), **{"Idempotency-Key": "nul-matter"})
    client.raise_request_exception = False
    response = client.post("/api/v1/cases", json.dumps({"matter": "GJJ\u0000", "data": {}}),
                           content_type="application/json")
    _no_server_error(response)


def test_nul_byte_in_a_form_value_is_a_client_error():
    matter, field = field_of_type("text")
    client = client_for(enterprise(0), **{"Idempotency-Key": "nul-field"})
    client.raise_request_exception = False
    response = client.post("/api/v1/cases", json.dumps({"matter": matter.code,
                                                        "data": form_data(matter, **{field.key: "甲\u0000乙"})}),
                           content_type="application/json")
    _no_server_error(response)


def test_nul_byte_in_a_decision_note_is_a_client_error():
    case = open_case(0)
    client = client_for(reviewer_of(case.matter))
    client.raise_request_exception = False
    response = client.post(f"/api/v1/cases/{case.pk}/decision",
                           json.dumps({"outcome": "reject", "note": "不符合\u0000"}), content_type="application/json")
    _no_server_error(response)


def test_blank_idempotency_key_is_refused_like_a_missing_one():
    user, matter = enterprise(0), matter_approved_for(0)
    before = Case.objects.count()
    client = client_for(user, **{"Idempotency-Key": "   "})
    body = json.dumps({"matter": matter.code, "data": form_data(matter)})
    statuses = [client.post("/api/v1/cases", body, content_type="application/json").status_code for _ in range(2)]
    assert statuses == [422, 422]
    assert Case.objects.count() == before


@pytest.mark.parametrize("case_id", ["99999999999999999999", "-1", "0"])
def test_out_of_range_case_ids_are_not_found(case_id):
    assert client_for(enterprise(0)).get(f"/api/v1/cases/{case_id}").status_code == 404
