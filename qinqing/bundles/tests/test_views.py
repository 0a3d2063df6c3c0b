"""The 一件事 pages: guide, merged form, progress, the agent's workbench and the enterprise's authorisations."""

from __future__ import annotations

import html as html_lib
from typing import Any

import pytest
from django.test import Client

from qinqing.accounts.models import Authorisation
from qinqing.bundles.models import Bundle
from qinqing.bundles.tests.support import (
    INDUSTRIAL,
    MANUFACTURER,
    NEW_ENTERPRISE,
    SOCIAL,
    agent,
    bundle,
    child,
    decide_filing,
    merged_data,
    submit_bundle,
    submit_industrial,
    submit_step,
    unauthorised_agent,
)
from qinqing.cases.models import Case
from qinqing.cases.tests.support import enterprise, new_key, nothing_written, session_client
from qinqing.cases.workflow import Status

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return html_lib.unescape(response.content.decode())


def _as_post(data: dict[str, Any]) -> dict[str, str]:
    """Form data as a browser sends it: a ticked checkbox sends "true", an unticked one nothing."""
    posted = {}
    for key, value in data.items():
        if value is True:
            posted[key] = "true"
        elif value is not False and value is not None:
            posted[key] = str(value)
    return posted


# ---- guide and index ---------------------------------------------------------------------------


def test_index_lists_every_online_bundle():
    response = Client().get("/bundles/")
    assert response.status_code == 200
    page = _text(response)
    for b in Bundle.objects.online():
        assert b.name in page
        assert f"/bundles/{b.code}/" in page


def test_industrial_guide_shows_the_reduction_and_every_step():
    response = Client().get(f"/bundles/{INDUSTRIAL}/")
    assert response.status_code == 200
    page = _text(response)
    assert ">314<" in page and ">59<" in page
    assert ">46<" in page and ">10<" in page
    for step in bundle(INDUSTRIAL).steps.select_related("matter"):
        assert step.matter.name in page


def test_guide_of_a_bundle_that_is_not_online_is_404():
    Bundle.objects.filter(code=SOCIAL).update(active=False)
    assert Client().get(f"/bundles/{SOCIAL}/").status_code == 404


# ---- the merged form ---------------------------------------------------------------------------


def test_apply_page_shows_the_merged_form_with_prefilled_values():
    user = enterprise(NEW_ENTERPRISE)
    response = session_client(user).get(f"/bundles/{SOCIAL}/apply/")
    assert response.status_code == 200
    page = _text(response)
    assert f'value="{user.enterprise.name}"' in page
    assert page.count('name="handler"') == 1, "a shared field is asked once"
    assert 'name="idempotency_key"' in page and 'name="csrfmiddlewaretoken"' in page
    assert 'type="checkbox" id="f-commitment" name="commitment"' in page


def test_apply_page_submits_the_whole_bundle_and_redirects_to_its_progress():
    user = enterprise(NEW_ENTERPRISE)
    data = merged_data(SOCIAL, user, handler="页面填写人")
    assert any(v is True for v in data.values()), "the form has ticked checkboxes"
    response = session_client(user).post(f"/bundles/{SOCIAL}/apply/",
                                         {**_as_post(data), "idempotency_key": new_key()})
    assert response.status_code == 302, _text(response)[:2000]
    parent = Case.objects.get(applicant=user, bundle_code=SOCIAL, parent__isnull=True)
    assert response["Location"] == f"/bundles/cases/{parent.pk}/"
    assert parent.status == Status.COMPLETED
    assert {c.data["handler"] for c in parent.children.all()} == {"页面填写人"}
    assert all(c.data["commitment"] is True for c in parent.children.all())


def test_apply_page_with_a_bad_field_shows_it_and_writes_nothing():
    user = enterprise(NEW_ENTERPRISE)
    data = merged_data(SOCIAL, user, employee_count="许多")
    with nothing_written():
        response = session_client(user).post(f"/bundles/{SOCIAL}/apply/",
                                             {**_as_post(data), "idempotency_key": new_key()})
    assert response.status_code == 422
    assert 'id="e-employee_count"' in _text(response)
    assert 'value="许多"' in _text(response), "what the enterprise typed is kept"


