"""Verify the audit trail: every chain against its key, and every checkpointed head still in place."""

from __future__ import annotations

from dataclasses import dataclass

from qinqing.audit.chain import StreamChecker
from qinqing.audit.checkpoints import read_anchors
from qinqing.audit.keys import keyring
from qinqing.audit.models import AuditRecord


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None  # the id of the first record that does not fit its chain, when there is one
    reason: str = ""
    stream: str = ""
    streams: int = 0
    checkpoints: int = 0  # lines of the checkpoint file, all checked
    unsealed: int = 0  # unkeyed records (written before keying) that no checkpoint covers yet

    @property
    def ok(self) -> bool:
        return not self.reason


def verify_chain() -> ChainReport:
    """Recompute every keyed hash of every stream in order, and hold each stream to its checkpointed head.

    Reports the first record that does not fit: an edited column, a record deleted, inserted or
    moved, a hash recomputed without the key, a record sealed with an unknown key, an unkeyed
    record where only keyed ones may be, or a stream shorter than its last checkpoint says.
    """
    ring = keyring()
    anchors = read_anchors(ring)
    if anchors.problem:
        return ChainReport(0, None, anchors.problem)
    checked = streams = unsealed = 0
    seen: set[str] = set()
    current: str | None = None
    checker: StreamChecker | None = None

    def report(broken_at: int | None, reason: str, stream: str) -> ChainReport:
        return ChainReport(checked, broken_at, reason, stream, streams, anchors.lines, unsealed)

    def start(stream: str) -> StreamChecker:
        return StreamChecker(ring, cover=(anchors.first or {}).get(stream), checkpointed=anchors.first is not None,
                             anchor=anchors.heads.get(stream))

    for record in AuditRecord.objects.order_by("stream", "seq").iterator(chunk_size=2000):
        if record.stream != current:
            if checker is not None and current is not None:
                reason = checker.finish()
                if reason:
                    return report(None, reason, current)
                unsealed += checker.unsealed
            current, checker = record.stream, start(record.stream)
            seen.add(current)
            streams += 1
        assert checker is not None
        reason = checker.check(record)
        if reason:
            return report(record.pk, reason, record.stream)
        checked += 1
    if checker is not None and current is not None:
        reason = checker.finish()
        if reason:
            return report(None, reason, current)
        unsealed += checker.unsealed
    for stream in sorted(set(anchors.heads) - seen):
        return report(None, "every record of a checkpointed stream is missing", stream)
    return report(None, "", "")
