"""A service transaction's held-back rows as one statement: its text kept per shape, prepared on PostgreSQL.

A 秒办 decision writes the same rows every time (one case, one licence, one notification, three timeline
events, four outbox events, one audit record): only the values change. Django's `InsertQuery` compiles
each member on first sight of a shape; the text is kept (per process) with the layout of its
parameters, and every later statement of that shape computes its parameters the way the compiler does
(`pre_save`, `get_db_prep_save`) without compiling. A first compile is checked against the values
computed here; a member whose values differ (an expression, a field that shapes its own placeholder) is
compiled every time, as before.

On PostgreSQL the whole statement is then `PREPARE`d once per connection under a name derived from its
text (a changed shape or a changed model is a different text, hence a different name: never a stale
statement) and run as `EXECUTE name(…)`: the server parses and plans the 5 KB `WITH` once per
connection instead of once per decision, and the driver no longer re-scans the long text (psycopg keeps
no parsed form of texts over 4 KB or with over 50 parameters). `QINQING_DB_PREPARE=0` turns the
`PREPARE` off (for a pooler in transaction mode that does not carry prepared statements).
"""

from __future__ import annotations

import hashlib
import re
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import Field, Model

_ROWS, _COLUMNS = "rows", "columns"  # parameters row after row, or one array per column (Django's UNNEST)


@dataclass(frozen=True)
class _Member:
    """How one model's rows of one shape are written: Django's text and the layout of its parameters."""

    text: str
    layout: str


@dataclass(frozen=True)
class Statement:
    """One `WITH … INSERT` of a shape: its text (`%s` placeholders) and its name when prepared."""

    text: str
    name: str
    numbered: str  # the text with $1…$n, for PREPARE


_members: dict[tuple[type[Model], bool, int], _Member | None] = {}  # None: compile this shape every time
_statements: dict[tuple[Any, ...], Statement] = {}
_prepared: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def insert_fields(model: type[Model], with_pk: bool) -> list[Field[Any, Any]]:
    """The columns an INSERT of `model` writes, as `bulk_create` chooses them."""
    return [f for f in model._meta.concrete_fields
            if not getattr(f, "generated", False) and (with_pk or f is not model._meta.auto_field)]


def _compiled(model: type[Model], fields: list[Field[Any, Any]], objs: Sequence[Model], *, raw: bool
              ) -> tuple[str, list[Any]]:
    from django.db.models.sql import InsertQuery

    query = InsertQuery(model)
    query.insert_values(fields, list(objs), raw=raw)
    [(sql, params)] = query.get_compiler(connection=connection).as_sql()
    return sql, list(params)


# Fields whose `get_db_prep_save` returns a value of these exact types unchanged (`to_python` of a str is
# the str; None stays None). Not integers on PostgreSQL: Django wraps them in psycopg's Int2/Int4/Int8 there.
_UNCHANGED: dict[type[Field[Any, Any]], tuple[type, ...]] = {
    models.CharField: (str, type(None)), models.TextField: (str, type(None)), models.BooleanField: (bool,),
}
_INTEGERS = (models.IntegerField, models.BigIntegerField, models.SmallIntegerField, models.PositiveIntegerField,
             models.PositiveBigIntegerField, models.PositiveSmallIntegerField, models.AutoField, models.BigAutoField)


def _plan(field: Field[Any, Any]) -> tuple[Field[Any, Any], bool, tuple[type, ...]]:
    """(field, whether `pre_save` is a plain attribute read, the value types its preparation leaves unchanged)."""
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    unchanged: tuple[type, ...] = ()
    if connection.vendor in ("postgresql", "sqlite"):
        unchanged = _UNCHANGED.get(type(target), ())
    if connection.vendor == "sqlite" and type(target) in _INTEGERS:
        unchanged = (int, type(None))
    if isinstance(field, models.ForeignKey) and type(field) is not models.ForeignKey:
        unchanged = ()
    return field, type(field).pre_save is Field.pre_save, unchanged


