"""The outbox consumer that keeps the cockpit's read models: each batch applied once, in outbox order.

Enterprise events make the consumer read the enterprise's registry and social-insurance records again
(`observe`) and compare them with what it saw last: a new region is a move out of the old subtree and
into the new one, a new status a deregistration, a move out of the register or a listing as abnormal,
fewer insured employees a headcount drop. Payouts and cases are counted from their rows, each once
(`CountedItem`). An event older than the last one applied to its enterprise changes nothing; an
event type the consumer does not know is skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from types import SimpleNamespace
from typing import Any

from django.db import connection
from django.utils import timezone

from qinqing.cases.models import Case
from qinqing.cockpit import classify
from qinqing.cockpit.aggregates import (
    ABNORMAL,
    CASES_AUTO,
    CASES_DECIDED,
    CASES_SUBMITTED,
    DEREGISTERED,
    MOVED_IN,
    MOVED_OUT,
    PAYOUTS,
    REGISTERED,
    VISITS_CLOSED,
    VISITS_OPEN,
    VISITS_OVERDUE,
    VISITS_RAISED,
    Deltas,
    append_rows,
    stock_keys,
    tax_fen,
    to_fen,
    update_rows,
)
from qinqing.cockpit.models import CountedItem, EnterpriseChange, EnterpriseState, Signal
from qinqing.cockpit.observe import Observed, Regions, observe
from qinqing.cockpit.services.alerts import Raised, Rules, raise_alerts
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
# The visit events (cockpit visits): counted when the platform declares them, by these names.
VISIT_RAISED, VISIT_CLOSED, VISIT_OVERDUE = "visit.raised", "visit.closed", "visit.overdue"
VISIT_EVENTS = (VISIT_RAISED, VISIT_CLOSED, VISIT_OVERDUE)
ENTERPRISE_EVENTS = (EnterpriseRegistered, EnterpriseFactsChanged)
HANDLES: frozenset[type[DomainEvent]] = frozenset({
    EnterpriseRegistered, EnterpriseFactsChanged, PayoutStatusChanged, PayoutReversed, CaseSubmitted, CaseDecided,
    *(EVENT_TYPES[name] for name in VISIT_EVENTS if name in EVENT_TYPES),
})
DECIDED = ("approved", "rejected")
# The sources the cockpit classifies an enterprise by; a change elsewhere (monthly tax, housing fund…)
# is not read again for an enterprise the cockpit already knows.
READ_SOURCES = frozenset({"market_registry", "social_insurance", "enterprise_annual", "abnormal_operations"})


def concerns_cockpit(event: DomainEvent) -> bool:
    """Whether an enterprise event may change what the cockpit counts about a known enterprise."""
    if isinstance(event, EnterpriseFactsChanged):
        return not READ_SOURCES.isdisjoint(event.sources)
    return isinstance(event, EnterpriseRegistered)
CASE_SUBMITTED, CASE_DECIDED, PAYOUT, PAYOUT_FAILED = "case_submitted", "case_decided", "payout", "payout_failed"
VISIT, VISIT_DONE, VISIT_LATE = "visit", "visit_closed", "visit_overdue"
RECENT_DAYS = 30


def status_flows(old: str, new: str) -> list[str]:
    """The flow measures a change of status counts: deregistered, moved out of the register, listed abnormal."""
    out = []
    if new in classify.CLOSED and old not in classify.CLOSED:
        out.append(DEREGISTERED)
    if new == classify.MOVED_OUT and old != classify.MOVED_OUT:
        out.append(MOVED_OUT)
    if new == classify.ABNORMAL and old != classify.ABNORMAL:
        out.append(ABNORMAL)
    return out


STATUS_SIGNALS = {DEREGISTERED: Signal.DEREGISTERED, MOVED_OUT: Signal.MOVED_OUT, ABNORMAL: Signal.ABNORMAL}


def move_nodes(old_path: str, new_path: str) -> tuple[list[str], list[str]]:
    """Nodes an enterprise left and nodes it entered (a common ancestor saw no move)."""
    old, new = classify.ancestors(old_path), classify.ancestors(new_path)
    return [n for n in old if n not in new], [n for n in new if n not in old]


# An enterprise's state in a batch: the model row when it was read, a namespace of the same fields when new.
State = EnterpriseState | SimpleNamespace


def enterprise_facts(state: State) -> dict[str, Any]:
    return {"status": state.status, "industry": state.industry, "size": state.size,
            "capital": float(state.capital) if state.capital is not None else None,
            "capital_band": state.capital_band, "headcount": state.headcount, "tags": classify.tag_list(state.tags),
            "region": classify.ancestors(state.path)[-1] if state.path else ""}


def _chunked(values: Sequence[Any], size: int = 2000) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


class Ingest:
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

    # ---- counted items: payouts, cases, visits ----------------------------------------------------------

    def _has(self, kind: str, item_id: int) -> CountedItem | None:
        return self.new_items.get((kind, item_id)) or self.items.get((kind, item_id))

    def _count(self, kind: str, item_id: int, path: str, day: dt.date, *, dimension: str = "", fen: int = 0) -> None:
        self.new_items[(kind, item_id)] = CountedItem(kind=kind, item_id=item_id, path=path, day=day,
                                                      dimension=dimension, amount_fen=fen)

    def _drop_item(self, item: CountedItem) -> None:
        key = (item.kind, item.item_id)
        if key in self.new_items:
            del self.new_items[key]
        else:
            self.items.pop(key, None)
            self.gone_items.append(item)

    def _payout(self, stored: Stored, e: PayoutStatusChanged) -> None:
        row = self.payouts.get(e.payout_id)
        state = self._state(e.enterprise, stored)
        if row is None or state is None:
            return
        if e.status == "paid" and row["status"] == "paid" and not self._has(PAYOUT, e.payout_id):
            day = timezone.localdate(row["paid_at"])
            fen, policy = to_fen(row["amount"]), row["entitlement__policy__code"]
            self.deltas.flow_path(state.path, PAYOUTS, day, fen=fen)
            self.deltas.flow_path(state.path, PAYOUTS, day, fen=fen, dimension=policy)
            self._count(PAYOUT, e.payout_id, state.path, day, dimension=policy, fen=fen)
        elif e.status == "failed" and not self._has(PAYOUT_FAILED, e.payout_id):
            self._count(PAYOUT_FAILED, e.payout_id, state.path, timezone.localdate(stored.occurred_at))
            self._signal(Signal.PAYOUT_FAILED, state, stored, state.path, state.region_id, amount=e.amount,
                         reference=e.reference)

    def _reversed(self, e: PayoutReversed) -> None:
        item = self._has(PAYOUT, e.payout_id)
        if item is None:
            return
        self.deltas.flow_path(item.path, PAYOUTS, item.day, count=-1, fen=-item.amount_fen)
        self.deltas.flow_path(item.path, PAYOUTS, item.day, count=-1, fen=-item.amount_fen, dimension=item.dimension)
        self._drop_item(item)

    def _case_submitted(self, stored: Stored, e: CaseSubmitted) -> None:
        row = self.cases.get(e.case_id)
        state = self._state(e.enterprise, stored)
        if row is None or row["matter_id"] is None or state is None or self._has(CASE_SUBMITTED, e.case_id):
            return
        day = timezone.localdate(row["submitted_at"])
        self.deltas.flow_path(state.path, CASES_SUBMITTED, day)
        self._count(CASE_SUBMITTED, e.case_id, state.path, day)

    def _case_decided(self, stored: Stored, e: CaseDecided) -> None:
        row = self.cases.get(e.case_id)
        state = self._state(e.enterprise, stored)
        if (row is None or row["decided_at"] is None or row["status"] not in DECIDED or state is None
                or self._has(CASE_DECIDED, e.case_id)):
            return
        day = timezone.localdate(row["decided_at"])
        self.deltas.flow_path(state.path, CASES_DECIDED, day)
        if row["decided_automatically"]:
            self.deltas.flow_path(state.path, CASES_AUTO, day)
        self._count(CASE_DECIDED, e.case_id, state.path, day, dimension="auto" if row["decided_automatically"] else "")

    def visit(self, stored: Stored) -> None:
        """A visit raised, closed or overdue (events of the visits part, read by name and `visit_id`)."""
        e = stored.event
        vid = getattr(e, "visit_id", None)
        if not isinstance(vid, int):
            return
        day = timezone.localdate(stored.occurred_at)
        state = self._state(e.enterprise, stored) if e.enterprise else None
        node = self.regions.by_code.get(e.region) if e.region else None
        path = node[1] if node is not None else (state.path if state is not None else "")
        region_id = node[0] if node is not None else (state.region_id if state is not None else None)
        raised = self._has(VISIT, vid)
        if e.NAME == VISIT_RAISED and raised is None:
            self.deltas.flow_path(path, VISITS_RAISED, day)
            self.deltas.total(path, [(VISITS_OPEN, "")], +1)
            self._count(VISIT, vid, path, day)
        elif e.NAME == VISIT_CLOSED and raised is not None and not self._has(VISIT_DONE, vid):
            self.deltas.flow_path(raised.path, VISITS_CLOSED, day)
            self.deltas.total(raised.path, [(VISITS_OPEN, "")], -1)
            if self._has(VISIT_LATE, vid):
                self.deltas.total(raised.path, [(VISITS_OVERDUE, "")], -1)
            self._count(VISIT_DONE, vid, raised.path, day)
        elif (e.NAME == VISIT_OVERDUE and raised is not None and not self._has(VISIT_LATE, vid)
              and not self._has(VISIT_DONE, vid)):
            self.deltas.total(raised.path, [(VISITS_OVERDUE, "")], +1)
            self._count(VISIT_LATE, vid, raised.path, day)
            if state is not None:
                self._signal(Signal.VISIT_OVERDUE, state, stored, raised.path, region_id, visit=vid)

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


STATE_UPDATES = ("name", "region_id", "path", "status", "industry", "size", "capital", "capital_band", "tags",
                 "headcount", "established_on", "tax_paid", "tax_year", "updated_at", "last_txid", "last_seq")
STATE_COLUMNS = ("uscc", *STATE_UPDATES, "first_seen_at")
STATE_TYPES = {"uscc": "text", "name": "text", "region_id": "bigint", "path": "text", "status": "text",
               "industry": "text", "size": "text", "capital": "numeric", "capital_band": "text", "tags": "text",
               "headcount": "integer", "established_on": "date", "tax_paid": "numeric", "tax_year": "text",
               "updated_at": "timestamptz", "last_txid": "bigint",
               "last_seq": "bigint"}
CHANGE_COLUMNS = ("uscc", "kind", "at", "day", "from_path", "to_path", "from_value", "to_value", "txid", "seq")


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
