"""Every policy against every enterprise in one pass over the kept snapshot (the nightly refresh's matching).

`match_all` answers one policy with explanations; this answers many at once, as a frame of
(policy, version, enterprise, amount in fen), the same answers as `match_all` per policy (tested):

- each distinct condition (the same JSONLogic over the same facts, as 300 policies built from a
  handful of templates share) and each distinct region is computed once, as a boolean column;
- each distinct amount formula (its dated parameters fixed for the day) is computed once in Float64
  and rounded half-up to fen; a row whose exact result could lie within rounding distance of a
  half fen (or whose formula reads text) is computed again in Decimal by the formula itself, so the
  fen are exactly the per-record evaluator's;
- a policy is then the AND of its columns: one filter per policy, no plan per policy.

Rows the market registry does not hold (an account's own facts) are decided per record, as in `match_all`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl
from django.utils import timezone

from qinqing.accounts.models import Enterprise
from qinqing.datahub import snapshot
from qinqing.policies import facttable
from qinqing.policies.formula import FEN, Formula, Unknown, _fact
from qinqing.policies.matching import Compiled, evaluate_enterprise
from qinqing.rules import batch
from qinqing.rules.batch.nodes import NUM

ZERO = Decimal(0)
OUT_SCHEMA = {"policy_id": pl.Int64, "version_id": pl.Int64, "enterprise_id": pl.Int64, "fen": pl.Int64}


@dataclass
class FullRun:
    matches: pl.DataFrame  # policy_id, version_id, enterprise_id, fen
    evaluated: int
    conditions: int  # distinct conditions computed
    formulas: int  # distinct amount formulas computed
    rechecked: int  # amounts computed again in Decimal (near a half fen, or over text)
    per_record: int  # enterprises outside the registry, decided per record


def _fixed(expr: Any, formula: Formula, day: dt.date) -> Any:
    """The formula with its dated parameters replaced by the day's values (as Decimal text)."""
    if isinstance(expr, dict):
        (op, args), = expr.items()
        if op == "param":
            return str(formula.param(args, day))
        if op == "var":
            return expr
        return {op: [_fixed(a, formula, day) for a in args]}
    return str(expr)


def _decimal_fn(expr: Any) -> Callable[[dict[str, Any]], Decimal]:
    """The fixed formula as nested closures over a row (floats read as their shortest decimal text), in Decimal."""
    if isinstance(expr, dict):
        (op, args), = expr.items()
        if op == "var":
            name = str(args)

            def read(row: dict[str, Any]) -> Decimal:
                value = row.get(name)
                return _fact({name: repr(value) if isinstance(value, float) else value}, name)
            return read
        parts = [_decimal_fn(a) for a in args]
        if op == "+":
            return lambda row: sum((p(row) for p in parts), Decimal(0))
        if op == "*":
            def product(row: dict[str, Any]) -> Decimal:
                out = Decimal(1)
                for p in parts:
                    out *= p(row)
                return out
            return product
        if op == "-":
            return lambda row: parts[0](row) - parts[1](row)
        if op == "/":
            return lambda row: parts[0](row) / parts[1](row)
        if op == "min":
            return lambda row: min(p(row) for p in parts)
        return lambda row: max(p(row) for p in parts)
    constant = Decimal(str(expr))
    return lambda row: constant


def _float_expr(expr: Any, schema: dict[str, str]) -> pl.Expr | None:
    """The formula in Float64 (null where a fact is null); None if it reads a text fact."""
    if isinstance(expr, dict):
        (op, args), = expr.items()
        if op == "var":
            return pl.col(args).cast(pl.Float64) if schema.get(args) == NUM else None
        parts = [_float_expr(a, schema) for a in args]
        if any(p is None for p in parts):
            return None
        exprs: list[pl.Expr] = [p for p in parts if p is not None]
        if op == "+":
            out = exprs[0]
            for p in exprs[1:]:
                out = out + p
            return out
        if op == "*":
            out = exprs[0]
            for p in exprs[1:]:
                out = out * p
            return out
        if op == "-":
            return exprs[0] - exprs[1]
        if op == "/":
            return exprs[0] / exprs[1]
        # min/max over nulls: the per-record formula raises Unknown on any missing fact, so null wins.
        either = pl.any_horizontal([p.is_null() for p in exprs])
        both = pl.min_horizontal(exprs) if op == "min" else pl.max_horizontal(exprs)
        return pl.when(either).then(None).otherwise(both)
    return pl.lit(float(Decimal(str(expr))), dtype=pl.Float64)


