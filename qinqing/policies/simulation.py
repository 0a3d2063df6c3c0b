"""Simulating one policy in SQL on the kept fact snapshot (PostgreSQL): only aggregates and a few rows travel.

`match_all` copies a region's whole snapshot to Polars (1.5 M rows: seconds for the copy alone). Here the
database answers the simulation's questions in one statement over `policies_fact_snapshot`:

- each condition is its SQL form (`rules.batch.sql_condition`, tested equal to the evaluator); one scan keeps
  only the rows that miss at most one condition (and the rows the registry does not hold);
- on the rows that meet every condition, the amount formula (dated parameters fixed for the day) in
  `NUMERIC`: the facts read as their shortest decimal text (what the formula reads), `+ - * min max`
  exact, `/` to 30 decimals, clamped to [0, cap] and rounded half-up to fen. The formula itself
  (Python `Decimal`, 28 digits) decides again — row by row, here — every row where the two could differ:
  within 10⁻⁶ fen of a half fen, an intermediate value of 10¹⁵ or more, or a fact that is not a finite
  number. Elsewhere the fen are the formula's;
- the count, total and splits by region and industry are `GROUP BY`s of the fen; the sample and the
  near misses are the first rows by enterprise id, explained by the per-record evaluator on their rows;
  how many were evaluated is counted on the table's region index (an index-only scan once vacuumed).

Rows the registry does not hold go through the per-record evaluator, as in `match_all`. `simulate` answers
None where this is not exact (SQLite, a condition or formula without an exact SQL form, a fact source served
by another adapter): the caller then uses `match_all`. The results equal `match_all`'s (property-tested).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from qinqing.accounts.models import Enterprise
from qinqing.datahub.snapshot import YEARS
from qinqing.datahub.snapshot import schema as fact_schema
from qinqing.policies import facttable
from qinqing.policies.formula import Unknown
from qinqing.policies.fullmatch import _fixed
from qinqing.policies.matching import (
    INDUSTRY,
    Compiled,
    Match,
    _decimal_facts,
    _explain_row,
    _passed,
    batch_exact,
    compile_version,
    evaluate_enterprise,
)
from qinqing.policies.models import PolicyVersion
from qinqing.rules import batch

HUGE = "1e15"  # an intermediate value this large: the formula decides (its 28 digits may then differ)
NEAR = "0.000001"  # fen from a half fen within which the formula decides
DIVISION_SCALE = 30


@dataclass
class Tally:
    """The simulation's answers (the same as `run_simulation` computes from `match_all`)."""

    evaluated: int = 0
    qualifying: int = 0
    total: Decimal = Decimal(0)
    by_region: list[tuple[str, int, Decimal]] = field(default_factory=list)
    by_industry: list[tuple[str, int, Decimal]] = field(default_factory=list)
    sample: list[Match] = field(default_factory=list)
    near_misses: list[Match] = field(default_factory=list)
    rechecked: int = 0  # rows whose amount the formula decided in Python
    per_record: int = 0  # rows the registry does not hold


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Amount:
    """The fixed formula as NUMERIC SQL, with the magnitudes of its intermediate values."""

    def __init__(self, kinds: Mapping[str, str], columns: Mapping[str, str]) -> None:
        self.kinds, self.columns = kinds, columns
        self.nodes: list[tuple[str, list[Any]]] = []  # every intermediate value (for the magnitude check)

    def render(self, expr: Any) -> tuple[str, list[Any]]:
        if not isinstance(expr, dict):
            out: tuple[str, list[Any]] = ("CAST(%s AS NUMERIC)", [str(Decimal(str(expr)))])
            return out
        (op, args), = expr.items()
        if op == "var":
            name = str(args)
            if name == YEARS:
                return f"CAST({self.columns[YEARS]} AS NUMERIC)", []
            kind = self.kinds.get(name)
            if kind == "int":
                return f"CAST({_q(name)} AS NUMERIC)", []
            if kind != "num":
                raise batch.Unsupported(f"the formula reads {name}, not a number column")
            # The shortest decimal text of the double, as the formula reads a float (repr).
            return f"CAST(CAST({_q(name)} AS TEXT) AS NUMERIC)", []
        parts = [self.render(a) for a in args]
        params = [p for _sql, ps in parts for p in ps]
        sqls = [s for s, _ps in parts]
        if op in {"+", "*"}:
            sql = "(" + f" {op} ".join(sqls) + ")"
        elif op == "-":
            sql = f"({sqls[0]} - {sqls[1]})"
        elif op == "/":
            sql = f"(ROUND({sqls[0]}, {DIVISION_SCALE}) / {sqls[1]})"
        elif op in {"min", "max"}:
            sql = f"{'LEAST' if op == 'min' else 'GREATEST'}({', '.join(sqls)})"
        else:
            raise batch.Unsupported(op)
        self.nodes.append((sql, params))
        return sql, params


