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
from qinqing.core.events import together as kept_statements

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases"


def _submit(user, matter, key=None, data=None):
    return client_for(user).post(URL, {"matter": matter.code, "data": form_data(matter) if data is None else data},
                                 content_type="application/json", headers={"Idempotency-Key": key or new_key()})


def _expanded(queries) -> list[str]:
    """Each statement's text; a prepared statement's `EXECUTE name(…)` as the text it runs."""
    out = []
    for q in queries:
        sql = q["sql"].lstrip()
        if sql.upper().startswith("EXECUTE "):
            sql = kept_statements.text_of(sql.split()[1].split("(")[0]) or sql
        out.append(sql)
    return out


def _tables(queries, verb: str) -> list[str]:
    """The table of each statement of a kind; for INSERT, every table a statement inserts into (a WITH of several)."""
    found = []
    for sql in _expanded(queries):
        if verb == "INSERT" and sql.upper().startswith(("INSERT", "WITH")):
            found += re.findall(r'INSERT INTO\s+"?(\w+)"?', sql)
        elif sql.upper().startswith(verb):
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
    versions = [q["sql"] for q in queries if "core_keptversion" in q["sql"]]
    assert len(versions) == 1 and "accounts_apitoken" in versions[0], (
        "the kept copies' versions (catalog and sources) ride along the bearer-token lookup")
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


def _approved_matter_with_a_material_from(source_code: str, index: int = 0) -> Matter:
    """An automatic matter the index-th demo enterprise passes, one of whose materials a source's record stands in for."""
    from qinqing.cases.tests.support import automatic_outcome
    from qinqing.rules.engine import APPROVE

    user = enterprise(index)
    for matter in (Matter.objects.online().filter(automatic=True, rule_set__isnull=False,
                                                  materials__satisfied_by=source_code).distinct().order_by("code")):
        if automatic_outcome(matter, user, data_for(matter, user)) == APPROVE:
            return matter
    raise AssertionError(f"no automatic matter with a material from {source_code} passes for enterprise {index}")


def test_a_decision_reads_no_source_row_and_each_table_of_shared_data_once():
    user = enterprise(0)
    matter = _approved_matter_with_a_material_from("market_registry")
    data = data_for(matter, user)
    _submit(user, matter, data=data)  # this process now keeps the catalog and the sources
    with CaptureQueriesContext(connection) as queries:
        response = _submit(user, matter, data=data)
    assert response.status_code == 201, response.content
    body = response.json()
    selects = _tables(queries, "SELECT")
    assert "datahub_source" not in selects, selects
    assert selects.count("datahub_registryrecord") == 1, "facts and the registry material from one read"
    assert selects.count("datahub_datarecord") <= 1, selects
    from_data = [m for m in body["materials"] if m["from_data"]]
    assert [m["from_data"]["source"] for m in from_data].count("market_registry") == 1
    if body["status"] == "approved":
        assert _tables(queries, "INSERT").count("datahub_datarecord") == 1, "the licence mirrored in one INSERT"
        assert "datahub_datarecord" not in _tables(queries, "UPDATE")


def test_the_facts_and_materials_read_together_are_the_ones_read_one_by_one():
    from qinqing.datahub.queries import facts_for, find_material_record, held_about

    uscc = enterprise(0).enterprise.uscc
    wanted = ["market_registry", "land_contracts", "tax_registration", "qualifications", "licences:SCJG-002", "form"]
    held = held_about(uscc, material_sources=wanted)
    assert facts_for(uscc, held) == facts_for(uscc)
    for satisfied_by in wanted:
        assert find_material_record(uscc, satisfied_by, held) == find_material_record(uscc, satisfied_by)
    assert "licences" not in held, "the platform's own licences never stand in through shared data"


