"""The industrial project: the filing first, then the agent's steps as their prerequisites are approved."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from qinqing.bundles.tests.support import (
    INDUSTRIAL_AGENT_STEPS,
    LAND_CONTRACT,
    MANUFACTURER,
    actions,
    agent,
    approve,
    child,
    decide_filing,
    statuses,
    submit_industrial,
    submit_step,
)
from qinqing.cases.models import Licence, Material
from qinqing.cases.tests.support import client_for, enterprise
from qinqing.cases.workflow import Status
from qinqing.core.ids import current_division_code
from qinqing.datahub.queries import facts_for

pytestmark = pytest.mark.django_db

FIRST_AGENT_STEPS = {"land_planning", "eia"}  # wait for the filing only


def test_filing_is_decided_and_the_steps_waiting_only_for_it_go_to_the_agent():
    parent = submit_industrial()
    filing = decide_filing(parent)
    assert filing.status == Status.APPROVED
    now = statuses(parent)
    assert {k for k, s in now.items() if s == Status.PREPARING} == FIRST_AGENT_STEPS
    assert {k for k, s in now.items() if s == Status.WAITING} == set(INDUSTRIAL_AGENT_STEPS) - FIRST_AGENT_STEPS
    parent.refresh_from_db()
    assert parent.status == Status.IN_PROGRESS


def test_filing_with_the_land_contract_is_approved_by_its_rules_at_once():
    filing = child(submit_industrial(), "filing")
    assert filing.status == Status.APPROVED, filing.verdict
    assert filing.decided_automatically
    assert "approved_automatically" in actions(filing)


def test_agent_steps_receive_the_project_code_produced_by_the_filing():
    parent = submit_industrial()
    filing = decide_filing(parent)
    licence = Licence.objects.get(case=filing)
    code = licence.payload["project_code"]
    # yyMM-division of the chosen district-industry major group (C39 from the registry)-03 备案-serial
    district = next(c["label"] for c in filing.matter.fields.get(key="project_district").choices
                    if c["value"] == filing.data["project_district"])
    assert re.fullmatch(rf"\d{{4}}-{current_division_code(district)}-39-03-\d{{6}}", code), code
    assert code.startswith(f"{timezone.localtime(filing.decided_at):%y%m}-")
    assert code != licence.number
    for step in FIRST_AGENT_STEPS:
        prepared = child(parent, step)
        assert prepared.data["project_code"] == code
        assert prepared.data["project_filed_on"] == timezone.localtime(filing.decided_at).date().isoformat()
        assert actions(prepared) == ["waiting", "handed_to_agent"]


def test_steps_waiting_for_unapproved_steps_stay_waiting_and_hold_no_upstream_values():
    parent = submit_industrial()
    decide_filing(parent)
    for step in ("land_title", "engineering_planning", "fire_design", "construction"):
        waiting = child(parent, step)
        assert waiting.status == Status.WAITING
        assert "project_code" not in waiting.data
        assert actions(waiting) == ["waiting"]


def test_approving_one_agent_step_unlocks_only_the_step_waiting_for_it_alone():
    parent = submit_industrial()
    decide_filing(parent)
    land_planning = submit_step(case=child(parent, "land_planning"), user=agent(), data={})
    approve(land_planning)
    now = statuses(parent)
    assert now["land_planning"] == Status.APPROVED
    assert now["land_title"] == Status.PREPARING
    assert now["engineering_planning"] == Status.WAITING, "it waits for the land title too"
    title = child(parent, "land_title")
    assert title.data["land_planning_permit_no"] == Licence.objects.get(case=land_planning).number


def test_without_the_land_contract_the_filing_is_referred_and_nothing_else_starts():
    parent = submit_industrial(with_contract=False)
    filing = child(parent, "filing")
    assert filing.status == Status.UNDER_REVIEW
    contract = filing.matter.materials.get(code=LAND_CONTRACT)
    assert any(contract.name in r for r in filing.verdict["reasons"]), filing.verdict
    assert {s for k, s in statuses(parent).items() if k != "filing"} == {Status.WAITING}


def test_the_land_contract_is_stored_once_and_attached_to_every_step_that_needs_it():
    parent = submit_industrial()
    contracts = Material.objects.filter(case__parent=parent, requirement__code=LAND_CONTRACT)
    assert sorted(contracts.values_list("case__step_key", flat=True)) == ["filing", "land_planning", "land_title"]
    assert len(set(contracts.values_list("file", flat=True))) == 1
    assert parent.bundle_case.uploads[LAND_CONTRACT] == contracts.first().file.name


def test_materials_satisfied_by_shared_data_appear_on_the_child_with_their_source():
    parent = submit_industrial()
    filing = child(parent, "filing")
    response = client_for(enterprise(MANUFACTURER)).get(f"/api/v1/cases/{filing.pk}")
    assert response.status_code == 200
    materials = {m["requirement"]: m for m in response.json()["materials"]}
    assert materials["business_licence"]["from_data"]["source"] == "market_registry"
    assert materials["business_licence"]["from_data"]["as_of"]
    assert materials["business_licence"]["size"] == 0
    assert materials[LAND_CONTRACT]["from_data"] is None
    assert materials[LAND_CONTRACT]["content_type"] == "application/pdf"
    assert "materials_from_data" in [e["action"] for e in response.json()["events"]]


def test_the_filing_records_its_project_code_in_shared_data_and_on_its_licence():
    parent = submit_industrial()
    filing = decide_filing(parent)
    licence = Licence.objects.get(case=filing)
    code = licence.payload["project_code"]
    assert {"key": "project_code", "label": "项目代码", "value": code} in licence.payload["fields"]
    facts = facts_for(enterprise(MANUFACTURER).enterprise.uscc)
    assert facts["project.code"].value == code
    assert facts["project.name"].value == filing.data["project_name"]