def _inputs(reads: Sequence[str], kinds: Mapping[str, str], columns: Mapping[str, str]) -> tuple[str, str]:
    """SQL true when every fact the formula reads is known, and SQL true when one is not a finite number."""
    known, odd = [], []
    for name in reads:
        col = columns[YEARS] if name == YEARS else _q(name)
        known.append(f"{col} IS NOT NULL")
        if kinds.get(name) == "num":
            odd.append(f"{col} IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)")
    return " AND ".join(known) or "TRUE", " OR ".join(odd) or "FALSE"


def _statement(compiled: Compiled, day: dt.date, sample: int,
               columns: Sequence[tuple[str, str]]) -> tuple[str, list[Any]]:
    kinds = dict(columns)
    have = set(kinds)
    schema = {k: v for k, v in fact_schema().items() if k in have or (k == YEARS and facttable.ESTABLISHED in have)}
    mapping = {YEARS: facttable._years(day)}
    conds = [batch.sql_condition(c, schema, vendor="postgresql", columns=mapping) for c in compiled.spec.conditions]
    misses = " + ".join(f"(CASE WHEN COALESCE({c.sql}, FALSE) THEN 0 ELSE 1 END)" for c in conds) or "0"
    miss_params = [p for c in conds for p in c.params]
    reads = sorted(compiled.formula.facts())
    if any(r not in schema for r in reads):
        raise batch.Unsupported("the formula reads a fact outside the table")
    fixed = _fixed(compiled.formula.expr, compiled.formula, day)
    amount = _Amount(kinds, mapping)
    raw, raw_params = amount.render(fixed)
    known, odd = _inputs(reads, kinds, mapping)
    magnitude = (f"GREATEST({', '.join(f'ABS({s})' for s, _p in amount.nodes)}) >= {HUGE}" if amount.nodes
                 else "FALSE")
    magnitude_params = [p for _s, ps in amount.nodes for p in ps]
    industry = _q(INDUSTRY) if INDUSTRY in have else "NULL"
    region = compiled.region_path
    where = (f'"_id" IS NOT NULL AND substr("_region_path", 1, {len(region)}) = %s')
    cap = str(compiled.formula.cap)
    # scan: rows that miss at most one condition (and those the registry does not hold), misses counted once more
    # in the select list (evaluated only for the rows kept).
    sql = f"""
WITH scan AS MATERIALIZED (
  SELECT uscc, "_id" AS id, COALESCE("_region_name", '') AS rn, COALESCE(CAST({industry} AS TEXT), '') AS ind,
         "_in_registry" AS reg, {misses} AS misses,
         CASE WHEN ({misses}) = 0 AND "_in_registry" = 1 AND {known} THEN
           CASE WHEN {odd} THEN NULL ELSE {raw} END END AS raw,
         CASE WHEN ({misses}) = 0 AND "_in_registry" = 1 AND {known} THEN
           CASE WHEN {odd} THEN TRUE ELSE {magnitude} END END AS huge
  FROM {_q(facttable.TABLE)}
  WHERE {where} AND ("_in_registry" = 0 OR ({misses}) <= 1)
), judged AS MATERIALIZED (
  SELECT uscc, id, rn, ind, reg, misses, raw,
         COALESCE(huge, FALSE) OR (raw IS NOT NULL AND
           ABS(LEAST(GREATEST(raw, 0), CAST(%s AS NUMERIC)) * 100
               - FLOOR(LEAST(GREATEST(raw, 0), CAST(%s AS NUMERIC)) * 100) - 0.5) <= {NEAR}) AS recheck,
         CAST(FLOOR(LEAST(GREATEST(raw, 0), CAST(%s AS NUMERIC)) * 100 + 0.5) AS BIGINT) AS fen
  FROM scan WHERE reg = 1
), paid AS (
  SELECT * FROM judged WHERE misses = 0 AND NOT recheck AND fen > 0
)
SELECT 'r', rn, NULL, COUNT(*), SUM(fen), MIN(id) FROM paid GROUP BY rn
UNION ALL SELECT 'i', ind, NULL, COUNT(*), SUM(fen), MIN(id) FROM paid GROUP BY ind
UNION ALL (SELECT 's', NULL, uscc, id, fen, NULL FROM paid ORDER BY id LIMIT {int(sample)})
UNION ALL (SELECT 'n', NULL, uscc, id, NULL, NULL FROM judged
           WHERE misses = 1 OR (misses = 0 AND NOT recheck AND (fen IS NULL OR fen <= 0)) ORDER BY id LIMIT {int(sample)})
UNION ALL SELECT 'c', NULL, uscc, id, NULL, NULL FROM judged WHERE misses = 0 AND recheck
UNION ALL SELECT 'o', NULL, uscc, id, NULL, NULL FROM scan WHERE reg = 0
UNION ALL SELECT 'e', NULL, NULL, COUNT(*), NULL, NULL FROM {_q(facttable.TABLE)}
          WHERE "_id" IS NOT NULL AND "_region_path" LIKE %s
"""  # noqa: S608 - names are quoted column names, numbers are ints; values are bound
    params: list[Any] = [*miss_params, *miss_params, *raw_params, *miss_params, *magnitude_params, region,
                         *miss_params, cap, cap, cap, _like_prefix(region)]
    return sql, params


