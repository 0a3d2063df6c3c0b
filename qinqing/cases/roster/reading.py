"""A roster file's type by its content, its header and its rows (line numbers as the user sees them)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from qinqing.cases.archives import ArchiveRefused, inspect_archive

# More columns than any roster needs are ignored; a sheet cannot make the reader allocate without end.
MAX_COLUMNS = 16
PROGRESS_EVERY = 1000
# Documents and images that may decode as text by chance: never a roster.
_BINARY = (b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"MZ", b"\x7fELF", b"Rar!", b"\x1f\x8b")

Progress = Callable[[int, int], None]  # (rows read, rows expected or 0)


class SheetProblem(Exception):
    """The file as a whole cannot be used: `code` says why, `params` fill the message."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class Sheet:
    header: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (line, cells)


def sniff(content: bytes) -> str:
    """Return "xlsx" or "csv" from the bytes themselves (the file name is never trusted)."""
    if not content:
        raise SheetProblem("empty")
    if content.startswith(b"PK\x03\x04"):
        try:
            _mime, kind = inspect_archive(content)  # content types, no executable, no zip bomb
        except ArchiveRefused:
            raise SheetProblem("file_type") from None
        if kind == "xlsx":
            return "xlsx"
        raise SheetProblem("file_type")
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise SheetProblem("old_excel")  # .xls (OLE2): ask for .xlsx or .csv
    if content.startswith(_BINARY) or b"\x00" in content[:65536]:
        raise SheetProblem("file_type")
    _decode(content)
    return "csv"


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetProblem("file_type")


def _blank(cells: Iterable[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _collect(lines: Iterable[tuple[int, list[Any]]], *, max_rows: int, expected: int,
             progress: Progress | None) -> Sheet:
    header: list[str] | None = None
    sheet = Sheet(header=[])
    for line, cells in lines:
        if _blank(cells):
            continue
        if header is None:
            header = ["" if c is None else str(c) for c in cells]
            sheet.header = header
            continue
        if len(sheet.rows) >= max_rows:
            raise SheetProblem("too_many_rows", limit=max_rows)
        sheet.rows.append((line, cells))
        if progress is not None and len(sheet.rows) % PROGRESS_EVERY == 0:
            progress(len(sheet.rows), expected)
    if header is None:
        raise SheetProblem("no_header")
    if not sheet.rows:
        raise SheetProblem("no_rows")
    return sheet


def _xlsx_lines(content: bytes) -> tuple[Iterable[tuple[int, list[Any]]], int]:
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula comes back as its text ("=…"), which the checks refuse.
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        sheet = book.worksheets[0]
    except Exception:  # a damaged workbook raises whatever its parser meets
        raise SheetProblem("unreadable") from None
    expected = max((sheet.max_row or 1) - 1, 0)

    def lines() -> Iterable[tuple[int, list[Any]]]:
        try:
            for line, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
                yield line, list(values)
        except SheetProblem:
            raise
        except Exception:
            raise SheetProblem("unreadable") from None
        finally:
            book.close()

    return lines(), expected


def _csv_lines(content: bytes) -> tuple[Iterable[tuple[int, list[Any]]], int]:
    text = _decode(content)
    expected = max(text.count("\n") - 1, 0)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)

    def lines() -> Iterable[tuple[int, list[Any]]]:
        try:
            for cells in reader:
                yield reader.line_num, [c for c in cells[:MAX_COLUMNS]]
        except csv.Error:
            raise SheetProblem("unreadable") from None

    return lines(), expected


def read_sheet(content: bytes, kind: str, *, max_rows: int, progress: Progress | None = None) -> Sheet:
    """Read the header (first non-empty line) and every non-empty row after it, at most `max_rows`."""
    lines, expected = _xlsx_lines(content) if kind == "xlsx" else _csv_lines(content)
    return _collect(lines, max_rows=max_rows, expected=expected, progress=progress)
