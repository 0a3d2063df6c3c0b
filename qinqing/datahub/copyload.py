"""A registry CSV file straight into PostgreSQL: COPY of the bytes, validation in SQL, fallback to Python.

The happy path of a province's refresh does no parsing in Python: the file's bytes go to the server with
`COPY … (FORMAT csv)` into a temporary table of text columns, then ONE conservative SQL predicate
(`RowPredicate`) checks every row, and one `GROUP BY` looks for repeated codes. The predicate is built
from the same field definitions as the Python validator and is *stricter* than it: whatever Python
refuses, it refuses (tested with adversarial rows in `tests/test_copyload.py`), and it may also refuse
odd but valid rows (a lower-case code, a tab, a line break in an address, "1,000"). When it refuses
anything, or the file is not plain, well-formed CSV, this path gives up (`None`) and the caller runs the
Python validator over the file: the messages (line, field, reason) keep one implementation, and an odd
but valid file still imports, only slower.

When every row passes: the typed rows go into the usual staging table, `EnterpriseFactsChanged` is
written with one `INSERT … SELECT` into the outbox for the new and changed enterprises, and the one
`INSERT … ON CONFLICT` upsert of `staging.RegistryStaging` writes the registry. Memory is one block of
the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from django.db import DatabaseError, connection, transaction

from qinqing.core import events
from qinqing.core.events import EnterpriseFactsChanged
from qinqing.core.ids import _DEPARTMENTS, _ORG_ALPHABET, _ORG_WEIGHTS, _USCC_WEIGHTS, USCC_ALPHABET
from qinqing.datahub.adapters import ImportResult, RegistryAdapter
from qinqing.datahub.models import Source
from qinqing.datahub.rows import field_specs
from qinqing.datahub.rows.checks import INTEGER_LIMIT
from qinqing.datahub.rows.fields import DEFAULT_TEXT_LENGTH, FieldSpec
from qinqing.datahub.rows.validation import KEY_MAX_LENGTH, USCC_COLUMN
from qinqing.datahub.staging import STAGE, Progress, RegistryStaging

log = logging.getLogger(__name__)
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
# Patterns of a field definition that mean the same to Python's `re` and PostgreSQL's regular expressions:
# ASCII letters and digits, bracket ranges, groups, alternation and counted repetition. Nothing else
# (no escapes, no dot, no anchors, no possessive or lazy quantifiers).
_PORTABLE_PATTERN = re.compile(r"(?:[A-Za-z0-9\[\]()|{},\-]|[?*+](?![?*+]))*\Z")
_PORTABLE_BRACKETS = re.compile(r"\[(?!\^)[A-Za-z0-9\-]+\]")


class Unsupported(Exception):
    """This file or this source's definition cannot take the SQL path (the Python path handles it)."""


@lru_cache(maxsize=1)
def printable_ranges() -> tuple[tuple[int, int], ...]:
    """Every character `str.isprintable()` accepts (no control, format, separator other than the space,
    private-use or unassigned character), as ranges, from this Python's Unicode data.

    The Python text check refuses only non-printable characters, so a cell of these passes it; and the
    only whitespace among them is the space, so Python's `strip()` and SQL's `btrim(v, ' ')` agree.
    """
    ranges: list[tuple[int, int]] = []
    start: int | None = None
    for cp in range(0x20, 0x110000):
        ok = chr(cp).isprintable()
        if ok and start is None:
            start = cp
        elif not ok and start is not None:
            ranges.append((start, cp - 1))
            start = None
    if start is not None:
        ranges.append((start, 0x10FFFF))
    return tuple(ranges)


def _char(cp: int) -> str:
    return f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"


@lru_cache(maxsize=2)
def printable_class(*, space: bool = True) -> str:
    """A PostgreSQL bracket expression of `printable_ranges()` (without the space if not `space`)."""
    ranges = list(printable_ranges())
    if not space:
        first, last = ranges[0]
        assert first == 0x20
        ranges[0] = (0x21, last)
    return "[" + "".join(_char(a) if a == b else f"{_char(a)}-{_char(b)}" for a, b in ranges) + "]"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _portable(pattern: str) -> str:
    """`pattern` if PostgreSQL's regular expressions read it as Python's `re` does, else Unsupported."""
    if not _PORTABLE_PATTERN.match(pattern):
        raise Unsupported(f"pattern {pattern!r}")
    stripped = _PORTABLE_BRACKETS.sub("B", pattern)
    if "[" in stripped or "]" in stripped:
        raise Unsupported(f"pattern {pattern!r}")
    return pattern


