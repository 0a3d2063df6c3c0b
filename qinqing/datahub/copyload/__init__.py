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

When every row passes: the rows are typed where they are read (a subquery over the text table, no staged
copy), `EnterpriseFactsChanged` is written with one `INSERT … SELECT` into the outbox for the new and changed
enterprises, and `staging.RegistryStaging.upsert` writes the registry (`UPDATE` of the rows that differ,
`INSERT` of the new ones; decisions 0022, 0023). Memory is one block of the file.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from django.db import DatabaseError, connection, transaction

from qinqing.core import events
from qinqing.core.events import EnterpriseFactsChanged
from qinqing.datahub.adapters import ImportResult, RegistryAdapter
from qinqing.datahub.copyload.predicate import RowPredicate, Unsupported, compile_predicate, uscc_check
from qinqing.datahub.copyload.stream import BLOCK, RAW, read_header, stream_file
from qinqing.datahub.models import RegistryRecord, Source
from qinqing.datahub.rows import field_specs
from qinqing.datahub.rows.parsing import Progress
from qinqing.datahub.rows.validation import USCC_COLUMN
from qinqing.datahub.staging import IMPORT_WORK_MEM, RegistryStaging, Steps, step

__all__ = ["BLOCK", "RAW", "RegistryAdapter", "RowPredicate", "Unsupported", "compile_predicate", "copy_import",
           "read_header", "uscc_check"]
log = logging.getLogger(__name__)


def copy_import(source: Source, path: Path, *, as_of: dt.datetime,
                progress: Progress | None = None, steps: Steps | None = None) -> ImportResult | None:
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
            result = _load(source, path, offset, header, predicate, as_of, progress, steps)
    except (Unsupported, DatabaseError, psycopg.Error) as exc:
        log.info("registry import of %s in Python: %s", path.name, exc)
        step(steps, "some row needs the Python checks: reading the file again")
        return None
    log.info("registry import of %s in SQL: %d rows", path.name, result.rows)
    return result


def _load(source: Source, path: Path, offset: int, header: list[str], predicate: RowPredicate,
          as_of: dt.datetime, progress: Progress | None, steps: Steps | None) -> ImportResult:
    width = len(header)
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{IMPORT_WORK_MEM}'")
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{RAW}")
        columns = ", ".join(f"c{i} text" for i in range(width))
        cursor.execute(f"CREATE TEMPORARY TABLE {RAW} ({columns}) ON COMMIT DROP")
        stream_file(cursor, path, offset, width, progress)
        # One pass checks every row (no cast ever sees a cell the check refuses: nothing is typed before this);
        # then the rows are typed where they are read, by a subquery over the text table (no staged copy).
        step(steps, "checking rows")
        cursor.execute(f"SELECT count(*) FILTER (WHERE NOT ({predicate.ok})), count(*) "  # noqa: S608
                       f"FROM {RAW} {predicate.lateral} WHERE NOT ({predicate.blank})")
        refused, rows = cursor.fetchone()
        if refused:
            raise Unsupported("a row the SQL check does not accept")
        cursor.execute(f"SELECT 1 FROM {RAW} WHERE NOT ({predicate.blank}) "  # noqa: S608
                       f"GROUP BY {predicate.uscc} HAVING count(*) > 1 LIMIT 1")
        if cursor.fetchone() is not None:
            raise Unsupported("a repeated code")
        q = connection.ops.quote_name
        fields = RegistryRecord._meta
        values = ", ".join(f"{predicate.typed.get(c) or f'NULL::{fields.get_field(c).db_type(connection)}'} AS {q(c)}"
                           for c in RegistryAdapter.COLUMNS)
        typed = f"(SELECT {predicate.uscc} AS uscc, {values} FROM {RAW} WHERE NOT ({predicate.blank}))"  # noqa: S608
        stage = RegistryStaging(source, relation=typed, analyzed=(RAW, predicate.uscc))
        stage.rows = int(rows)
        step(steps, "writing events")
        kept = stage.write_events(as_of)
        events.written_in_sql(EnterpriseFactsChanged)
        step(steps, "writing the registry")
        created = stage.upsert(as_of)
    return ImportResult(source.code, stage.rows, created, stage.rows - created, as_of=as_of, changes=kept)