def match_registry(compiled: Sequence[tuple[int, Compiled]], *, on: dt.date | None = None, partitions: int = 1,
                   part: int = 0) -> FullRun:
    """Every (policy id, compiled version) against one partition of the snapshot: who qualifies, and the fen."""
    day = on or timezone.localdate()
    if not compiled:
        return FullRun(pl.DataFrame(schema=OUT_SCHEMA), 0, 0, 0, 0, 0)
    facts = sorted({f for _p, c in compiled for cond in c.spec.conditions for f in cond.facts}
                   | {f for _p, c in compiled for f in c.formula.facts()})
    frame = facttable.read(facts, partitions=partitions, part=part, today=day,
                           meta=("_id", "_region_path", "_in_registry"))
    schema = {k: v for k, v in snapshot.schema().items() if k in frame.columns}
    inside = frame.filter(pl.col("_in_registry") == 1)

    columns: dict[str, str] = {}  # condition identity → column
    regions: dict[str, str] = {}
    amounts: dict[str, str] = {}
    exprs: list[pl.Expr] = []
    exact: dict[str, tuple[Callable[[dict[str, Any]], Decimal], Decimal]] = {}  # amount column → (formula, fixed expr) for the Decimal check
    plans = []
    for policy_id, c in compiled:
        names = []
        for cond in c.spec.conditions:
            key = json.dumps([cond.expr, sorted(cond.facts)], sort_keys=True, ensure_ascii=False, default=str)
            if key not in columns:
                columns[key] = f"_c{len(columns)}"
                exprs.append(batch.condition_expr(cond, schema).fill_null(False).alias(columns[key]))
            names.append(columns[key])
        if c.region_path not in regions:
            regions[c.region_path] = f"_r{len(regions)}"
            exprs.append(pl.col("_region_path").str.starts_with(c.region_path).fill_null(False)
                         .alias(regions[c.region_path]))
        fixed = _fixed(c.formula.expr, c.formula, day)
        akey = json.dumps([fixed, str(c.formula.cap)], sort_keys=True, ensure_ascii=False)
        if akey not in amounts:
            amounts[akey] = name = f"_a{len(amounts)}"
            value = _float_expr(fixed, schema)
            cap = float(c.formula.cap)
            if value is None:
                exprs.append(pl.lit(None, dtype=pl.Int64).alias(name))
                exprs.append(pl.lit(True).alias(name + "_check"))
            else:
                clipped = pl.min_horizontal(pl.max_horizontal(value, pl.lit(0.0)), pl.lit(cap)) * 100
                exprs.append(((clipped + 0.5).floor()).cast(pl.Int64).alias(name))
                # Within rounding distance of a half fen: the Decimal formula decides.
                tol = 1e-7 + clipped.abs() * 1e-12
                exprs.append((((clipped - clipped.floor()) - 0.5).abs() <= tol).fill_null(False).alias(name + "_check"))
            exact[name] = (_decimal_fn(fixed), c.formula.cap)
        plans.append((policy_id, c, names, regions[c.region_path], amounts[akey]))

    judged = inside.select(["_id", *facts, *exprs]) if exprs else inside
    out: list[pl.DataFrame] = []
    rechecked = 0
    # One lazy filter per policy over only the columns it needs, collected together (Polars runs them in parallel).
    lazy = judged.lazy()
    fast_plans, check_plans = [], []
    for policy_id, c, names, region, amount in plans:
        mask = pl.col(region)
        for n in names:
            mask = mask & pl.col(n)
        fast_plans.append(lazy.filter(mask & ~pl.col(amount + "_check") & (pl.col(amount) > 0)).select(
            pl.lit(policy_id, dtype=pl.Int64).alias("policy_id"),
            pl.lit(c.version.pk or 0, dtype=pl.Int64).alias("version_id"),
            pl.col("_id").alias("enterprise_id"), pl.col(amount).alias("fen")))
        check_plans.append(lazy.filter(mask & pl.col(amount + "_check")).select(
            ["_id", *sorted(c.formula.facts())]))
    out += pl.collect_all(fast_plans)
    for (policy_id, c, _names, _region, amount), check in zip(plans, pl.collect_all(check_plans), strict=True):
        if check.height:
            rechecked += check.height
            reads = sorted(c.formula.facts())
            compute, ceiling = exact[amount]
            slow = []
            for row in check.select(["_id", *reads]).iter_rows(named=True):
                try:
                    raw = compute(row)
                    raw = ceiling if raw > ceiling else ZERO if raw < ZERO else raw
                    paid = raw.quantize(FEN, rounding=ROUND_HALF_UP)
                except Unknown:
                    continue
                if paid > 0:
                    slow.append((policy_id, c.version.pk or 0, row["_id"], int(paid * 100)))
            if slow:
                out.append(pl.DataFrame(slow, schema=OUT_SCHEMA, orient="row"))
    outside = frame.filter(pl.col("_in_registry") == 0)["_id"].to_list()
    if outside:
        extra = []
        firms = list(Enterprise.objects.select_related("region").filter(pk__in=outside))
        for policy_id, c, *_rest in plans:
            for firm in firms:
                path = firm.region.path if firm.region is not None else ""
                if not path.startswith(c.region_path):
                    continue
                match = evaluate_enterprise(c, firm, on=day)
                if match.eligible and match.amount is not None:
                    extra.append((policy_id, c.version.pk or 0, firm.pk, int(match.amount * 100)))
        if extra:
            out.append(pl.DataFrame(extra, schema=OUT_SCHEMA, orient="row"))
    matches = pl.concat(out) if out else pl.DataFrame(schema=OUT_SCHEMA)
    return FullRun(matches, frame.height, len(columns), len(amounts), rechecked, len(outside))

