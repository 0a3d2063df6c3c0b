"""The kept fact snapshot: one row per enterprise account, one typed column per declared fact.

Whole-registry matching, the simulation and the condition builder's live count read this table
instead of rebuilding a snapshot of the datahub's records for every call; re-matching one enterprise
reads its row (primary key). It holds, for every enterprise with an account on the platform:

- `uscc` (primary key), `_id`, `_name`, `_region_path`, `_region_name` (the account and its region),
  `_in_registry` (1 if the market registry holds it: the other rows are decided by the per-record
  evaluator, which reads the platform account's own facts);
- one column per fact the datahub declares (`datahub.snapshot.fact_columns`: the registry's fields
  and every other fact source's newest record), numbers as double precision / bigint, text as text,
  dates as ISO text; `registry.years_established` is computed when read (it depends on the day);
- `_txid`, `_seq`: the outbox position of the last event the row reflects.

On PostgreSQL it has a second index, on `_region_path` (`text_pattern_ops`): the simulation counts a region's
rows on it (`policies.simulation`).

`rebuild()` builds it set-based (`INSERT … SELECT` in the database, no Python rows) and records the
outbox head; the consumer `policies.facts` (and the matching consumer, before it re-matches) refreshes
the rows of enterprises whose facts changed, each at most once per event (an event at or below a row's
position changes nothing). A change of the declared facts (a source gains a field) makes the next
reader rebuild it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from qinqing.accounts.models import Enterprise
from qinqing.core.events import DomainEvent, EnterpriseFactsChanged, EnterpriseRegistered, Stored
from qinqing.core.models import OutboxEvent
from qinqing.datahub.models import DataRecord, RegistryRecord, Source
from qinqing.datahub.queries import REGISTRY
from qinqing.datahub.snapshot import YEARS, fact_columns
from qinqing.policies.models import FactSnapshotState
from qinqing.regions.models import Region

TABLE = "policies_fact_snapshot"
CONSUMER = "policies.facts"
HANDLES: frozenset[type[DomainEvent]] = frozenset({EnterpriseFactsChanged, EnterpriseRegistered})
META = ("uscc", "_id", "_name", "_region_path", "_region_name", "_in_registry")
ESTABLISHED = "registry.established_on"
CHUNK = 50_000


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def declared() -> list[tuple[str, str]]:
    """The fact columns the table should have: (fact, "num" | "int" | "str"), in a stable order."""
    out = []
    for fact, column in fact_columns().items():
        out.append((fact, "num" if column.dtype == pl.Float64 else "int" if column.dtype == pl.Int64 else "str"))
    return out


def _sql_type(kind: str) -> str:
    pg = connection.vendor == "postgresql"
    return {"num": "DOUBLE PRECISION" if pg else "REAL", "int": "BIGINT" if pg else "INTEGER", "str": "TEXT"}[kind]


def _create(table: str, columns: Sequence[tuple[str, str]], *, key: bool) -> str:
    parts = [f"uscc VARCHAR(18) NOT NULL{' PRIMARY KEY' if key else ''}", '"_id" BIGINT', '"_name" TEXT',
             '"_region_path" TEXT', '"_region_name" TEXT', '"_in_registry" SMALLINT NOT NULL DEFAULT 0',
             *(f"{_q(fact)} {_sql_type(kind)}" for fact, kind in columns),
             '"_txid" BIGINT NOT NULL DEFAULT 0', '"_seq" BIGINT NOT NULL DEFAULT 0']
    return f"CREATE TABLE {_q(table)} ({', '.join(parts)})"


def _select(columns: Sequence[tuple[str, str]], *, usccs: Sequence[str] | None) -> tuple[str, list[Any]]:
    """The table's rows computed from the source tables (every account, or those of `usccs`) and the params.

    The position columns are left to the caller (two trailing `%s`).
    """
    pg = connection.vendor == "postgresql"
    specs = fact_columns()
    registry_fields = {f.name for f in RegistryRecord._meta.get_fields()}
    real, integer = ("DOUBLE PRECISION", "BIGINT") if pg else ("REAL", "INTEGER")
    selects = ["e.uscc", "e.id", "e.name", "g.path", "g.name", "CASE WHEN r.id IS NULL THEN 0 ELSE 1 END"]
    aliases: dict[int, str] = {}
    # Only field names (checked against [a-z][a-z0-9_]* by the datahub) and integers are inlined.
    for fact, kind in columns:
        column = specs[fact]
        if column.source.code == REGISTRY or column.source.adapter == Source.Adapter.REGISTRY:
            expr = f"r.{_q(column.field)}" if column.field in registry_fields else "NULL"
            if column.field == "established_on":
                expr = "to_char(r.established_on, 'YYYY-MM-DD')" if pg else "CAST(r.established_on AS TEXT)"
        else:
            alias = aliases.setdefault(column.source.pk, f"s{len(aliases)}")
            expr = f"{alias}.data->>'{column.field}'" if pg else f"json_extract({alias}.data, '$.{column.field}')"
        if kind != "str":
            expr = f"CAST(NULLIF(CAST({expr} AS TEXT), '') AS {real if kind == 'num' else integer})"
        selects.append(expr)
    params: list[Any] = []
    records = _q(DataRecord._meta.db_table)
    joins = []
    for source_id, alias in aliases.items():
        if pg:
            only = ""
            if usccs is not None:
                # An IN list, not = ANY(text[]): against the varchar column an array made PostgreSQL walk a whole index.
                only = f" AND uscc IN ({', '.join(['%s'] * len(usccs))})"
                params += list(usccs)
            # For given enterprises, `source_id + 0` keeps the planner on the uscc index (a bitmap AND with the
            # source_id index would read every record of the source).
            source = f"source_id + 0 = {int(source_id)}" if usccs is not None else f"source_id = {int(source_id)}"
            latest = (f"SELECT DISTINCT ON (uscc) uscc, data FROM {records} WHERE {source}{only} "  # noqa: S608
                      "ORDER BY uscc, as_of DESC, id DESC")
            joins.append(f"LEFT JOIN ({latest}) {alias} ON {alias}.uscc = r.uscc")
        else:
            # The newest record by the uscc index (the unary plus keeps SQLite off the source_id index).
            latest = (f"SELECT d.id FROM {records} d WHERE d.uscc = r.uscc AND +d.source_id = {int(source_id)} "  # noqa: S608
                      "ORDER BY d.as_of DESC, d.id DESC LIMIT 1")
            joins.append(f"LEFT JOIN {records} {alias} ON {alias}.id = ({latest})")
    where = ""
    if usccs is not None:
        where = f" WHERE e.uscc IN ({', '.join(['%s'] * len(usccs))})"
        params += list(usccs)
    sql = (f"SELECT {', '.join(selects)}, %s, %s FROM {_q(Enterprise._meta.db_table)} e "  # noqa: S608
           f"LEFT JOIN {_q(Region._meta.db_table)} g ON g.id = e.region_id "
           f"LEFT JOIN {_q(RegistryRecord._meta.db_table)} r ON r.uscc = e.uscc {' '.join(joins)}{where}")
    return sql, params


def _names(columns: Sequence[tuple[str, str]]) -> list[str]:
    return [*META, *(fact for fact, _kind in columns), "_txid", "_seq"]


def head() -> tuple[int, int]:
    """The outbox position of the newest event."""
    found = OutboxEvent.objects.order_by("-txid", "-seq").values_list("txid", "seq").first()
    return (int(found[0]), int(found[1])) if found else (0, 0)


def rebuild() -> int:
    """Build the table again from the source tables, set-based, in one transaction; how many rows it holds.

    Rows reflect every event up to the outbox head at the start (their position), so the consumers
    skip the backlog this build already contains.
    """
    columns = declared()
    txid, seq = head()
    fresh = TABLE + "_new"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The newest record of every enterprise per source is a sort of millions of rows: in memory, not on disk.
            cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(f"DROP TABLE IF EXISTS {_q(fresh)}")
        cursor.execute(_create(fresh, columns, key=connection.vendor != "postgresql"))
        sql, params = _select(columns, usccs=None)
        cursor.execute(f"INSERT INTO {_q(fresh)} ({', '.join(_q(n) for n in _names(columns))}) {sql}",
                       [txid, seq, *params])
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {_q(fresh)} ADD PRIMARY KEY (uscc)")
            # A region's row count (the simulation's "evaluated") from the index alone, not a scan of every fact.
            cursor.execute(f'CREATE INDEX {_q(fresh + "_region")} ON {_q(fresh)} ("_region_path" text_pattern_ops) '
                           'WHERE "_id" IS NOT NULL')
        cursor.execute(f"DROP TABLE IF EXISTS {_q(TABLE)}")
        cursor.execute(f"ALTER TABLE {_q(fresh)} RENAME TO {_q(TABLE)}")
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER INDEX IF EXISTS {_q(fresh + '_pkey')} RENAME TO {_q(TABLE + '_pkey')}")
            cursor.execute(f"ALTER INDEX IF EXISTS {_q(fresh + '_region')} RENAME TO {_q(TABLE + '_region')}")
            cursor.execute(f"ANALYZE {_q(TABLE)}")
        cursor.execute(f"SELECT COUNT(*) FROM {_q(TABLE)}")  # noqa: S608
        rows = int(cursor.fetchone()[0])
        FactSnapshotState.objects.update_or_create(
            key="facts", defaults={"columns": [list(c) for c in columns], "rows": rows, "txid": txid, "seq": seq})
    return rows


def state() -> FactSnapshotState | None:
    return FactSnapshotState.objects.filter(key="facts").first()


def ensure() -> list[tuple[str, str]]:
    """The table's columns; build it first if it was never built or the declared facts changed."""
    found = state()
    columns = declared()
    if found is None or [tuple(c) for c in found.columns] != columns:
        rebuild()
    return columns


