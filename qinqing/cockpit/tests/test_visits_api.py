"""The visits API and the portrait API: the viewer's scope, 404 outside it, 422 per field."""

from __future__ import annotations

import pytest

from qinqing.accounts.models import User
from qinqing.cockpit.demo import new_registration_uscc
from qinqing.cockpit.models import Visit
from qinqing.cockpit.tests.visit_support import register, run_prompts, today
from qinqing.datahub.tests.support import client_for
from qinqing.web.demo import demo_uscc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo_prompts(db):
    """The demo's fresh registrations have raised their prompts (see `run_prompts`)."""
    run_prompts()


def _client(username: str):
    return client_for(User.objects.get(username=username))


def test_the_grid_worker_lists_and_records_a_visit_raised_by_a_registration():
    uscc = register(9201, capital="10000000.00")
    worker = _client("iotpark_grid")
    listed = worker.get("/api/v1/visits?whose=mine").json()
    row = next(v for v in listed["items"] if v["uscc"] == uscc)
    assert row["status"] == "open" and row["assignee"] == "iotpark_grid" and not row["overdue"]
    answer = worker.post(f"/api/v1/visits/{row['id']}/record", {
        "visited_on": today().isoformat(), "attendees": "网格员；企业负责人", "topics": ["policy", "qa"], "notes": "走访",
    }, content_type="application/json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "closed" and body["records"][0]["topics"] == ["policy", "qa"]
    assert uscc not in [v["uscc"] for v in worker.get("/api/v1/visits").json()["items"]]
    assert uscc in [v["uscc"] for v in worker.get("/api/v1/visits?status=closed").json()["items"]]


def test_a_bad_record_answers_422_per_field_and_an_unknown_topic_too():
    visit = Visit.objects.get(uscc=new_registration_uscc(0))
    answer = _client("iotpark_grid").post(f"/api/v1/visits/{visit.pk}/record", {
        "visited_on": "2026-13-01", "attendees": "", "topics": ["lunch"]}, content_type="application/json")
    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == {"visited_on", "attendees", "topics"}
    missing = _client("iotpark_grid").post(f"/api/v1/visits/{visit.pk}/record", {}, content_type="application/json")
    assert missing.status_code == 422 and {"visited_on", "attendees", "topics"} <= set(missing.json()["errors"])


def test_visits_outside_the_scope_are_404_and_absent_from_lists():
    visit = Visit.objects.get(uscc=new_registration_uscc(0))  # the IoT park, 西兴
    for username in ("changhe_staff", "puyan_staff", "dongxin_grid"):
        client = _client(username)
        assert client.get(f"/api/v1/visits/{visit.pk}").status_code == 404
        assert client.post(f"/api/v1/visits/{visit.pk}/record", {"visited_on": today().isoformat(),
                           "attendees": "x", "topics": ["qa"]}, content_type="application/json").status_code == 404
        assert visit.uscc not in [v["uscc"] for v in client.get("/api/v1/visits?status=all").json()["items"]]
    enterprise = _client(demo_uscc(0))
    assert enterprise.get("/api/v1/visits").json()["items"] == []
    assert enterprise.get(f"/api/v1/visits/{visit.pk}").status_code == 404
    assert _client("xixing_staff").get(f"/api/v1/visits/{visit.pk}").status_code == 200
    assert _client("binjiang_staff").get(f"/api/v1/visits/{visit.pk}").status_code == 200
    assert _client("xixing_staff").get("/api/v1/visits/999999").status_code == 404


def test_staff_arrange_a_visit_by_uscc_of_their_scope():
    puyan = _client("puyan_staff")
    created = puyan.post("/api/v1/visits", {"uscc": demo_uscc(1), "reason": "了解用地需求"},
                         content_type="application/json")
    assert created.status_code == 201 and created.json()["uscc"] == demo_uscc(1)
    again = puyan.post("/api/v1/visits", {"uscc": demo_uscc(1)}, content_type="application/json")
    assert again.status_code == 409
    assert puyan.post("/api/v1/visits", {"uscc": demo_uscc(0)}, content_type="application/json").status_code == 404
    bad = puyan.post("/api/v1/visits", {"uscc": demo_uscc(2), "due_working_days": 99}, content_type="application/json")
    assert bad.status_code == 422 and "due_working_days" in bad.json()["errors"]
    assert Visit.objects.filter(uscc=demo_uscc(2)).count() == 0


def test_the_portrait_shows_the_enterprise_whole_to_its_street_only():
    puyan = _client("puyan_staff")
    body = puyan.get(f"/api/v1/enterprises/{demo_uscc(1)}/portrait").json()
    assert body["name"] == "杭州浦沿物联网设备有限公司"
    assert [n["name"] for n in body["location"]][2:] == ["浦沿街道", "东信社区", "东方通信科技园", "3层", "301室"]
    capital = next(f for f in body["facts"] if f["field"] == "registered_capital")
    assert capital["source"] == "market_registry" and "30,000,000" in capital["value"]
    assert {t["key"] for t in body["tags"]} >= {"high_tech"}
    assert any(p["tax_paid"] is not None for p in body["series"])
    assert isinstance(body["policies"], list) and isinstance(body["alerts"], list)
    for username in ("changhe_staff", "xixing_staff", "iotpark_grid", demo_uscc(1), "scjg_reviewer"):
        assert _client(username).get(f"/api/v1/enterprises/{demo_uscc(1)}/portrait").status_code == 404
    assert puyan.get("/api/v1/enterprises/91330108MA0000000X/portrait").status_code == 404
    assert _client("dongxin_grid").get(f"/api/v1/enterprises/{demo_uscc(1)}/portrait").status_code == 200


def test_a_registry_only_enterprise_has_a_portrait_from_its_registry_record():
    body = _client("iotpark_grid").get(f"/api/v1/enterprises/{new_registration_uscc(0)}/portrait").json()
    assert body["name"] == "杭州物联智造科技有限公司" and body["cases"] == []
    assert body["visits"][0]["origin"] == "prompt"
