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
# Tax paid by the enterprises in business (latest annual report): count of those with a figure, amount in fen.
TAX = "tax"
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


def tax_fen(status: str, tax_paid: Decimal | None) -> int | None:
    """What an enterprise adds to its nodes' tax total (fen), None when it is not counted there."""
    if status not in IN_BUSINESS or tax_paid is None:
        return None
    return to_fen(tax_paid)


class Deltas:
    """Changes to daily and total rows, summed per row before anything is written."""

    def __init__(self) -> None:
        self.daily: defaultdict[tuple[str, str, str, dt.date], list[int]] = defaultdict(lambda: [0, 0])
        self.totals: defaultdict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])

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
                self.totals[(node, measure, dimension)][0] += sign

    def amount(self, path: str, measure: str, *, count: int, fen: int) -> None:
        """Add a count and an amount (fen) to a measure of the present, on every node of the path."""
        for node in ancestors(path):
            row = self.totals[(node, measure, "")]
            row[0] += count
            row[1] += fen

    def tax(self, path: str, status: str, tax_paid: Decimal | None, sign: int) -> None:
        fen = tax_fen(status, tax_paid)
        if fen is not None and path:
            self.amount(path, TAX, count=sign, fen=sign * fen)

    def __bool__(self) -> bool:
        return bool(self.daily) or bool(self.totals)

    def write(self) -> None:
        """Add every delta to its row (insert or add), inside the caller's transaction."""
        daily = [(node, measure, dim, day, c, f) for (node, measure, dim, day), (c, f) in self.daily.items()
                 if c or f]
        totals = [(node, measure, dim, c, f) for (node, measure, dim), (c, f) in self.totals.items() if c or f]
        _upsert(DailyAggregate._meta.db_table, ("node", "measure", "dimension", "day"), ("count", "amount_fen"), daily)
        _upsert(NodeTotal._meta.db_table, ("node", "measure", "dimension"), ("count", "amount_fen"), totals)
        self.daily.clear()
        self.totals.clear()


_PG_TYPES = {"node": "text", "measure": "text", "dimension": "text", "day": "date", "count": "bigint",
             "amount_fen": "bigint"}


def copy_to_temp(name: str, columns: dict[str, str], rows: Iterable[tuple[Any, ...]]) -> str:
    """Rows into a temporary table of this session (PostgreSQL), by COPY; returns its quoted name.

    The table lives as long as the connection and is emptied at every commit (`ON COMMIT DELETE ROWS`)
    and before each use, so several uses in one transaction (the rebuild) never see each other's rows.
    """
    q = connection.ops.quote_name
    table = q(f"_cockpit_{name}")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {table} "
                       f"({', '.join(f'{q(c)} {t}' for c, t in columns.items())}) ON COMMIT DELETE ROWS")
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - our own name
        with cursor.cursor.copy(f"COPY {table} ({', '.join(q(c) for c in columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    return table


def _upsert(table: str, keys: tuple[str, ...], values: tuple[str, ...], rows: list[tuple[Any, ...]],
            chunk: int = 500) -> None:
    if not rows:
        return
    rows.sort()  # a fixed order (keys first, each once): two writers never deadlock on each other's rows
    q = connection.ops.quote_name
    columns = ", ".join(q(c) for c in (*keys, *values))
    adds = ", ".join(f"{q(v)} = {q(table)}.{q(v)} + excluded.{q(v)}" for v in values)
    conflict = f"ON CONFLICT ({', '.join(q(k) for k in keys)}) DO UPDATE SET {adds}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY into a session table (no parameters for the driver to quote), then one upsert from it.
            source = copy_to_temp(table, {c: _PG_TYPES[c] for c in (*keys, *values)}, rows)
            cursor.execute(f"INSERT INTO {q(table)} ({columns}) SELECT {columns} FROM {source} "  # noqa: S608
                           f"ORDER BY {', '.join(q(k) for k in keys)} {conflict}")
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
        rows = sorted(rows, key=lambda r: r[0])  # a fixed order of row locks
        source = copy_to_temp(f"{model._meta.db_table}_upd", {c: types[c] for c in names}, rows)
        sets = ", ".join(f"{q(model._meta.get_field(c).column)} = v.{q(c)}" for c in columns)
        keycol = q(model._meta.get_field(key).column)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {sets} FROM {source} AS v "  # noqa: S608
                           f"WHERE {table}.{keycol} = v.{q(key)}")
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
    totals = sorted(NodeTotal.objects.exclude(count=0, amount_fen=0)
                    .values_list("node", "measure", "dimension", "count", "amount_fen"))
    return {"daily": daily, "totals": totals}
