"""The payouts, cases and visits the cockpit counts: each counted once (`CountedItem`), from its row as it is now.

`CountedItems` is the part of the outbox consumer's batch (`ingest.Ingest`) that handles their events; the batch
gives it what it loaded once (the payout and case rows, the items already counted) and the enterprise's state.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from qinqing.cockpit.aggregates import (
    CASES_AUTO,
    CASES_DECIDED,
    CASES_SUBMITTED,
    PAYOUTS,
    VISITS_CLOSED,
    VISITS_OPEN,
    VISITS_OVERDUE,
    VISITS_RAISED,
    Deltas,
    to_fen,
)
from qinqing.cockpit.models import CountedItem, Signal
from qinqing.cockpit.observe import Regions
from qinqing.cockpit.services.counting import (
    CASE_DECIDED,
    CASE_SUBMITTED,
    DECIDED,
    PAYOUT,
    PAYOUT_FAILED,
    VISIT,
    VISIT_CLOSED,
    VISIT_DONE,
    VISIT_LATE,
    VISIT_OVERDUE,
    VISIT_RAISED,
    State,
)
from qinqing.core.events import CaseDecided, CaseSubmitted, PayoutReversed, PayoutStatusChanged, Stored


class CountedItems(abc.ABC):
    """Payout, case and visit events applied to the batch's deltas, each item counted once per kind."""

    deltas: Deltas
    regions: Regions
    payouts: Mapping[int, Mapping[str, Any]]  # the batch's payout and case rows, read once
    cases: Mapping[int, Mapping[str, Any]]
    items: dict[tuple[str, int], CountedItem]
    new_items: dict[tuple[str, int], CountedItem]
    gone_items: list[CountedItem]

    @abc.abstractmethod
    def _state(self, uscc: str, stored: Stored) -> State | None:
        """The enterprise's state in the batch, created at first sight (the batch's own)."""

    @abc.abstractmethod
    def _signal(self, signal: str, state: State, stored: Stored, path: str, region_id: int | None,
                **facts: Any) -> None:
        """Raise an alert's signal, written with the batch (the batch's own)."""

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
