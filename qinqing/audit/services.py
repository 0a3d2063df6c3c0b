"""Write and verify audit records."""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from qinqing.audit.models import AuditRecord

GENESIS = "0" * 64
_LOCK_KEY = 7_310_001  # PostgreSQL advisory lock serialising the chain head


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
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_deferred: contextvars.ContextVar[list[AuditRecord] | None] = contextvars.ContextVar("audit_deferred", default=None)


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
    """Append one audit record at the head of the chain, inside the caller's transaction.

    Inside `chained_at_end()` the record is built now and chained when that block ends.
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
    )
    pending = _deferred.get()
    if pending is not None:
        pending.append(record)
        return record
    _chain([record])
    return record


def _chain(records: list[AuditRecord]) -> None:
    """Give records their place at the head of the chain, holding the chain lock until commit."""
    if not records:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    head = AuditRecord.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
    for record in records:
        record.seq, record.prev_hash = seq, prev_hash
        record.hash = _digest(record)
        seq, prev_hash = seq + 1, record.hash
    AuditRecord.objects.bulk_create(records)


@contextlib.contextmanager
def chained_at_end() -> Iterator[None]:
    """Collect the audit records of a long transaction and chain them together when it ends.

    Use inside `transaction.atomic()`: the chain's lock (held until commit) is then taken for the
    last few statements instead of the whole cascade, so long services stop queueing behind each
    other. If the block raises, nothing is written. Nested use joins the outer block.
    """
    if _deferred.get() is not None:
        yield
        return
    token = _deferred.set([])
    try:
        yield
        records = _deferred.get() or []
    finally:
        _deferred.reset(token)
    _chain(records)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain() -> ChainReport:
    """Recompute every hash in order; report the first record that does not match."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    for record in AuditRecord.objects.order_by("seq").iterator(chunk_size=2000):
        if record.seq != expected_seq:
            return ChainReport(checked, record.seq, "gap in sequence")
        if record.prev_hash != prev:
            return ChainReport(checked, record.seq, "previous hash does not match")
        if _digest(record) != record.hash:
            return ChainReport(checked, record.seq, "content does not match its hash")
        prev = record.hash
        expected_seq += 1
        checked += 1
    return ChainReport(checked, None)
