"""Case lists a page at a time with filters (issue 10 §3): stable under inserts, scoped, kind to bad input."""

from __future__ import annotations

import datetime as dt
import html
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from qinqing.cases.models import Case
from qinqing.cases.tests.support import client_for, enterprise, open_case, reviewer_of, session_client

pytestmark = pytest.mark.django_db


def _copies(case: Case, n: int, *, start: dt.datetime, prefix: str = "QQ2026TEST") -> list[Case]:
    """`n` copies of `case`, one a minute apart from `start` (newest last)."""
    copies = []
    for i in range(n):
        copy = Case.objects.get(pk=case.pk)
        copy.pk = None
        copy.number = f"{prefix}{i:05d}"
        copy.idempotency_key = ""
        copy.submitted_at = start + dt.timedelta(minutes=i)
        copy.due_at = start + dt.timedelta(days=3, minutes=i)
        copies.append(copy)
    return Case.objects.bulk_create(copies)


def _walk(client, url: str) -> tuple[list[str], int]:
    numbers: list[str] = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        numbers += [c["number"] for c in response.json()]
        pages += 1
        link = response.headers.get("Link", "")
        url = link[1:link.index(">")] if link else ""
        if url:
            assert 'rel="next"' in link and response.headers["X-Next-Cursor"] in url
    return numbers, pages


def test_pages_follow_the_next_link_to_every_case_once_newest_first():
    user = enterprise(0)
    base = open_case(0)
    _copies(base, 23, start=timezone.now() - dt.timedelta(days=2))
    everything = list(Case.objects.filter(enterprise=user.enterprise).order_by("-submitted_at", "-id")
                      .values_list("number", flat=True))
    numbers, pages = _walk(client_for(user), "/api/v1/cases?limit=5")
    assert numbers == everything
    assert pages == -(-len(everything) // 5)


def test_a_case_arriving_while_someone_pages_is_neither_repeated_nor_makes_one_skipped():
    user = enterprise(0)
    base = open_case(0)
    _copies(base, 12, start=timezone.now() - dt.timedelta(days=1))
    client = client_for(user)
    first = client.get("/api/v1/cases?limit=5")
    seen = [c["number"] for c in first.json()]
    _copies(base, 3, start=timezone.now() + dt.timedelta(minutes=1), prefix="QQ2026LATE")  # newer than all
    rest, _pages = _walk(client, first.headers["Link"][1:first.headers["Link"].index(">")])
    before = list(Case.objects.filter(enterprise=user.enterprise).exclude(number__startswith="QQ2026LATE")
                  .order_by("-submitted_at", "-id").values_list("number", flat=True))
    assert seen + rest == before


def test_filters_narrow_by_status_dates_number_prefix_uscc_and_name():
    user = enterprise(0)
    base = open_case(0)
    old = _copies(base, 4, start=timezone.make_aware(dt.datetime(2026, 3, 1, 9)), prefix="QQ2026MAR")
    client = client_for(user)

    def numbers(query: str) -> set[str]:
        response = client.get(f"/api/v1/cases?{query}")
        assert response.status_code == 200, response.content
        return {c["number"] for c in response.json()}

    assert numbers("number=qq2026mar") == {c.number for c in old}, "prefix, typed in lower case"
    assert numbers("submitted_from=2026-03-01&submitted_to=2026-03-01") == {c.number for c in old}
    assert numbers("submitted_to=2026-02-28") == set()
    assert base.number in numbers(f"status={base.status}")
    assert numbers(f"q={user.enterprise.uscc.lower()}") >= {base.number}
    assert base.number in numbers(f"q={user.enterprise.name[2:6]}")
    assert numbers(f"q={enterprise(1).enterprise.uscc}") == set(), "another enterprise's code finds nothing"


@pytest.mark.parametrize(("query", "field"), [
    ("submitted_from=2026-05-01&submitted_to=2026-04-01", "submitted_to"),
    ("submitted_from=yesterday", "submitted_from"),
    ("status=approvedd", "status"),
    ("q=" + "滨" * 101, "q"),
    ("cursor=not-a-cursor", "cursor"),
    ("cursor=WyJ4Il0", "cursor"),  # base64 of ["x"]: the wrong shape
])
def test_bad_filters_and_cursors_are_refused_per_field_not_with_a_500(query, field):
    response = client_for(enterprise(0)).get(f"/api/v1/cases?{query}")
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_the_reviewer_queue_pages_by_deadline_and_only_holds_its_department():
    base = open_case(0)
    assert base.matter is not None
    _copies(base, 7, start=timezone.now() - dt.timedelta(hours=3))
    reviewer = reviewer_of(base.matter)
    client = client_for(reviewer)
    numbers, _pages = _walk(client, "/api/v1/review/queue?limit=3")
    queued = list(Case.objects.filter(matter__department=reviewer.department, status__in=["submitted", "under_review"])
                  .order_by("due_at", "id").values_list("number", flat=True))
    assert numbers == queued


def test_my_cases_page_filters_and_pages_and_reports_a_bad_date_in_words():
    user = enterprise(0)
    base = open_case(0)
    _copies(base, 60, start=timezone.now() - dt.timedelta(days=5))
    client = session_client(user)
    first = html.unescape(client.get("/cases/").content.decode())
    assert "下一页" in first
    next_href = first.split('rel="next" href="', 1)[1].split('"', 1)[0]
    cursor = parse_qs(urlparse(next_href).query)["cursor"][0]
    second = html.unescape(client.get(f"/cases/?cursor={cursor}").content.decode())
    assert "第一页" in second
    bad = client.get("/cases/?submitted_from=2026-13-45")
    assert bad.status_code == 200
    assert "请按YYYY-MM-DD格式填写日期" in html.unescape(bad.content.decode()) or \
        "YYYY-MM-DD" in html.unescape(bad.content.decode())
    found = html.unescape(client.get(f"/cases/?q={base.number}").content.decode())
    assert base.number in found
