"""The outbox consumer that keeps the cockpit's read models: each batch applied once, in outbox order.

Enterprise events make the consumer read the enterprise's registry and social-insurance records again
(`observe`) and compare them with what it saw last: a new region is a move out of the old subtree and
into the new one, a new status a deregistration, a move out of the register or a listing as abnormal,
fewer insured employees a headcount drop. Payouts, cases and visits are counted from their rows, each
once (`CountedItem`, handled by `counted.CountedItems`); what the consumer and the rebuild count alike is
in `counting`. An event older than the last one applied to its enterprise changes nothing; an event type
the consumer does not know is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import SimpleNamespace
from typing import Any

from django.db import connection
from django.utils import timezone

from qinqing.cases.models import Case
from qinqing.cockpit import classify
from qinqing.cockpit.aggregates import (
    ABNORMAL,
    DEREGISTERED,
    MOVED_IN,
    MOVED_OUT,
    REGISTERED,
    Deltas,
    append_rows,
    stock_keys,
    tax_fen,
    update_rows,
)
from qinqing.cockpit.models import CountedItem, EnterpriseChange, EnterpriseState, Signal
from qinqing.cockpit.observe import Observed, Regions, observe
from qinqing.cockpit.services.alerts import Raised, Rules, raise_alerts
from qinqing.cockpit.services.counted import CountedItems
from qinqing.cockpit.services.counting import (
    CASE_DECIDED,
    CASE_SUBMITTED,
    CHANGE_COLUMNS,
    PAYOUT,
    PAYOUT_FAILED,
    STATE_COLUMNS,
    STATE_TYPES,
    STATE_UPDATES,
    VISIT,
    VISIT_DONE,
    VISIT_EVENTS,
    VISIT_LATE,
    State,
    move_nodes,
    status_flows,
)
from qinqing.core.events import (
    EVENT_TYPES,
    CaseDecided,
    CaseSubmitted,
    DomainEvent,
    EnterpriseFactsChanged,
    EnterpriseRegistered,
    PayoutReversed,
    PayoutStatusChanged,
    Stored,
)
from qinqing.core.lookups import among
from qinqing.policies.models import Payout

CONSUMER = "cockpit.aggregates"
# Events per batch (one transaction): large, since a batch's cost is a fixed dozen statements plus its rows.
BATCH_SIZE = 4000
ENTERPRISE_EVENTS = (EnterpriseRegistered, EnterpriseFactsChanged)
HANDLES: frozenset[type[DomainEvent]] = frozenset({
    EnterpriseRegistered, EnterpriseFactsChanged, PayoutStatusChanged, PayoutReversed, CaseSubmitted, CaseDecided,
    *(EVENT_TYPES[name] for name in VISIT_EVENTS if name in EVENT_TYPES),
})
# The sources the cockpit classifies an enterprise by; a change elsewhere (monthly tax, housing fund…)
# is not read again for an enterprise the cockpit already knows.
READ_SOURCES = frozenset({"market_registry", "social_insurance", "enterprise_annual", "abnormal_operations"})


def concerns_cockpit(event: DomainEvent) -> bool:
    """Whether an enterprise event may change what the cockpit counts about a known enterprise."""
    if isinstance(event, EnterpriseFactsChanged):
        return not READ_SOURCES.isdisjoint(event.sources)
    return isinstance(event, EnterpriseRegistered)


RECENT_DAYS = 30


STATUS_SIGNALS = {DEREGISTERED: Signal.DEREGISTERED, MOVED_OUT: Signal.MOVED_OUT, ABNORMAL: Signal.ABNORMAL}


def enterprise_facts(state: State) -> dict[str, Any]:
    return {"status": state.status, "industry": state.industry, "size": state.size,
            "capital": float(state.capital) if state.capital is not None else None,
            "capital_band": state.capital_band, "headcount": state.headcount, "tags": classify.tag_list(state.tags),
            "region": classify.ancestors(state.path)[-1] if state.path else ""}


def _chunked(values: Sequence[Any], size: int = 2000) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


class Ingest(CountedItems):
    """One batch of events applied to the read models (runs inside the consumer's transaction)."""

    def __init__(self, batch: Sequence[Stored], *, regions: Regions | None = None, replaying: bool = False) -> None:
        self.batch = batch
        # Replaying old events for the rebuild: figures only, no alert raised again.
        self.replaying = replaying
        self.regions = regions or Regions.current()
        self.deltas = Deltas()
        self.raised: list[Raised] = []
        self.journal: list[tuple[Any, ...]] = []
        self.created: dict[str, State] = {}
        self.changed: dict[str, State] = {}
        self.new_items: dict[tuple[str, int], CountedItem] = {}
        self.gone_items: list[CountedItem] = []

    # ---- reading what the batch needs, once --------------------------------------------------------

    def _load(self) -> None:
        # Full states only of the enterprises whose events the cockpit reads (or that a payout, case or visit
        # is counted at); of the others (a monthly tax or housing-fund import: most events) only whether the
        # cockpit knows them, from the index: an event of theirs changes nothing unless it is a first sight.
        concerned = sorted({s.event.enterprise for s in self.batch if s.event.enterprise
                            and (not isinstance(s.event, ENTERPRISE_EVENTS) or concerns_cockpit(s.event))})
        others = sorted({s.event.enterprise for s in self.batch if s.event.enterprise} - set(concerned))
        self.states: dict[str, State] = {}
        for chunk in _chunked(concerned):
            self.states.update((s.uscc, s) for s in among(EnterpriseState.objects.all(), "uscc", chunk))
        self.known: set[str] = set()
        for chunk in _chunked(others):
            self.known.update(among(EnterpriseState.objects.all(), "uscc", chunk).values_list("uscc", flat=True))
        wanted = (set(concerned) - set(self.states)) | (set(others) - self.known)
        wanted |= {s.event.enterprise for s in self.batch if concerns_cockpit(s.event)}
        self.observed: dict[str, Observed] = observe(wanted, regions=self.regions)
        payout_ids = [s.event.payout_id for s in self.batch if isinstance(s.event, PayoutStatusChanged | PayoutReversed)]
        self.payouts = {p["pk"]: p for p in Payout.objects.filter(pk__in=payout_ids).values(
            "pk", "status", "amount", "paid_at", "entitlement__policy__code")}
        case_ids = [s.event.case_id for s in self.batch if isinstance(s.event, CaseSubmitted | CaseDecided)]
        self.cases = {c["pk"]: c for c in Case.objects.filter(pk__in=case_ids).values(
            "pk", "matter_id", "status", "submitted_at", "decided_at", "decided_automatically")}
        keys = self._item_keys()
        self.items: dict[tuple[str, int], CountedItem] = {}
        for kind in {k for k, _ in keys}:
            ids = [i for k, i in keys if k == kind]
            for chunk in _chunked(ids):
                self.items.update(((c.kind, c.item_id), c) for c in CountedItem.objects.filter(kind=kind, item_id__in=chunk))

    def _item_keys(self) -> list[tuple[str, int]]:
        keys: list[tuple[str, int]] = []
        for stored in self.batch:
            e = stored.event
            if isinstance(e, PayoutStatusChanged | PayoutReversed):
                keys += [(PAYOUT, e.payout_id), (PAYOUT_FAILED, e.payout_id)]
            elif isinstance(e, CaseSubmitted | CaseDecided):
                keys += [(CASE_SUBMITTED, e.case_id), (CASE_DECIDED, e.case_id)]
            elif e.NAME in VISIT_EVENTS and isinstance(getattr(e, "visit_id", None), int):
                vid = e.visit_id  # type: ignore[attr-defined]
                keys += [(VISIT, vid), (VISIT_DONE, vid), (VISIT_LATE, vid)]
        return keys

    # ---- applying ------------------------------------------------------------------------------------

    def run(self) -> None:
        self._load()
        rules = Rules()
        for stored in self.batch:
            e = stored.event
            if isinstance(e, ENTERPRISE_EVENTS):
                self._enterprise(stored)
            elif isinstance(e, PayoutStatusChanged):
                self._payout(stored, e)
            elif isinstance(e, PayoutReversed):
                self._reversed(e)
            elif isinstance(e, CaseSubmitted):
                self._case_submitted(stored, e)
            elif isinstance(e, CaseDecided):
                self._case_decided(stored, e)
            elif e.NAME in VISIT_EVENTS:
                self.visit(stored)
        self._write(rules)

    def _state(self, uscc: str, stored: Stored) -> State | None:
        """The enterprise's state, created at first sight from what the data says now."""
        state = self.states.get(uscc)
        if state is not None or not uscc:
            return state
        seen = self.observed.get(uscc)
        if seen is None:
            return None
        at = stored.occurred_at
        # A plain namespace with the model's attribute names: thousands per batch, written by COPY.
        state = SimpleNamespace(uscc=uscc, first_seen_at=at, updated_at=at, last_txid=0, last_seq=0,
                                **seen.state_fields())
        self.states[uscc] = self.created[uscc] = state
        day = seen.established_on or timezone.localdate(at)
        self._note(uscc=uscc, kind=EnterpriseChange.Kind.SEEN, at=at, day=day, to_path=seen.path, to_value=seen.status,
                   txid=stored.txid, seq=stored.seq)
        self.deltas.total(seen.path, stock_keys(seen.status, seen.industry, seen.size, seen.capital_band, seen.tags), +1)
        self.deltas.tax(seen.path, seen.status, seen.tax_paid, +1)
        self.deltas.flow_path(seen.path, REGISTERED, day)
        if seen.established_on is not None and (timezone.localdate(at) - seen.established_on).days < RECENT_DAYS:
            self._signal(Signal.REGISTERED, state, stored, state.path, state.region_id)
        return state

    def _note(self, **change: Any) -> None:
        """A journal row (`EnterpriseChange`), as the tuple COPY writes."""
        self.journal.append(tuple(change.get(c, "") for c in CHANGE_COLUMNS))

    def _signal(self, signal: str, state: State, stored: Stored, path: str, region_id: int | None,
                **facts: Any) -> None:
        self.raised.append(Raised(
            signal=signal, path=path, region_id=region_id, uscc=state.uscc, name=state.name, at=stored.occurred_at,
            key=f"{signal}:{state.uscc}:{stored.txid}:{stored.seq}",
            facts={"signal": {"kind": signal, **facts}, "enterprise": enterprise_facts(state)}))

    def _enterprise(self, stored: Stored) -> None:
        uscc = stored.event.enterprise
        if uscc in self.known and uscc not in self.states:
            return  # known, and this event names no source the cockpit reads (its state was not even loaded)
        fresh = uscc not in self.states
        state = self._state(uscc, stored)
        if state is None or (not fresh and not concerns_cockpit(stored.event)):
            return
        position = (stored.txid, stored.seq)
        if not fresh and (state.last_txid, state.last_seq) >= position:
            return  # already applied (twice, or out of order): what it reported is already in the state
        seen = self.observed.get(uscc)
        if not fresh:
            if seen is None or all(getattr(state, name) == value for name, value in seen.state_fields().items()):
                return  # nothing the cockpit counts has changed (another source's facts, or already seen)
            self._compare(state, seen, stored)
        state.last_txid, state.last_seq = position
        if uscc not in self.created:
            self.changed[uscc] = state

    def _compare(self, state: State, seen: Observed, stored: Stored) -> None:
        at = stored.occurred_at
        day = timezone.localdate(at)
        old_keys = stock_keys(state.status, state.industry, state.size, state.capital_band, classify.tag_list(state.tags))
        new_keys = stock_keys(seen.status, seen.industry, seen.size, seen.capital_band, seen.tags)
        old_path, old_region = state.path, state.region_id
        if seen.path != old_path:
            left, entered = move_nodes(old_path, seen.path)
            self.deltas.flow(left, MOVED_OUT, day)
            self.deltas.flow(entered, MOVED_IN, day)
            self._note(uscc=state.uscc, kind=EnterpriseChange.Kind.MOVED, at=at, day=day, from_path=old_path,
                       to_path=seen.path, txid=stored.txid, seq=stored.seq)
        if seen.status != state.status:
            self._note(uscc=state.uscc, kind=EnterpriseChange.Kind.STATUS, at=at, day=day, to_path=seen.path,
                       from_value=state.status, to_value=seen.status, txid=stored.txid, seq=stored.seq)
            for measure in status_flows(state.status, seen.status):
                self.deltas.flow_path(seen.path, measure, day)
        drop = classify.headcount_drop(state.headcount, seen.headcount)
        if drop is not None:
            self._note(uscc=state.uscc, kind=EnterpriseChange.Kind.HEADCOUNT, at=at, day=day, to_path=seen.path,
                       from_value=str(state.headcount), to_value=str(seen.headcount), txid=stored.txid, seq=stored.seq)
        if old_keys != new_keys or old_path != seen.path:
            self.deltas.total(old_path, old_keys, -1)
            self.deltas.total(seen.path, new_keys, +1)
        if (old_path, tax_fen(state.status, state.tax_paid)) != (seen.path, tax_fen(seen.status, seen.tax_paid)):
            self.deltas.tax(old_path, state.status, state.tax_paid, -1)
            self.deltas.tax(seen.path, seen.status, seen.tax_paid, +1)
        old_status, old_headcount = state.status, state.headcount
        for name, value in seen.state_fields().items():
            setattr(state, name, value)
        state.updated_at = at
        # Signals after the update: rules read the enterprise as it is now.
        if seen.path != old_path:
            left, entered = move_nodes(old_path, seen.path)
            if left:
                self._signal(Signal.MOVED_OUT, state, stored, old_path, old_region, to=seen.path)
            if entered:
                self._signal(Signal.MOVED_IN, state, stored, seen.path, seen.region_id, **{"from": old_path})
        for measure in status_flows(old_status, seen.status):
            self._signal(STATUS_SIGNALS[measure], state, stored, seen.path, seen.region_id, before=old_status)
        if drop is not None:
            self._signal(Signal.HEADCOUNT_DROP, state, stored, seen.path, seen.region_id, drop=float(drop),
                         before=old_headcount, after=seen.headcount)

    # ---- writing ---------------------------------------------------------------------------------------

    def _write(self, rules: Rules) -> None:
        created = list(self.created.values())
        append_rows(EnterpriseState, STATE_COLUMNS, [tuple(getattr(s, c) for c in STATE_COLUMNS) for s in created])
        changed = [s for uscc, s in self.changed.items() if uscc not in self.created]
        update_rows(EnterpriseState, "uscc", STATE_UPDATES,
                    [(s.uscc, *(getattr(s, c) for c in STATE_UPDATES)) for s in changed], STATE_TYPES)
        append_rows(EnterpriseChange, CHANGE_COLUMNS, self.journal)
        for item in self.gone_items:
            CountedItem.objects.filter(kind=item.kind, item_id=item.item_id).delete()
        CountedItem.objects.bulk_create(list(self.new_items.values()), batch_size=1000)
        if not self.replaying:
            raise_alerts(self.raised, self.deltas, rules=rules)
        self.deltas.write()


def apply_events(batch: Sequence[Stored]) -> None:
    """The consumer's entry point (registered in qinqing/flows.py).

    On PostgreSQL the batch's transaction commits without waiting for its WAL flush: everything it writes
    (read models, alerts, the cursor) is derived from the outbox and moves together, so a crash that loses
    the last batches loses their cursor too, and they are applied again.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            # Its reads are index probes of a few thousand keys: parallel workers only add processes to wait for.
            cursor.execute("SET LOCAL max_parallel_workers_per_gather TO 0")
    Ingest(batch).run()
