"""A chunk of registry rows checked a column at a time, when every row surely passes; else the row validator.

The row validator (`validation.ValidationRun.rows`) costs about 10 µs a row in Python, more than writing the row:
on SQLite, where no COPY and no SQL checks exist, it was most of an import. This module checks a whole chunk
with one C-level pass per column and condition (`map` over `str.strip`, `str.isprintable`, a compiled pattern,
`Decimal`, `date.fromisoformat`; the codes' check characters as one table sum per code, with numpy). It is
*stricter* than the row validator and, for what it accepts, types every value the same way: it takes only
strings already in their canonical form (a code in capitals and half-width, no thousands separator, a date as
YYYY-MM-DD), and declines the whole chunk (None) on anything else, a blank required cell, a repeated code, any
cell the row validator would refuse or rewrite. The row validator then checks that chunk and words every refusal.
Tested against the row validator on adversarial rows (`tests/test_columnar.py`).
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import repeat
from typing import TYPE_CHECKING, Any

from qinqing.core.ids import USCC_CHECK_MODULUS, uscc_position_tables
from qinqing.datahub.rows.fields import DEFAULT_TEXT_LENGTH, FieldSpec
from qinqing.datahub.rows.parsing import CsvRows, Table

if TYPE_CHECKING:
    import numpy as np

    from qinqing.datahub.rows.validation import ValidationRun

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z", re.ASCII)


@dataclass(frozen=True)
class Columns:
    """A chunk's rows, all good: the file line of each, its code, and each field's typed values (None: blank)."""

    lines: list[int]
    usccs: list[str]
    values: dict[str, list[Any]]


@lru_cache(maxsize=1)
def _code_table() -> np.ndarray:
    """(18, 256): each position's term of each byte (`core.ids.uscc_position_tables`)."""
    import numpy as np  # on first use: no process pays its import unless it imports a registry

    tables = uscc_position_tables()
    out = np.full((18, 256), tables.refused, dtype=np.int64)
    for i, table in enumerate(tables.terms):
        for char, term in table.items():
            out[i, ord(char)] = term
    return out


def canonical_codes(codes: list[Any]) -> bool:
    """Whether every item is a USCC in canonical form that `validate_uscc` accepts unchanged."""
    if not codes:
        return True
    if not all(map(str.__instancecheck__, codes)) or set(map(len, codes)) != {18}:
        return False
    joined = "".join(codes)
    if not joined.isascii():
        return False
    import numpy as np

    raw = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(len(codes), 18)
    totals = _code_table()[np.arange(18), raw].sum(axis=1)
    return bool(((totals % USCC_CHECK_MODULUS == 0) & (totals < 18 * USCC_CHECK_MODULUS)).all())


def _strings(cells: list[Any], required: bool) -> list[str | None] | None:
    """The cells stripped (None for a blank optional one), or None when some cell is not a string or is blank
    where a value is required."""
    if not all(map(str.__instancecheck__, cells)):
        return None
    stripped: list[Any] = list(map(str.strip, cells))
    if all(stripped):
        return stripped
    if required:
        return None
    return [value or None for value in stripped]


def _text(spec: FieldSpec, cells: list[Any], required: bool) -> list[Any] | None:
    if spec.kind:
        return None
    values = _strings(cells, required)
    if values is None:
        return None
    present: list[str] = [v for v in values if v is not None]
    if not present:
        return values
    if max(map(len, present)) > (spec.max_length or DEFAULT_TEXT_LENGTH) or not all(map(str.isprintable, present)):
        return None
    if spec.choices:
        if not set(spec.choices).issuperset(present):
            return None
    elif spec.pattern and not all(map(_pattern(spec.pattern).match, present)):
        return None
    return values


@lru_cache(maxsize=64)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(f"(?:{pattern})\\Z")  # as `checks._text_check` compiles it


