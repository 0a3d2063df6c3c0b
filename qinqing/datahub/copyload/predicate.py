"""The SQL predicate of a registry source's checks over a raw table of text cells (stricter than Python's)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from qinqing.core.ids import USCC_CHECK_MODULUS, uscc_position_tables
from qinqing.datahub.rows.checks import INTEGER_LIMIT
from qinqing.datahub.rows.fields import DEFAULT_TEXT_LENGTH, FieldSpec
from qinqing.datahub.rows.validation import KEY_MAX_LENGTH, USCC_COLUMN

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
    # One flag byte per code point, computed without a Python-level loop, then the runs of printable ones found by
    # a regular expression (0.08 s, paid once per process).
    flags = bytes(map(str.isprintable, map(chr, range(0x20, 0x110000))))
    return tuple((0x20 + run.start(), 0x20 + run.end() - 1) for run in re.finditer(b"\x01+", flags))


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


_DIGITS = "0123456789"


def _byte_table(values: dict[str, int]) -> str:
    """A constant int[] indexed by a byte (0–255): the term of each character, `refused` for any other byte."""
    refused = uscc_position_tables().refused
    return "'[0:255]={" + ",".join(str(values.get(chr(b), refused)) for b in range(256)) + "}'::int[]"


def uscc_check(cell: str) -> str:
    """True when the text `cell` is a canonical USCC `validate_uscc` accepts unchanged: 18 bytes, each allowed at
    its position, both check characters right (GB 11714 at the 17th, GB 32100-2015 at the 18th). `k.u` is the
    cell's bytes (the predicate's `lateral`). One look-up per byte and one sum (`core.ids.uscc_position_tables`):
    about 0.7 µs a row, where string functions and two weighted sums took 3 µs.
    """
    terms = uscc_position_tables().terms
    total = " + ".join(f"({_byte_table(table)})[get_byte(k.u, {i})]" for i, table in enumerate(terms))
    multiples = ", ".join(str(n * USCC_CHECK_MODULUS) for n in range(18))
    return f"(CASE WHEN octet_length({cell}) = 18 THEN ({total}) IN ({multiples}) ELSE false END)"


# Blocks most registry text is written in, as a small bracket expression tried before the whole printable
# class (PostgreSQL matches a small class faster); both only ever accept printable characters.
_COMMON_BLOCKS = ((0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x206F), (0x3000, 0x303F), (0x4E00, 0x9FFF),
                  (0xFF00, 0xFFEF))
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
    checks.insert(0, uscc_check(uscc))
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
