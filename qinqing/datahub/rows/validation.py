"""Validate every row of an import before anything is written; report each bad (line, field, reason)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from qinqing.accounts.errors import USCC_REASONS
from qinqing.core.ids import InvalidUSCC, validate_uscc
from qinqing.datahub.errors import ImportRejected, RowError
from qinqing.datahub.rows.checks import CHECKS, Check, Messages, Problems
from qinqing.datahub.rows.fields import field_specs
from qinqing.datahub.rows.parsing import Table

if TYPE_CHECKING:
    from qinqing.datahub.models import Source

USCC_COLUMN = "uscc"
KEY_MAX_LENGTH = 64
CATEGORY_MAX_LENGTH = 64
TITLE_MAX_LENGTH = 200
MAX_REPORTED_ERRORS = 1000


def duplicate_key(first: int) -> str:
    return _("Duplicate key: line %(line)d has the same value.") % {"line": first}


@dataclass(slots=True)
class CleanRow:
    """A validated row: typed values (str, int, Decimal, date or None) by field name."""

    line: int
    uscc: str
    key: str
    category: str
    title: str
    values: dict[str, Any]


class RowValidator:
    """Validate rows against one source's fields; compiled once, then cheap per row."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.specs = field_specs(source)
        self.messages = Messages()
        self.names = {spec.name for spec in self.specs}
        self.allowed = frozenset({USCC_COLUMN, *self.names})
        self.key_field = source.key_field
        self.category_field = source.category_field
        self.title_field = source.title_field
        self.key_too_long = _("At most %(n)d characters.") % {"n": KEY_MAX_LENGTH}
        self.category_too_long = _("At most %(n)d characters.") % {"n": CATEGORY_MAX_LENGTH}

    def _compile(self, problems: Problems, absent: set[str]) -> list[tuple[str, Check]]:
        # A required column missing from a CSV header is reported once, at the header, not per row.
        return [
            (s.name, CHECKS[s.type](s, self.messages, problems,
                                     (s.required or s.name == self.key_field) and s.name not in absent))
            for s in self.specs if s.name != USCC_COLUMN
        ]

    def validate(self, rows: Sequence[Mapping[str, Any]] | Table) -> list[CleanRow]:
        """Return every row cleaned, or raise ImportRejected listing each bad (line, field, reason)."""
        run = self.run(dedupe=True)
        clean = run.rows(rows)
        run.finish()
        return clean

    def run(self, *, dedupe: bool = True) -> ValidationRun:
        """Validation of a file a chunk at a time; without `dedupe` the caller finds repeated keys (in SQL)."""
        return ValidationRun(self, dedupe=dedupe)


class ValidationRun:
    """The state of one import's validation across chunks: errors so far, the header checked once."""

    def __init__(self, validator: RowValidator, *, dedupe: bool) -> None:
        self.v = validator
        self.errors: list[RowError] = []
        self.count = 0
        self.seen: dict[str, int] | None = {} if dedupe else None
        self.absent: set[str] = set()
        self.header_done = False

    @property
    def failed(self) -> bool:
        return self.count > 0

    def fail(self, line: int, name: str, reason: str) -> None:
        self.count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(line=line, field=name, reason=str(reason)))

    def add(self, errors: Sequence[RowError], total: int) -> None:
        """Errors found elsewhere (repeated keys found by the database)."""
        self.count += total
        self.errors.extend(errors[:max(0, MAX_REPORTED_ERRORS - len(self.errors))])
        self.errors.sort(key=lambda e: e["line"])

    def finish(self) -> None:
        if self.count:
            raise ImportRejected.listing(self.errors, total=self.count)

    def rows(self, rows: Sequence[Mapping[str, Any]] | Table) -> list[CleanRow]:
        """The good rows of one chunk, cleaned; bad ones are recorded (`failed`, `finish()` raises)."""
        self_v = self.v
        table = rows if isinstance(rows, Table) else Table(rows=list(rows), lines=list(range(1, len(rows) + 1)))
        m = self_v.messages
        fail = self.fail
        absent = self.absent
        check_columns = table.header_line is None
        if not check_columns and not self.header_done:
            self.header_done = True
            header = table.header_line or 1
            for name in table.columns:
                if name not in self_v.allowed:
                    fail(header, name, m.unknown)
            for name in [USCC_COLUMN] + [s.name for s in self_v.specs if s.required or s.name == self_v.key_field]:
                if name not in table.columns:
                    fail(header, name, m.missing_column)
                    absent.add(name)
        problems: Problems = []
        checks = self_v._compile(problems, absent)
        allowed, key_field = self_v.allowed, self_v.key_field
        category_field, title_field = self_v.category_field, self_v.title_field
        uscc_required = USCC_COLUMN not in absent
        has_uscc_field = USCC_COLUMN in self_v.names
        seen = self.seen
        clean: list[CleanRow] = []
        for row, line in zip(table.rows, table.lines, strict=True):
            if check_columns:
                if row.__class__ is not dict and not isinstance(row, Mapping):
                    fail(line, "", m.not_an_object)
                    continue
                if not allowed.issuperset(row):
                    problems.extend((str(k), m.unknown) for k in sorted(row, key=str) if k not in allowed)
            get = row.get
            raw = get(USCC_COLUMN)
            uscc = ""
            if raw.__class__ is str:
                try:
                    uscc = validate_uscc(raw)
                except InvalidUSCC as exc:
                    if raw.strip():
                        problems.append((USCC_COLUMN, str(USCC_REASONS[exc.reason])))
                    elif uscc_required:
                        problems.append((USCC_COLUMN, m.required))
                    else:
                        problems.append(("", ""))  # reported at the header already
            elif raw is None:
                problems.append((USCC_COLUMN, m.required) if uscc_required else ("", ""))
            else:
                problems.append((USCC_COLUMN, m.text))
            values = {name: check(get(name)) for name, check in checks}
            if problems:
                for name, reason in problems:
                    if reason:
                        fail(line, name, reason)
                problems.clear()
                continue
            if has_uscc_field:
                values[USCC_COLUMN] = uscc
            key = uscc if key_field == USCC_COLUMN else str(values[key_field])
            if len(key) > KEY_MAX_LENGTH:
                fail(line, key_field, self_v.key_too_long)
                continue
            if seen is not None:
                first = seen.get(key)
                if first is not None:
                    fail(line, key_field, duplicate_key(first))
                    continue
                seen[key] = line
            category = ""
            if category_field and values.get(category_field) is not None:
                category = str(values[category_field])
                if len(category) > CATEGORY_MAX_LENGTH:
                    fail(line, category_field, self_v.category_too_long)
                    continue
            title = str(values.get(title_field) or key) if title_field else key
            clean.append(CleanRow(line, uscc, key, category, title[:TITLE_MAX_LENGTH], values))
        return clean
