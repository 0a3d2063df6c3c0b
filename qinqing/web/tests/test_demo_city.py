"""The dense demo: synthetic enterprises across 滨江's streets, communities and units, with moves,
deregistrations and payouts that reach the cockpit the way real data would."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from qinqing.accounts.models import Enterprise
from qinqing.cases.models import Case
from qinqing.cases.services import tallies
from qinqing.cockpit import queries
from qinqing.cockpit.models import EnterpriseState
from qinqing.cockpit.tests.support import BINJIANG, PUYAN, catch_up, node
from qinqing.core import events
from qinqing.datahub.models import RegistryRecord
from qinqing.policies.models import Payout
from qinqing.regions.models import Region
from qinqing.web import demo_city

pytestmark = pytest.mark.django_db


def test_the_dense_demo_fills_binjiangs_tree_and_every_card(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_city, "MOVES_WITHIN", 4)
    monkeypatch.setattr(demo_city, "MOVES_OUT", 2)
    monkeypatch.setattr(demo_city, "DEREGISTRATIONS", 3)
    catch_up()
    before = queries.summary(node(BINJIANG))
    payouts_before = Payout.objects.count()
    counts = demo_city.load_demo_city(80)
    assert counts["synthetic_enterprises"] == 80 and counts["synthetic_registry_changes"] == 9
    synthetic = Enterprise.objects.filter(synthetic=True).select_related("region")
    assert synthetic.count() == 80
    assert all(e.region is not None and e.region.path.startswith(node(BINJIANG).path) for e in synthetic)
    levels = {e.region.level for e in synthetic if e.region is not None}
    assert {Region.Level.COMMUNITY, Region.Level.UNIT} <= levels, levels
    assert RegistryRecord.objects.filter(synthetic=True, region_code__startswith="330106").count() == 2
    assert RegistryRecord.objects.filter(synthetic=True, status="注销").count() >= 3

    events.consume_all()  # what the worker does after `serve` has started: place, match, pay
    catch_up()
    after = queries.summary(node(BINJIANG))
    assert after.enterprises > before.enterprises + 40  # the deregistered and the 吊销/迁出 ones are not in operation
    assert after.moved_out_30d - before.moved_out_30d == 2  # the two that left 滨江 for 西湖区
    assert after.deregistered_30d - before.deregistered_30d >= 3
    street_moves = sum(queries.summary(node(code)).moved_in_30d for code in ("330108001", "330108002", "330108003"))
    assert street_moves >= 1  # some of the moves inside 滨江 crossed a street boundary
    assert Payout.objects.count() > payouts_before  # 免申即享 paid the ones with a bank account
    assert demo_city.load_demo_city(80) == {}  # once only


def _decided_this_year(path: str, *, today: dt.date) -> tuple[int, int]:
    """COUNT over the cases: decided (approved or rejected) this year, of enterprises the cockpit places under `path`;
    and of those, decided at once (秒办)."""
    start = timezone.make_aware(dt.datetime.combine(today.replace(month=1, day=1), dt.time()))
    end = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time()))
    placed = EnterpriseState.objects.filter(path__startswith=path).values("uscc")
    decided = Case.objects.filter(matter__isnull=False, status__in=("approved", "rejected"), decided_at__gte=start,
                                  decided_at__lt=end, enterprise__uscc__in=placed)
    return decided.count(), decided.filter(decided_automatically=True).count()


def test_the_dense_demos_case_history_reaches_the_cockpit_as_a_count_over_the_cases() -> None:
    counts = demo_city.load_demo_city(40)
    assert counts["synthetic_cases"] == demo_city.CASES_PER_ENTERPRISE * 40
    events.consume_all()
    catch_up()
    today = timezone.localdate()
    for code in (BINJIANG, PUYAN):
        summary = queries.summary(node(code), today=today)
        handled, at_once = _decided_this_year(node(code).path, today=today)
        assert summary.cases_handled == handled
        assert summary.miaoban_share == queries.share(at_once, handled)
    binjiang = queries.summary(node(BINJIANG), today=today)
    assert binjiang.cases_handled > 0 and binjiang.miaoban_share is not None and binjiang.miaoban_share > 0
    # The home page's counters saw the same history: one submission per case.
    assert tallies.tallies()[tallies.CASES] >= Case.objects.filter(synthetic=True).count()


def test_the_dense_demos_case_history_leaves_the_named_demo_accounts_free_to_apply() -> None:
    demo_city.load_demo_city(40)
    history = Case.objects.filter(synthetic=True)
    assert history.count() == demo_city.CASES_PER_ENTERPRISE * 40
    assert not history.filter(enterprise__synthetic=False).exists(), "a demo login would find its matters held"
