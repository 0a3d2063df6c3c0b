"""政府替办: an authorised agent prepares and submits steps for the enterprise, and only while authorised."""

from __future__ import annotations

import pytest

from qinqing.accounts.models import Authorisation
from qinqing.accounts.services import revoke_authorisation
from qinqing.audit.models import AuditRecord
from qinqing.bundles.errors import AgentNotAuthorised, BundleInvalid, StepRefused
from qinqing.bundles.models import BundleCase
from qinqing.bundles.queries import agent_queue
from qinqing.bundles.services import enterprise_label
from qinqing.bundles.tests.support import (
    INDUSTRIAL,
    LAND_CONTRACT,
    MANUFACTURER,
    NEW_ENTERPRISE,
    OUTSIDER,
    SOCIAL,
    agent,
    child,
    decide_filing,
    land_contract,
    merged_data,
    submit_bundle,
    submit_industrial,
    submit_step,
    unauthorised_agent,
)
from qinqing.cases.models import Case
from qinqing.cases.tests.support import client_for, enterprise, new_key, nothing_written
from qinqing.cases.workflow import Status
from qinqing.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _prepared_step(parent=None) -> Case:
    parent = parent or submit_industrial()
    decide_filing(parent)
    step = child(parent, "land_planning")
    assert step.status == Status.PREPARING
    return step


def _post(user, body, code: str = INDUSTRIAL):
    return client_for(user, **{"Idempotency-Key": new_key()}).post(
        f"/api/v1/bundles/{code}/submissions", body, content_type="application/json")


# ---- preparing a step --------------------------------------------------------------------------


def test_authorised_agent_submits_a_prepared_step_for_the_enterprise():
    step = _prepared_step()
    submitted = submit_step(case=step, user=agent(), data={})
    assert submitted.status == Status.SUBMITTED, "a reviewed matter waits for its department"
    event = submitted.events.get(action="prepared")
    assert event.actor == agent()
    assert event.actor_label == agent().label()
    assert event.acting_for == enterprise_label(step.enterprise)
    assert step.enterprise.name in event.acting_for
    assert submitted.acting_for == event.acting_for
    audit = AuditRecord.objects.get(action="case.started", object_id=str(step.pk))
    assert audit.actor == agent() and audit.acting_for == event.acting_for


def test_enterprise_sees_who_acted_on_its_behalf():
    step = submit_step(case=_prepared_step(), user=agent(), data={})
    response = client_for(enterprise(MANUFACTURER)).get(f"/api/v1/cases/{step.pk}")
    assert response.status_code == 200
    prepared = [e for e in response.json()["events"] if e["action"] == "prepared"]
    assert len(prepared) == 1
    assert prepared[0]["actor"] == agent().label()
    assert enterprise(MANUFACTURER).enterprise.name in prepared[0]["acting_for"]
    assert response.json()["acting_for"] == prepared[0]["acting_for"]


def test_agent_completes_a_field_while_preparing_and_the_value_is_kept():
    step = _prepared_step()
    submitted = submit_step(case=step, user=agent(), data={"contact_name": "代办员核对后的联系人"})
    assert submitted.data["contact_name"] == "代办员核对后的联系人"
    assert submitted.data["project_code"] == step.data["project_code"], "the filing's result is kept"


def test_bad_value_while_preparing_is_refused_and_writes_nothing():
    step = _prepared_step()
    with nothing_written(), pytest.raises(BundleInvalid) as refused:
        submit_step(case=step, user=agent(), data={"building_count": "many"})
    assert list(refused.value.errors) == ["building_count"]
    assert Case.objects.get(pk=step.pk).status == Status.PREPARING


def test_a_waiting_step_cannot_be_prepared_yet():
    parent = submit_industrial()
    decide_filing(parent)
    waiting = child(parent, "construction")
    with nothing_written(), pytest.raises(StepRefused) as refused:
        submit_step(case=waiting, user=agent(), data={})
    assert refused.value.status_code == 409


def test_agent_without_authorisation_is_refused_and_nothing_is_written():
    step = _prepared_step()
    with nothing_written(), pytest.raises(AgentNotAuthorised) as refused:
        submit_step(case=step, user=unauthorised_agent(), data={})
    assert refused.value.status_code == 403
    assert Case.objects.get(pk=step.pk).status == Status.PREPARING


def test_authorised_agent_is_refused_for_an_enterprise_that_did_not_authorise_it():
    outsider = enterprise(OUTSIDER)
    parent = submit_bundle(INDUSTRIAL, outsider, uploads=[(LAND_CONTRACT, land_contract())])
    step = _prepared_step(parent)
    with nothing_written(), pytest.raises(AgentNotAuthorised):
        submit_step(case=step, user=agent(), data={})
    assert client_for(agent()).get(f"/api/v1/cases/{step.pk}").status_code == 404


