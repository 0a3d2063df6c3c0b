"""The file's bytes to `COPY … FROM STDIN (FORMAT csv)`, checked on the way to be CSV both readers agree on."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import IO, Any

from qinqing.datahub.copyload.predicate import Unsupported
from qinqing.datahub.rows.parsing import Progress

RAW = "qq_stage_raw"
BLOCK = 1 << 20
# A quoted cell may hold line breaks; a block of text is checked once its quotes pair up, up to this size.
MAX_PENDING = 16 << 20
_BOM = b"\xef\xbb\xbf"
# Well-formed CSV: each cell plain (no quote, comma or line break) or wholly quoted with "" for a quote.
# On such text Python's csv module and PostgreSQL's COPY agree cell for cell; on other text they may not
# (`ab"c` is a literal quote to Python, the start of a quoted section to COPY), so it goes to Python.
_CELL = rb'(?:"(?:[^"]|"")*+"|[^",\r\n]*+)'
_WELL_FORMED = re.compile(_CELL + rb"(?:[,\r\n]" + _CELL + rb")*+")


def read_header(handle: IO[bytes]) -> tuple[list[str], int]:
    """The header's column names (stripped, as `stream_csv` reads them) and where the data starts."""
    first = handle.readline(1 << 16)
    if not first.endswith(b"\n"):
        raise Unsupported("header")
    offset = len(first)
    if first.startswith(_BOM):
        first = first[len(_BOM):]
    if b'"' in first or b"\r" in first[:-2]:
        raise Unsupported("header quoting")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        raise Unsupported("header encoding") from None
    cells = next(csv.reader([text.rstrip("\r\n")]), [])
    return [name.strip() for name in cells], offset


class _Sender:
    """Checks the bytes on their way to COPY: well-formed CSV, no end-of-data marker."""

    def __init__(self) -> None:
        self.pending = b""
        self.tail = b""

    def check(self, block: bytes, last: bool) -> None:
        if b"\\." in self.tail + block[:1] or b"\\." in block:
            raise Unsupported("a backslash-dot (COPY's end-of-data marker)")
        self.tail = block[-1:]
        text = self.pending + block if self.pending else block
        # Up to the last line break (a partial line waits for the next block, so a cell is seen whole).
        cut = len(text) if last else text.rfind(b"\n") + 1
        if text.find(b'"', 0, cut) >= 0:
            if text.count(b'"', 0, cut) % 2:
                cut = 0  # a quoted cell runs on past this block: wait for its closing quote
            elif not _WELL_FORMED.fullmatch(text, 0, cut):
                raise Unsupported("malformed quoting")
        self.pending = text[cut:]
        if len(self.pending) > MAX_PENDING or (last and self.pending):
            raise Unsupported("unpaired quote")


def stream_file(cursor: Any, path: Path, offset: int, width: int, progress: Progress | None) -> None:
    names = ", ".join(f"c{i}" for i in range(width))
    size = path.stat().st_size
    sender = _Sender()
    with path.open("rb") as handle, cursor.cursor.copy(
            f"COPY {RAW} ({names}) FROM STDIN (FORMAT csv, ENCODING 'UTF8')") as copy:
        handle.seek(offset)
        block = handle.read(BLOCK)
        while block:
            following = handle.read(BLOCK)
            sender.check(block, last=not following)
            copy.write(block)
            if progress is not None:
                progress(handle.tell() - len(following), size)
            block = following
