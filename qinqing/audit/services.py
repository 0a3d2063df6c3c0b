"""Write and verify audit records."""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from qinqing.audit.chain import GENESIS, seal
from qinqing.audit.keys import keyring
from qinqing.audit.models import AuditRecord
from qinqing.audit.verify import ChainReport, verify_chain
from qinqing.core import composed, events

__all__ = ["GENESIS", "ChainReport", "record_event", "stream_of", "verify_chain"]
_LOCK_CLASS = 7_310_001  # PostgreSQL advisory lock class; the object id is the stream's hash
_BUFFER = "audit"


def _canonical(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True))


def stream_of(obj: Any) -> str:
    """The chain a record about `obj` joins: its enterprise's, else its app's."""
    enterprise_id = getattr(obj, "enterprise_id", None)
    if enterprise_id is None and obj._meta.label_lower == "accounts.enterprise":
        enterprise_id = obj.pk
    if enterprise_id is not None:
        return f"enterprise:{enterprise_id}"
    return str(obj._meta.app_label)


def record_event(
    *,
    actor: Any,
    action: str,
    obj: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    acting_for: str = "",
    rule_set_version: str = "",
) -> AuditRecord:
    """Append one audit record to its stream's chain, inside the caller's transaction.

    Inside a service's `events.atomic()` block the record is built now and chained when the
    block ends (after its subscribers ran), so the stream's lock is held for the last
    statements of the transaction only.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside the service's transaction")
    record = AuditRecord(
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=str(getattr(actor, "username", None) or actor or "system"),
        acting_for=acting_for,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        before=_canonical(before) if before is not None else None,
        after=_canonical(after) if after is not None else None,
        rule_set_version=rule_set_version,
        stream=stream_of(obj),
    )
    pending = events.buffer(_BUFFER, _chain)
    if pending is not None:
        pending.append(record)
        return record
    _chain([record])
    return record


def _lock_statement(stream: str) -> tuple[str, list[int]] | None:
    """The statement that takes a stream's lock until commit (PostgreSQL; SQLite has one writer at a time)."""
    if connection.vendor == "postgresql":
        return "SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, _stream_key(stream)]
    return None


def _stream_key(stream: str) -> int:
    return zlib.crc32(stream.encode("utf-8")) - 2**31  # fits PostgreSQL's int4


def _chain(records: list[AuditRecord]) -> None:
    """Give records their places at the heads of their streams, holding each stream's lock until commit.

    Streams are locked in name order, so two transactions touching the same two streams never
    deadlock. Each record is sealed with the current key (HMAC-SHA256 of all its columns).
    """
    ring = keyring()
    by_stream: dict[str, list[AuditRecord]] = defaultdict(list)
    for record in records:
        by_stream[record.stream].append(record)
    for stream in sorted(by_stream):
        # The stream's lock, then its head (`filter(stream=…).order_by("-seq").values_list("seq", "hash")
        # .first()`, SQL composed once per process: this runs in every state change). On PostgreSQL both go
        # in one round trip; the head's statement has its own snapshot, taken once the lock is held.
        head = next(iter(composed.read(AuditRecord, ("seq", "hash"), "{stream} = %s", order_by=("-seq",),
                                       limit=1).rows([stream], after=_lock_statement(stream))), None)
        seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
        for record in by_stream[stream]:
            record.seq, record.prev_hash = seq, prev_hash
            seal(record, ring)
            seq, prev_hash = seq + 1, record.hash
    events.insert(records)  # at once, or with the service's other rows (`events.reserve_ids`)