def test_a_licence_in_force_read_with_the_shared_data_is_the_one_read_alone():
    from qinqing.cases.services.licences import licence_in_force
    from qinqing.cases.services.materials import licence_read_key, licence_reads, material_record
    from qinqing.datahub.queries import held_about

    user, matter = enterprise(0), matter_approved_for(0)
    assert _submit(user, matter).status_code == 201  # the enterprise now holds a licence of this matter
    owner = user.enterprise
    wanted = [f"licences:{matter.code}", "licences:NO-SUCH-MATTER", "market_registry"]
    held = held_about(owner.uscc, material_sources=wanted, also=licence_reads(owner, wanted))
    assert set(held.also) == {licence_read_key(matter.code), licence_read_key("NO-SUCH-MATTER")}
    alone = licence_in_force(enterprise=owner, matter_code=matter.code)
    assert alone is not None
    with CaptureQueriesContext(connection) as queries:
        together = material_record(owner, f"licences:{matter.code}", held)
    assert together is not None and together.key == alone.number
    assert not [q for q in queries if "cases_licence" in q["sql"]], "read with the shared data, not again"
    assert material_record(owner, "licences:NO-SUCH-MATTER", held) is None
    other = enterprise(1).enterprise  # held about another enterprise: read afresh, never borrowed
    assert material_record(other, f"licences:{matter.code}", held) == material_record(other, f"licences:{matter.code}")


def test_on_postgresql_the_rows_of_a_decision_are_written_in_one_statement():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writes each table with its own INSERT (one writer at a time: no round trips to save)")
    user, matter = enterprise(0), matter_approved_for(0)
    client, body = client_for(user), {"matter": matter.code, "data": form_data(matter)}
    client.post(URL, body, content_type="application/json", headers={"Idempotency-Key": new_key()})
    with CaptureQueriesContext(connection) as queries:
        response = client.post(URL, body, content_type="application/json", headers={"Idempotency-Key": new_key()})
    assert response.status_code == 201 and response.json()["status"] == "approved"
    together = [sql for sql in _expanded(queries) if "INSERT INTO" in sql and '"cases_case"' in sql]
    assert len(together) == 1
    for table in ("cases_case", "cases_caseevent", "cases_licence", "notifications_notification",
                  "core_outboxevent", "audit_auditrecord"):
        assert f'INSERT INTO "{table}"' in together[0] or f"INSERT INTO {table}" in together[0], table
    others = [t for t in _tables(queries, "INSERT") if t not in _tables([{"sql": together[0]}], "INSERT")]
    assert others == ["datahub_datarecord"], "besides: only the licence mirrored into shared data"
    case = Case.objects.get(pk=response.json()["id"])
    assert case.licence.number == response.json()["licence"]["number"]
    assert [m["id"] for m in response.json()["materials"]] == list(case.materials.order_by("id").values_list("id", flat=True))
    assert [e["action"] for e in response.json()["events"]] == list(
        case.events.order_by("at", "id").values_list("action", flat=True))


def test_on_postgresql_a_decision_runs_its_prepared_statement_and_stores_what_the_unprepared_one_does(settings):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite writes each table with its own INSERT")
    user, matter = enterprise(0), matter_approved_for(0)
    data = form_data(matter)
    _submit(user, matter, data=data)
    stored = {}
    for prepare in (False, True):
        settings.QINQING_DB_PREPARE = prepare
        with CaptureQueriesContext(connection) as queries:
            response = _submit(user, matter, data=data)
        assert response.status_code == 201 and response.json()["status"] == "approved"
        executed = [q["sql"] for q in queries if q["sql"].startswith("EXECUTE ")]
        if prepare:
            assert len(executed) == 1 and executed[0].split()[1].split("(")[0] in kept_statements.prepared_names()
        else:
            assert not executed and [q for q in queries if q["sql"].startswith("WITH ")]
        case = Case.objects.get(pk=response.json()["id"])
        stored[prepare] = (case.status, case.verdict, case.data, case.decided_automatically,
                           [e.action for e in case.events.order_by("at", "id")],
                           sorted(case.licence.payload), case.licence.signature != "",
                           case.applicant.notifications.filter(link=f"/cases/{case.pk}/").count())
    assert stored[False] == stored[True]


@pytest.mark.parametrize("reset", ["DEALLOCATE ALL", "DEALLOCATE one"])
def test_on_postgresql_a_session_that_lost_its_prepared_statements_decides_without_an_error(reset):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    user, matter = enterprise(0), matter_approved_for(0)
    assert _submit(user, matter).status_code == 201
    names = kept_statements.prepared_names()
    assert names
    with connection.cursor() as cursor:  # what a pooler's reset would do behind the platform's back
        if reset == "DEALLOCATE one":
            cursor.execute(f"DEALLOCATE {sorted(names)[0]}")
        else:
            cursor.execute(reset)
    for _ in range(2):
        response = _submit(user, matter)
        assert response.status_code == 201 and response.json()["status"] == "approved"
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'qq%%'")
        assert kept_statements.prepared_names() == {name for (name,) in cursor.fetchall()}
