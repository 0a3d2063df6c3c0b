"""One application for a whole bundle: a parent and its steps in one go, validated per merged field, idempotent."""

from __future__ import annotations

import pytest
from django.test import Client

from qinqing.bundles.models import BundleCase
from qinqing.bundles.tests.support import (
    NEW_ENTERPRISE,
    OUTSIDER,
    SOCIAL,
    actions,
    bundle,
    merged_data,
    statuses,
    submit_bundle,
)
from qinqing.cases.models import Case, Licence
from qinqing.cases.tests.support import client_for, enterprise, new_key, nothing_written, reviewer_of, submit
from qinqing.cases.workflow import Status
from qinqing.datahub.queries import facts_for

pytestmark = pytest.mark.django_db

SOCIAL_STEPS = ["employee_insurance", "housing_fund", "medical_insurance", "social_insurance"]


def _post(user, data, key: str | None = None, code: str = SOCIAL, **body):
    return client_for(user, **{"Idempotency-Key": key or new_key()}).post(
        f"/api/v1/bundles/{code}/submissions", {"data": data, **body}, content_type="application/json")


# ---- the social-insurance bundle: four steps at once -----------------------------------------


def test_social_bundle_creates_a_parent_and_one_child_per_enabled_step():
    user = enterprise(NEW_ENTERPRISE)
    parent = submit_bundle(SOCIAL, user)
    assert parent.matter is None and parent.is_bundle
    assert parent.bundle_code == SOCIAL and parent.title == bundle(SOCIAL).name
    assert parent.enterprise == user.enterprise and parent.applicant == user
    assert sorted(statuses(parent)) == SOCIAL_STEPS, "the disabled employee_fund step is left out"
    assert BundleCase.objects.get(parent=parent).bundle == bundle(SOCIAL)


def test_social_bundle_starts_every_step_at_once_and_completes_when_all_are_approved():
    parent = submit_bundle(SOCIAL, enterprise(NEW_ENTERPRISE))
    children = list(parent.children.all())
    assert all(actions(c)[:2] == ["waiting", "started"] for c in children), [actions(c) for c in children]
    assert {c.status for c in children} == {Status.APPROVED}
    assert all(c.decided_automatically for c in children)
    assert Licence.objects.filter(case__in=children).count() == 4
    assert parent.status == Status.COMPLETED
    assert actions(parent) == ["bundle_submitted", "completed"]


def test_each_child_takes_its_fields_from_the_merged_form():
    user = enterprise(NEW_ENTERPRISE)
    data = merged_data(SOCIAL, user, handler="王小明", contribution_start="2026-12-01", employee_count=12)
    parent = submit_bundle(SOCIAL, user, data)
    by_step = {c.step_key: c for c in parent.children.select_related("matter")}
    for step in SOCIAL_STEPS:
        assert by_step[step].data["handler"] == "王小明"
        assert set(by_step[step].data) == {f.key for f in by_step[step].matter.fields.all()}
    assert by_step["employee_insurance"].data["start_date"] == "2026-12-01", "mapped from contribution_start"
    assert "contribution_start" not in by_step["employee_insurance"].data
    assert by_step["housing_fund"].data["contribution_start"] == "2026-12-01"
    assert by_step["social_insurance"].data["employee_count"] == 12
    assert parent.data == data


def test_prefilled_values_carry_their_source_and_as_of_time_on_each_child():
    user = enterprise(NEW_ENTERPRISE)
    parent = submit_bundle(SOCIAL, user)
    fact = facts_for(user.enterprise.uscc)["registry.name"]
    for c in parent.children.all():
        source = c.prefill_sources["company_name"]
        assert c.data["company_name"] == user.enterprise.name
        assert source["source"] == fact.source
        assert source["source_name"] == fact.source_name
        assert source["as_of"] == fact.as_of.isoformat()


def test_bundle_submission_over_the_api_answers_the_parent_with_its_children():
    user = enterprise(NEW_ENTERPRISE)
    response = _post(user, merged_data(SOCIAL, user))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["bundle"] == SOCIAL and body["matter"] is None and body["status"] == Status.COMPLETED
    assert sorted(c["step"] for c in body["children"]) == SOCIAL_STEPS
    assert {c["status"] for c in body["children"]} == {Status.APPROVED}


# ---- prefill -----------------------------------------------------------------------------------


def test_prefill_returns_what_government_holds_with_source_and_as_of():
    user = enterprise(NEW_ENTERPRISE)
    response = client_for(user).get(f"/api/v1/bundles/{SOCIAL}/prefill")
    assert response.status_code == 200
    body = response.json()
    fact = facts_for(user.enterprise.uscc)["registry.name"]
    assert body["data"]["company_name"] == user.enterprise.name
    assert body["data"]["uscc"] == user.enterprise.uscc
    assert body["sources"]["company_name"]["source"] == fact.source
    assert body["sources"]["company_name"]["source_name"] == fact.source_name
    assert body["sources"]["company_name"]["as_of"].startswith(fact.as_of.isoformat()[:19])
    assert set(body["sources"]) == set(body["data"])


