"""The outbox consumer: enterprises counted in every ancestor node, moves, status changes, idempotency."""

from __future__ import annotations

import pytest
from django.utils import timezone

from qinqing.cockpit import queries
from qinqing.cockpit.aggregates import snapshot
from qinqing.cockpit.models import Alert, EnterpriseChange, EnterpriseState
from qinqing.cockpit.services.ingest import CONSUMER, HANDLES, apply_events
from qinqing.core import events
from qinqing.core.events import EnterpriseFactsChanged, Stored, read_after
from qinqing.datahub.services import import_records
from qinqing.notifications.models import Notification
from qinqing.web.demo import demo_uscc

from .support import (
    BINJIANG,
    CHANGHE,
    PUYAN,
    XIXING,
    catch_up,
    change_registry,
    fresh_uscc,
    new_registration,
    node,
    registry_row,
    staff,
    state,
)

pytestmark = pytest.mark.django_db


def test_the_demo_city_is_counted_in_every_ancestor_node() -> None:
    catch_up()
    changhe, puyan, district = (queries.summary(node(c)) for c in (CHANGHE, PUYAN, BINJIANG))
    # 长河: enterprises 0, 3, 4 and 7; 浦沿: 1 in business, 6 revoked (吊销) and the demo's fresh registration
    # of 杭州东信智感科技有限公司 (`cockpit.demo`, registry only).
    assert changhe.enterprises == 4
    assert puyan.enterprises == 2
    assert puyan.by_status == {"active": 2, "revoked": 1}
    assert district.enterprises == changhe.enterprises + puyan.enterprises + queries.summary(node(XIXING)).enterprises
    assert changhe.by_industry == {"C": 1, "F": 1, "I": 1, "L": 1}
    assert sum(changhe.by_capital_band.values()) == 4
    assert state(0).path.startswith(node(CHANGHE).path) and state(0).industry == "I"


def test_a_move_leaves_the_old_street_and_enters_the_new_one_but_not_the_district() -> None:
    catch_up()
    staff("changhe_grid", "330108002002", role="grid_staff")
    change_registry(registry_row(0, region_code="330108001001"))
    catch_up()
    changhe, xixing, district = (queries.summary(node(c)) for c in (CHANGHE, XIXING, BINJIANG))
    assert (changhe.moved_out_30d, changhe.moved_in_30d, changhe.enterprises) == (1, 0, 3)
    assert (xixing.moved_in_30d, xixing.moved_out_30d) == (1, 0)
    assert (district.moved_in_30d, district.moved_out_30d) == (0, 0)
    assert state(0).path == node("330108001001").path
    alert = Alert.objects.get(signal="moved_out", uscc=demo_uscc(0))
    assert alert.path == node("330108002002").path and alert.node.code == "330108002002"
    assert queries.summary(node(CHANGHE)).alerts_open == 1
    assert queries.summary(node(XIXING)).alerts_open == 0
    told = set(Notification.objects.filter(kind="cockpit.alert").values_list("recipient__username", flat=True))
    assert {"changhe_staff", "changhe_grid"} <= told and "xixing_staff" not in told


def test_deregistration_abnormal_listing_and_a_headcount_drop_raise_alerts_by_the_rules() -> None:
    catch_up()
    change_registry(registry_row(3, status="注销"))
    import_records(source_code="abnormal_operations", actor="test", rows=[{
        "uscc": demo_uscc(4), "decision_no": "杭滨市监异〔2026〕12号", "listed_on": timezone.localdate(),
        "reason": "通过登记的住所无法联系", "authority": "杭州市滨江区市场监督管理局"}])
    import_records(source_code="social_insurance", actor="test", rows=[
        {"uscc": demo_uscc(0), "account_no": "33010816000231", "registered_on": "2016-06-02", "insured_count": 120},
        {"uscc": demo_uscc(7), "account_no": "33010818005316", "registered_on": "2018-10-30", "insured_count": 35}])
    catch_up()
    changhe = queries.summary(node(CHANGHE))
    assert changhe.deregistered_30d == 1 and changhe.by_status["deregistered"] == 1
    assert changhe.by_status["abnormal"] == 1 and changhe.enterprises == 3
    signals = set(Alert.objects.values_list("signal", "uscc"))
    assert ("deregistered", demo_uscc(3)) in signals and ("abnormal", demo_uscc(4)) in signals
    # 186 → 120 is a 35 % drop (alert); 41 → 35 is 15 % (the rule's condition says no).
    assert ("headcount_drop", demo_uscc(0)) in signals and ("headcount_drop", demo_uscc(7)) not in signals
    drop = Alert.objects.get(signal="headcount_drop")
    assert drop.severity == "critical" and drop.detail["drop"] == pytest.approx(0.3548, abs=1e-4)