# ---- applying on the enterprise's behalf over the API ------------------------------------------


def test_authorised_agent_applies_for_the_enterprise_over_the_api():
    manufacturer = enterprise(MANUFACTURER)
    body = {"data": merged_data(INDUSTRIAL, manufacturer), "acting_for": manufacturer.enterprise.uscc}
    response = _post(agent(), body)
    assert response.status_code == 201, response.content
    parent = Case.objects.get(pk=response.json()["id"])
    assert parent.enterprise == manufacturer.enterprise and parent.applicant == agent()
    assert parent.acting_for == enterprise_label(manufacturer.enterprise)
    assert BundleCase.objects.get(parent=parent).agent == agent()
    assert BundleCase.objects.get(parent=parent).authorisation.enterprise == manufacturer.enterprise
    assert all(c.acting_for == parent.acting_for for c in parent.children.all())


@pytest.mark.parametrize(
    ("who", "for_index", "code"),
    [("scjg_agent", MANUFACTURER, INDUSTRIAL), ("fgw_agent", OUTSIDER, INDUSTRIAL), ("fgw_agent", MANUFACTURER, SOCIAL)],
    ids=["agent-never-authorised", "enterprise-that-did-not-authorise", "bundle-outside-the-scope"],
)
def test_agent_without_a_matching_authorisation_is_a_403_and_nothing_is_written(who, for_index, code):
    from qinqing.accounts.models import User

    on_behalf = enterprise(for_index)
    body = {"data": merged_data(code, on_behalf), "acting_for": on_behalf.enterprise.uscc}
    with nothing_written():
        response = _post(User.objects.get(username=who), body, code)
    assert response.status_code == 403
    assert response.json()["code"] == "agent_not_authorised"


def test_agent_must_say_whom_it_acts_for():
    with nothing_written():
        response = _post(agent(), {"data": merged_data(INDUSTRIAL, enterprise(MANUFACTURER))})
    assert response.status_code == 422
    assert "acting_for" in response.json()["errors"]


def test_enterprise_cannot_apply_for_another_enterprise():
    other = enterprise(MANUFACTURER)
    body = {"data": merged_data(SOCIAL, other), "acting_for": other.enterprise.uscc}
    with nothing_written():
        response = _post(enterprise(NEW_ENTERPRISE), body, SOCIAL)
    assert response.status_code == 403


def test_enterprise_naming_an_agent_authorises_it_for_this_bundle_and_the_agent_is_told_of_its_steps():
    user, chosen = enterprise(OUTSIDER), unauthorised_agent()
    parent = submit_bundle(INDUSTRIAL, user, uploads=[(LAND_CONTRACT, land_contract())], agent=chosen)
    authorisation = Authorisation.objects.active().get(enterprise=user.enterprise, agent=chosen)
    assert authorisation.scope == INDUSTRIAL
    assert BundleCase.objects.get(parent=parent).agent == chosen
    step = _prepared_step(parent)
    assert Notification.objects.filter(recipient=chosen, link=f"/agent/cases/{step.pk}/").exists()
    assert step in agent_queue(chosen)
    assert submit_step(case=step, user=chosen, data={}).status == Status.SUBMITTED


def test_naming_a_user_who_is_not_an_agent_is_a_422():
    user = enterprise(MANUFACTURER)
    with nothing_written():
        response = _post(user, {"data": merged_data(INDUSTRIAL, user), "agent": "fgw_reviewer"})
    assert response.status_code == 422
    assert "agent" in response.json()["errors"]


# ---- revocation --------------------------------------------------------------------------------


def test_after_revocation_the_agent_is_refused_and_no_longer_sees_the_cases():
    step = _prepared_step()
    manufacturer = enterprise(MANUFACTURER)
    assert client_for(agent()).get(f"/api/v1/cases/{step.pk}").status_code == 200
    assert step in agent_queue(agent())
    for authorisation in Authorisation.objects.active().filter(agent=agent(), enterprise=manufacturer.enterprise):
        revoke_authorisation(authorisation=authorisation, user=manufacturer)
    with nothing_written(), pytest.raises(AgentNotAuthorised):
        submit_step(case=step, user=agent(), data={})
    api = client_for(agent())
    assert api.get(f"/api/v1/cases/{step.pk}").status_code == 404
    assert api.get(f"/api/v1/cases/{step.parent_id}").status_code == 404
    assert step not in agent_queue(agent())
    body = {"data": merged_data(INDUSTRIAL, manufacturer), "acting_for": manufacturer.enterprise.uscc}
    assert _post(agent(), body).status_code == 403


def test_the_enterprise_itself_may_submit_a_step_prepared_for_the_agent():
    step = _prepared_step()
    submitted = submit_step(case=step, user=enterprise(MANUFACTURER), data={})
    assert submitted.status == Status.SUBMITTED
    assert submitted.events.get(action="prepared").acting_for == ""