def _like_prefix(text: str) -> str:
    """A LIKE pattern for "starts with" (the region index serves it; the scan's substr = is the same test)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _rows(usccs: Sequence[str], facts: Sequence[str], day: dt.date,
          columns: Sequence[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """The snapshot rows (account columns and these facts) of some enterprises, by uscc."""
    if not usccs:
        return {}
    sql, params, names = facttable.read_sql(facts, usccs=list(usccs), today=day, columns=columns)
    kinds = dict(columns)
    out = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for found in cursor.fetchall():
            row = dict(zip(names, found, strict=True))
            for name, value in row.items():
                if value is not None and kinds.get(name) == "num":
                    row[name] = float(value)
            out[row["uscc"]] = row
    return out


def simulate(version: PolicyVersion, *, sample: int = 10, on: dt.date | None = None) -> Tally | None:
    """The simulation of a version over its region, in SQL; None where SQL would not be exact (use `match_all`)."""
    if connection.vendor != "postgresql" or not batch_exact():
        return None
    compiled = compile_version(version)
    day = on or timezone.localdate()
    columns = facttable.ensure()
    try:
        sql, params = _statement(compiled, day, sample, columns)
    except batch.Unsupported:
        return None
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL extra_float_digits = 1")  # doubles as text: the shortest exact decimal (repr)
        cursor.execute(sql, params)
        result = cursor.fetchall()
    return _tally(compiled, day, sample, columns, result)


def _tally(compiled: Compiled, day: dt.date, sample: int, columns: Sequence[tuple[str, str]],
           result: list[tuple[Any, ...]]) -> Tally:
    tally = Tally()
    regions: dict[str, list[Any]] = {}  # name → [count, fen, first id]
    industries: dict[str, list[Any]] = {}
    paid: dict[int, tuple[str, int]] = {}  # id → (uscc, fen): the sample's rows and the rechecked that pay
    near: dict[int, str] = {}  # id → uscc
    check: dict[int, str] = {}
    outside: list[int] = []
    for kind, name, uscc, number, fen, first in result:
        if kind in {"r", "i"}:
            (regions if kind == "r" else industries)[name] = [int(number), int(fen), int(first)]
        elif kind == "s":
            paid[int(number)] = (uscc, int(fen))
        elif kind == "n":
            near[int(number)] = uscc
        elif kind == "c":
            check[int(number)] = uscc
        elif kind == "o":
            outside.append(int(number))
        else:
            tally.evaluated = int(number)
    facts = sorted({f for c in compiled.spec.conditions for f in c.facts} | compiled.formula.facts() | {INDUSTRY})
    reads = sorted(compiled.formula.facts())
    rows = _rows(list(check.values()), facts, day, columns)
    for pk, uscc in sorted(check.items()):  # the formula decides these amounts
        row = rows[uscc]
        tally.rechecked += 1
        try:
            amount: Decimal | None = compiled.formula.amount(_decimal_facts(row, reads), day)
        except Unknown:
            amount = None
        if amount is not None and amount > 0:
            _add(regions, row["_region_name"] or "", pk, amount)
            _add(industries, str(row.get(INDUSTRY) or ""), pk, amount)
            paid[pk] = (uscc, int(amount * 100))
        else:
            near[pk] = uscc
    matches: dict[int, Match] = {}
    if outside:  # facts from the platform account only: the evaluator decides, as in match_all
        firms = Enterprise.objects.select_related("region").filter(pk__in=outside)
        tally.per_record = len(outside)
        for firm in sorted(firms, key=lambda e: e.pk):
            match = evaluate_enterprise(compiled, firm, on=day)
            if match.eligible:
                assert match.amount is not None
                _add(regions, match.region_name, firm.pk, match.amount)
                _add(industries, match.industry, firm.pk, match.amount)
                paid[firm.pk] = (firm.uscc, int(match.amount * 100))
                matches[firm.pk] = match
            elif match.near_miss:
                near[firm.pk] = firm.uscc
                matches[firm.pk] = match
    tally.qualifying = sum(count for count, _fen, _first in regions.values())
    fen_total = sum(fen for _count, fen, _first in regions.values())
    tally.total = Decimal(0) + Decimal(fen_total).scaleb(-2) if tally.qualifying else Decimal(0)
    tally.by_region = _split(regions)
    tally.by_industry = _split(industries, blank="—")
    wanted_paid = sorted(paid)[:sample]
    wanted_near = sorted(near)[:sample]
    chosen = _rows([paid[pk][0] for pk in wanted_paid if pk not in matches]
                   + [near[pk] for pk in wanted_near if pk not in matches], facts, day, columns)
    for pk in wanted_paid:
        if pk in matches:
            tally.sample.append(matches[pk])
            continue
        row = chosen[paid[pk][0]]
        industry = row.get(INDUSTRY)
        tally.sample.append(Match(
            enterprise_id=pk, uscc=row["uscc"], name=row["_name"], region_path=row["_region_path"] or "",
            region_name=row["_region_name"] or "", industry=str(industry) if industry else "", eligible=True,
            amount=Decimal(paid[pk][1]).scaleb(-2), trace=_passed(compiled, row)))
    tally.near_misses = [matches[pk] if pk in matches else _explain_row(compiled, chosen[near[pk]], day)
                         for pk in wanted_near]
    return tally


def _add(split: dict[str, list[Any]], name: str, pk: int, amount: Decimal) -> None:
    found = split.setdefault(name, [0, 0, pk])
    found[0] += 1
    found[1] += int(amount * 100)
    found[2] = min(found[2], pk)


def _split(split: dict[str, list[Any]], blank: str = "") -> list[tuple[str, int, Decimal]]:
    """Most first; ties in the order their first enterprise (by id) appears, as `Counter.most_common` gives."""
    merged: dict[str, list[Any]] = {}
    for name, (count, fen, first) in split.items():
        key = name or blank
        found = merged.setdefault(key, [0, 0, first])
        found[0] += count
        found[1] += fen
        found[2] = min(found[2], first)
    ordered = sorted(merged.items(), key=lambda item: (-item[1][0], item[1][2]))
    return [(name, count, Decimal(0) + Decimal(fen).scaleb(-2)) for name, (count, fen, _first) in ordered]
