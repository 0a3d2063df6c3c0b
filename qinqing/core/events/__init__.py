"""Domain events: typed, versioned, written to an outbox in the transaction that caused them.

A service runs its work inside `events.atomic()` and calls `emit(SomethingHappened(...))`.
Each event is written to the append-only outbox (`core.OutboxEvent`) in that same transaction,
so an event exists exactly when the change it reports was committed.

Two kinds of reaction, both listed in one registry module (`settings.QINQING_EVENT_FLOWS`,
`qinqing/flows.py`), so that a reader sees every flow of the platform on one page:

- **subscribers** must be atomic with the change (unlocking the next 一件事 step). They run at
  the end of the outermost `atomic()` block, before commit, in a loop that drains the queue
  until it is empty. A subscriber may emit further events; the loop is bounded.
- **consumers** are everything slow or optional (aggregates, notifications, matching). They read
  the outbox after commit by a stored cursor (`core.OutboxCursor`), through the task queue.
  A batch's effects and the cursor's move commit together, so each event's effect is applied
  exactly once even when a consumer dies mid-batch.

Lower apps emit, higher apps react: the registry is the only place that names both.
"""

from qinqing.core.events.consumers import (
    CrashForTest,
    consume,
    consume_all,
    lag,
    read_after,
    start_at_head,
)
from qinqing.core.events.registry import Consumer, ConsumerApply, Flows, Stored, flows, flows_replaced
from qinqing.core.events.types import (
    EVENT_TYPES,
    AuthorisationGranted,
    AuthorisationRevoked,
    CaseClosed,
    CaseDecided,
    CaseSubmitted,
    DomainEvent,
    EmployeesEnrolled,
    EnterpriseFactsChanged,
    EnterpriseRegistered,
    EntitlementGranted,
    LicenceIssued,
    LicenceRevoked,
    PayoutReversed,
    PayoutStatusChanged,
    PolicyPublished,
    PolicySimulated,
    Subject,
    VisitClosed,
    VisitOverdue,
    VisitRaised,
    VisitRecorded,
)
from qinqing.core.events.unit import (
    atomic,
    buffer,
    emit,
    emit_many,
    in_service,
    insert,
    reserve_ids,
    reserved_id,
    write_many,
    written_in_sql,
)

__all__ = [
    "EVENT_TYPES",
    "AuthorisationGranted",
    "AuthorisationRevoked",
    "CaseClosed",
    "CaseDecided",
    "CaseSubmitted",
    "Consumer",
    "ConsumerApply",
    "CrashForTest",
    "DomainEvent",
    "EmployeesEnrolled",
    "EnterpriseFactsChanged",
    "EnterpriseRegistered",
    "EntitlementGranted",
    "Flows",
    "LicenceIssued",
    "LicenceRevoked",
    "PayoutReversed",
    "PayoutStatusChanged",
    "PolicyPublished",
    "PolicySimulated",
    "Stored",
    "Subject",
    "VisitClosed",
    "VisitOverdue",
    "VisitRaised",
    "VisitRecorded",
    "atomic",
    "buffer",
    "consume",
    "consume_all",
    "emit",
    "emit_many",
    "flows",
    "flows_replaced",
    "in_service",
    "insert",
    "lag",
    "read_after",
    "reserve_ids",
    "reserved_id",
    "start_at_head",
    "write_many",
    "written_in_sql",
]