def test_apply_page_is_for_logged_in_users():
    response = Client().get(f"/bundles/{SOCIAL}/apply/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# ---- progress ----------------------------------------------------------------------------------


def test_progress_page_shows_every_step_and_its_state():
    parent = submit_industrial()
    decide_filing(parent)
    response = session_client(enterprise(MANUFACTURER)).get(f"/bundles/cases/{parent.pk}/")
    assert response.status_code == 200
    page = _text(response)
    assert parent.number in page
    for step in parent.children.select_related("matter"):
        assert step.matter.name in page
        assert f'id="step-{step.step_key}"' in page
    assert "state-preparing" in page and "state-waiting" in page and "state-approved" in page


def test_my_bundles_lists_the_enterprises_parents():
    parent = submit_bundle(SOCIAL, enterprise(NEW_ENTERPRISE))
    response = session_client(enterprise(NEW_ENTERPRISE)).get("/bundles/mine/")
    assert response.status_code == 200
    assert parent.number in _text(response)


# ---- the agent's workbench ---------------------------------------------------------------------


def _prepared() -> Case:
    parent = submit_industrial()
    decide_filing(parent)
    return child(parent, "land_planning")


def test_workbench_lists_the_steps_the_agent_may_prepare():
    step = _prepared()
    response = session_client(agent()).get("/agent/")
    assert response.status_code == 200
    page = _text(response)
    assert f"/agent/cases/{step.pk}/" in page
    assert step.enterprise.name in page
    assert f"/agent/cases/{step.pk}/" not in _text(session_client(unauthorised_agent()).get("/agent/"))


def test_workbench_is_404_for_an_enterprise():
    assert session_client(enterprise(MANUFACTURER)).get("/agent/").status_code == 404


def test_agent_prepares_and_submits_a_step_through_the_page():
    step = _prepared()
    page = session_client(agent())
    shown = page.get(f"/agent/cases/{step.pk}/")
    assert shown.status_code == 200
    assert f'value="{step.data["project_code"]}"' in _text(shown)
    fields = {f.key for f in step.matter.fields.all()}
    response = page.post(f"/agent/cases/{step.pk}/", _as_post({k: v for k, v in step.data.items() if k in fields}))
    assert response.status_code == 302 and response["Location"] == "/agent/"
    step.refresh_from_db()
    assert step.status == Status.SUBMITTED
    event = step.events.get(action="prepared")
    assert event.actor == agent() and step.enterprise.name in event.acting_for


def test_prepare_page_is_404_for_an_agent_without_authorisation():
    step = _prepared()
    page = session_client(unauthorised_agent())
    assert page.get(f"/agent/cases/{step.pk}/").status_code == 404
    with nothing_written():
        assert page.post(f"/agent/cases/{step.pk}/", {}).status_code == 404


# ---- authorisations ----------------------------------------------------------------------------


def test_enterprise_grants_and_revokes_an_agents_authorisation():
    user, chosen = enterprise(MANUFACTURER), unauthorised_agent()
    page = session_client(user)
    shown = page.get("/my/authorisations/")
    assert shown.status_code == 200
    assert agent().label() in _text(shown)
    granted = page.post("/my/authorisations/", {"agent": chosen.pk, "scope": INDUSTRIAL, "days": "30"})
    assert granted.status_code == 302
    authorisation = Authorisation.objects.active().get(enterprise=user.enterprise, agent=chosen)
    assert authorisation.scope == INDUSTRIAL
    step = _prepared()
    assert session_client(chosen).get(f"/agent/cases/{step.pk}/").status_code == 200
    revoked = page.post(f"/my/authorisations/{authorisation.pk}/revoke/")
    assert revoked.status_code == 302
    authorisation.refresh_from_db()
    assert authorisation.revoked_at is not None and authorisation.revoked_by == user
    assert session_client(chosen).get(f"/agent/cases/{step.pk}/").status_code == 404


def test_authorisations_page_shows_what_the_agent_did_for_the_enterprise():

    step = submit_step(case=_prepared(), user=agent(), data={})
    response = session_client(enterprise(MANUFACTURER)).get("/my/authorisations/")
    assert step.number in _text(response)


def test_another_enterprise_cannot_revoke_an_authorisation_it_did_not_grant():
    authorisation = Authorisation.objects.active().get(agent=agent(), enterprise=enterprise(MANUFACTURER).enterprise)
    with nothing_written():
        response = session_client(enterprise(NEW_ENTERPRISE)).post(f"/my/authorisations/{authorisation.pk}/revoke/")
    assert response.status_code == 404
    authorisation.refresh_from_db()
    assert authorisation.revoked_at is None


def test_granting_without_choosing_an_agent_is_a_422():
    with nothing_written():
        response = session_client(enterprise(MANUFACTURER)).post("/my/authorisations/", {"agent": "", "days": "30"})
    assert response.status_code == 422
