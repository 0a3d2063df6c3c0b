"""The columnar snapshot of enterprise facts: one row per registered enterprise, one column per fact.

Whole-registry matching (`rules.batch`) reads this instead of calling `queries.facts_for` 1.5 M
times. The columns are the facts `facts_for` gives — "<prefix>.<field>" from the market registry
and the most recent record of every other source that provides facts, plus
`registry.years_established` — numbers as Float64/Int64, text and dates as text (ISO dates).

The snapshot is read in partitions (`registry id mod P`), so that P Huey jobs on as many workers
can each build and match one partition; on PostgreSQL a partition streams out with COPY TO.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from qinqing.accounts.models import Enterprise
from qinqing.datahub.models import DataRecord, RegistryRecord, Source
from qinqing.datahub.queries import REGISTRY
from qinqing.datahub.rows import SourceDefinitionError, field_specs
from qinqing.regions.models import Region
from qinqing.rules.batch import NUM, STR

YEARS = "registry.years_established"
CHUNK = 50_000


@dataclass(frozen=True)
class Column:
    fact: str  # "<prefix>.<field>"
    kind: str  # NUM or STR
    dtype: type[pl.DataType]
    source: Source
    field: str


def fact_columns() -> dict[str, Column]:
    """Every fact the snapshot holds, in a stable order."""
    out: dict[str, Column] = {}
    for source in Source.objects.filter(provides_facts=True).order_by("order", "code"):
        try:
            specs = field_specs(source)
        except SourceDefinitionError:
            continue
        for spec in specs:
            dtype = {"decimal": pl.Float64, "integer": pl.Int64}.get(spec.type, pl.String)
            fact = f"{source.fact_prefix}.{spec.name}"
            out[fact] = Column(fact, NUM if dtype != pl.String else STR, dtype, source, spec.name)
    return out


def schema() -> dict[str, str]:
    """Fact → "num" / "str", as `rules.batch` compiles against (years_established included)."""
    return {**{name: column.kind for name, column in fact_columns().items()}, YEARS: NUM}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


ENTERPRISE_COLUMNS = ("_id", "_name", "_region_path", "_region_name", "_in_registry")
_SAFE_PATH = re.compile(r"^[0-9A-Za-z/]*$")


def snapshot_sql(facts: Iterable[str] | None = None, *, partitions: int = 1, part: int = 0,
                 today: dt.date | None = None, region_path: str | None = None) -> tuple[str, list[str]]:
    """SELECT of one partition of the snapshot (uscc first) and its column names, for this database.

    With `region_path` the rows are the platform's enterprises (accounts) registered in that region's
    subtree instead of the registry's, partitioned by enterprise id, with the columns
    `ENTERPRISE_COLUMNS` (id, name, region path and name, 1 if the registry holds it) after uscc;
    the facts of an enterprise the registry does not hold are left null.
    """
    pg = connection.vendor == "postgresql"
    by_enterprise = region_path is not None
    if by_enterprise and not _SAFE_PATH.match(region_path or ""):
        raise ValueError(f"region path {region_path!r}")
    columns = fact_columns()
    asked = [*columns, YEARS] if facts is None else list(dict.fromkeys(facts))
    wanted = [f for f in asked if f in columns]
    day = today or timezone.localdate()
    real, integer = ("DOUBLE PRECISION", "BIGINT") if pg else ("REAL", "INTEGER")
    # Only integers, dates and field names (checked against [a-z][a-z0-9_]* by field_specs) are inlined.
    selects, joins = (["e.uscc", 'e.id AS "_id"', 'e.name AS "_name"', 'g.path AS "_region_path"',
                       'g.name AS "_region_name"', 'CASE WHEN r.id IS NULL THEN 0 ELSE 1 END AS "_in_registry"']
                      if by_enterprise else ["r.uscc"]), []
    aliases: dict[int, str] = {}
    for fact in wanted:
        column = columns[fact]
        cast = real if column.dtype == pl.Float64 else integer if column.dtype == pl.Int64 else None
        if column.source.code == REGISTRY or column.source.adapter == Source.Adapter.REGISTRY:
            expr = f"r.{_q(column.field)}" if column.field in _registry_fields() else "NULL"
            if column.field == "established_on":
                # ISO text, as facts reach the evaluator (and no driver turns it back into a date).
                expr = "to_char(r.established_on, 'YYYY-MM-DD')" if pg else "CAST(r.established_on AS TEXT)"
        else:
            alias = aliases.setdefault(column.source.pk, f"s{len(aliases)}")
            raw = f"{alias}.data->>'{column.field}'" if pg else f"json_extract({alias}.data, '$.{column.field}')"
            expr = raw
        if cast:
            expr = f"CAST(NULLIF(CAST({expr} AS TEXT), '') AS {cast})"
        selects.append(f"{expr} AS {_q(fact)}")
    if YEARS in asked:
        # Whole years to today, as queries.facts_for counts them (constants from a date: safe to inline).
        text = "to_char(r.established_on, 'YYYY-MM-DD')" if pg else "r.established_on"
        selects.append(f"({day.year} - CAST(substr({text}, 1, 4) AS {integer}) - CASE WHEN substr({text}, 6, 5) > "
                       f"'{day:%m-%d}' THEN 1 ELSE 0 END) AS {_q(YEARS)}")
        wanted.append(YEARS)
    table = _q(DataRecord._meta.db_table)
    for source_id, alias in aliases.items():
        if pg:
            latest = (f"SELECT DISTINCT ON (uscc) uscc, data FROM {table} WHERE source_id = {int(source_id)} "  # noqa: S608
                      f"ORDER BY uscc, as_of DESC, id DESC")
            joins.append(f"LEFT JOIN ({latest}) {alias} ON {alias}.uscc = r.uscc")
            # (by enterprise too: r.uscc is null where the registry does not hold it, so no record joins)
        else:
            # SQLite cannot index a derived table: look the newest record up by the uscc index (the unary
            # plus keeps the planner off the source_id index, which would scan a whole source per enterprise).
            latest = (f"SELECT d.id FROM {table} d WHERE d.uscc = r.uscc AND +d.source_id = {int(source_id)} "  # noqa: S608
                      f"ORDER BY d.as_of DESC, d.id DESC LIMIT 1")
            joins.append(f"LEFT JOIN {table} {alias} ON {alias}.id = ({latest})")
    registry = _q(RegistryRecord._meta.db_table)
    if by_enterprise:
        # Only a checked path ([0-9A-Za-z/]) and integers are inlined.
        path = region_path or ""
        source = (f"{_q(Enterprise._meta.db_table)} e LEFT JOIN {_q(Region._meta.db_table)} g ON g.id = e.region_id "
                  f"LEFT JOIN {registry} r ON r.uscc = e.uscc")
        conditions = [f"substr(g.path, 1, {len(path)}) = '{path}'"] if path else []
        if partitions > 1:
            conditions.append(f"e.id % {int(partitions)} = {int(part)}")
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        sql = f"SELECT {', '.join(selects)} FROM {source} {' '.join(joins)}{where} ORDER BY e.id"  # noqa: S608
        return sql, ["uscc", *ENTERPRISE_COLUMNS, *wanted]
    where = f" WHERE r.id % {int(partitions)} = {int(part)}" if partitions > 1 else ""
    sql = (f"SELECT {', '.join(selects)} FROM {registry} r {' '.join(joins)}"  # noqa: S608
           f"{where} ORDER BY r.uscc")
    return sql, ["uscc", *wanted]


def _registry_fields() -> set[str]:
    return {f.name for f in RegistryRecord._meta.get_fields()}


def _frame_schema(names: Sequence[str]) -> dict[str, type[pl.DataType]]:
    columns = fact_columns()
    ints = {YEARS, "_id", "_in_registry"}
    return {name: (columns[name].dtype if name in columns else pl.Int64 if name in ints else pl.String)
            for name in names}


def build_snapshot(facts: Iterable[str] | None = None, *, partitions: int = 1, part: int = 0,
                   today: dt.date | None = None, region_path: str | None = None) -> pl.DataFrame:
    """Read one partition of the snapshot into a DataFrame (COPY TO on PostgreSQL, chunked elsewhere)."""
    sql, names = snapshot_sql(facts, partitions=partitions, part=part, today=today, region_path=region_path)
    frame_schema = _frame_schema(names)
    if connection.vendor == "postgresql":
        buffer = io.BytesIO()
        with transaction.atomic(), connection.cursor() as cursor, \
                cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            for chunk in copy:
                buffer.write(chunk)
        buffer.seek(0)
        frame = pl.read_csv(buffer, has_header=False, new_columns=names, schema=frame_schema) if buffer.getbuffer(
        ).nbytes else pl.DataFrame(schema=frame_schema)
    else:
        parts = []
        with connection.cursor() as cursor:
            cursor.execute(sql)
            while rows := cursor.fetchmany(CHUNK):
                parts.append(pl.DataFrame(rows, schema=frame_schema, orient="row"))
        frame = pl.concat(parts) if parts else pl.DataFrame(schema=frame_schema)
    return frame


def materialise_snapshot(table: str = "datahub_fact_snapshot", facts: Iterable[str] | None = None) -> str:
    """(Re)create a table holding the snapshot, for matching in SQL; UNLOGGED on PostgreSQL (rebuilt at will)."""
    sql, _names = snapshot_sql(facts)
    unlogged = "UNLOGGED " if connection.vendor == "postgresql" else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_q(table)}")
        cursor.execute(f"CREATE {unlogged}TABLE {_q(table)} AS {sql}")
        cursor.execute(f"CREATE UNIQUE INDEX {_q(table + '_uscc')} ON {_q(table)} (uscc)")
    return table
