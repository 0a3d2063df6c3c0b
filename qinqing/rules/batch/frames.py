"""Polars: conditions and amount formulas as expressions over a snapshot frame (one row per enterprise)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import reduce
from typing import Any

import datalogic_py
import polars as pl

from qinqing.rules.batch.nodes import BOOL, NUM, STR, Node, Unsupported, build_root, truthy
from qinqing.rules.engine import FAIL, PASS, Condition, RuleSetSpec, evaluate

_PL_CMP = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


def to_polars(node: Node) -> pl.Expr:
    """Render a typed node as a Polars expression (values only; errors are rendered separately)."""
    k, a = node.kind, node.args
    if k == "col":
        col = pl.col(node.value)
        return col.cast(pl.Float64) if node.type == NUM else col
    if k == "lit":
        dtype = {NUM: pl.Float64, STR: pl.String, BOOL: pl.Boolean}[node.type]
        return pl.lit(node.value, dtype=dtype)
    if k == "cmp":
        left, right = to_polars(a[0]), to_polars(a[1])
        return getattr(left, _PL_CMP[node.value])(right)  # type: ignore[no-any-return]
    if k == "arith":
        left, right = to_polars(a[0]), to_polars(a[1])
        return {"+": left + right, "-": left - right, "*": left * right, "/": left / right}[node.value]
    if k == "neg":
        return -to_polars(a[0])
    if k in {"min", "max"}:
        parts = [to_polars(x) for x in a]
        return pl.min_horizontal(parts) if k == "min" else pl.max_horizontal(parts)
    if k == "nonempty":
        return to_polars(a[0]).str.len_bytes() > 0
    if k == "not":
        return ~to_polars(a[0])
    if k in {"and", "or"}:
        parts = [to_polars(x) for x in a]
        return reduce(lambda x, y: x & y, parts) if k == "and" else reduce(lambda x, y: x | y, parts)
    if k == "if":
        chain: Any = pl
        for i in range(0, len(a) - 1, 2):
            chain = chain.when(to_polars(a[i])).then(to_polars(a[i + 1]))
        return chain.otherwise(to_polars(a[-1]))  # type: ignore[no-any-return]
    if k == "inlist":
        if not node.value:
            return pl.lit(False)
        dtype = pl.Float64 if a[0].type == NUM else pl.String
        return to_polars(a[0]).is_in(pl.Series(values=list(node.value), dtype=dtype).implode())
    if k == "contains":
        return to_polars(a[0]).str.contains(to_polars(a[1]), literal=True)
    raise Unsupported(k)


def _known(facts: Iterable[str], schema: Mapping[str, str]) -> pl.Expr:
    parts = [pl.col(f).is_not_null() & (pl.col(f) != "") if schema[f] == STR else pl.col(f).is_not_null()
             for f in facts]
    # With no facts, still one value per row (a bare literal would give one value for the whole frame).
    return reduce(lambda x, y: x & y, parts) if parts else pl.int_range(pl.len()) >= 0


def condition_expr(cond: Condition, schema: Mapping[str, str]) -> pl.Expr:
    """The condition's outcome per row: true (pass), false (fail) or null (unknown), as `evaluate` decides."""
    if any(f not in schema for f in cond.facts):
        return pl.repeat(None, pl.len(), dtype=pl.Boolean)
    try:
        node = truthy(build_root(cond.expr, schema))
    except Unsupported:
        return _row_by_row(cond, schema)
    value = to_polars(node)
    if node.err is not None:
        value = pl.when(to_polars(node.err).fill_null(True)).then(pl.lit(None, dtype=pl.Boolean)).otherwise(value)
    return pl.when(_known(cond.facts, schema)).then(value).otherwise(pl.lit(None, dtype=pl.Boolean))


def _row_by_row(cond: Condition, schema: Mapping[str, str]) -> pl.Expr:
    # Every fact column, not only the declared ones: `missing` may name any fact.
    spec = RuleSetSpec(conditions=(cond,))

    def decide(row: dict[str, Any]) -> bool | None:
        outcome = evaluate(spec, nest(row)).trace[0].outcome
        return True if outcome == PASS else False if outcome == FAIL else None

    return pl.struct([pl.col(f) for f in schema]).map_elements(decide, return_dtype=pl.Boolean)


def nest(row: Mapping[str, Any]) -> dict[str, Any]:
    """A snapshot row as the evaluator's facts: {"registry": {"status": …}, …}; nulls are left out."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        if value is None or name.startswith("_"):
            continue
        node = out
        *groups, last = name.split(".")
        for group in groups:
            node = node.setdefault(group, {})
        node[last] = value
    return out


def outcomes(frame: pl.DataFrame | pl.LazyFrame, spec: RuleSetSpec, schema: Mapping[str, str] | None = None) -> Any:
    """Add one boolean column per condition (named by its key; null = unknown) and `eligible`."""
    schema = schema or schema_of(frame)
    exprs = [condition_expr(c, schema).alias(c.key) for c in spec.conditions]
    eligible = reduce(lambda x, y: x & y, [pl.col(c.key).fill_null(False) for c in spec.conditions])
    return frame.with_columns(exprs).with_columns(eligible.alias("eligible"))


def eligible_expr(spec: RuleSetSpec, schema: Mapping[str, str]) -> pl.Expr:
    """True where every condition passes (the evaluator's "approve"); never null."""
    parts = [condition_expr(c, schema).fill_null(False) for c in spec.conditions]
    return reduce(lambda x, y: x & y, parts)


def schema_of(frame: pl.DataFrame | pl.LazyFrame) -> dict[str, str]:
    """Fact column → "num" or "str" from a snapshot's dtypes (other columns are not facts)."""
    columns = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    out = {}
    for name, dtype in columns.items():
        if dtype.is_numeric():
            out[name] = NUM
        elif dtype == pl.String:
            out[name] = STR
    return out


# ---- amounts -----------------------------------------------------------------------------------------

def value_of(expr: Any, facts: Mapping[str, Any], reads: Iterable[str]) -> float | None:
    """Per record: a formula's number, or None when a fact it reads is unknown or the formula fails."""
    from qinqing.rules.engine import _lookup, _plain, guard_division

    data = _plain(facts)
    if any(_lookup(data, name) in (None, "") for name in reads):
        return None
    try:
        result = datalogic_py.apply(guard_division(expr), data)
    except Exception:
        return None
    if isinstance(result, bool) or not isinstance(result, int | float):
        return None
    return float(result)


def value_expr(expr: Any, reads: Sequence[str], schema: Mapping[str, str]) -> pl.Expr:
    """The formula per row (Float64), null where `value_of` gives None."""
    if any(f not in schema for f in reads):
        return pl.repeat(None, pl.len(), dtype=pl.Float64)
    try:
        node = build_root(expr, schema)
        if node.type != NUM:
            raise Unsupported("not a number")
    except Unsupported:
        names = list(reads)
        return pl.struct([pl.col(f) for f in schema]).map_elements(
            lambda row: value_of(expr, nest(row), names), return_dtype=pl.Float64)
    value = to_polars(node)
    if node.err is not None:
        value = pl.when(to_polars(node.err).fill_null(True)).then(pl.lit(None, dtype=pl.Float64)).otherwise(value)
    return pl.when(_known(reads, schema)).then(value).otherwise(pl.lit(None, dtype=pl.Float64))