_plans: dict[tuple[Any, ...], list[tuple[Field[Any, Any], bool, tuple[type, ...]]]] = {}


def _values(fields: list[Field[Any, Any]], objs: Sequence[Model]) -> list[list[Any]] | None:
    """Each row's database values as the INSERT compiler prepares them; None when one is an expression."""
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself: `connection` is a proxy, a lookup per use
    key = (db.vendor, type(objs[0]), *fields)
    plans = _plans.get(key)
    if plans is None:
        plans = _plans[key] = [_plan(field) for field in fields]
    rows = []
    for obj in objs:
        row = []
        for field, plain, unchanged in plans:
            value = getattr(obj, field.attname) if plain else field.pre_save(obj, add=True)
            if type(value) in unchanged:
                row.append(value)
                continue
            if hasattr(value, "resolve_expression"):
                return None
            row.append(field.get_db_prep_save(value, connection=db))
        rows.append(row)
    return rows


def _laid_out(rows: list[list[Any]], layout: str) -> list[Any]:
    if layout == _ROWS:
        return [value for row in rows for value in row]
    return [list(column) for column in zip(*rows, strict=True)]


def _same(a: Any, b: Any) -> bool:
    """Equal parameters; an adapter object (psycopg's `Jsonb`) compares by what it wraps."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if a == b:
        return True
    return hasattr(a, "obj") and a.obj == b.obj


def member(objs: Sequence[Model]) -> tuple[str, list[Any], tuple[type[Model], bool, int] | None]:
    """One model's rows as an INSERT: (text, parameters, shape key or None when the text is not kept)."""
    model = type(objs[0])
    with_pk = objs[0].pk is not None
    key = (model, with_pk, len(objs))
    fields = insert_fields(model, with_pk)
    known = _members.get(key, False)
    rows = None if known is None else _values(fields, objs)
    if rows is None:  # an expression among the values, or a shape that must be compiled each time
        sql, params = _compiled(model, fields, objs, raw=known is not None)
        return sql, params, None
    if isinstance(known, _Member):
        return known.text, _laid_out(rows, known.layout), key
    # First sight of the shape: compile (pre_save already ran, so raw) and check the values computed here.
    sql, params = _compiled(model, fields, objs, raw=True)
    for layout in (_ROWS, _COLUMNS):
        if _same(_laid_out(rows, layout), params):
            _members[key] = _Member(sql, layout)
            return sql, params, key
    _members[key] = None
    return sql, params, None


def _numbered(text: str) -> str:
    """`%s` → `$1`, `$2`, …; `%%` → `%` (the text as PostgreSQL's PREPARE takes it)."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(0) == "%%":
            return "%"
        count += 1
        return f"${count}"

    return re.sub(r"%[s%]", number, text)


def statement(parts: Sequence[str], key: tuple[Any, ...] | None) -> Statement:
    """The `WITH w0 AS (…), … last` of these members' texts; kept by `key` (None: not kept, not prepared)."""
    if key is not None and (kept := _statements.get(key)) is not None:
        return kept
    *first, last = parts
    text = ("WITH " + ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(first)) + " " if first else "") + last
    if key is None:
        return Statement(text, "", "")
    made = Statement(text, "qq_w_" + hashlib.sha256(text.encode()).hexdigest()[:24], _numbered(text))
    _statements[key] = made
    return made


# One row (-1, NULL, the names) to add to a `SELECT index, value … UNION ALL …`: which of our statements the session has.
PREPARED_NAMES_SQL = (
    "SELECT -1, NULL, (SELECT coalesce(string_agg(name, ' '), '') FROM pg_prepared_statements WHERE name LIKE 'qq\\_%%')"
)


def still_prepared(names: str) -> None:
    """Forget what this connection no longer has prepared (`names`: the session's qq_ statements, by a space)."""
    raw = connection.connection
    with _lock:
        known = _prepared.get(raw)
    if known:
        known.intersection_update(names.split())


