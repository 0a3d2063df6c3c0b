"""CSV and JSON bodies of an import, as rows with the line each starts on."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, overload

from django.utils.translation import gettext as _

from qinqing.datahub.bulk import cyclic_gc_paused
from qinqing.datahub.errors import ImportRejected, RowError

CHUNK_ROWS = 50_000  # rows per chunk of a streamed file (`stream_csv`): memory is bounded by a chunk
Progress = Callable[[int, int], None]  # told (done, total) as a file is read


@dataclass(frozen=True)
class Table:
    """Rows parsed from a file, with the line each starts on; CSV columns are checked once, at the header."""

    rows: Sequence[Mapping[str, Any]]
    lines: list[int]
    header_line: int | None = None
    columns: tuple[str, ...] = field(default=())


class CsvRows(Sequence[dict[str, str]]):
    """The rows of a CSV chunk as the reader gave them (lists of cells), each made a dict (column → cell) only
    when asked for: the column-wise check (`rows.columnar`) reads the cells by column and needs no dict."""

    def __init__(self, columns: tuple[str, ...], cells: list[list[str]]) -> None:
        self.columns = columns
        self.cells = cells

    def __len__(self) -> int:
        return len(self.cells)

    def _row(self, cells: list[str]) -> dict[str, str]:
        return dict(zip(self.columns, cells, strict=False))

    @overload
    def __getitem__(self, index: int) -> dict[str, str]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, str]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, str] | list[dict[str, str]]:
        if isinstance(index, slice):
            return [self._row(cells) for cells in self.cells[index]]
        return self._row(self.cells[index])

    def __iter__(self) -> Iterator[dict[str, str]]:
        return map(self._row, self.cells)


def _text(raw: bytes | str) -> str:
    if isinstance(raw, bytes):
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            error = RowError(line=line, field="", reason=_("The file is not UTF-8 text."))
            raise ImportRejected.listing([error]) from None
    return raw.removeprefix("\ufeff")


def _columns(header: list[str]) -> tuple[list[str], list[RowError]]:
    """The header's column names, stripped, and what is wrong with them (a blank name, a repeated one)."""
    columns = [name.strip() for name in header]
    errors: list[RowError] = []
    seen: set[str] = set()
    for name in columns:
        if not name:
            errors.append(RowError(line=1, field="", reason=_("A column has no name.")))
        elif name in seen:
            errors.append(RowError(line=1, field=name, reason=_("Duplicate column.")))
        seen.add(name)
    return columns, errors


def parse_csv(raw: bytes | str) -> Table:
    """Parse UTF-8 CSV (a BOM is tolerated) whose first line names the columns."""
    reader = csv.reader(io.StringIO(_text(raw), newline=""))
    errors: list[RowError] = []
    try:
        header = next(reader, None)
        if header is None:
            return Table(rows=[], lines=[], header_line=1)
        columns, errors = _columns(header)
        width = len(columns)
        rows: list[dict[str, Any]] = []
        lines: list[int] = []
        previous = reader.line_num
        for cells in reader:
            start, previous = previous + 1, reader.line_num
            if not any(cells):
                continue
            if len(cells) > width:
                errors.append(RowError(line=start, field="", reason=_("This row has more cells than the header.")))
                continue
            rows.append(dict(zip(columns, cells, strict=False)))
            lines.append(start)
    except csv.Error as exc:
        errors.append(RowError(line=reader.line_num, field="", reason=_("The CSV cannot be read: %(error)s") % {
            "error": str(exc)}))
    if errors:
        raise ImportRejected.listing(errors)
    return Table(rows=rows, lines=lines, header_line=1, columns=tuple(columns))


def stream_csv(handle: IO[bytes], *, chunk_rows: int = CHUNK_ROWS) -> Iterator[Table]:
    """Tables of at most `chunk_rows` rows read from a UTF-8 CSV (a BOM is tolerated), header on line 1.

    Lines are counted as `parse_csv` counts them (a quoted cell may span lines); a chunk never holds the
    whole file. A byte sequence that is not UTF-8 is refused with the line it is on.
    """
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="", errors="strict")
    reader = csv.reader(text)
    line = 0
    try:
        header = next(reader, None)
        if header is None:
            yield Table(rows=[], lines=[], header_line=1)
            return
        columns, errors = _columns(header)
        if errors:
            raise ImportRejected.listing(errors)
        width = len(columns)
        names = tuple(columns)
        previous = reader.line_num
        yielded = False
        rows: list[list[str]] = []
        lines: list[int] = []
        for cells in reader:
            start, previous = previous + 1, reader.line_num
            line = previous
            if not any(cells):
                continue
            if len(cells) > width:
                raise ImportRejected.listing([RowError(line=start, field="", reason=_(
                    "This row has more cells than the header."))])
            rows.append(cells)
            lines.append(start)
            if len(rows) >= chunk_rows:
                yield Table(rows=CsvRows(names, rows), lines=lines, header_line=1, columns=names)
                rows, lines, yielded = [], [], True
        if rows or not yielded:
            yield Table(rows=CsvRows(names, rows), lines=lines, header_line=1, columns=names)
    except UnicodeDecodeError:
        raise ImportRejected.listing([RowError(line=_first_bad_line(handle, line + 1), field="", reason=_(
            "The file is not UTF-8 text."))]) from None
    except csv.Error as exc:
        raise ImportRejected.listing([RowError(line=reader.line_num, field="", reason=_(
            "The CSV cannot be read: %(error)s") % {"error": str(exc)})]) from None


def _first_bad_line(handle: IO[bytes], fallback: int) -> int:
    """The first line that is not UTF-8 (the text reader decodes ahead of the CSV reader, so it cannot say)."""
    if not handle.seekable():
        return fallback
    handle.seek(0)
    for number, raw in enumerate(handle, start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return number
    return fallback


def csv_file_chunks(path: Path, *, chunk_rows: int = CHUNK_ROWS,
                    progress: Progress | None = None) -> Iterator[Table]:
    """`stream_csv` over a file, reporting bytes read against the file's size after each chunk."""
    size = path.stat().st_size
    with path.open("rb") as raw:
        for table in stream_csv(raw, chunk_rows=chunk_rows):
            yield table
            if progress is not None:
                progress(min(raw.tell(), size), size)


def parse_json(raw: bytes | str) -> Table:
    """Parse a JSON list of objects, or an object whose "records" is that list; record n is line n."""
    try:
        body = json.loads(_text(raw), parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ImportRejected.listing([RowError(line=0, field="", reason=_(
            "The body is not valid JSON (line %(line)d, column %(column)d).") % {
            "line": exc.lineno, "column": exc.colno})]) from None
    except RecursionError:
        error = RowError(line=0, field="", reason=_("The JSON is nested too deeply."))
        raise ImportRejected.listing([error]) from None
    if isinstance(body, dict) and set(body) == {"records"}:
        body = body["records"]
    if not isinstance(body, list):
        raise ImportRejected.listing([RowError(line=0, field="", reason=_(
            'Send a list of records, or an object {"records": [...]}.'))])
    errors = [RowError(line=i, field="", reason=_("Each record must be an object."))
              for i, item in enumerate(body, start=1) if not isinstance(item, dict)]
    if errors:
        raise ImportRejected.listing(errors)
    return Table(rows=body, lines=list(range(1, len(body) + 1)))


def parse(raw: bytes | str, fmt: str) -> Table:
    """Parse an import file in the given format ("csv" or "json")."""
    with cyclic_gc_paused():
        return parse_csv(raw) if fmt == "csv" else parse_json(raw)