def _decimal(spec: FieldSpec, cells: list[Any], required: bool) -> list[Any] | None:
    values = _strings(cells, required)
    if values is None:
        return None
    present = [v for v in values if v is not None]
    if any(map(operator.contains, present, repeat(","))):
        return None  # the row validator drops thousands separators: it types those
    try:
        numbers = list(map(Decimal, present))
        if not all(map(Decimal.is_finite, numbers)):
            return None
        if numbers and max(map(Decimal.copy_abs, numbers)) >= Decimal(10) ** (spec.max_digits - spec.decimal_places):
            return None
        rounded = list(map(Decimal.quantize, numbers, repeat(Decimal(1).scaleb(-spec.decimal_places))))
    except InvalidOperation:
        return None
    if not all(map(operator.eq, rounded, numbers)):
        return None
    if spec.kind in ("amount", "area") and rounded and min(rounded) < 0:
        return None
    found = iter(rounded)
    return [None if v is None else next(found) for v in values]


def _date(spec: FieldSpec, cells: list[Any], required: bool) -> list[Any] | None:
    values = _strings(cells, required)
    if values is None:
        return None
    present = [v for v in values if v is not None]
    if not all(map(_DATE.match, present)):
        return None
    try:
        dates = list(map(dt.date.fromisoformat, present))
    except ValueError:
        return None
    found = iter(dates)
    return [None if v is None else next(found) for v in values]


_CHECKS = {"text": _text, "decimal": _decimal, "date": _date}


def _cells(rows: Sequence[Mapping[str, Any]]) -> Callable[[str], list[Any] | None]:
    """A column's cells, or None when some row lacks the column."""
    if isinstance(rows, CsvRows):  # the reader's lists, transposed (a row shorter than the header: no column)
        width = len(rows.columns)
        by_column = list(zip(*rows.cells, strict=True)) if set(map(len, rows.cells)) == {width} else None
        index = {name: i for i, name in enumerate(rows.columns)}

        def from_csv(name: str) -> list[Any] | None:
            if by_column is None or name not in index:
                return None
            return list(by_column[index[name]])
        return from_csv

    def cells(name: str) -> list[Any] | None:
        try:
            return list(map(operator.itemgetter(name), rows))
        except KeyError:
            return None
    return cells


def clean_columns(run: ValidationRun, table: Table | Sequence[Mapping[str, Any]]) -> Columns | None:
    """The chunk's rows typed, when every one surely passes the row validator; else None (nothing recorded)."""
    from qinqing.datahub.rows.validation import USCC_COLUMN

    v = run.v
    if v.key_field != USCC_COLUMN or v.category_field or run.failed:
        return None
    if isinstance(table, Table):
        rows, lines = table.rows, table.lines
    else:
        rows, lines = list(table), list(range(1, len(table) + 1))
    if not isinstance(rows, CsvRows) and not all(map(dict.__instancecheck__, rows)):
        return None
    absent: set[str] = set()
    if isinstance(table, Table) and table.header_line is not None:
        if not run.header_done:
            columns = set(table.columns)
            required = {USCC_COLUMN, *(s.name for s in v.specs if s.required or s.name == v.key_field)}
            if not v.allowed.issuperset(columns) or not required.issubset(columns):
                return None  # the row validator reports the header
        absent = run.absent
    elif not all(map(v.allowed.issuperset, rows)):
        return None
    cells = _cells(rows)
    usccs = cells(USCC_COLUMN)
    if usccs is None:
        return None
    if not canonical_codes(usccs) or len(set(usccs)) != len(usccs):
        return None
    if run.seen is not None and not run.seen.keys().isdisjoint(usccs):
        return None
    values: dict[str, list[Any]] = {}
    for spec in v.specs:
        if spec.name == USCC_COLUMN:
            continue
        check = _CHECKS.get(spec.type)
        if check is None:
            return None
        needed = (spec.required or spec.name == v.key_field) and spec.name not in absent
        raw = cells(spec.name)
        column = None if raw is None else check(spec, raw, needed)
        if column is None:
            return None
        values[spec.name] = column
    if USCC_COLUMN in v.names:
        values[USCC_COLUMN] = usccs
    if isinstance(table, Table) and table.header_line is not None:
        run.header_done = True
    if run.seen is not None:
        run.seen.update(zip(usccs, lines, strict=True))
    return Columns(lines=list(lines), usccs=usccs, values=values)