def prepare_enabled() -> bool:
    return connection.vendor == "postgresql" and bool(getattr(settings, "QINQING_DB_PREPARE", True))


def execute(kept: Statement, params: list[Any]) -> None:
    """Run the statement: prepared on PostgreSQL (PREPARE once per connection, then EXECUTE), else as is."""
    with connection.cursor() as cursor:
        if not kept.name or not prepare_enabled():
            cursor.execute(kept.text, params)
            return
        raw = connection.connection
        with _lock:
            names = _prepared.setdefault(raw, set())
        if kept.name not in names:
            cursor.execute(f"PREPARE {kept.name} AS {kept.numbered}")
            names.add(kept.name)
        try:
            cursor.execute(_execute_text(raw, kept.name, params))
        except Exception as error:
            if "26000" in (getattr(error, "sqlstate", None), getattr(error.__cause__, "sqlstate", None)):
                # The session lost its prepared statements (DISCARD ALL / DEALLOCATE ALL by someone else):
                # this transaction fails, the next one on this connection prepares again.
                names.clear()
            raise


def prepared_read(sql: str, params: list[Any]) -> list[tuple[Any, ...]] | None:
    """The rows of a read of fixed text, run as a statement prepared once per connection; None: not run.

    Only outside a transaction (a request's first read, the bearer-token lookup) and on PostgreSQL with
    PREPARE on: there a statement the session lost (a pooler's reset) fails alone and is prepared again at
    once. Inside a transaction the caller runs its SQL as usual (a failed EXECUTE would end the transaction).
    PostgreSQL then plans the statement once per connection instead of once per request.
    """
    if not prepare_enabled() or connection.in_atomic_block:
        return None
    kept = _reads.get(sql)
    if kept is None:
        kept = _reads[sql] = Statement(sql, "qq_r_" + hashlib.sha256(sql.encode()).hexdigest()[:24], _numbered(sql))
    connection.ensure_connection()
    raw = connection.connection
    with _lock:
        names = _prepared.setdefault(raw, set())
    for attempt in (1, 2):
        with connection.cursor() as cursor:
            try:
                if kept.name not in names:
                    cursor.execute(f"PREPARE {kept.name} AS {kept.numbered}")
                    names.add(kept.name)
                cursor.execute(_execute_text(raw, kept.name, params))
                return list(cursor.fetchall())
            except Exception as error:
                codes = (getattr(error, "sqlstate", None), getattr(error.__cause__, "sqlstate", None))
                if attempt == 1 and "26000" in codes:
                    names.discard(kept.name)  # dropped behind our back: prepare it again
                    continue
                if attempt == 1 and "42P05" in codes:
                    names.add(kept.name)  # prepared already (our record was cut short): just run it
                    continue
                raise
    raise AssertionError("unreachable")


_reads: dict[str, Statement] = {}


def _execute_text(raw: Any, name: str, params: list[Any]) -> str:
    """`EXECUTE name(literal, …)`, each value quoted as psycopg's client-side binding quotes it.

    Quoted here rather than by the driver: psycopg re-scans a text of over 50 placeholders on every
    execution (it keeps no parsed form of it), a sixth of what this statement cost the driver.
    """
    if not params:
        return f"EXECUTE {name}"
    from psycopg.adapt import Transformer

    literal = Transformer(raw).as_literal
    encoding = raw.info.encoding
    return f"EXECUTE {name}({b', '.join(literal(value) for value in params).decode(encoding)})"


def prepared_names() -> frozenset[str]:
    """The statements prepared on the current connection (for tests)."""
    raw = connection.connection
    return frozenset(_prepared.get(raw, ())) if raw is not None else frozenset()


def text_of(name: str) -> str | None:
    """The text of a kept statement by its prepared name (what an `EXECUTE name(…)` ran)."""
    return next((s.text for s in list(_statements.values()) if s.name == name), None)