def _zero_based(values: dict[str, int]) -> str:
    """A constant int[] indexed by a byte (0–127): the value of each character, 0 elsewhere."""
    return "'[0:127]={" + ",".join(str(values.get(chr(b), 0)) for b in range(128)) + "}'::int[]"


def uscc_sql(code: str) -> str:
    """True when `code` (the bytes of a cell already shaped as a canonical USCC) has both check characters
    right: the GB 11714 organisation-code check at position 17, the weighted sum mod 31 at position 18
    (GB 32100-2015), computed as `core.ids.validate_uscc` does, in integer arithmetic over the bytes.
    """
    values = _zero_based({c: i for i, c in enumerate(USCC_ALPHABET)})
    org_values = _zero_based({c: i for i, c in enumerate(_ORG_ALPHABET)})
    whole = " + ".join(f"{w} * ({values})[get_byte({code}, {i})]" for i, w in enumerate(_USCC_WEIGHTS))
    org = " + ".join(f"{w} * ({org_values})[get_byte({code}, {i})]" for i, w in enumerate(_ORG_WEIGHTS, start=8))
    return (f"({values})[get_byte({code}, 17)] = (31 - ({whole}) % 31) % 31 "
            f"AND (CASE get_byte({code}, 16) WHEN 88 THEN 10 WHEN 48 THEN 11 ELSE get_byte({code}, 16) - 48 END) "
            f"= 11 - ({org}) % 11")


# Blocks most registry text is written in, as a small bracket expression tried before the whole printable
# class (PostgreSQL matches a small class faster); both only ever accept printable characters.
_COMMON_BLOCKS = ((0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x206F), (0x3000, 0x303F), (0x4E00, 0x9FFF),
                  (0xFF00, 0xFFEF))
_DIGITS = "0123456789"
_COUNTED_CLASS = re.compile(r"\[((?:[A-Za-z0-9](?:-[A-Za-z0-9])?)+)\]\{(\d+)(?:,(\d+))?\}\Z")


@lru_cache(maxsize=1)
def common_class() -> str:
    """The printable characters of `_COMMON_BLOCKS`, as a bracket expression."""
    ranges = []
    for lo, hi in printable_ranges():
        for a, b in _COMMON_BLOCKS:
            if max(lo, a) <= min(hi, b):
                ranges.append((max(lo, a), min(hi, b)))
    return "[" + "".join(_char(a) if a == b else f"{_char(a)}-{_char(b)}" for a, b in sorted(ranges)) + "]"


def _class_chars(body: str) -> str:
    """The characters of an ASCII bracket expression's body such as `A-T0-9`."""
    out: list[str] = []
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            out.extend(chr(c) for c in range(ord(body[i]), ord(body[i + 2]) + 1))
            i += 3
        else:
            out.append(body[i])
            i += 1
    return "".join(sorted(set(out)))


@dataclass(frozen=True)
class RowPredicate:
    """The SQL of one source's checks over a raw staging table's text columns, and the typed values.

    `ok` reads the row's columns `c0…` and `k.u`, the bytes of the code cell (`lateral`).
    """

    ok: str  # true when Python's validator surely accepts the row
    blank: str  # every cell empty: Python skips the row
    uscc: str  # the key column
    lateral: str
    typed: dict[str, str]  # registry column → SQL value (NULL when the file has no such column)
    parts: tuple[str, ...] = ()  # the conditions `ok` joins (for profiles and tests)


def _text_sql(spec: FieldSpec, cell: str) -> str:
    checks = [f"char_length({cell}) <= {int(spec.max_length or DEFAULT_TEXT_LENGTH)}"]
    if spec.choices:
        if any(c != c.strip() or not c for c in spec.choices):
            raise Unsupported("choices")
        checks.append(f"{cell} IN ({', '.join(_literal(c) for c in spec.choices)})")
    elif spec.pattern:
        counted = _COUNTED_CLASS.match(spec.pattern)
        if counted and _PORTABLE_PATTERN.match(spec.pattern):
            low, high = int(counted.group(2)), int(counted.group(3) or counted.group(2))
            checks.append(f"char_length({cell}) BETWEEN {low} AND {high} "
                          f"AND translate({cell}, {_literal(_class_chars(counted.group(1)))}, '') = ''")
        else:
            checks.append(f"{cell} ~ {_literal('^(?:' + _portable(spec.pattern) + ')$')}")
    else:
        checks.append(f"btrim({cell}, ' ') <> ''")  # some character Python's strip() keeps
    return " AND ".join(checks)


