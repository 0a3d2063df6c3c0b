"""Imports at province scale: validated rows through a staging table, then set-based writes, changes found in SQL.

The market registry of a province holds about 9 M enterprises. An import of it streams the file a chunk
at a time (`rows.parsing.stream_csv`): each chunk is checked a column at a time when all its rows are canonical
(`rows.columnar`), else by the row validator (the same compiled checks as any import), and its good rows
appended to a temporary staging table (COPY on PostgreSQL, `executemany` on SQLite). While any row is bad,
nothing more is staged, but every remaining row is still checked, so the refusal lists every (line, field,
reason) as before. At the end, inside the one transaction:

1. repeated keys are found by the database (`GROUP BY`), not in a Python dict of 9 M keys;
2. the changes are found by one join of the staging table with the registry (new rows, and per column whether
   it differs: `IS DISTINCT FROM`, so 1000000 equals 1000000.00) and written as `EnterpriseFactsChanged` to the
   outbox by one `INSERT … SELECT` (in batches of event objects while an in-process subscriber listens); a new
   enterprise's event names no fields (decision 0023);
3. `UPDATE … FROM` the rows that differ, `INSERT … WHERE NOT EXISTS` the new ones (decision 0022).

Memory is bounded by a chunk, whatever the file's size; nothing is written unless every row is good (a
rejected import rolls the staging table back with the rest).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.db import connection

from qinqing.core import events
from qinqing.core.events import EnterpriseFactsChanged, flows
from qinqing.core.models import OutboxEvent
from qinqing.datahub.adapters import Change, ImportResult, RegistryAdapter
from qinqing.datahub.errors import RowError
from qinqing.datahub.models import RegistryRecord, Source
from qinqing.datahub.rows import CleanRow, RowValidator, Table
from qinqing.datahub.rows.columnar import Columns, clean_columns
from qinqing.datahub.rows.parsing import Progress
from qinqing.datahub.rows.validation import MAX_REPORTED_ERRORS, duplicate_key

EVENT_BATCH = 10_000
STAGE = "qq_stage_registry"
# Changes kept on the result (for callers and tests); beyond this only their count is.
RESULT_CHANGES = 10_000
# PostgreSQL: memory for the sorts and hashes of one import's statements (`SET LOCAL`, this transaction only):
# the repeated-key `GROUP BY` and the joins of millions of staged rows then stay in memory instead of spilling.
IMPORT_WORK_MEM = "256MB"

# Told the name of each step that follows the file's reading (checks, events, registry), so that a long import
# does not sit silent at "100 %" while the database works.
Steps = Callable[[str], None]


def step(steps: Steps | None, name: str) -> None:
    if steps is not None:
        steps(name)


def _as_sqlite_text(column: list[Any]) -> list[Any]:
    """A column of dates or decimals as Django's SQLite adapters write them (ISO date, `str`), by one `map`
    instead of an adapter call per value; any other column (or one with blanks) as it is."""
    kinds = set(map(type, column))
    if kinds == {dt.date}:
        return list(map(dt.date.isoformat, column))
    if kinds == {Decimal}:
        return list(map(str, column))
    return column


class RegistryStaging:
    """The staging table of one registry import, inside the caller's transaction."""

    COLUMNS = RegistryAdapter.COLUMNS

    def __init__(self, source: Source, *, relation: str = "", analyzed: tuple[str, str] = (STAGE, "uscc")) -> None:
        """`relation`: where the typed rows are read (`uscc` and `COLUMNS`), the staging table by default; the SQL
        path of `copyload` passes a subquery typing its checked text rows instead (no second copy of the rows).
        `analyzed`: the table and code column whose statistics the joins' plans need."""
        self.source = source
        self.pg = connection.vendor == "postgresql"
        self.table = RegistryRecord._meta.db_table
        self.rows = 0
        self.temp_name = ("pg_temp." if self.pg else "temp.") + STAGE
        self.relation = relation or STAGE
        self.analyzed = analyzed

    def q(self, name: str) -> str:
        return connection.ops.quote_name(name)

    def create(self) -> None:
        cols = ", ".join(self.q(c) for c in ("uscc", *self.COLUMNS))
        with connection.cursor() as cursor:
            if self.pg:
                cursor.execute(f"SET LOCAL work_mem = '{IMPORT_WORK_MEM}'")
            cursor.execute(f"DROP TABLE IF EXISTS {self.temp_name}")
            # The registry's own column types (no constraints, no indexes), plus the file line of each row.
            tail = "WITH NO DATA" if self.pg else "WHERE 0"
            temp = "TEMPORARY TABLE" + (" " + STAGE + " ON COMMIT DROP" if self.pg else " " + STAGE)
            cursor.execute(f"CREATE {temp} AS SELECT 0 AS line, {cols} FROM {self.q(self.table)} {tail}")  # noqa: S608

    def append(self, rows: list[CleanRow]) -> None:
        columns = self.COLUMNS
        self._write([(r.line, r.uscc, *(r.values.get(c) for c in columns)) for r in rows])

    def append_columns(self, chunk: Columns) -> None:
        """A chunk the column-wise check accepted (`rows.columnar`): its rows as tuples, built by `zip`."""
        nothing = [None] * len(chunk.usccs)
        columns = [chunk.values.get(c, nothing) for c in self.COLUMNS]
        if not self.pg:
            columns = [_as_sqlite_text(column) for column in columns]
        self._write(list(zip(chunk.lines, chunk.usccs, *columns, strict=True)))

    def _write(self, data: list[tuple[Any, ...]]) -> None:
        if not data:
            return
        columns = self.COLUMNS
        names = ", ".join(self.q(c) for c in ("line", "uscc", *columns))
        with connection.cursor() as cursor:
            if self.pg:
                with cursor.cursor.copy(f"COPY {STAGE} ({names}) FROM STDIN") as copy:
                    write = copy.write_row
                    for row in data:
                        write(row)
            else:
                marks = ", ".join(["%s"] * (len(columns) + 2))
                cursor.executemany(f"INSERT INTO {STAGE} ({names}) VALUES ({marks})", data)  # noqa: S608
        self.rows += len(data)

    def analyze(self, cursor: Any) -> None:
        """PostgreSQL: statistics of the staged rows (temporary tables get none by themselves), so that the
        joins with the registry are planned for their real size (a hash join for millions, an index for few).

        Only the code's, from a sample of 3,000 rows (statistics target 10): the row count and that the codes are
        distinct are what the joins' plans need (100,000 rows: 0.02 s, against 0.3 s for every column's)."""
        if self.pg:
            table, column = self.analyzed
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STATISTICS 10")
            cursor.execute(f"ANALYZE {table} ({column})")

    def duplicates(self) -> tuple[list[RowError], int]:
        """Rows whose key an earlier line already has, each naming that first line (as the validator does)."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {STAGE} GROUP BY uscc HAVING count(*) > 1 LIMIT 1")  # noqa: S608
            if cursor.fetchone() is None:
                return [], 0
            repeated = (f"SELECT line, min(line) OVER (PARTITION BY uscc) AS first FROM {STAGE} "  # noqa: S608
                        f"WHERE uscc IN (SELECT uscc FROM {STAGE} GROUP BY uscc HAVING count(*) > 1)")
            cursor.execute(f"SELECT count(*) FROM ({repeated}) d WHERE line > first")  # noqa: S608
            total = int(cursor.fetchone()[0])
            cursor.execute(f"SELECT line, first FROM ({repeated}) d WHERE line > first "  # noqa: S608
                           f"ORDER BY line LIMIT {MAX_REPORTED_ERRORS}")
            return [RowError(line=line, field="uscc", reason=duplicate_key(first))
                    for line, first in cursor.fetchall()], total

    def changes(self, on_batch: Callable[[list[tuple[str, Change]]], None]) -> int:
        """Hand every changed enterprise (new, or a column differing) to `on_batch`; return how many are new."""
        distinct = "IS DISTINCT FROM" if self.pg else "IS NOT"
        # A new enterprise's event names no fields (`EnterpriseFactsChanged`): its flags are not computed.
        flags = ", ".join(f"t.id IS NOT NULL AND s.{self.q(c)} {distinct} t.{self.q(c)}" for c in self.COLUMNS)
        differs = " OR ".join(f"s.{self.q(c)} {distinct} t.{self.q(c)}" for c in self.COLUMNS)
        sql = (f"SELECT s.uscc, t.id IS NULL, COALESCE(s.region_code, t.region_code, ''), {flags} "  # noqa: S608
               f"FROM {self.relation} s LEFT JOIN {self.q(self.table)} t ON t.uscc = s.uscc "
               f"WHERE t.id IS NULL OR {differs}")
        created = 0
        with connection.cursor() as plain:
            self.analyze(plain)
        cursor = connection.chunked_cursor()
        try:
            cursor.execute(sql)
            columns = self.COLUMNS
            while True:
                rows = cursor.fetchmany(EVENT_BATCH)
                if not rows:
                    break
                batch = []
                for row in rows:
                    new = bool(row[1])
                    created += new
                    fields = frozenset(c for c, flag in zip(columns, row[3:], strict=True) if flag)
                    batch.append((row[0], Change(fields, new, row[2] or "")))
                on_batch(batch)
        finally:
            cursor.close()
        return created

    def write_events(self, now: dt.datetime) -> dict[str, Change]:
        """One EnterpriseFactsChanged per new or changed enterprise, by one `INSERT … SELECT` into the outbox.

        The same rows `changes` finds, the payload built by the database (JSON functions), so a province's
        refresh builds no event objects in Python. A new enterprise's payload is one constant (`created`, no
        fields: `EnterpriseFactsChanged`), a changed one's names the fields that differ. The events of one import
        are in no particular order (each is about one enterprise, and one import changes an enterprise once):
        sorting millions of them cost more than writing them. Returns the first `RESULT_CHANGES` changes (read
        back from the outbox); `upsert` says how many enterprises are new. Call `events.written_in_sql` next.
        """
        q, code = self.q, self.source.code
        outbox = q(OutboxEvent._meta.db_table)
        registry = q(self.table)
        distinct = "IS DISTINCT FROM" if self.pg else "IS NOT"
        names = sorted(self.COLUMNS, key=lambda c: f"{code}.{c}")
        differs = " OR ".join(f"s.{q(c)} {distinct} t.{q(c)}" for c in self.COLUMNS)
        new = json.dumps(EnterpriseFactsChanged(sources=(code,), fields=(), created=True).payload())
        if self.pg:
            listed = ", ".join(f"CASE WHEN s.{q(c)} IS DISTINCT FROM t.{q(c)} THEN '{code}.{c}' END" for c in names)
            payload = (f"CASE WHEN t.id IS NULL THEN %s::jsonb ELSE jsonb_build_object('sources', "
                       f"jsonb_build_array(%s::text), 'fields', to_jsonb(array_remove(ARRAY[{listed}]::text[], NULL)), "
                       f"'created', false) END")
            txid = "pg_current_xact_id()::text::bigint"
        else:
            listed = " || ".join(f"CASE WHEN s.{q(c)} IS NOT t.{q(c)} THEN '\"{code}.{c}\",' ELSE '' END"
                                 for c in names)
            payload = (f"CASE WHEN t.id IS NULL THEN %s ELSE json_object('sources', json_array(%s), "
                       f"'fields', json('[' || rtrim({listed}, ',') || ']'), 'created', json('false')) END")
            txid = "0"
        stamp = now if self.pg else connection.ops.adapt_datetimefield_value(now)
        with connection.cursor() as cursor:
            self.analyze(cursor)
            cursor.execute(f"SELECT {txid}, COALESCE(max(seq), 0) FROM {outbox}")  # noqa: S608
            transaction_id, before = cursor.fetchone()
            cursor.execute(
                f"INSERT INTO {outbox} (txid, name, version, payload, enterprise, region, occurred_at) "  # noqa: S608
                f"SELECT %s, %s, %s, {payload}, s.uscc, COALESCE(s.region_code, t.region_code, ''), %s "
                f"FROM {self.relation} s LEFT JOIN {registry} t ON t.uscc = s.uscc WHERE t.id IS NULL OR {differs}",
                [transaction_id, EnterpriseFactsChanged.NAME, EnterpriseFactsChanged.VERSION, new, code, stamp])
            cursor.execute(f"SELECT enterprise, payload, region FROM {outbox} "  # noqa: S608
                           f"WHERE txid = %s AND seq > %s AND name = %s ORDER BY seq LIMIT {RESULT_CHANGES}",
                           [transaction_id, before, EnterpriseFactsChanged.NAME])
            prefix = len(code) + 1
            kept: dict[str, Change] = {}
            parsed: dict[str, Change] = {}  # by payload: every new enterprise's is the same text
            for uscc, raw, region in cursor.fetchall():
                text = raw if isinstance(raw, str) else json.dumps(raw)  # Django reads jsonb as text
                change = parsed.get(text)
                if change is None:
                    data = json.loads(text)
                    change = parsed[text] = Change(frozenset(f[prefix:] for f in data["fields"]), bool(data["created"]))
                kept[uscc] = replace(change, region=region)
        return kept

    def upsert(self, as_of: dt.datetime) -> int:
        """Write the staged rows: UPDATE the registry's rows that differ (a column, or the source), then INSERT
        the new ones; return how many are new. A row the file repeats unchanged is not rewritten: it keeps its `as_of`, the import that
        last changed it (decision 0022); `Source.last_imported_at` says when the registry was last confirmed.

        Two set-based statements instead of `INSERT … ON CONFLICT DO UPDATE`: that one locks and rewrites every
        existing row (a re-import of 1 M unchanged rows wrote 1 M row versions and their index entries, 64 s)
        and pays a speculative insertion per new row. Imports of a source are serialised by its row lock; a
        code another writer adds meanwhile makes the INSERT fail (unique constraint): nothing is written.
        """
        q = self.q
        columns = self.COLUMNS
        names = ", ".join(q(c) for c in ("uscc", *columns))
        distinct = "IS DISTINCT FROM" if self.pg else "IS NOT"
        differs = " OR ".join(f"s.{q(c)} {distinct} t.{q(c)}" for c in columns)
        sets = ", ".join(f"{q(c)} = s.{q(c)}" for c in columns)
        stamp = as_of if self.pg else connection.ops.adapt_datetimefield_value(as_of)
        registry = q(self.table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {registry} AS t SET {sets}, source_id = %s, as_of = %s FROM {self.relation} AS s "  # noqa: S608
                f"WHERE t.uscc = s.uscc AND ({differs} OR t.source_id <> %s)",
                [self.source.pk, stamp, self.source.pk])
            cursor.execute(
                f"INSERT INTO {registry} ({names}, source_id, as_of, synthetic) "  # noqa: S608
                f"SELECT {names}, %s, %s, %s FROM {self.relation} s "
                f"WHERE NOT EXISTS (SELECT 1 FROM {registry} t WHERE t.uscc = s.uscc)",
                [self.source.pk, stamp, False])
            created = int(cursor.rowcount)
            if not self.pg:
                cursor.execute(f"DROP TABLE IF EXISTS {self.temp_name}")
        return created


def staged_import(source: Source, chunks: Iterable[Table | Sequence[Mapping[str, Any]]], *, as_of: dt.datetime,
                  dedupe_in_memory: bool = False, progress: Progress | None = None,
                  steps: Steps | None = None) -> ImportResult:
    """Validate and stage every chunk, then (all good) write them with one upsert; inside the caller's transaction.

    Raises ImportRejected listing every bad row (and every repeated key) when any is bad; nothing is written.
    """
    run = RowValidator(source).run(dedupe=dedupe_in_memory)
    stage = RegistryStaging(source)
    stage.create()
    seen_rows = 0
    for chunk in chunks:
        seen_rows += len(chunk.rows) if isinstance(chunk, Table) else len(chunk)
        # Every row surely good (checked a column at a time)? Else the row validator, which words each refusal.
        fast = clean_columns(run, chunk)
        if fast is not None:
            stage.append_columns(fast)
            continue
        clean = run.rows(chunk)
        if not run.failed:
            stage.append(clean)
    if not dedupe_in_memory:
        step(steps, "checking repeated codes")
        repeated, total = stage.duplicates()
        if total:
            run.add(repeated, total)
    run.finish()

    if not flows().subscribers.get(EnterpriseFactsChanged):
        # The events by one INSERT … SELECT (no event objects in Python): nothing in-process listens to them.
        step(steps, "writing events")
        kept = stage.write_events(as_of)
        events.written_in_sql(EnterpriseFactsChanged)
        step(steps, "writing the registry")
        created = stage.upsert(as_of)
        return ImportResult(source.code, stage.rows, created, stage.rows - created, as_of=as_of, changes=kept)

    kept = {}

    def write_events(batch: list[tuple[str, Change]]) -> None:
        events.write_many([
            EnterpriseFactsChanged(
                sources=(source.code,), created=change.created, enterprise=uscc, region=change.region,
                fields=() if change.created else tuple(sorted(f"{source.code}.{name}" for name in change.fields)))
            for uscc, change in sorted(batch)
        ])
        for uscc, change in batch:
            if len(kept) < RESULT_CHANGES:
                kept[uscc] = change

    step(steps, "writing events")
    stage.changes(write_events)
    step(steps, "writing the registry")
    created = stage.upsert(as_of)
    return ImportResult(source.code, stage.rows, created, stage.rows - created, as_of=as_of, changes=kept)

