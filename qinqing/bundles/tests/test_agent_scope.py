"""An agent sees only the 一件事 its authorisation covers, not the enterprise's other cases."""

from __future__ import annotations

import pytest

from qinqing.bundles.tests.support import MANUFACTURER, agent, submit_industrial
from qinqing.cases.models import Case, Licence
from qinqing.cases.tests.support import approved_case, client_for, enterprise, session_client

pytestmark = pytest.mark.django_db


def test_agent_does_not_see_the_enterprises_single_matter_cases_or_licences():
    single = approved_case(MANUFACTURER)
    response = client_for(agent()).get(f"/api/v1/cases/{single.pk}")
    assert response.status_code == 404
    assert not Case.objects.visible_to(agent()).filter(pk=single.pk).exists()
    assert not Licence.objects.visible_to(agent()).filter(case=single).exists()


def test_agent_sees_the_covered_bundle_and_its_steps():
    parent = submit_industrial()
    visible = set(Case.objects.visible_to(agent()).values_list("pk", flat=True))
    assert parent.pk in visible
    assert set(parent.children.values_list("pk", flat=True)) <= visible


def test_agent_scope_excludes_other_bundles_of_the_same_enterprise():
    parent = submit_industrial()
    Case.objects.filter(pk__in=[parent.pk, *parent.children.values_list("pk", flat=True)]).update(
        bundle_code="business-start")
    assert not Case.objects.visible_to(agent()).filter(pk=parent.pk).exists()


@pytest.mark.parametrize("raw", ["abc", "", "1e9", "-"])
def test_a_garbled_agent_id_is_a_form_error_not_a_500(raw):
    client = session_client(enterprise(MANUFACTURER))
    response = client.post("/my/authorisations/", {"agent": raw, "days": "30"})
    assert response.status_code == 422


def test_withdraw_api_closes_the_whole_bundle_and_refuses_the_other_enterprise():
    parent = submit_industrial()
    other = client_for(enterprise(0)).post(f"/api/v1/bundles/cases/{parent.pk}/withdraw")
    assert other.status_code == 404
    response = client_for(enterprise(MANUFACTURER)).post(f"/api/v1/bundles/cases/{parent.pk}/withdraw")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "withdrawn"
    assert all(c["status"] in ("withdrawn", "cancelled", "approved") for c in response.json()["children"])
    again = client_for(enterprise(MANUFACTURER)).post(f"/api/v1/bundles/cases/{parent.pk}/withdraw")
    assert again.status_code == 409


def test_agent_submits_a_prepared_step_through_the_api():
    from qinqing.bundles.tests.support import decide_filing

    parent = submit_industrial()
    decide_filing(parent)
    step = parent.children.get(step_key="land_planning")
    assert step.status == "preparing"
    refused = client_for(enterprise(0)).post(f"/api/v1/bundles/steps/{step.pk}/submit", {"data": {}},
                                              content_type="application/json")
    assert refused.status_code == 404
    commitments = {f.key: True for f in step.matter.fields.all() if f.type == "boolean" and f.required}
    assert commitments, "the step asks its submitter for a commitment"
    unticked = client_for(agent()).post(f"/api/v1/bundles/steps/{step.pk}/submit", {"data": {}},
                                        content_type="application/json")
    assert unticked.status_code == 422, "the enterprise's tick on the merged form is not the agent's commitment"
    assert set(commitments) <= set(unticked.json()["errors"])
    response = client_for(agent()).post(f"/api/v1/bundles/steps/{step.pk}/submit", {"data": commitments},
                                        content_type="application/json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] in ("submitted", "under_review", "approved")
    assert response.json()["acting_for"].startswith(enterprise(MANUFACTURER).enterprise.name)
