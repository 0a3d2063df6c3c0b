"""Write and verify audit records."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from qinqing.audit.models import AuditRecord
from qinqing.core import events

GENESIS = "0" * 64
_LOCK_CLASS = 7_310_001  # PostgreSQL advisory lock class; the object id is the stream's hash
_BUFFER = "audit"


def _canonical(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True))


def _digest(record: AuditRecord) -> str:
    payload = {
        "seq": record.seq,
        "at": record.at.isoformat(),
        "actor": record.actor_label,
        "acting_for": record.acting_for,
        "action": record.action,
        "object_type": record.object_type,
        "object_id": record.object_id,
        "before": record.before,
        "after": record.after,
        "rule_set_version": record.rule_set_version,
        "prev_hash": record.prev_hash,
    }
    if record.stream:  # records of the single chain before streams hash as they always did
        payload["stream"] = record.stream
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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


def _lock(stream: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, _stream_key(stream)])


def _stream_key(stream: str) -> int:
    return zlib.crc32(stream.encode("utf-8")) - 2**31  # fits PostgreSQL's int4


def _chain(records: list[AuditRecord]) -> None:
    """Give records their places at the heads of their streams, holding each stream's lock until commit.

    Streams are locked in name order, so two transactions touching the same two streams never
    deadlock.
    """
    by_stream: dict[str, list[AuditRecord]] = defaultdict(list)
    for record in records:
        by_stream[record.stream].append(record)
    for stream in sorted(by_stream):
        _lock(stream)
        head = AuditRecord.objects.filter(stream=stream).order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
        for record in by_stream[stream]:
            record.seq, record.prev_hash = seq, prev_hash
            record.hash = _digest(record)
            seq, prev_hash = seq + 1, record.hash
    AuditRecord.objects.bulk_create(records)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None  # the id of the first record that does not fit its chain
    reason: str = ""
    stream: str = ""
    streams: int = 0

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain() -> ChainReport:
    """Recompute every hash of every stream in order; report the first record that does not match."""
    checked = 0
    streams = 0
    current: str | None = None
    prev, expected_seq = GENESIS, 1
    for record in AuditRecord.objects.order_by("stream", "seq").iterator(chunk_size=2000):
        if record.stream != current:
            current, prev, expected_seq = record.stream, GENESIS, 1
            streams += 1
        if record.seq != expected_seq:
            return ChainReport(checked, record.pk, "gap in sequence", record.stream, streams)
        if record.prev_hash != prev:
            return ChainReport(checked, record.pk, "previous hash does not match", record.stream, streams)
        if _digest(record) != record.hash:
            return ChainReport(checked, record.pk, "content does not match its hash", record.stream, streams)
        prev = record.hash
        expected_seq += 1
        checked += 1
    return ChainReport(checked, None, streams=streams)
