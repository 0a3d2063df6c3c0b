"""The 秒办 decision path writes a case once, in its final state, and answers from memory (issue 10 §1)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qinqing.cases.models import Case, CaseEvent
from qinqing.cases.tests.support import (
    REVOKED_ENTERPRISE,
    client_for,
    data_for,
    enterprise,
    form_data,
    matter_approved_for,
    new_key,
    referred_matter,
)
from qinqing.catalog import cache
from qinqing.catalog.models import DuplicatePolicy, Matter

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases"


def _submit(user, matter, key=None, data=None):
    return client_for(user).post(URL, {"matter": matter.code, "data": form_data(matter) if data is None else data},
                                 content_type="application/json", headers={"Idempotency-Key": key or new_key()})


def _tables(queries, verb: str) -> list[str]:
    found = []
    for q in queries:
        sql = q["sql"].lstrip()
        if sql.upper().startswith(verb):
            match = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql)
            found.append(match.group(1) if match else sql[:40])
    return found


def test_an_approval_inserts_the_case_once_in_its_final_state_and_its_timeline_in_one_statement():
    user, matter = enterprise(0), matter_approved_for(0)
    _submit(user, matter)  # this process now holds the catalog
    with CaptureQueriesContext(connection) as queries:
        response = _submit(user, matter)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "approved"
    inserts, updates = _tables(queries, "INSERT"), _tables(queries, "UPDATE")
    assert inserts.count("cases_case") == 1
    assert "cases_case" not in updates, "decided before the INSERT: no second write of the case"
    assert inserts.count("cases_caseevent") == 1, "the whole timeline in one INSERT"
    case = Case.objects.get(pk=body["id"])
    assert case.status == "approved" and case.decided_automatically and case.verdict["outcome"] == "approve"
    actions = list(CaseEvent.objects.filter(case=case).order_by("at", "id").values_list("action", flat=True))
    assert actions[0] == "submitted" and "approved_automatically" in actions and actions[-1] == "licence_issued"
    assert [e["action"] for e in body["events"]] == actions


def test_a_submission_reads_no_catalog_row_no_idempotency_row_and_nothing_back():
    user, matter = enterprise(0), matter_approved_for(0)
    data = form_data(matter)
    _submit(user, matter, data=data)
    with CaptureQueriesContext(connection) as queries:
        response = _submit(user, matter, data=data)
    assert response.status_code == 201
    selects = _tables(queries, "SELECT")
    assert not [t for t in selects if t.startswith(("catalog_matter", "catalog_formfield", "catalog_material",
                                                      "rules_"))], selects
    assert selects.count("catalog_catalogversion") == 1, "one look at the catalog's version"
    assert "cases_case" not in selects, "no idempotency pre-check"
    assert "cases_caseevent" not in selects and "cases_material" not in selects, "the answer is built from memory"


def test_a_referred_case_is_also_written_once_with_its_referral_in_the_timeline():
    matter = referred_matter()
    user = enterprise(REVOKED_ENTERPRISE)
    data = data_for(matter, user)
    with CaptureQueriesContext(connection) as queries:
        response = _submit(user, matter, data=data)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "under_review"
    assert _tables(queries, "INSERT").count("cases_case") == 1
    assert "cases_case" not in _tables(queries, "UPDATE")
    case = Case.objects.get(pk=response.json()["id"])
    assert list(case.events.order_by("at", "id").values_list("action", flat=True))[-1] == "referred"
    assert case.due_at >= case.submitted_at


def test_a_replay_answers_the_first_case_and_writes_nothing():
    user, matter = enterprise(0), matter_approved_for(0)
    key, data = new_key(), form_data(matter)
    first = _submit(user, matter, key, data)
    cases, events = Case.objects.count(), CaseEvent.objects.count()
    again = _submit(user, matter, key, data)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["events"] == first.json()["events"]
    assert (Case.objects.count(), CaseEvent.objects.count()) == (cases, events)


def test_a_replay_of_a_matter_allowing_one_open_case_answers_the_first_not_a_refusal():
    user, matter = enterprise(0), matter_approved_for(0)
    Matter.objects.filter(pk=matter.pk).update(duplicate_policy=DuplicatePolicy.ONE_OPEN, single_valid_licence=True)
    cache.bump()
    key, data = new_key(), form_data(matter)
    first = _submit(user, matter, key, data)
    assert first.status_code == 201, first.content
    again = _submit(user, matter, key, data)
    assert again.status_code in (200, 201), again.content
    assert again.json()["id"] == first.json()["id"]
    refused = _submit(user, matter, new_key(), data)
    assert refused.status_code == 409, "a new request is still refused as a duplicate"
