"""What a record's hash covers: every column, serialised one way, keyed by a secret outside the database."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from qinqing.audit.keys import Keyring
from qinqing.audit.models import AuditRecord

GENESIS = "0" * 64
VERSION = 2  # 1: unkeyed SHA-256 of some columns (records written before keying); 2: HMAC of all


def _text(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical(record: AuditRecord) -> bytes:
    """The bytes a keyed hash covers: every column but the database's `id` and the hash itself.

    `id` is assigned by the database at INSERT, after the hash; the order that matters is `seq`
    within the stream, and `prev_hash` ties each record to the one before it.
    """
    return _text({
        "v": VERSION,
        "key_id": record.key_id,
        "stream": record.stream,
        "seq": record.seq,
        "prev_hash": record.prev_hash,
        "at": _instant(record.at),
        "actor_id": record.actor_id,
        "actor_label": record.actor_label,
        "acting_for": record.acting_for,
        "action": record.action,
        "object_type": record.object_type,
        "object_id": record.object_id,
        "before": record.before,
        "after": record.after,
        "rule_set_version": record.rule_set_version,
    })


def keyed_digest(record: AuditRecord, secret: bytes) -> str:
    return hmac.new(secret, canonical(record), hashlib.sha256).hexdigest()


def seal(record: AuditRecord, ring: Keyring) -> None:
    """Give a placed record (stream, seq and prev_hash set) its key id and keyed hash."""
    record.key_id = ring.current
    record.hash = keyed_digest(record, ring.secrets[ring.current])


def legacy_digest(record: AuditRecord) -> str:
    """The unkeyed hash of records written before keying, computed exactly as it was then."""
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
    return hashlib.sha256(_text(payload)).hexdigest()


def matches(record: AuditRecord, ring: Keyring) -> str:
    """Why the record's hash is wrong, or "" when it is right (constant-time comparison)."""
    if not record.key_id:
        return "" if hmac.compare_digest(legacy_digest(record), record.hash) else "content does not match its hash"
    secret = ring.secret(record.key_id)
    if secret is None:
        return f"sealed with an unknown key {record.key_id!r}"
    if not hmac.compare_digest(keyed_digest(record, secret), record.hash):
        return "content does not match its keyed hash"
    return ""


def export_row(record: AuditRecord) -> dict[str, Any]:
    """The record as one line of the export: every column."""
    return {
        "id": record.pk, "stream": record.stream, "seq": record.seq, "at": _instant(record.at),
        "actor_id": record.actor_id, "actor_label": record.actor_label, "acting_for": record.acting_for,
        "action": record.action, "object_type": record.object_type, "object_id": record.object_id,
        "before": record.before, "after": record.after, "rule_set_version": record.rule_set_version,
        "prev_hash": record.prev_hash, "key_id": record.key_id, "hash": record.hash,
    }


class StreamChecker:
    """Walk one stream's records in `seq` order and say what, if anything, is wrong with each.

    `cover` is the head the first checkpoint recorded for this stream (unkeyed records are
    accepted up to it only; None before any checkpoint exists, then all are accepted but
    counted as `unsealed`); `anchor` is the latest checkpointed head, which must be found
    intact.
    """

    def __init__(
        self,
        ring: Keyring,
        *,
        cover: tuple[int, str] | None,
        checkpointed: bool,
        anchor: tuple[int, str] | None,
    ) -> None:
        self.ring, self.cover, self.checkpointed, self.anchor = ring, cover, checkpointed, anchor
        self.expected_seq, self.prev = 1, GENESIS
        self.keyed_seen = False
        self.unsealed = 0
        self.last_seq = 0

    def resume_at(self, record: AuditRecord) -> None:
        """Start from an already verified record (a checkpointed head) instead of the stream's start."""
        self.expected_seq, self.prev = record.seq, record.prev_hash
        self.keyed_seen = bool(record.key_id)

    def check(self, record: AuditRecord) -> str:
        if record.seq != self.expected_seq:
            return "gap in sequence (a record was deleted or moved)"
        if record.prev_hash != self.prev:
            return "previous hash does not match (a record was deleted, inserted or moved)"
        if record.key_id:
            self.keyed_seen = True
        elif self.keyed_seen:
            return "unkeyed record after keyed records"
        elif self.checkpointed and (self.cover is None or record.seq > self.cover[0]):
            return "unkeyed record not covered by the first checkpoint"
        elif not self.checkpointed:
            self.unsealed += 1
        reason = matches(record, self.ring)
        if reason:
            return reason
        for held in (self.anchor, self.cover):
            if held is not None and record.seq == held[0] and record.hash != held[1]:
                return "differs from the record a checkpoint holds"
        self.expected_seq, self.prev, self.last_seq = record.seq + 1, record.hash, record.seq
        return ""

    def finish(self) -> str:
        if self.anchor is not None and self.last_seq < self.anchor[0]:
            return (f"records {self.last_seq + 1}–{self.anchor[0]} that a checkpoint holds are missing "
                    "(the newest records were deleted)")
        return ""
