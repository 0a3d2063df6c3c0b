"""The outbox and the dispatch loop: written with the change or not at all, subscribers bounded, consumers exactly once."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Sequence

import pytest
from django.db import transaction

from qinqing.core import events
from qinqing.core.events import CaseClosed, Consumer, EnterpriseRegistered, Flows, Stored
from qinqing.core.models import OutboxCursor, OutboxEvent

pytestmark = pytest.mark.django_db


def _registered(n: int) -> EnterpriseRegistered:
    return EnterpriseRegistered(name=f"企业{n}", enterprise=f"9133010{n:011d}", region="330108")


def test_an_event_is_written_to_the_outbox_with_its_transaction():
    before = OutboxEvent.objects.count()
    with events.atomic():
        events.emit(_registered(1))
        assert OutboxEvent.objects.count() == before, "written once, at the end of the service"
    row = OutboxEvent.objects.latest("seq")
    assert (row.name, row.version, row.enterprise, row.region) == ("enterprise.registered", 1, "913301000000000001",
                                                                   "330108")
    assert row.payload == {"name": "企业1"}
    assert EnterpriseRegistered.from_row(row.payload, enterprise=row.enterprise, region=row.region) == _registered(1)


def test_a_service_that_fails_leaves_no_event():
    before = OutboxEvent.objects.count()
    with pytest.raises(ValueError), events.atomic():
        events.emit(_registered(2))
        raise ValueError("refused")
    assert OutboxEvent.objects.count() == before


def test_emitting_outside_a_service_transaction_is_refused():
    with pytest.raises(RuntimeError):
        events.emit(_registered(3))
    with transaction.atomic(), pytest.raises(RuntimeError):
        events.emit(_registered(3))


def test_the_outbox_is_append_only():
    with events.atomic():
        events.emit(_registered(4))
    row = OutboxEvent.objects.latest("seq")
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError):
        OutboxEvent.objects.filter(pk=row.pk).update(name="forged")


def test_subscribers_run_at_the_end_in_order_and_may_emit_more():
    seen: list[str] = []

    def on_closed(event: CaseClosed) -> None:
        seen.append(f"closed {event.case_id}")
        if event.case_id < 3:  # a closed step closes its parent, and so on
            events.emit(CaseClosed(case_id=event.case_id + 1, status="approved"))

    def on_registered(event: EnterpriseRegistered) -> None:
        seen.append(f"registered {event.name}")

    flows = Flows(subscribers={CaseClosed: (on_closed,), EnterpriseRegistered: (on_registered,)})
    with events.flows_replaced(flows), events.atomic():
        events.emit(CaseClosed(case_id=1, status="approved"))
        events.emit(_registered(5))
        with events.atomic():  # a nested service does not dispatch early
            events.emit(_registered(6))
        assert seen == []
    assert seen == ["closed 1", "registered 企业5", "registered 企业6", "closed 2", "closed 3"]


def test_a_subscriber_loop_is_stopped_and_rolls_back(monkeypatch):
    monkeypatch.setattr(events.unit, "MAX_EVENTS_PER_TRANSACTION", 50)
    before = OutboxEvent.objects.count()

    def forever(event: CaseClosed) -> None:
        events.emit(CaseClosed(case_id=event.case_id + 1, status="approved"))

    flows = Flows(subscribers={CaseClosed: (forever,)})
    with events.flows_replaced(flows), pytest.raises(RuntimeError), events.atomic():
        events.emit(CaseClosed(case_id=1, status="approved"))
    assert OutboxEvent.objects.count() == before


def test_events_of_a_nested_block_that_failed_are_not_dispatched():
    seen: list[str] = []
    flows = Flows(subscribers={EnterpriseRegistered: (lambda e: seen.append(e.name),)})
    with events.flows_replaced(flows), pytest.raises(ValueError), events.atomic():
        events.emit(_registered(7))
        try:
            with events.atomic():
                events.emit(_registered(8))
                raise ValueError("inner refused")
        finally:
            assert [e.name for e, _ in events.unit._current.get().outbox] == ["企业7"]
    assert seen == []


# ---- consumers -------------------------------------------------------------------------------

@dataclasses.dataclass
class _Ledger:
    """A consumer whose effect is a database row per event: the effect counted exactly once or not."""

    name: str = "test.ledger"

    def apply(self, batch: Sequence[Stored]) -> None:
        for stored in batch:
            OutboxCursor.objects.create(consumer=f"effect:{stored.seq}", seq=stored.seq)

    def flows(self, batch_size: int = 3) -> Flows:
        return Flows(consumers=(Consumer(self.name, frozenset({EnterpriseRegistered}), self.apply,
                                         batch_size=batch_size),))


def _effects() -> list[int]:
    return sorted(OutboxCursor.objects.filter(consumer__startswith="effect:").values_list("seq", flat=True))


def _emit(n: int) -> list[int]:
    with events.atomic():
        events.emit_many([_registered(100 + i) for i in range(n)])
        events.emit(CaseClosed(case_id=1, status="approved"))  # not handled: skipped, cursor still moves
    return list(OutboxEvent.objects.filter(name="enterprise.registered").order_by("-seq")
                .values_list("seq", flat=True)[:n])[::-1]


def test_a_consumer_applies_every_event_once_across_runs():
    ledger = _Ledger()
    events.start_at_head(ledger.name)
    with events.flows_replaced(ledger.flows()):
        seqs = _emit(7)
        assert events.consume(ledger.name) == 7
        assert events.consume(ledger.name) == 0
        more = _emit(2)
        assert events.consume(ledger.name) == 2
        assert events.lag() == {ledger.name: 0}
    assert _effects() == seqs + more


def test_a_consumer_that_crashes_between_apply_and_cursor_commit_applies_each_effect_exactly_once():
    ledger = _Ledger()
    events.start_at_head(ledger.name)
    with events.flows_replaced(ledger.flows()):
        seqs = _emit(10)
        calls = {"n": 0}

        def crash_on_second_batch() -> None:
            calls["n"] += 1
            if calls["n"] == 2:
                raise events.CrashForTest("killed after apply, before the cursor moved")

        with pytest.raises(events.CrashForTest):
            events.consume(ledger.name, crash_after_apply=crash_on_second_batch)
        assert _effects() == seqs[:3], "the first batch committed; the second rolled back with its cursor"
        assert events.consume(ledger.name) == 7
    assert _effects() == seqs


CRASHING_CONSUMER = r"""
import os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
django.setup()
from qinqing.core import events
from qinqing.core.tests.test_events import _Ledger
ledger = _Ledger()
kill_at = int(sys.argv[1])
calls = {"n": 0}
def die():
    calls["n"] += 1
    if calls["n"] == kill_at:
        os._exit(9)  # the process dies: no rollback handler, no cursor update
