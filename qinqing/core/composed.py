"""Reads on every request whose SQL is composed once per process from the models' own columns.

The ORM compiles a queryset afresh on every evaluation; for a read of fixed shape that runs on every
秒办 decision (the registry record, the data records) that compile costs more than the query. Here the
text is built once per (vendor, shape) and each value goes through the database converters the ORM
applies (`values_list` gives the same values).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model

_lock = threading.Lock()
_kept: dict[tuple[Any, ...], Read] = {}


@dataclass(frozen=True)
class Read:
    """A composed SELECT: its text and, per selected column, the converters of its value."""

    sql: str
    converters: tuple[tuple[tuple[Callable[..., Any], ...], Any], ...]

    def rows(self, params: Sequence[Any], *, after: tuple[str, Sequence[Any]] | None = None) -> list[tuple[Any, ...]]:
        """Run it; each row's values converted as the ORM converts them.

        `after` = (sql, params) of a statement to run first. On PostgreSQL both go in one round trip
        (client-side binding sends them as one simple query; each statement still takes its own snapshot,
        so this read sees what was committed while the first one waited, e.g. for a lock).
        """
        with connection.cursor() as cursor:
            if after is not None and _one_round_trip(cursor):
                cursor.execute(f"{after[0]}; {self.sql}", [*after[1], *params])
                cursor.nextset()
            elif after is not None:
                cursor.execute(after[0], list(after[1]))
                cursor.execute(self.sql, list(params))
            else:
                cursor.execute(self.sql, list(params))
            fetched = cursor.fetchall()
        return self.converted(fetched)

    def converted(self, fetched: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        db = connections[DEFAULT_DB_ALIAS]  # the connection itself: `connection` is a proxy, a lookup per use
        out = []
        for row in fetched:
            values = []
            for value, (converters, col) in zip(row, self.converters, strict=True):
                for convert in converters:
                    value = convert(value, col, db)
                values.append(value)
            out.append(tuple(values))
        return out


def rows_together(reads: Sequence[tuple[Read, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
    """Run several reads, each `Read.rows` of its parameters; on PostgreSQL in one round trip."""
    if len(reads) < 2:
        return [read.rows(params) for read, params in reads]
    with connection.cursor() as cursor:
        if not _one_round_trip(cursor):
            return [read.rows(params) for read, params in reads]
        cursor.execute("; ".join(read.sql for read, _params in reads), [p for _read, params in reads for p in params])
        fetched = []
        for index, (read, _params) in enumerate(reads):
            if index:
                cursor.nextset()
            fetched.append(read.converted(cursor.fetchall()))
    return fetched


def _one_round_trip(cursor: Any) -> bool:
    """Whether two statements can go as one text: PostgreSQL with client-side binding (Django's default)."""
    if connection.vendor != "postgresql":
        return False
    from psycopg import ClientCursor

    return isinstance(getattr(cursor, "cursor", None), ClientCursor)


def read(model: type[Model], columns: Sequence[str], where: str, *, order_by: Sequence[str] = (),
         limit: int | None = None) -> Read:
    """SELECT `columns` (field names) FROM the model's table WHERE `where` ({name} → a quoted column) [ORDER BY].

    `order_by` names fields, "-name" for descending. Kept per (vendor, model, columns, where, order, limit).
    """
    cache_key = (connection.vendor, model, tuple(columns), where, tuple(order_by), limit)
    with _lock:
        found = _kept.get(cache_key)
    if found is not None:
        return found
    def qn(name: str | None) -> str:
        return connection.ops.quote_name(str(name))

    opts = model._meta
    table = qn(opts.db_table)
    converters = []
    selected = []
    for name in columns:
        field = opts.get_field(name)
        col = field.get_col(opts.db_table)  # type: ignore[union-attr]
        converters.append((tuple(connection.ops.get_db_converters(col) + col.get_db_converters(connection)), col))
        selected.append(f"{table}.{qn(field.column)}")  # type: ignore[union-attr]
    columns_of = {f.name: f"{table}.{qn(f.column)}" for f in opts.concrete_fields}
    columns_of.update({f.attname: f"{table}.{qn(f.column)}" for f in opts.concrete_fields})
    order = [f"{columns_of[o.lstrip('-')]} {'DESC' if o.startswith('-') else 'ASC'}" for o in order_by]
    sql = (f"SELECT {', '.join(selected)} FROM {table} WHERE {where.format(**columns_of)}"  # noqa: S608
           + (f" ORDER BY {', '.join(order)}" if order else "") + (f" LIMIT {int(limit)}" if limit else ""))
    made = Read(sql, tuple(converters))
    with _lock:
        _kept[cache_key] = made
    return made