def _decimal_sql(spec: FieldSpec, cell: str) -> str:
    """Digits with at most one point, no sign, no exponent, no separators: within the field's digits."""
    whole, places = spec.max_digits - spec.decimal_places, spec.decimal_places
    if whole < 1 or places < 0:
        raise Unsupported("decimal")
    if places == 0:
        return f"translate({cell}, '{_DIGITS}', '') = '' AND octet_length({cell}) <= {whole}"
    point = f"strpos({cell}, '.')"
    return (f"translate({cell}, '{_DIGITS}', '') IN ('', '.') AND left({cell}, 1) <> '.' AND right({cell}, 1) <> '.' "
            f"AND CASE WHEN {point} = 0 THEN octet_length({cell}) <= {whole} "
            f"ELSE {point} <= {whole + 1} AND octet_length({cell}) - {point} <= {places} END")


def _date_sql(cell: str) -> str:
    """YYYY-MM-DD, a year from 0001, a day its month has (a day after the 28th must stay in its month)."""
    return (f"CASE WHEN octet_length({cell}) = 10 AND translate({cell}, '{_DIGITS}', '') = '--' "
            f"AND substr({cell}, 5, 1) = '-' AND substr({cell}, 6, 2) BETWEEN '01' AND '12' "
            f"AND substr({cell}, 9, 2) BETWEEN '01' AND '31' AND left({cell}, 4) <> '0000' "
            f"THEN substr({cell}, 9, 2) <= '28' OR to_char(make_date(left({cell}, 4)::int, substr({cell}, 6, 2)::int, 1) "
            f"+ (substr({cell}, 9, 2)::int - 1), 'YYYY-MM-DD') = {cell} ELSE false END")


def compile_predicate(specs: Sequence[FieldSpec], key_field: str, category_field: str,
                      header: Sequence[str]) -> RowPredicate:
    """The predicate for a file with these columns (`header`, checked before), or Unsupported.

    Per cell: empty is allowed where the field is optional; otherwise a shape checked with plain string
    functions (`translate`, lengths, `IN`): PostgreSQL's regular expressions cost several microseconds a
    call, counted repetitions more. The free-text cells are checked for printable characters with one
    regular expression over them joined. Cells with spaces around a value, signs, thousands separators,
    lower-case codes are refused here (Python accepts some of them: it then imports the file itself).
    """
    if key_field != USCC_COLUMN or category_field or KEY_MAX_LENGTH < 18:
        raise Unsupported("key")
    column = {name: f"c{i}" for i, name in enumerate(header)}
    by_name = {s.name: s for s in specs}
    checks: list[str] = []
    free_text: list[str] = []
    typed: dict[str, str] = {}
    for name, cell in column.items():
        if name == USCC_COLUMN:
            continue
        spec = by_name[name]
        need = spec.required or name == key_field
        if spec.type == "text":
            if spec.kind:
                raise Unsupported(f"kind {spec.kind}")
            body = _text_sql(spec, cell)
            if not spec.choices and not spec.pattern:
                free_text.append(cell)
            typed[name] = f"NULLIF(btrim({cell}, ' '), '')"
        elif spec.type == "integer":
            body = f"translate({cell}, '{_DIGITS}', '') = '' AND octet_length({cell}) <= {len(str(INTEGER_LIMIT)) - 1}"
            typed[name] = f"NULLIF({cell}, '')::bigint"
        elif spec.type == "decimal":
            body = _decimal_sql(spec, cell)
            typed[name] = f"NULLIF({cell}, '')::numeric"
        elif spec.type == "date":
            body = _date_sql(cell)
            typed[name] = f"NULLIF({cell}, '')::date"
        else:
            raise Unsupported(spec.type)
        checks.append(f"(CASE WHEN COALESCE({cell}, '') = '' THEN {'false' if need else 'true'} ELSE {body} END)")
    uscc = column[USCC_COLUMN]
    shape = (f"octet_length({uscc}) = 18 AND translate({uscc}, {_literal(USCC_ALPHABET)}, '') = '' "
             f"AND strpos({_literal(_DEPARTMENTS)}, left({uscc}, 1)) > 0 "
             f"AND translate(substr({uscc}, 3, 6), '{_DIGITS}', '') = ''")
    checks.insert(0, f"(CASE WHEN {shape} THEN {uscc_sql('k.u')} ELSE false END)")
    if free_text:
        joined = "concat_ws(' ', " + ", ".join(free_text) + ")"
        checks.insert(0, f"({joined} ~ {_literal('^' + common_class() + '*$')} "
                         f"OR {joined} ~ {_literal('^' + printable_class() + '*$')})")
    cells = list(column.values())
    blank = " AND ".join(f"COALESCE({c}, '') = ''" for c in cells)
    # OFFSET 0: evaluated once per row, not substituted into each of the 25 byte reads.
    lateral = f"CROSS JOIN LATERAL (SELECT textsend(COALESCE({uscc}, '')) AS u OFFSET 0) k"
    return RowPredicate(ok=" AND ".join(checks), blank=blank, uscc=uscc, lateral=lateral, typed=typed,
                        parts=tuple(checks))


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


