"""What the outbox consumer (`ingest`) and the rebuild (`rebuild`) count alike, so they agree row for row: the
kinds of counted items, the events counted by name, the columns of the enterprise states and of the journal, the
nodes a move leaves and enters, and the flows a change of status counts."""

from __future__ import annotations

from types import SimpleNamespace

from qinqing.cockpit import classify
from qinqing.cockpit.aggregates import ABNORMAL, DEREGISTERED, MOVED_OUT
from qinqing.cockpit.models import EnterpriseState

# An enterprise's state in a batch: the model row when it was read, a namespace of the same fields when new.
State = EnterpriseState | SimpleNamespace

# The visit events (cockpit visits): counted when the platform declares them, by these names.
VISIT_RAISED, VISIT_CLOSED, VISIT_OVERDUE = "visit.raised", "visit.closed", "visit.overdue"
VISIT_EVENTS = (VISIT_RAISED, VISIT_CLOSED, VISIT_OVERDUE)
# A case is counted as decided in these statuses.
DECIDED = ("approved", "rejected")
# The kinds of `CountedItem`: each payout, case and visit counted once per kind.
CASE_SUBMITTED, CASE_DECIDED, PAYOUT, PAYOUT_FAILED = "case_submitted", "case_decided", "payout", "payout_failed"
VISIT, VISIT_DONE, VISIT_LATE = "visit", "visit_closed", "visit_overdue"

# The columns of `EnterpriseState` and `EnterpriseChange` rows as both write them (COPY on PostgreSQL).
STATE_UPDATES = ("name", "region_id", "path", "status", "industry", "size", "capital", "capital_band", "tags",
                 "headcount", "established_on", "tax_paid", "tax_year", "updated_at", "last_txid", "last_seq")
STATE_COLUMNS = ("uscc", *STATE_UPDATES, "first_seen_at")
STATE_TYPES = {"uscc": "text", "name": "text", "region_id": "bigint", "path": "text", "status": "text",
               "industry": "text", "size": "text", "capital": "numeric", "capital_band": "text", "tags": "text",
               "headcount": "integer", "established_on": "date", "tax_paid": "numeric", "tax_year": "text",
               "updated_at": "timestamptz", "last_txid": "bigint",
               "last_seq": "bigint"}
CHANGE_COLUMNS = ("uscc", "kind", "at", "day", "from_path", "to_path", "from_value", "to_value", "txid", "seq")


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


def move_nodes(old_path: str, new_path: str) -> tuple[list[str], list[str]]:
    """Nodes an enterprise left and nodes it entered (a common ancestor saw no move)."""
    old, new = classify.ancestors(old_path), classify.ancestors(new_path)
    return [n for n in old if n not in new], [n for n in new if n not in old]