def refresh(usccs: Iterable[str], position: tuple[int, int]) -> int:
    """Read again the rows of these enterprises (those whose row is older than `position`); how many were written.

    Idempotent: a row at or past the position is left alone, so a repeated or older event changes nothing.
    Nothing happens before the table was first built (the build reads everything then).
    """
    found = state()
    wanted = sorted(set(usccs))
    if found is None or not wanted:
        return 0
    columns = [(str(f), str(k)) for f, k in found.columns]
    txid, seq = position
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(wanted))
        cursor.execute(f'SELECT uscc, "_txid", "_seq" FROM {_q(TABLE)} WHERE uscc IN ({marks})', wanted)  # noqa: S608
        done = {uscc for uscc, t, s in cursor.fetchall() if (int(t), int(s)) >= (txid, seq)}
        stale = [u for u in wanted if u not in done]
        if not stale:
            return 0
        sql, params = _select(columns, usccs=stale)
        names = _names(columns)
        updates = ", ".join(f"{_q(n)} = excluded.{_q(n)}" for n in names if n != "uscc")
        guard = (f'{_q(TABLE)}."_txid" < excluded."_txid" OR '
                 f'({_q(TABLE)}."_txid" = excluded."_txid" AND {_q(TABLE)}."_seq" < excluded."_seq")')
        cursor.execute(f"INSERT INTO {_q(TABLE)} ({', '.join(_q(n) for n in names)}) {sql} "
                       f"ON CONFLICT (uscc) DO UPDATE SET {updates} WHERE {guard}", [txid, seq, *params])
    return len(stale)