with events.flows_replaced(ledger.flows(batch_size=4)):
    print(events.consume(ledger.name, crash_after_apply=die if kill_at else None))
"""


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="uses a file database")
def test_a_consumer_process_killed_mid_batch_applies_each_effect_exactly_once_after_restart(tmp_path, settings):
    """A real process dies between apply and cursor commit (os._exit), then a new one catches up."""
    env = {**os.environ, "QINQING_DATA_DIR": str(tmp_path), "QINQING_TESTING": "", "PYTHONPATH": os.getcwd()}
    run = [sys.executable, "-c"]
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v0", "--settings=qinqing.settings"], env=env,
                   check=True)
    emit = ("import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','qinqing.settings');django.setup()\n"
            "from qinqing.core import events\nfrom qinqing.core.tests.test_events import _registered\n"
            "with events.flows_replaced(events.Flows()):\n"
            "    with events.atomic():\n        events.emit_many([_registered(i) for i in range(10)])\n")
    subprocess.run([*run, emit], env=env, check=True)
    killed = subprocess.run([*run, CRASHING_CONSUMER, "2"], env=env, capture_output=True, text=True)
    assert killed.returncode == 9
    resumed = subprocess.run([*run, CRASHING_CONSUMER, "0"], env=env, capture_output=True, text=True, check=True)
    assert resumed.stdout.strip() == "6", "the 4 of the first batch committed; the other 6 now"
    count = ("import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','qinqing.settings');django.setup()\n"
             "from qinqing.core.tests.test_events import _effects\nprint(_effects())\n")
    effects = subprocess.run([*run, count], env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert effects == str(list(range(1, 11)))


def test_many_commits_queue_one_consumer_run_until_it_starts():
    from huey.contrib.djhuey import HUEY

    from qinqing.core import tasks

    HUEY.immediate = False  # a real queue, as under `qinqing serve`
    try:
        HUEY.flush()
        tasks._scheduled_until = 0.0
        for _ in range(5):
            tasks.kick()
        assert HUEY.pending_count() == 1, "one run"
        task = HUEY.dequeue()
        assert task.eta is not None, "half a second later, for the commits in between to ride on"
        tasks._scheduled_until = 0.0  # as in another process: the marker still says a run is waiting
        tasks.kick()
        assert HUEY.pending_count() == 0
        HUEY.execute(task, timestamp=task.eta)  # the run starts: the next commit asks for another
        tasks._scheduled_until = 0.0
        tasks.kick()
        assert HUEY.pending_count() == 1
    finally:
        HUEY.flush()
        HUEY.immediate = True


def test_an_immediate_queue_runs_again_for_commits_made_during_a_run_and_never_sticks(monkeypatch):
    from qinqing.core import tasks

    runs: list[int] = []

    def consume_all() -> dict[str, int]:
        runs.append(len(runs))
        if len(runs) == 1:
            tasks.kick()  # a consumer's own commit emitted events while the run is going on
        return {}

    monkeypatch.setattr(tasks.events, "consume_all", consume_all)
    tasks.kick()
    assert runs == [0, 1], "the run went round once more instead of a nested run"
    tasks.kick()
    assert runs == [0, 1, 2], "a later commit still runs the consumers"
