"""No duplicates (issue 8 §2): a matter declares how many applications an enterprise may hold.

稳岗返还 (RSJ-006, a cash payout) once a year; the 五险一金 registrations once per enterprise
(one open application, one valid registration); a second application is refused with a link to
the existing one — 409 with `existing` in the API, the refusal and the link on the page.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from qinqing.cases import services
from qinqing.cases.errors import DuplicateApplication
from qinqing.cases.models import Case
from qinqing.cases.services.duplicates import period_bounds
from qinqing.cases.tests.support import (
    client_for,
    data_for,
    enterprise,
    field_of_type,
    form_data,
    new_key,
    nothing_written,
    session_client,
    submit,
)
from qinqing.cases.workflow import OPEN_STATUSES, Status
from qinqing.catalog.models import DuplicatePolicy, FormField, Matter
from qinqing.catalog.services import CatalogDataError, duplicate_policy_of

pytestmark = pytest.mark.django_db

PAYOUT = "RSJ-006"  # 失业保险稳岗返还: a cash payout, once a year
REGISTRATIONS = ("RSJ-003", "YBJ-001", "GJJ-001")  # 五险一金: one valid registration per enterprise
NEW_ENTERPRISE = 5  # 杭州新启航: founded 2026, no social-insurance or housing-fund registration yet


def _matter(code: str) -> Matter:
    return Matter.objects.select_related("department").get(code=code)


def _post(user: Any, matter: Matter, data: dict[str, Any] | None = None, key: str | None = None) -> Any:
    # What the enterprise's own government data does not fill (新启航 has no social-insurance record).
    body = {"matter": matter.code, "data": data_for(matter, user) if data is None else data}
    return client_for(user, **{"Idempotency-Key": key or new_key()}).post(
        "/api/v1/cases", body, content_type="application/json")


def _first_payout(index: int = 0) -> Case:
    matter = _matter(PAYOUT)
    response = _post(enterprise(index), matter)
    assert response.status_code == 201, response.json()
    return Case.objects.get(pk=response.json()["id"])


# ---- the catalog declares it ------------------------------------------------------------------


def test_the_catalog_declares_the_payout_once_a_year_and_one_registration_per_enterprise():
    payout = _matter(PAYOUT)
    assert (payout.duplicate_policy, payout.duplicate_period) == (DuplicatePolicy.ONE_PER_PERIOD, "year")
    for code in REGISTRATIONS:
        matter = _matter(code)
        assert matter.duplicate_policy == DuplicatePolicy.ONE_OPEN and matter.single_valid_licence, code


@pytest.mark.parametrize(("spec", "problem"), [
    ({"policy": "one_per_period"}, "period"),
    ({"policy": "one_per_period", "period": "week"}, "period"),
    ({"policy": "one_per_project"}, "project"),
    ({"policy": "one_per_project", "project_field": "nope"}, "nope"),
    ({"policy": "twice"}, "twice"),
])
def test_the_loader_refuses_an_inconsistent_policy(spec, problem):
    row = {"code": "TEST-001", "duplicate_policy": spec, "fields": [{"key": "project_name"}]}
    with translation.override("en"), pytest.raises(CatalogDataError) as refused:
        duplicate_policy_of(row)
    assert "TEST-001" in str(refused.value) and problem in str(refused.value).lower()


def test_period_bounds_are_local_calendar_periods():
    moment = timezone.make_aware(dt.datetime(2026, 8, 15, 10, 0))
    for period, (start, end) in {
        "year": ((2026, 1, 1), (2027, 1, 1)), "quarter": ((2026, 7, 1), (2026, 10, 1)),
        "month": ((2026, 8, 1), (2026, 9, 1)),
    }.items():
        first, after = period_bounds(moment, period)
        assert (first.year, first.month, first.day) == start, period
        assert (after.year, after.month, after.day) == end, period
    december = timezone.make_aware(dt.datetime(2026, 12, 31, 23, 0))
    assert period_bounds(december, "month")[1].date() == dt.date(2027, 1, 1)
    assert period_bounds(december, "quarter")[0].date() == dt.date(2026, 10, 1)


# ---- one per year: the payout -------------------------------------------------------------------


@pytest.mark.parametrize("index", [0, 5], ids=["decided at once", "pending with the department"])
def test_a_second_payout_application_in_the_same_year_is_a_409_naming_the_first(index):
    first = _first_payout(index)
    for _attempt in range(2):  # 杭州新启航 (demo enterprise 5) tried three times while the first was pending
        before = Case.objects.count()
        response = _post(enterprise(index), first.matter)
        assert response.status_code == 409, response.json()
        body = response.json()
        assert body["code"] == "duplicate_application"
        assert body["existing"]["id"] == first.pk
        assert body["existing"]["number"] == first.number
        assert body["existing"]["url"] == f"/cases/{first.pk}/"
        assert first.number in body["detail"]
        assert Case.objects.count() == before


def test_a_retry_with_the_same_key_still_replays_the_first_case():
    matter = _matter(PAYOUT)
    key = new_key()
    first = _post(enterprise(0), matter, key=key)
    again = _post(enterprise(0), matter, key=key)
    assert first.status_code == 201 and again.status_code in (200, 201)
    assert again.json()["id"] == first.json()["id"]


def test_last_years_payout_does_not_block_this_year():
    first = _first_payout()
    Case.objects.filter(pk=first.pk).update(submitted_at=first.submitted_at - dt.timedelta(days=366))
    assert _post(enterprise(0), _matter(PAYOUT)).status_code == 201


def test_another_enterprise_may_apply_for_its_own_payout():
    _first_payout(0)
    assert _post(enterprise(1), _matter(PAYOUT)).status_code == 201


def test_a_withdrawn_application_does_not_count():
    first = _first_payout(NEW_ENTERPRISE)  # referred: 参保缴费满1年 not met
    assert first.status in OPEN_STATUSES, first.status
    services.withdraw_case(case=first, user=enterprise(NEW_ENTERPRISE))
    assert _post(enterprise(NEW_ENTERPRISE), _matter(PAYOUT)).status_code == 201


def test_the_apply_page_refuses_a_second_payout_with_a_link_to_the_first():
    first = _first_payout()
    matter = _matter(PAYOUT)
    page = session_client(enterprise(0))
    shown = page.get(f"/apply/{matter.code}/")
    assert shown.status_code == 200
    assert f'href="/cases/{first.pk}/"' in shown.content.decode(), "the form warns before anything is typed"
    posted = {k: ("true" if v is True else str(v)) for k, v in form_data(matter).items()}
    with nothing_written():
        response = page.post(f"/apply/{matter.code}/", {**posted, "idempotency_key": new_key()})
    assert response.status_code == 409
    text = html.unescape(response.content.decode())
    assert f'href="/cases/{first.pk}/"' in text
    assert first.number in text


# ---- one per project ------------------------------------------------------------------------------


def test_one_per_project_refuses_the_same_project_and_allows_another():
    matter, field = field_of_type(FormField.Type.TEXT)
    Matter.objects.filter(pk=matter.pk).update(duplicate_policy=DuplicatePolicy.ONE_PER_PROJECT,
                                               duplicate_project_field=field.key)
    matter = _matter(matter.code)
    user = enterprise(0)
    first = submit(user, matter, form_data(matter, **{field.key: "滨江智造园一期"}))
    with nothing_written(), pytest.raises(DuplicateApplication) as refused:
        submit(user, matter, form_data(matter, **{field.key: "滨江智造园一期"}))
    assert refused.value.existing["id"] == first.pk
    other = submit(user, matter, form_data(matter, **{field.key: "滨江智造园二期"}))
    assert other.pk != first.pk


# ---- one registration per enterprise: 五险一金 -------------------------------------------------------




def test_a_second_registration_is_refused_while_the_first_is_open_or_valid():
    user = enterprise(NEW_ENTERPRISE)
    matter = _matter(REGISTRATIONS[0])
    first = submit(user, matter)
    assert first.status in (*OPEN_STATUSES, Status.APPROVED), first.status
    with nothing_written(), pytest.raises(DuplicateApplication) as refused:
        submit(user, matter)
    assert refused.value.existing["id"] == first.pk
    if first.status == Status.APPROVED:
        assert "valid" in str(refused.value.message) or "有效" in str(refused.value.message)


def test_the_matter_api_publishes_the_policy():
    body = Client().get(f"/api/v1/matters/{PAYOUT}").json()
    assert body["duplicate_policy"] == {"policy": "one_per_period", "period": "year", "project_field": "",
                                        "single_valid_licence": False}