def test_prefill_is_only_for_the_callers_own_enterprise():
    user, other = enterprise(NEW_ENTERPRISE), enterprise(OUTSIDER)
    mine = client_for(user).get(f"/api/v1/bundles/{SOCIAL}/prefill").json()["data"]
    assert other.enterprise.name not in mine.values()
    response = client_for(user).get(f"/api/v1/bundles/{SOCIAL}/prefill?acting_for={other.enterprise.uscc}")
    assert response.status_code == 403
    assert other.enterprise.name not in response.content.decode()


def test_prefill_is_refused_to_a_reviewer_and_to_anonymous_callers():
    reviewer = reviewer_of(bundle(SOCIAL).steps.first().matter)
    assert client_for(reviewer).get(f"/api/v1/bundles/{SOCIAL}/prefill").status_code == 403
    assert Client().get(f"/api/v1/bundles/{SOCIAL}/prefill").status_code == 401


# ---- bad input writes nothing ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("employee_count", "十二"), ("contribution_start", "明天"), ("deposit_ratio", "a lot")],
    ids=["text-in-integer", "text-in-date", "text-in-decimal"],
)
def test_one_bad_field_is_a_422_naming_the_merged_field_and_writes_nothing(field, value):
    user = enterprise(NEW_ENTERPRISE)
    with nothing_written():
        response = _post(user, merged_data(SOCIAL, user, **{field: value}))
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert len(errors[field]) == 1, "a field shared by several steps is reported once"


def test_missing_required_field_is_a_422_naming_it():
    user = enterprise(NEW_ENTERPRISE)
    data = merged_data(SOCIAL, user)
    del data["handler"]
    with nothing_written():
        response = _post(user, data)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["handler"]


def test_a_bad_value_of_a_mapped_field_is_reported_under_its_merged_key():
    user = enterprise(NEW_ENTERPRISE)
    with nothing_written():
        response = _post(user, merged_data(SOCIAL, user, contribution_start="2026-13-45"))
    assert response.status_code == 422
    assert "contribution_start" in response.json()["errors"]
    assert "start_date" not in response.json()["errors"], "the enterprise never saw the child's own key"


def test_unknown_field_is_a_422_naming_it():
    user = enterprise(NEW_ENTERPRISE)
    with nothing_written():
        response = _post(user, merged_data(SOCIAL, user, shoe_size="42"))
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["shoe_size"]


def test_unknown_body_key_is_a_422():
    user = enterprise(NEW_ENTERPRISE)
    with nothing_written():
        response = _post(user, merged_data(SOCIAL, user), matter="RSJ-003")
    assert response.status_code == 422


def test_submission_by_a_reviewer_is_refused_and_writes_nothing():
    user = enterprise(NEW_ENTERPRISE)
    reviewer = reviewer_of(bundle(SOCIAL).steps.first().matter)
    with nothing_written():
        response = _post(reviewer, merged_data(SOCIAL, user))
    assert response.status_code == 403


def test_submission_without_an_idempotency_key_is_a_422():
    user = enterprise(NEW_ENTERPRISE)
    with nothing_written():
        response = client_for(user).post(f"/api/v1/bundles/{SOCIAL}/submissions",
                                         {"data": merged_data(SOCIAL, user)}, content_type="application/json")
    assert response.status_code == 422


# ---- idempotency -------------------------------------------------------------------------------


def test_the_same_key_twice_returns_the_same_parent_without_new_steps():
    user, key = enterprise(NEW_ENTERPRISE), new_key()
    data = merged_data(SOCIAL, user)
    first = _post(user, data, key)
    assert first.status_code == 201
    cases = Case.objects.count()
    replay = _post(user, data, key)
    assert replay.status_code == 200, replay.content
    assert replay.json()["id"] == first.json()["id"]
    assert [c["id"] for c in replay.json()["children"]] == [c["id"] for c in first.json()["children"]]
    assert Case.objects.count() == cases
    assert Case.objects.filter(parent_id=first.json()["id"]).count() == 4


def test_the_same_key_with_different_data_is_a_409_and_writes_nothing():
    user, key = enterprise(NEW_ENTERPRISE), new_key()
    assert _post(user, merged_data(SOCIAL, user), key).status_code == 201
    with nothing_written():
        response = _post(user, merged_data(SOCIAL, user, handler="另一个人"), key)
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"


def test_a_key_first_used_for_a_single_matter_is_a_409_for_a_bundle():
    user, key = enterprise(NEW_ENTERPRISE), new_key()
    submit(user, bundle(SOCIAL).steps.get(key="social_insurance").matter, idempotency_key=key)
    with nothing_written():
        response = _post(user, merged_data(SOCIAL, user), key)
    assert response.status_code == 409
