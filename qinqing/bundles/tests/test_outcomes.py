"""How a bundle ends: a rejected step cancels what depends on it; a withdrawal closes every open step."""

from __future__ import annotations

import pytest

from qinqing.bundles import services
from qinqing.bundles.errors import AgentNotAuthorised, StepRefused
from qinqing.bundles.queries import progress
from qinqing.bundles.tests.support import (
    INDUSTRIAL_AGENT_STEPS,
    MANUFACTURER,
    NEW_ENTERPRISE,
    RESTAURANT,
    actions,
    agent,
    approve,
    child,
    decide_filing,
    reviewer_for,
    statuses,
    submit_bundle,
    submit_industrial,
    submit_step,
)
from qinqing.cases import services as case_services
from qinqing.cases.models import Case
from qinqing.cases.tests.support import client_for, enterprise, nothing_written, session_client
from qinqing.cases.workflow import Status

pytestmark = pytest.mark.django_db


def _reject(case: Case, note: str = "材料不符合要求") -> Case:
    return case_services.reject_case(case=case, reviewer=reviewer_for(case), note=note)


# ---- rejection ---------------------------------------------------------------------------------


def test_rejecting_a_step_cancels_every_step_that_depends_on_it_and_closes_the_parent():
    parent = submit_industrial(with_contract=False)
    filing = child(parent, "filing")
    assert filing.status == Status.UNDER_REVIEW
    _reject(filing)
    now = statuses(parent)
    assert now["filing"] == Status.REJECTED
    assert {now[k] for k in INDUSTRIAL_AGENT_STEPS} == {Status.CANCELLED}, now
    parent.refresh_from_db()
    assert parent.status == Status.CLOSED
    assert actions(parent)[-1] == "closed"
    assert parent.decided_at is not None


def test_a_cancelled_step_names_the_step_that_failed_before_it():
    parent = submit_industrial(with_contract=False)
    filing = _reject(child(parent, "filing"))
    direct = child(parent, "land_planning").events.get(action="cancelled")
    assert direct.from_status == Status.WAITING and direct.to_status == Status.CANCELLED
    assert filing.matter.name in direct.note
    transitive = child(parent, "land_title").events.get(action="cancelled")
    assert child(parent, "land_planning").matter.name in transitive.note


def test_rejection_cancels_only_the_dependents_and_the_parent_waits_for_the_rest():
    parent = submit_bundle(RESTAURANT, enterprise(NEW_ENTERPRISE))
    now = statuses(parent)
    assert now["business_licence"] in (Status.SUBMITTED, Status.UNDER_REVIEW)
    approve(child(parent, "business_licence"))
    opened = {k for k, s in statuses(parent).items() if s in (Status.SUBMITTED, Status.UNDER_REVIEW)}
    assert "food_licence" in opened
    _reject(child(parent, "food_licence"))
    after = statuses(parent)
    assert after["food_licence"] == Status.REJECTED
    assert after["business_licence"] == Status.APPROVED, "an approved step stays approved"
    parent.refresh_from_db()
    still_open = [k for k, s in after.items() if s in (Status.SUBMITTED, Status.UNDER_REVIEW)]
    assert parent.status == (Status.IN_PROGRESS if still_open else Status.CLOSED)
    for key in still_open:
        _reject(child(parent, key))
    parent.refresh_from_db()
    assert parent.status == Status.CLOSED


def test_supplement_request_on_a_step_shows_in_the_bundles_attention_list():
    parent = submit_industrial(with_contract=False)
    filing = child(parent, "filing")
    assert progress(parent)["attention"] == []
    case_services.request_supplement(case=filing, reviewer=reviewer_for(filing), note="请补充土地出让合同")
    attention = progress(parent)["attention"]
    assert [(i["key"], i["status"], i["note"]) for i in attention] == [
        ("filing", Status.SUPPLEMENT_REQUESTED, "请补充土地出让合同")]
    parent.refresh_from_db()
    assert parent.status == Status.IN_PROGRESS


def test_progress_counts_approved_steps_and_names_what_each_waits_for():
    parent = submit_industrial()
    decide_filing(parent)
    shown = progress(parent)
    assert (shown["approved"], shown["total"]) == (1, 7)
    steps = {s["key"]: s for s in shown["steps"]}
    assert steps["filing"]["licence"] and steps["filing"]["decided_automatically"]
    assert steps["land_title"]["waiting_for"] == [child(parent, "land_planning").display_title]
    assert steps["land_planning"]["waiting_for"] == []
    assert [s["key"] for s in shown["columns"][0]] == ["filing"]