def _stream(cursor: Any, path: Path, offset: int, width: int, progress: Progress | None) -> None:
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


def copy_import(source: Source, path: Path, *, as_of: dt.datetime,
                progress: Progress | None = None) -> ImportResult | None:
    """Import a registry CSV in SQL, inside the caller's transaction; None when Python must do it.

    None leaves nothing behind (a savepoint is rolled back); it means: a source definition or file
    layout this path does not cover, malformed CSV, or some row the SQL predicate does not accept
    (possibly a bad one: the Python validator then says which and why).
    """
    if connection.vendor != "postgresql" or events.flows().subscribers.get(EnterpriseFactsChanged):
        return None  # (in-process subscribers need the events as objects: the Python path makes them)
    try:
        specs = field_specs(source)
        with path.open("rb") as handle:
            header, offset = read_header(handle)
        allowed = {USCC_COLUMN, *(s.name for s in specs)}
        required = {USCC_COLUMN, source.key_field, *(s.name for s in specs if s.required)}
        if (not header or len(set(header)) != len(header) or not allowed.issuperset(header)
                or not required.issubset(header)):
            raise Unsupported("header")
        predicate = compile_predicate(specs, source.key_field, source.category_field, header)
    except Unsupported as exc:
        log.info("registry import of %s in Python: %s", path.name, exc)
        return None
    import psycopg  # PostgreSQL only

    try:
        with transaction.atomic():
            result = _load(source, path, offset, header, predicate, as_of, progress)
    except (Unsupported, DatabaseError, psycopg.Error) as exc:
        log.info("registry import of %s in Python: %s", path.name, exc)
        return None
    log.info("registry import of %s in SQL: %d rows", path.name, result.rows)
    return result


def _load(source: Source, path: Path, offset: int, header: list[str], predicate: RowPredicate,
          as_of: dt.datetime, progress: Progress | None) -> ImportResult:
    width = len(header)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{RAW}")
        columns = ", ".join(f"c{i} text" for i in range(width))
        cursor.execute(f"CREATE TEMPORARY TABLE {RAW} ({columns}) ON COMMIT DROP")
        _stream(cursor, path, offset, width, progress)
        cursor.execute(f"SELECT count(*) FILTER (WHERE NOT ({predicate.ok})), count(*) "  # noqa: S608
                       f"FROM {RAW} {predicate.lateral} WHERE NOT ({predicate.blank})")
        refused, rows = cursor.fetchone()
        if refused:
            raise Unsupported("a row the SQL check does not accept")
        cursor.execute(f"SELECT 1 FROM {RAW} WHERE NOT ({predicate.blank}) "  # noqa: S608
                       f"GROUP BY {predicate.uscc} HAVING count(*) > 1 LIMIT 1")
        if cursor.fetchone() is not None:
            raise Unsupported("a repeated code")
        stage = RegistryStaging(source)
        stage.create()
        q = connection.ops.quote_name
        targets = ", ".join(q(c) for c in ("uscc", *RegistryAdapter.COLUMNS))
        values = ", ".join(predicate.typed.get(c, "NULL") for c in RegistryAdapter.COLUMNS)
        cursor.execute(f"INSERT INTO {STAGE} (line, {targets}) SELECT 0, {predicate.uscc}, {values} "  # noqa: S608
                       f"FROM {RAW} WHERE NOT ({predicate.blank})")
        cursor.execute(f"DROP TABLE {RAW}")
        stage.rows = int(rows)
        created, kept = stage.write_events(as_of)
        events.written_in_sql(EnterpriseFactsChanged)
        stage.upsert(as_of)
    return ImportResult(source.code, stage.rows, created, stage.rows - created, as_of=as_of, changes=kept)
