"""Who sees a bundle: the enterprise sees parent and steps, a reviewer only its department's steps."""

from __future__ import annotations

import pytest
from django.test import Client

from qinqing.bundles.tests.support import (
    MANUFACTURER,
    NEW_ENTERPRISE,
    OUTSIDER,
    SOCIAL,
    child,
    reviewer_for,
    submit_bundle,
    submit_industrial,
)
from qinqing.cases.models import Case
from qinqing.cases.tests.support import client_for, enterprise, reviewer_elsewhere, session_client
from qinqing.cases.workflow import Status

pytestmark = pytest.mark.django_db


def _every_case(parent: Case) -> list[Case]:
    return [parent, *parent.children.order_by("id")]


def test_another_enterprise_gets_404_for_the_parent_and_every_step_over_the_api():
    parent = submit_bundle(SOCIAL, enterprise(NEW_ENTERPRISE))
    api = client_for(enterprise(OUTSIDER))
    for case in _every_case(parent):
        assert api.get(f"/api/v1/cases/{case.pk}").status_code == 404, case.step_key
    listed = [c["id"] for c in api.get("/api/v1/cases").json()]
    assert not {c.pk for c in _every_case(parent)} & set(listed)


def test_another_enterprise_gets_404_for_the_parent_and_every_step_on_the_pages():
    parent = submit_bundle(SOCIAL, enterprise(NEW_ENTERPRISE))
    page = session_client(enterprise(OUTSIDER))
    assert page.get(f"/bundles/cases/{parent.pk}/").status_code == 404
    for case in _every_case(parent):
        assert page.get(f"/cases/{case.pk}/").status_code == 404, case.step_key


def test_the_enterprise_opens_its_parent_as_the_bundle_progress_and_each_step_as_a_case():
    parent = submit_bundle(SOCIAL, enterprise(NEW_ENTERPRISE))
    page = session_client(enterprise(NEW_ENTERPRISE))
    response = page.get(f"/cases/{parent.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/bundles/cases/{parent.pk}/"
    for step in parent.children.all():
        assert page.get(f"/cases/{step.pk}/").status_code == 200


def test_anonymous_callers_see_nothing_of_a_bundle():
    parent = submit_bundle(SOCIAL, enterprise(NEW_ENTERPRISE))
    assert Client().get(f"/api/v1/cases/{parent.pk}").status_code == 401
    response = Client().get(f"/bundles/cases/{parent.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_reviewer_finds_its_departments_step_in_the_queue_and_gets_404_for_the_parent():
    parent = submit_industrial(with_contract=False)
    filing = child(parent, "filing")
    assert filing.status == Status.UNDER_REVIEW
    reviewer = reviewer_for(filing)
    api = client_for(reviewer)
    queued = {c["id"]: c for c in api.get("/api/v1/review/queue").json()}
    assert filing.pk in queued
    assert queued[filing.pk]["parent_id"] == parent.pk and queued[filing.pk]["step"] == "filing"
    assert parent.pk not in queued
    assert api.get(f"/api/v1/cases/{filing.pk}").status_code == 200
    assert api.get(f"/api/v1/cases/{parent.pk}").status_code == 404
    assert session_client(reviewer).get(f"/bundles/cases/{parent.pk}/").status_code == 404


def test_reviewer_of_another_department_does_not_see_the_step():
    parent = submit_industrial(with_contract=False)
    filing = child(parent, "filing")
    other = reviewer_elsewhere(filing.matter)
    assert filing.pk not in [c["id"] for c in client_for(other).get("/api/v1/review/queue").json()]
    assert client_for(other).get(f"/api/v1/cases/{filing.pk}").status_code == 404


def test_waiting_steps_are_not_in_any_reviewers_queue():
    parent = submit_industrial(with_contract=False)
    waiting = child(parent, "land_planning")
    assert waiting.status == Status.WAITING
    queue = client_for(reviewer_for(waiting)).get("/api/v1/review/queue").json()
    assert waiting.pk not in [c["id"] for c in queue]


def test_the_parent_lists_its_children_and_each_child_names_its_parent_and_siblings():
    parent = submit_industrial()
    api = client_for(enterprise(MANUFACTURER))
    shown = api.get(f"/api/v1/cases/{parent.pk}").json()
    children = list(parent.children.order_by("id"))
    assert shown["parent"] is None
    assert [(c["id"], c["step"], c["status"]) for c in shown["children"]] == [
        (c.pk, c.step_key, c.status) for c in children]
    assert shown["bundle"] == parent.bundle_code and shown["matter"] is None
    step = children[1]
    detail = api.get(f"/api/v1/cases/{step.pk}").json()
    assert detail["parent_id"] == parent.pk
    assert detail["parent"]["id"] == parent.pk and detail["parent"]["number"] == parent.number
    assert [s["step"] for s in detail["parent"]["steps"]] == [c.step_key for c in children]
    assert detail["children"] == []
    assert detail["step"] == step.step_key and detail["matter"] == step.matter.code
