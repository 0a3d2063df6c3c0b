"""The visit pages and the portrait page: scoped, the record form, per-field errors."""

from __future__ import annotations

import pytest
from django.test import Client

from qinqing.accounts.models import User
from qinqing.cockpit.demo import new_registration_uscc
from qinqing.cockpit.models import Visit
from qinqing.cockpit.tests.visit_support import register, run_prompts, today
from qinqing.web.demo import demo_uscc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo_prompts(db):
    """The demo's fresh registrations have raised their prompts (see `run_prompts`)."""
    run_prompts()


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_the_list_shows_mine_and_highlights_overdue():
    uscc = register(9301, capital="12000000")
    Visit.objects.filter(uscc=uscc).update(due_at=Visit.objects.get(uscc=uscc).raised_at)  # due already
    page = _client("iotpark_grid").get("/cockpit/visits/")
    text = page.content.decode()
    assert page.status_code == 200 and "杭州测试科技有限公司" in text and "is-overdue" in text
    assert new_registration_uscc(0) in text
    assert new_registration_uscc(1) not in _client("iotpark_grid").get("/cockpit/visits/?whose=node").content.decode()


def test_recording_on_the_visit_page_closes_it():
    visit = Visit.objects.get(uscc=new_registration_uscc(0))
    client = _client("iotpark_grid")
    assert client.get(f"/cockpit/visits/{visit.pk}/").status_code == 200
    bad = client.post(f"/cockpit/visits/{visit.pk}/", {"visited_on": "", "attendees": "", "notes": ""})
    assert bad.status_code == 422
    assert 'href="#f-topics"' in bad.content.decode() and 'href="#f-attendees"' in bad.content.decode()
    done = client.post(f"/cockpit/visits/{visit.pk}/", {"visited_on": today().isoformat(), "attendees": "网格员 张敏",
                                                        "topics": ["policy", "appeal"], "notes": "企业诉求：人才公寓"})
    assert done.status_code == 302
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CLOSED and visit.records.get().topics == ["policy", "appeal"]


def test_visit_and_portrait_pages_outside_the_scope_are_404():
    visit = Visit.objects.get(uscc=new_registration_uscc(0))
    for username in ("changhe_staff", demo_uscc(0), "scjg_reviewer"):
        client = _client(username)
        assert client.get(f"/cockpit/visits/{visit.pk}/").status_code == 404
        assert client.get(f"/cockpit/enterprises/{demo_uscc(1)}/").status_code == 404
    assert _client("puyan_staff").get("/cockpit/enterprises/NOT-A-CODE/").status_code == 404
    assert Client().get("/cockpit/visits/").status_code == 302


def test_the_portrait_page_shows_location_down_to_the_unit_and_sources():
    page = _client("puyan_staff").get(f"/cockpit/enterprises/{demo_uscc(1)}/")
    text = page.content.decode()
    assert page.status_code == 200
    for expected in ("杭州浦沿物联网设备有限公司", "东方通信科技园", "3层", "301室", "市场监管主体登记库"):
        assert expected in text


def test_arranging_a_visit_on_the_list_page():
    client = _client("puyan_staff")
    answer = client.post("/cockpit/visits/", {"uscc": demo_uscc(6), "reason": "了解经营状况"})
    assert answer.status_code == 302
    assert Visit.objects.filter(uscc=demo_uscc(6), origin="manual").exists()
    refused = client.post("/cockpit/visits/", {"uscc": demo_uscc(0)})
    assert refused.status_code == 422 and not Visit.objects.filter(uscc=demo_uscc(0)).exists()
