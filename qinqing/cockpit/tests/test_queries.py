"""The queries contract: scope of a node, summary, children, time series, enterprise list, alert feed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.cockpit import queries
from qinqing.cockpit.queries import EnterpriseFilters
from qinqing.core.errors import NotFound, ValidationFailed
from qinqing.core.paging import BadCursor
from qinqing.web.demo import demo_uscc

from .support import BINJIANG, CHANGHE, PUYAN, XIXING, catch_up, change_registry, node, registry_row, staff

pytestmark = pytest.mark.django_db


def test_a_node_outside_the_viewers_scope_is_not_found_like_an_unknown_one() -> None:
    changhe = User.objects.get(username="changhe_staff")
    assert queries.viewable_node(changhe, CHANGHE).code == CHANGHE
    assert queries.viewable_node(changhe, "330108002002").code == "330108002002"
    for code in (XIXING, BINJIANG, "330108001001", "999999", ""):
        with pytest.raises(NotFound):
            queries.viewable_node(changhe, code)
    district = User.objects.get(username="binjiang_staff")
    assert queries.viewable_node(district, XIXING).code == XIXING
    with pytest.raises(NotFound):
        queries.viewable_node(User.objects.get(username=demo_uscc(0)), CHANGHE)
    grid = staff("grid_a", "330108002002", role="grid_staff")
    assert queries.home_node(grid).code == "330108002002"
    with pytest.raises(NotFound):
        queries.viewable_node(grid, CHANGHE)


def test_home_node_and_breadcrumb() -> None:
    assert queries.home_node(User.objects.get(username="puyan_staff")).code == PUYAN
    crumbs = [r.code for r in queries.breadcrumb(node("330108003001"))]
    assert crumbs[-3:] == [BINJIANG, PUYAN, "330108003001"] and len(crumbs) == 4
    with pytest.raises(NotFound):
        queries.home_node(User.objects.get(username=demo_uscc(0)))


def test_summary_counts_payouts_and_cases_of_the_year() -> None:
    catch_up()
    district = queries.summary(node(BINJIANG))
    from qinqing.policies.models import Payout

    paid = Payout.objects.filter(status="paid", paid_at__date__gte=timezone.localdate().replace(month=1, day=1))
    assert district.payouts_count == paid.count()
    assert district.payouts_amount == sum((p.amount for p in paid), Decimal("0.00"))
    assert sum(n for _, n, _ in district.payouts_by_policy) == district.payouts_count
    assert isinstance(district.payouts_amount, Decimal)


def test_children_add_up_to_the_parent() -> None:
    catch_up()
    rows = queries.children(node(BINJIANG))
    assert [r.code for r in rows] == [XIXING, CHANGHE, PUYAN]
    assert sum(r.enterprises for r in rows) == queries.summary(node(BINJIANG)).enterprises
    assert queries.children(node("330108002002")) == []


def test_timeseries_buckets_moves_by_day_week_and_month() -> None:
    catch_up()
    change_registry(registry_row(0, region_code="330108001001"))
    catch_up()
    today = timezone.localdate()
    days = queries.timeseries(node(CHANGHE), "moved_out", today - dt.timedelta(days=6), today, "day")
    assert len(days) == 7 and days[-1].value == 1 and sum(p.value for p in days) == 1
    weeks = queries.timeseries(node(CHANGHE), "moved_out", today - dt.timedelta(days=30), today, "week")
    assert all(p.start.weekday() == 0 for p in weeks) and sum(p.value for p in weeks) == 1
    months = queries.timeseries(node(XIXING), "moved_in", today.replace(day=1), today, "month")
    assert months == [queries.Point(today.replace(day=1), 1)]
    amounts = queries.timeseries(node(BINJIANG), "payouts_amount", today - dt.timedelta(days=400), today, "month")
    assert all(isinstance(p.value, Decimal) for p in amounts)


def test_timeseries_refuses_reversed_ranges_and_unknown_measures_per_field() -> None:
    today = timezone.localdate()
    with pytest.raises(ValidationFailed) as reversed_range:
        queries.timeseries(node(CHANGHE), "registered", today, today - dt.timedelta(days=1), "day")
    assert set(reversed_range.value.errors) == {"to"}
    with pytest.raises(ValidationFailed) as bad:
        queries.timeseries(node(CHANGHE), "nonsense", today, today, "hour")
    assert set(bad.value.errors) == {"measure", "interval"}
    with pytest.raises(ValidationFailed) as too_long:
        queries.timeseries(node(CHANGHE), "registered", today - dt.timedelta(days=5000), today, "day")
    assert set(too_long.value.errors) == {"from"}


def test_enterprises_are_filtered_and_paged_within_the_node() -> None:
    catch_up()
    page = queries.enterprises(node(CHANGHE), filters=EnterpriseFilters(), limit=3)
    assert len(page.items) == 3 and page.next_cursor
    rest = queries.enterprises(node(CHANGHE), filters=EnterpriseFilters(), cursor=page.next_cursor, limit=3)
    codes = [e.uscc for e in page.items + rest.items]
    assert sorted(codes) == codes and {demo_uscc(i) for i in (0, 3, 4, 7)} == set(codes)
    only_c = queries.enterprises(node(CHANGHE), filters=EnterpriseFilters(industry="c"))
    assert [e.uscc for e in only_c.items] == [demo_uscc(4)]
    by_name = queries.enterprises(node(BINJIANG), filters=EnterpriseFilters(q="杭州长河"))
    assert [e.uscc for e in by_name.items] == [demo_uscc(4)]
    by_code = queries.enterprises(node(BINJIANG), filters=EnterpriseFilters(q=demo_uscc(1)[:12].lower()))
    assert demo_uscc(1) in [e.uscc for e in by_code.items]
    revoked = queries.enterprises(node(PUYAN), filters=EnterpriseFilters(status="revoked"))
    assert [e.uscc for e in revoked.items] == [demo_uscc(6)]
    assert not queries.enterprises(node(PUYAN), filters=EnterpriseFilters(status="in_business", q=demo_uscc(6))).items
    with pytest.raises(ValidationFailed) as bad:
        queries.enterprises(node(CHANGHE), filters=EnterpriseFilters(status="gone", industry="Z", tag="x",
                                                                      capital_band="huge"))
    assert set(bad.value.errors) == {"status", "industry", "tag", "capital_band"}
    with pytest.raises(BadCursor):
        queries.enterprises(node(CHANGHE), filters=EnterpriseFilters(), cursor="not-a-cursor")


def test_the_alert_feed_is_the_nodes_newest_first() -> None:
    catch_up()
    change_registry(registry_row(0, region_code="330108001001"))
    change_registry(registry_row(3, status="注销"))
    catch_up()
    feed = queries.alerts(node(CHANGHE), limit=1)
    assert len(feed.items) == 1 and feed.next_cursor
    second = queries.alerts(node(CHANGHE), cursor=feed.next_cursor, limit=1)
    assert [a.signal for a in feed.items + second.items] == ["deregistered", "moved_out"]
    assert not queries.alerts(node(XIXING)).items