def test_a_new_registration_is_counted_on_its_establishment_day() -> None:
    catch_up()
    before = queries.summary(node(PUYAN))
    uscc = fresh_uscc()
    new_registration(uscc, region="330108003001")
    catch_up()
    puyan = queries.summary(node(PUYAN))
    assert puyan.registered_30d == before.registered_30d + 1 and puyan.enterprises == before.enterprises + 1
    assert EnterpriseState.objects.get(uscc=uscc).capital_band == "10m_100m"


def _history() -> list[Stored]:
    return [s for s in read_after(0, 0, limit=1_000_000) if type(s.event) in HANDLES]


def test_an_event_applied_twice_or_out_of_order_changes_nothing_twice() -> None:
    catch_up()
    change_registry(registry_row(0, region_code="330108001001"))
    change_registry(registry_row(0, status="注销"))
    catch_up()
    before = snapshot()
    journal = EnterpriseChange.objects.count()
    alerts = Alert.objects.count()
    history = _history()
    apply_events(history)  # the whole history again
    apply_events(list(reversed(history[-5:])))  # the last events again, newest first
    assert snapshot() == before
    assert EnterpriseChange.objects.count() == journal and Alert.objects.count() == alerts


def test_an_older_facts_event_after_a_newer_one_is_ignored() -> None:
    catch_up()
    change_registry(registry_row(0, region_code="330108001001"))
    moved = [s for s in _history() if s.event.enterprise == demo_uscc(0)][-1]
    old = Stored(moved.seq - 1, moved.txid, moved.occurred_at,
                 EnterpriseFactsChanged(sources=("market_registry",), fields=(), enterprise=demo_uscc(0)))
    catch_up()
    before = snapshot()
    change_registry(registry_row(0, region_code="330108002002"))  # moves back, but its event is not applied yet
    apply_events([old])
    assert snapshot() == before


def test_an_unknown_event_type_moves_the_cursor_and_changes_nothing() -> None:
    catch_up()
    before = snapshot()
    from qinqing.core.models import OutboxEvent

    with events.atomic():
        OutboxEvent.objects.create(txid=0, name="something.new", version=1, payload={}, enterprise=demo_uscc(0),
                                   region="", occurred_at=timezone.now())
    assert catch_up() == 0
    assert snapshot() == before
    assert events.lag()[CONSUMER] == 0


def test_events_of_sources_the_cockpit_does_not_read_load_nothing_but_a_first_sight_still_counts() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    catch_up()
    before = snapshot()
    known = [Stored(0, 0, timezone.now(), EnterpriseFactsChanged(sources=("tax_monthly",), fields=(),
                                                                 enterprise=demo_uscc(i))) for i in (0, 1, 3)]
    with CaptureQueriesContext(connection) as queries_made:
        apply_events(known)
    sql = " ".join(q["sql"] for q in queries_made.captured_queries)
    assert '"cockpit_enterprisestate"."name"' not in sql  # only whether they are known, from the index
    assert "datahub_registryrecord" not in sql and "datahub_datarecord" not in sql
    assert snapshot() == before

    uscc = fresh_uscc(41)
    new_registration(uscc, region="330108003001")
    catch_up()
    EnterpriseState.objects.filter(uscc=uscc).delete()  # as if the registration's own event had not been seen
    apply_events([Stored(0, 0, timezone.now(), EnterpriseFactsChanged(sources=("tax_monthly",), fields=(),
                                                                      enterprise=uscc))])
    assert EnterpriseState.objects.filter(uscc=uscc, path__startswith=node(PUYAN).path).exists()


def test_a_consumer_killed_after_applying_a_batch_counts_each_change_once_when_it_runs_again() -> None:
    catch_up()
    before = queries.summary(node(CHANGHE))
    journal = EnterpriseChange.objects.count()
    change_registry(registry_row(0, region_code="330108001001"))
    change_registry(registry_row(3, status="注销"))

    def killed() -> None:
        raise events.CrashForTest("killed after the batch was applied, before its cursor moved")

    with pytest.raises(events.CrashForTest):
        events.consume(CONSUMER, crash_after_apply=killed)
    assert queries.summary(node(CHANGHE)) == before and EnterpriseChange.objects.count() == journal
    assert events.lag()[CONSUMER] > 0  # nothing applied, the cursor did not move
    catch_up()
    after = queries.summary(node(CHANGHE))
    assert (after.moved_out_30d, after.deregistered_30d) == (before.moved_out_30d + 1, before.deregistered_30d + 1)
    assert after.enterprises == before.enterprises - 2
    assert EnterpriseChange.objects.count() == journal + 2  # one move, one change of status
    assert events.lag()[CONSUMER] == 0
