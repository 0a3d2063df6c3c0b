"""Case search paths added for a million cases (issue 10 §3): name pairs, titles, cursors over ties."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qinqing.accounts.models import Enterprise
from qinqing.cases import search
from qinqing.cases.models import Case
from qinqing.cases.queries import cases_for
from qinqing.cases.tests.support import client_for, enterprise, open_case

pytestmark = pytest.mark.django_db


def _numbers(client, **params: str) -> set[str]:
    response = client.get("/api/v1/cases", {"limit": 200, **params})
    assert response.status_code == 200, response.content
    return {c["number"] for c in response.json()}


@pytest.mark.parametrize("ids_limit", [search.NAME_IDS_LIMIT, 0])
def test_two_characters_of_a_name_find_its_cases_by_either_path(monkeypatch, ids_limit):
    monkeypatch.setattr(search, "NAME_IDS_LIMIT", ids_limit)  # 0: always the join path
    user = enterprise(0)
    case = open_case(0)
    name = user.enterprise.name
    client = client_for(user)
    for start in range(len(name) - 1):
        assert case.number in _numbers(client, q=name[start:start + 2]), name[start:start + 2]
    assert case.number in _numbers(client, q=name)
    assert _numbers(client, q=name + "不存在") == set()


def test_like_wildcards_in_a_name_search_match_themselves():
    user = enterprise(0)
    open_case(0)
    client = client_for(user)
    assert _numbers(client, q="%") == set() and _numbers(client, q="_") == set()
    assert _numbers(client, q=user.enterprise.name[:1] + "%" + user.enterprise.name[2:3]) == set()


def test_the_ids_path_never_widens_the_callers_scope():
    user = enterprise(0)
    mine = open_case(0)
    other = open_case(1)
    Enterprise.objects.filter(pk=enterprise(1).enterprise_id).update(name=user.enterprise.name + "分公司")
    numbers = _numbers(client_for(user), q=user.enterprise.name[2:4])
    assert mine.number in numbers and other.number not in numbers


def test_a_bundles_own_title_is_searched():
    user = enterprise(0)
    case = open_case(0)
    Case.objects.filter(pk=case.pk).update(title="开办餐饮店一件事")
    assert case.number in _numbers(client_for(user), q="餐饮店")
    Case.objects.filter(pk=case.pk).update(title="")
    assert case.number not in _numbers(client_for(user), q="餐饮店")


def test_cursor_pages_through_cases_sharing_one_submission_moment():
    user = enterprise(0)
    base = open_case(0)
    moment = timezone.now() - dt.timedelta(hours=3)
    copies = []
    for i in range(17):
        copy = Case.objects.get(pk=base.pk)
        copy.pk, copy.number, copy.idempotency_key, copy.submitted_at = None, f"QQ2026TIE{i:04d}", "", moment
        copies.append(copy)
    Case.objects.bulk_create(copies)
    expected = list(Case.objects.filter(enterprise=user.enterprise).order_by("-submitted_at", "-id")
                    .values_list("number", flat=True))
    client = client_for(user)
    seen: list[str] = []
    url = "/api/v1/cases?limit=4"
    while url:
        response = client.get(url)
        seen += [c["number"] for c in response.json()]
        link = response.headers.get("Link", "")
        url = link[1:link.index(">")] if link else ""
    assert seen == expected


@pytest.mark.parametrize("ids_limit", [search.NUMBER_IDS_LIMIT, 0])
def test_a_number_prefix_finds_the_same_cases_by_either_path(monkeypatch, ids_limit):
    monkeypatch.setattr(search, "NUMBER_IDS_LIMIT", ids_limit)  # 0: always the plain prefix filter
    user = enterprise(0)
    case = open_case(0)
    other = open_case(1)
    client = client_for(user)
    assert case.number in _numbers(client, number=case.number[:10])
    assert other.number not in _numbers(client, number=other.number[:10]), "another enterprise's case stays hidden"
    assert _numbers(client, q=case.number) == {case.number}
    assert _numbers(client, number="QQ1999") == set()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the array form is PostgreSQL's")
def test_a_number_prefix_binds_its_case_ids_as_one_parameter():
    user = enterprise(0)
    cases = [open_case(0) for _ in range(30)]
    prefix = cases[0].number[:10]
    with CaptureQueriesContext(connection) as queries:
        page = search.page_of(cases_for(user), search.parse_filter({"number": prefix}))
        found = {c.number for c in page.items}
    assert {c.number for c in cases} <= found
    last = queries.captured_queries[-1]["sql"]
    assert "= ANY(" in last and last.count(str(cases[-1].id)) == 1
    assert len(last) < 4000, "one array, not a placeholder per case id"
