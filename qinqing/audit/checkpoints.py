"""Anchor the heads of the audit chains outside the database: signed checkpoints and an export.

`QINQING_AUDIT_DIR/checkpoints.jsonl` gains one line per checkpoint: the head (seq, hash) of every
stream that moved since the previous line, the previous line's MAC and its own (HMAC-SHA256 with
the current audit key), so a line cannot be changed, dropped from the middle or forged without
the key. `QINQING_AUDIT_DIR/export/<date>.jsonl` gains every record the checkpoint newly covers,
one JSON object a line. Both files are only ever appended to; ship them to write-once storage.

A checkpoint checks what it covers before it signs it (links and keyed hashes of the new records,
and that every earlier head is still there), so it never blesses a rewritten chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from qinqing.audit.chain import GENESIS, StreamChecker, export_row
from qinqing.audit.keys import Keyring, keyring, locked
from qinqing.audit.models import AuditRecord

Head = tuple[int, str]


class CheckpointError(Exception):
    """The chain or the checkpoint file does not match: nothing was written."""


@dataclass
class Anchors:
    """What the checkpoint file says: the latest head of every stream, and the first line's heads."""

    heads: dict[str, Head] = field(default_factory=dict)
    first: dict[str, Head] | None = None  # None: no checkpoint yet
    lines: int = 0
    last_mac: str = GENESIS
    problem: str = ""


def audit_dir() -> Path:
    return Path(settings.QINQING_AUDIT_DIR)


def checkpoint_file() -> Path:
    return audit_dir() / "checkpoints.jsonl"


def _mac(body: dict[str, Any], secret: bytes) -> str:
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hmac.new(secret, b"qinqing-audit-checkpoint:" + text, hashlib.sha256).hexdigest()


def read_anchors(ring: Keyring) -> Anchors:
    """Read and check every line of the checkpoint file (MAC, link to the line before); fold the heads."""
    anchors = Anchors()
    path = checkpoint_file()
    if not path.exists():
        return anchors
    with open(path, encoding="utf-8") as handle:  # streamed: the file grows by a line per checkpoint
        for number, line in enumerate(handle, start=1):
            problem = _fold(anchors, number, line, ring)
            if problem:
                anchors.problem = problem
                return anchors
    return anchors


def _fold(anchors: Anchors, number: int, line: str, ring: Keyring) -> str:
    try:
        entry = json.loads(line)
        mac, body = entry.pop("mac"), entry
        secret = ring.secret(str(body["key_id"]))
        heads = {str(s): (int(h[0]), str(h[1])) for s, h in body["heads"].items()}
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return f"checkpoint line {number} is not a checkpoint"
    if secret is None:
        return f"checkpoint line {number} is signed with an unknown key {body['key_id']!r}"
    if not hmac.compare_digest(_mac(body, secret), str(mac)):
        return f"checkpoint line {number} does not match its signature"
    if body.get("prev") != anchors.last_mac or body.get("n") != number:
        return f"checkpoint line {number} does not follow the line before it"
    if anchors.first is None:
        anchors.first = dict(heads)
    anchors.heads.update(heads)
    anchors.lines, anchors.last_mac = number, str(mac)
    return ""


@dataclass(frozen=True)
class Checkpoint:
    line: int
    streams: int  # streams whose head moved
    exported: int  # records appended to the export
    export: str


def _current_heads() -> dict[str, Head]:
    tops = dict(AuditRecord.objects.values("stream").annotate(top=Max("seq")).values_list("stream", "top"))
    heads: dict[str, Head] = {}
    names = sorted(tops)
    for start in range(0, len(names), 500):
        condition = Q()
        for stream in names[start:start + 500]:
            condition |= Q(stream=stream, seq=tops[stream])
        rows = AuditRecord.objects.filter(condition).values_list("stream", "seq", "hash")
        heads.update({stream: (seq, digest) for stream, seq, digest in rows})
    return heads


def _covered(stream: str, anchor: Head | None, head: Head, ring: Keyring, anchors: Anchors,
             out: Any) -> int:
    """Check the records of `stream` from its last checkpointed head to `head`; write the new ones to `out`."""
    checker = StreamChecker(ring, cover=(anchors.first or {}).get(stream), checkpointed=anchors.first is not None,
                            anchor=anchor)
    records = AuditRecord.objects.filter(stream=stream, seq__lte=head[0])
    if anchor is not None:
        records = records.filter(seq__gte=anchor[0])
    written = 0
    for index, record in enumerate(records.order_by("seq").iterator(chunk_size=2000)):
        if index == 0 and anchor is not None:
            if record.seq != anchor[0]:
                raise CheckpointError(f"stream {stream!r}: the checkpointed record {anchor[0]} is missing")
            checker.resume_at(record)
        reason = checker.check(record)
        if reason:
            raise CheckpointError(f"stream {stream!r}, record id {record.pk}: {reason}")
        if anchor is None or record.seq > anchor[0]:
            out.write(json.dumps(export_row(record), ensure_ascii=False, sort_keys=True) + "\n")
            written += 1
    if checker.last_seq != head[0]:
        raise CheckpointError(f"stream {stream!r}: records up to {head[0]} are not all there")
    return written


def write_checkpoint() -> Checkpoint:
    """Append a signed checkpoint of every stream's head, and the records it newly covers to the export."""
    path = checkpoint_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path):
        ring = keyring()
        anchors = read_anchors(ring)
        if anchors.problem:
            raise CheckpointError(anchors.problem)
        with transaction.atomic():
            heads = _current_heads()
            for stream, anchor in anchors.heads.items():
                head = heads.get(stream)
                if head is None or head[0] < anchor[0]:
                    raise CheckpointError(f"stream {stream!r}: the checkpointed record {anchor[0]} is missing "
                                          "(the newest records were deleted)")
            moved = {s: h for s, h in heads.items() if anchors.heads.get(s) != h}
            export_name = f"export/{timezone.localdate().isoformat()}.jsonl"
            with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
                exported = sum(_covered(s, anchors.heads.get(s), h, ring, anchors, spool)
                               for s, h in sorted(moved.items()))
                spool.seek(0)
                export = audit_dir() / export_name
                export.parent.mkdir(parents=True, exist_ok=True)
                with open(export, "a", encoding="utf-8") as handle:
                    for line in spool:
                        handle.write(line)
                    handle.flush()
                    os.fsync(handle.fileno())
        body: dict[str, Any] = {
            "v": 1, "n": anchors.lines + 1, "at": timezone.now().isoformat(timespec="seconds"),
            "key_id": ring.current, "prev": anchors.last_mac,
            "heads": {s: list(h) for s, h in sorted(moved.items())},
            "export": export_name, "exported": exported,
        }
        body["mac"] = _mac(body, ring.secrets[ring.current])
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(body, ensure_ascii=False, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    return Checkpoint(body["n"], len(moved), exported, export_name)
