"""Per-node aggregates: deltas gathered in memory, then added to every ancestor's rows with one upsert.

Every figure is stored for every node on the enterprise's path (city, district, street, community,
building, floor, unit), so a node's summary is a handful of indexed rows whatever its size; the price
is a write per ancestor, at most eight (docs/decisions/0006-cockpit-aggregates-per-ancestor.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection

from qinqing.cockpit.classify import IN_BUSINESS, ancestors
from qinqing.cockpit.models import DailyAggregate, NodeTotal

# Flow measures (how much happened on a day) and the timeseries names they answer to.
REGISTERED, DEREGISTERED, MOVED_IN, MOVED_OUT, ABNORMAL = "registered", "deregistered", "moved_in", "moved_out", "abnormal"
PAYOUTS, CASES_SUBMITTED, CASES_DECIDED, CASES_AUTO = "payouts", "cases_submitted", "cases_decided", "cases_auto"
VISITS_RAISED, VISITS_CLOSED, ALERTS = "visits_raised", "visits_closed", "alerts"
# Stock measures (the present): enterprises by status and, when in business, by what they are.
ENTERPRISES, STATUS, INDUSTRY, SIZE, BAND, TAG = "enterprises", "status", "industry", "size", "capital_band", "tag"
VISITS_OPEN, VISITS_OVERDUE, ALERTS_OPEN = "visits_open", "visits_overdue", "alerts_open"
UNKNOWN = "unknown"

FEN = Decimal("100")


def to_fen(amount: Decimal | str) -> int:
    return int((Decimal(str(amount)) * FEN).to_integral_value())


def to_yuan(fen: int) -> Decimal:
    return (Decimal(int(fen)) / FEN).quantize(Decimal("0.01"))


def stock_keys(status: str, industry: str, size: str, band: str, tags: Iterable[str]) -> list[tuple[str, str]]:
    """The (measure, dimension) pairs one enterprise in this state counts towards."""
    keys = [(STATUS, status)]
    if status in IN_BUSINESS:
        keys += [(ENTERPRISES, ""), (INDUSTRY, industry or UNKNOWN), (SIZE, size or UNKNOWN), (BAND, band or UNKNOWN)]
        keys += [(TAG, tag) for tag in tags]
    return keys


class Deltas:
    """Changes to daily and total rows, summed per row before anything is written."""

    def __init__(self) -> None:
        self.daily: defaultdict[tuple[str, str, str, dt.date], list[int]] = defaultdict(lambda: [0, 0])
        self.totals: defaultdict[tuple[str, str, str], int] = defaultdict(int)

    def flow(self, nodes: Iterable[str], measure: str, day: dt.date, *, count: int = 1, fen: int = 0,
             dimension: str = "") -> None:
        for node in nodes:
            row = self.daily[(node, measure, dimension, day)]
            row[0] += count
            row[1] += fen

    def flow_path(self, path: str, measure: str, day: dt.date, **kwargs: Any) -> None:
        self.flow(ancestors(path), measure, day, **kwargs)

    def total(self, path: str, keys: Iterable[tuple[str, str]], sign: int) -> None:
        nodes = ancestors(path)
        for measure, dimension in keys:
            for node in nodes:
                self.totals[(node, measure, dimension)] += sign

    def __bool__(self) -> bool:
        return bool(self.daily) or bool(self.totals)

    def write(self) -> None:
        """Add every delta to its row (insert or add), inside the caller's transaction."""
        daily = [(node, measure, dim, day, c, f) for (node, measure, dim, day), (c, f) in self.daily.items()
                 if c or f]
        totals = [(node, measure, dim, c) for (node, measure, dim), c in self.totals.items() if c]
        _upsert(DailyAggregate._meta.db_table, ("node", "measure", "dimension", "day"), ("count", "amount_fen"), daily)
        _upsert(NodeTotal._meta.db_table, ("node", "measure", "dimension"), ("count",), totals)
        self.daily.clear()
        self.totals.clear()


_PG_TYPES = {"node": "text", "measure": "text", "dimension": "text", "day": "date", "count": "bigint",
             "amount_fen": "bigint"}


def _upsert(table: str, keys: tuple[str, ...], values: tuple[str, ...], rows: list[tuple[Any, ...]],
            chunk: int = 500) -> None:
    if not rows:
        return
    rows.sort(key=lambda r: r[:len(keys)])  # a fixed order: two writers never deadlock on each other's rows
    q = connection.ops.quote_name
    columns = ", ".join(q(c) for c in (*keys, *values))
    adds = ", ".join(f"{q(v)} = {q(table)}.{q(v)} + excluded.{q(v)}" for v in values)
    conflict = f"ON CONFLICT ({', '.join(q(k) for k in keys)}) DO UPDATE SET {adds}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement of arrays: no per-row placeholders for the driver to parse.
            arrays = ", ".join(f"%s::{_PG_TYPES[c]}[]" for c in (*keys, *values))
            cursor.execute(f"INSERT INTO {q(table)} ({columns}) SELECT * FROM unnest({arrays}) {conflict}",  # noqa: S608
                           [list(column) for column in zip(*rows, strict=True)])
            return
        one = "(" + ", ".join(["%s"] * (len(keys) + len(values))) + ")"
        for start in range(0, len(rows), chunk):
            part = rows[start:start + chunk]
            cursor.execute(f"INSERT INTO {q(table)} ({columns}) VALUES {', '.join([one] * len(part))} {conflict}",  # noqa: S608
                           [value for row in part for value in row])


def append_rows(model: Any, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Append rows to a table: COPY on PostgreSQL, `bulk_create` elsewhere (inside the caller's transaction)."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        q = connection.ops.quote_name
        fields = [model._meta.get_field(c).column for c in columns]
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {q(model._meta.db_table)} ({', '.join(q(f) for f in fields)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=1000)


def update_rows(model: Any, key: str, columns: Sequence[str], rows: list[tuple[Any, ...]], types: dict[str, str],
                ) -> None:
    """Update rows by a unique key: one UPDATE … FROM unnest(arrays) on PostgreSQL, `bulk_update` elsewhere."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        q = connection.ops.quote_name
        table = q(model._meta.db_table)
        names = [key, *columns]
        arrays = ", ".join(f"%s::{types[c]}[]" for c in names)
        sets = ", ".join(f"{q(model._meta.get_field(c).column)} = v.{q(c)}" for c in columns)
        keycol = q(model._meta.get_field(key).column)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v({', '.join(q(c) for c in names)}) "  # noqa: S608
                f"WHERE {table}.{keycol} = v.{q(key)}", [list(column) for column in zip(*rows, strict=True)])
        return
    found = {getattr(o, key): o for o in model.objects.filter(**{f"{key}__in": [r[0] for r in rows]})}
    changed = []
    for row in rows:
        obj = found.get(row[0])
        if obj is not None:
            for name, value in zip(columns, row[1:], strict=True):
                setattr(obj, name, value)
            changed.append(obj)
    model.objects.bulk_update(changed, list(columns), batch_size=500)


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every non-zero aggregate row, sorted: what the incremental path and the rebuild must agree on."""
    daily = sorted(DailyAggregate.objects.exclude(count=0, amount_fen=0)
                   .values_list("node", "measure", "dimension", "day", "count", "amount_fen"))
    totals = sorted(NodeTotal.objects.exclude(count=0).values_list("node", "measure", "dimension", "count"))
    return {"daily": daily, "totals": totals}