def refresh_for(batch: Sequence[Stored]) -> int:
    """Refresh the rows of the enterprises a batch of events is about, at the batch's last position."""
    usccs = [s.event.enterprise for s in batch if isinstance(s.event, tuple(HANDLES)) and s.event.enterprise]
    if not usccs:
        return 0
    last = max((s.txid, s.seq) for s in batch)
    return refresh(usccs, last)


def apply_events(batch: Sequence[Stored]) -> None:
    """The consumer's entry point (registered in qinqing/flows.py)."""
    refresh_for(batch)


# ---- reading -----------------------------------------------------------------------------------------

def _years(day: dt.date) -> str:
    """Whole years from "registry.established_on" (ISO text) to `day`, as `facts_for` counts them."""
    pg = connection.vendor == "postgresql"
    integer = "BIGINT" if pg else "INTEGER"
    text = _q(ESTABLISHED)
    return (f"({day.year} - CAST(substr({text}, 1, 4) AS {integer}) - CASE WHEN substr({text}, 6, 5) > "
            f"'{day:%m-%d}' THEN 1 ELSE 0 END)")


def frame_schema(names: Sequence[str], columns: Sequence[tuple[str, str]]) -> dict[str, Any]:
    kinds = dict(columns)
    out: dict[str, Any] = {}
    for name in names:
        kind = kinds.get(name)
        if name in {"_id", "_in_registry", YEARS} or kind == "int":
            out[name] = pl.Int64
        elif kind == "num":
            out[name] = pl.Float64
        else:
            out[name] = pl.String
    return out


