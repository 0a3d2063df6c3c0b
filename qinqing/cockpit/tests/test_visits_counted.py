"""Visit events (declared by the visits part of the cockpit) are counted by name, and rebuilt from the outbox."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import timezone

from qinqing.cockpit import queries
from qinqing.cockpit.aggregates import snapshot
from qinqing.cockpit.models import Alert
from qinqing.cockpit.services.ingest import apply_events
from qinqing.cockpit.services.rebuild import rebuild_cockpit
from qinqing.core import events
from qinqing.core.events import EVENT_TYPES, DomainEvent, Stored
from qinqing.core.models import OutboxEvent
from qinqing.web.demo import demo_uscc

from .support import PUYAN, catch_up, node

pytestmark = pytest.mark.django_db


@dataclass(frozen=True, kw_only=True)
class VisitRaised(DomainEvent):
    NAME = "visit.raised"
    visit_id: int


@dataclass(frozen=True, kw_only=True)
class VisitOverdue(DomainEvent):
    NAME = "visit.overdue"
    visit_id: int


@dataclass(frozen=True, kw_only=True)
class VisitClosed(DomainEvent):
    NAME = "visit.closed"
    visit_id: int


def _write(*items: DomainEvent) -> list[Stored]:
    """Write the events to the outbox as a service would, and return them as the consumer reads them."""
    out = []
    with events.atomic():
        for event in items:
            row = OutboxEvent.objects.create(txid=0, name=event.NAME, version=1, payload=event.payload(),
                                             enterprise=event.enterprise, region=event.region,
                                             occurred_at=timezone.now())
            out.append(Stored(row.seq, row.txid, row.occurred_at, event))
    return out


def test_visits_open_overdue_and_closed_are_counted_once_and_rebuilt(monkeypatch: pytest.MonkeyPatch) -> None:
    for cls in (VisitRaised, VisitOverdue, VisitClosed):
        monkeypatch.setitem(EVENT_TYPES, cls.NAME, cls)
    catch_up()
    uscc, unit = demo_uscc(1), "330108003001"
    # The demo's own visit tasks (cockpit.demo) are counted already: these ids are far from theirs.
    first, second = 9_000_001, 9_000_002
    today = timezone.localdate()

    def day(measure: str) -> int:
        return int(sum(p.value for p in queries.timeseries(node(PUYAN), measure, today, today, "day")))

    base, base_raised, base_closed = queries.summary(node(PUYAN)), day("visits_raised"), day("visits_closed")
    raised = _write(VisitRaised(visit_id=first, enterprise=uscc, region=unit),
                    VisitRaised(visit_id=second, enterprise=uscc, region=unit))
    apply_events(raised)
    apply_events(raised)  # twice: counted once
    summary = queries.summary(node(PUYAN))
    assert (summary.visits_open, summary.visits_overdue) == (base.visits_open + 2, base.visits_overdue)
    late = _write(VisitOverdue(visit_id=first, enterprise=uscc, region=unit))
    apply_events(late)
    assert queries.summary(node(PUYAN)).visits_overdue == base.visits_overdue + 1
    assert Alert.objects.filter(signal="visit_overdue", uscc=uscc).count() == 1
    apply_events(_write(VisitClosed(visit_id=first, enterprise=uscc, region=unit)))
    summary = queries.summary(node(PUYAN))
    assert (summary.visits_open, summary.visits_overdue) == (base.visits_open + 1, base.visits_overdue)
    assert day("visits_raised") == base_raised + 2
    assert day("visits_closed") == base_closed + 1
    # The consumer's cursor has not passed these rows (they were applied by hand): move it, then rebuild.
    catch_up()
    before = snapshot()
    rebuild_cockpit()
    assert snapshot() == before