# ---- withdrawal --------------------------------------------------------------------------------


def _bundle_in_every_state() -> Case:
    """Filing approved, land planning submitted by the agent, EIA being prepared, the rest waiting."""
    parent = submit_industrial()
    decide_filing(parent)
    submit_step(case=child(parent, "land_planning"), user=agent(), data={})
    assert statuses(parent) == {
        "filing": Status.APPROVED, "land_planning": Status.SUBMITTED, "eia": Status.PREPARING,
        "land_title": Status.WAITING, "engineering_planning": Status.WAITING, "fire_design": Status.WAITING,
        "construction": Status.WAITING,
    }
    return parent


def test_withdrawing_the_bundle_withdraws_open_steps_cancels_the_others_and_the_parent():
    parent = _bundle_in_every_state()
    services.withdraw_bundle(parent=parent, user=enterprise(MANUFACTURER), note="项目调整")
    assert statuses(parent) == {
        "filing": Status.APPROVED, "land_planning": Status.WITHDRAWN, "eia": Status.CANCELLED,
        "land_title": Status.CANCELLED, "engineering_planning": Status.CANCELLED, "fire_design": Status.CANCELLED,
        "construction": Status.CANCELLED,
    }
    parent.refresh_from_db()
    assert parent.status == Status.WITHDRAWN
    assert actions(parent) == ["bundle_submitted", "withdrawn"]
    assert child(parent, "land_planning").events.get(action="withdrawn").note == "项目调整"


def test_a_withdrawn_step_leaves_the_reviewers_queue():
    parent = _bundle_in_every_state()
    step = child(parent, "land_planning")
    queue = client_for(reviewer_for(step)).get("/api/v1/review/queue")
    assert step.pk in [c["id"] for c in queue.json()]
    services.withdraw_bundle(parent=parent, user=enterprise(MANUFACTURER))
    queue = client_for(reviewer_for(step)).get("/api/v1/review/queue")
    assert step.pk not in [c["id"] for c in queue.json()]


def test_a_second_withdrawal_is_refused_with_409_and_writes_nothing():
    parent = _bundle_in_every_state()
    services.withdraw_bundle(parent=parent, user=enterprise(MANUFACTURER))
    with nothing_written(), pytest.raises(StepRefused) as refused:
        services.withdraw_bundle(parent=parent, user=enterprise(MANUFACTURER))
    assert refused.value.status_code == 409


def test_withdrawing_through_the_progress_page_then_again_shows_the_refusal():
    parent = _bundle_in_every_state()
    page = session_client(enterprise(MANUFACTURER))
    url = f"/bundles/cases/{parent.pk}/withdraw/"
    first = page.post(url, {"note": "不再建设"})
    assert first.status_code == 302 and first["Location"] == f"/bundles/cases/{parent.pk}/"
    parent.refresh_from_db()
    assert parent.status == Status.WITHDRAWN
    with nothing_written():
        second = page.post(url, follow=True)
    assert second.status_code == 200
    assert any(m.level_tag == "error" for m in second.context["messages"])


def test_only_the_enterprise_itself_may_withdraw_the_bundle():
    parent = _bundle_in_every_state()
    with nothing_written(), pytest.raises(AgentNotAuthorised):
        services.withdraw_bundle(parent=parent, user=agent())
    assert session_client(enterprise(0)).post(f"/bundles/cases/{parent.pk}/withdraw/").status_code == 404
    parent.refresh_from_db()
    assert parent.status == Status.IN_PROGRESS


def test_withdrawing_the_parent_alone_through_the_case_api_is_a_409_and_leaves_every_step_as_it_was():
    parent = _bundle_in_every_state()
    before = statuses(parent)
    with nothing_written():
        response = client_for(enterprise(MANUFACTURER)).post(f"/api/v1/cases/{parent.pk}/withdraw")
    assert response.status_code == 409
    parent.refresh_from_db()
    assert parent.status == Status.IN_PROGRESS
    assert statuses(parent) == before


def test_withdrawing_one_step_cancels_the_steps_that_depend_on_it():
    parent = _bundle_in_every_state()
    step = child(parent, "land_planning")
    response = client_for(enterprise(MANUFACTURER)).post(f"/api/v1/cases/{step.pk}/withdraw")
    assert response.status_code == 200
    now = statuses(parent)
    assert now["land_planning"] == Status.WITHDRAWN
    assert {now[k] for k in ("land_title", "engineering_planning", "fire_design", "construction")} == {
        Status.CANCELLED}
    assert now["eia"] == Status.PREPARING, "the EIA waits only for the filing"
