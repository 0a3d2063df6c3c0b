"""Another enterprise and another department's reviewer see none of a case: every route answers 404."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from qinqing.cases.tests.support import (
    PDF_BYTES,
    approved_case,
    client_for,
    enterprise,
    nothing_written,
    open_case,
    reviewer_elsewhere,
    reviewer_of,
    session_client,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned():
    """An open case with a material and a decided case with a licence, both of demo enterprise 0."""
    case = open_case(0)
    response = client_for(enterprise(0)).post(
        f"/api/v1/cases/{case.pk}/materials", {"file": SimpleUploadedFile("a.pdf", PDF_BYTES)}
    )
    material_id = response.json()["materials"][0]["id"]
    decided = approved_case(0)
    return {"case": case, "material": material_id, "decided": decided, "licence": decided.licence.number}


def _outsiders(owned):
    return {
        "other enterprise": enterprise(1),
        "other department's reviewer": reviewer_elsewhere(owned["case"].matter, owned["decided"].matter),
    }


def _api_calls(owned):
    case, material, licence = owned["case"], owned["material"], owned["licence"]
    return [
        ("get", f"/api/v1/cases/{case.pk}", None),
        ("get", f"/api/v1/cases/{case.pk}/materials/{material}", None),
        ("post", f"/api/v1/cases/{case.pk}/withdraw", None),
        ("get", f"/api/v1/licences/{licence}/pdf", None),
        ("post", f"/api/v1/cases/{case.pk}/decision", {"outcome": "approve", "note": ""}),
        ("post", f"/api/v1/cases/{case.pk}/decision", {"outcome": "reject", "note": "不予许可"}),
        ("post", f"/api/v1/cases/{case.pk}/decision", {"outcome": "supplement", "note": "补正"}),
    ]


@pytest.mark.parametrize("who", ["other enterprise", "other department's reviewer"])
def test_every_case_route_is_404_to_outsiders_and_changes_nothing(owned, who):
    user = _outsiders(owned)[who]
    client = client_for(user)
    status = owned["case"].status
    with nothing_written():
        for method, path, body in _api_calls(owned):
            if body is None:
                response = getattr(client, method)(path)
            else:
                response = getattr(client, method)(path, body, content_type="application/json")
            assert response.status_code == 404, (who, method, path, response.status_code)
            assert response.json()["code"] == "not_found"
    owned["case"].refresh_from_db()
    assert owned["case"].status == status


@pytest.mark.parametrize("who", ["other enterprise", "other department's reviewer"])
def test_upload_to_an_invisible_case_is_404(owned, who):
    user = _outsiders(owned)[who]
    with nothing_written():
        response = client_for(user).post(
            f"/api/v1/cases/{owned['case'].pk}/materials", {"file": SimpleUploadedFile("a.pdf", PDF_BYTES)}
        )
    assert response.status_code == 404


def test_enterprise_cannot_decide_its_own_case():
    case = open_case(0)
    with nothing_written():
        response = client_for(enterprise(0)).post(
            f"/api/v1/cases/{case.pk}/decision", {"outcome": "approve"}, content_type="application/json"
        )
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["other enterprise", "other department's reviewer"])
def test_lists_leave_out_cases_outsiders_may_not_see(owned, who):
    user = _outsiders(owned)[who]
    client = client_for(user)
    ids = {c["id"] for c in client.get("/api/v1/cases").json()}
    assert owned["case"].pk not in ids
    assert owned["decided"].pk not in ids
    if user.is_reviewer:
        queue = {c["id"] for c in client.get("/api/v1/review/queue").json()}
        assert owned["case"].pk not in queue


def test_lists_include_the_case_for_its_owner_and_its_departments_reviewer(owned):
    assert owned["case"].pk in {c["id"] for c in client_for(enterprise(0)).get("/api/v1/cases").json()}
    reviewer = client_for(reviewer_of(owned["case"].matter))
    assert owned["case"].pk in {c["id"] for c in reviewer.get("/api/v1/cases").json()}
    assert owned["case"].pk in {c["id"] for c in reviewer.get("/api/v1/review/queue").json()}


def test_enterprise_has_no_review_queue():
    response = client_for(enterprise(0)).get("/api/v1/review/queue")
    assert response.status_code in (403, 404, 409)


def _page_paths(owned):
    case = owned["case"]
    return [
        f"/cases/{case.pk}/",
        f"/cases/{case.pk}/materials/{owned['material']}/",
        f"/licences/{owned['licence']}/pdf/",
    ]


@pytest.mark.parametrize("who", ["other enterprise", "other department's reviewer"])
def test_case_pages_are_404_to_outsiders(owned, who):
    client = session_client(_outsiders(owned)[who])
    for path in _page_paths(owned):
        assert client.get(path).status_code == 404, (who, path)
    with nothing_written():
        assert client.post(f"/cases/{owned['case'].pk}/withdraw/").status_code == 404
        assert client.post(f"/cases/{owned['case'].pk}/decision/", {"outcome": "approve"}).status_code == 404


def test_case_pages_open_for_the_owner(owned):
    client = session_client(enterprise(0))
    for path in _page_paths(owned):
        assert client.get(path).status_code == 200, path


def test_case_pages_redirect_anonymous_visitors_to_the_login(owned):
    client = Client()
    for path in _page_paths(owned):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next=")