def read_sql(facts: Iterable[str], *, region_path: str = "", partitions: int = 1, part: int = 0,
             today: dt.date | None = None, usccs: Sequence[str] | None = None,
             columns: Sequence[tuple[str, str]] | None = None,
             meta: Sequence[str] = META) -> tuple[str, list[Any], list[str]]:
    """SELECT of the snapshot's rows (a region's subtree, one partition, or given enterprises) and their names."""
    columns = columns if columns is not None else declared()
    have = {fact for fact, _kind in columns}
    wanted = [f for f in dict.fromkeys(facts) if f in have or (f == YEARS and ESTABLISHED in have)]
    day = today or timezone.localdate()
    selects = [_q(n) for n in meta] + [(_years(day) if f == YEARS else _q(f)) for f in wanted]
    conditions, params = ['"_id" IS NOT NULL'], []
    if region_path:
        conditions.append(f'substr("_region_path", 1, {len(region_path)}) = %s')
        params.append(region_path)
    if partitions > 1:
        conditions.append(f'"_id" %% {int(partitions)} = {int(part)}')  # always run with params: %% is %
    if usccs is not None:
        conditions.append(f"uscc IN ({', '.join(['%s'] * len(usccs))})")
        params += list(usccs)
    sql = f"SELECT {', '.join(selects)} FROM {_q(TABLE)} WHERE {' AND '.join(conditions)}"  # noqa: S608
    return sql, params, [*meta, *wanted]


def read(facts: Iterable[str], *, region_path: str = "", partitions: int = 1, part: int = 0,
         today: dt.date | None = None, meta: Sequence[str] = META) -> pl.DataFrame:
    """The snapshot's rows of a region's subtree (one partition) with these facts, as a DataFrame.

    `meta`: the account columns wanted besides the facts (all of `META` by default).

    PostgreSQL streams it out with COPY … TO STDOUT (CSV, parsed by Polars); SQLite in chunks.
    """
    columns = ensure()
    sql, params, names = read_sql(facts, region_path=region_path, partitions=partitions, part=part, today=today,
                                  columns=columns, meta=meta)
    schema = frame_schema(names, columns)
    if connection.vendor == "postgresql":
        buffer = io.BytesIO()
        with transaction.atomic(), connection.cursor() as cursor:
            query = cursor.cursor.mogrify(sql, params)
            with cursor.cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy:
                for chunk in copy:
                    buffer.write(chunk)
        if not buffer.getbuffer().nbytes:
            return pl.DataFrame(schema=schema)
        buffer.seek(0)
        return pl.read_csv(buffer, has_header=False, new_columns=names, schema=schema)
    parts = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            parts.append(pl.DataFrame(rows, schema=schema, orient="row"))
    return pl.concat(parts) if parts else pl.DataFrame(schema=schema)


def row_of(uscc: str, facts: Iterable[str] | None = None, today: dt.date | None = None) -> dict[str, Any] | None:
    """One enterprise's row (primary-key lookup), every fact when `facts` is None; None if it has none."""
    columns = ensure()
    names = [f for f, _k in columns] + [YEARS] if facts is None else list(facts)
    sql, params, out = read_sql(names, usccs=[uscc], today=today, columns=columns)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    if found is None:
        return None
    kinds = dict(columns)
    row = dict(zip(out, found, strict=True))
    for name, value in row.items():  # SQLite gives REAL columns holding whole numbers back as int
        if value is not None and kinds.get(name) == "num":
            row[name] = float(value)
    return row
