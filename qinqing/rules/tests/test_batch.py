"""Batch matching gives the per-record evaluator's answers: Polars, SQL and `evaluate` agree on every row."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from django.db import connection
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qinqing.rules import batch
from qinqing.rules.engine import APPROVE, FAIL, PASS, evaluate, parse_rule_set

NUM_COLS = {"reg.capital": pl.Float64, "reg.staff": pl.Int64, "tax.paid": pl.Float64}
STR_COLS = {"reg.status": pl.String, "tax.rating": pl.String}
SCHEMA = {**NUM_COLS, **STR_COLS}
TEXTS = ["", "a", "b", "ab", "10", "9", "0", "é", "Z", "滨江", "存续", "A "]
NUMBERS = st.one_of(st.integers(-1000, 1000), st.sampled_from([0, 0.5, -2.25, 1e6, 3.1, 100]))


def var(name: str) -> dict[str, Any]:
    return {"var": name}


num_leaf = st.one_of(st.sampled_from(list(NUM_COLS)).map(var), NUMBERS)
str_leaf = st.one_of(st.sampled_from(list(STR_COLS)).map(var), st.sampled_from(TEXTS))


def num_exprs() -> st.SearchStrategy[Any]:
    return st.recursive(num_leaf, lambda inner: st.one_of(
        st.tuples(st.sampled_from(["+", "-", "*", "/"]), st.lists(inner, min_size=1, max_size=3))
        .map(lambda t: {t[0]: t[1]}),
        st.tuples(st.sampled_from(["min", "max"]), st.lists(inner, min_size=0, max_size=3)).map(lambda t: {t[0]: t[1]}),
        st.tuples(bool_exprs_flat(), inner, inner).map(lambda t: {"if": list(t)}),
    ), max_leaves=4)


def bool_exprs_flat() -> st.SearchStrategy[Any]:
    """Comparisons over leaves only (used inside numbers, to keep the trees small)."""
    return st.one_of(
        st.tuples(st.sampled_from(["==", "!=", "===", "!==", "<", "<=", ">", ">="]), num_leaf, num_leaf)
        .map(lambda t: {t[0]: [t[1], t[2]]}),
        st.tuples(st.sampled_from(["==", "!=", "<", ">="]), str_leaf, str_leaf).map(lambda t: {t[0]: [t[1], t[2]]}),
    )


def bool_exprs() -> st.SearchStrategy[Any]:
    nums, strs = num_exprs(), st.one_of(str_leaf, st.tuples(bool_exprs_flat(), str_leaf, str_leaf)
                                        .map(lambda t: {"if": list(t)}))
    base = st.one_of(
        st.tuples(st.sampled_from(["==", "!=", "===", "!==", "<", "<=", ">", ">="]), nums, nums)
        .map(lambda t: {t[0]: [t[1], t[2]]}),
        st.tuples(st.sampled_from(["<", "<="]), nums, nums, nums).map(lambda t: {t[0]: [t[1], t[2], t[3]]}),
        st.tuples(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), strs, strs).map(lambda t: {t[0]: [t[1], t[2]]}),
        st.tuples(nums, st.lists(NUMBERS, max_size=3)).map(lambda t: {"in": [t[0], t[1]]}),
        st.tuples(strs, st.lists(st.sampled_from(TEXTS), max_size=3)).map(lambda t: {"in": [t[0], t[1]]}),
        st.tuples(strs, strs).map(lambda t: {"in": [t[0], t[1]]}),
        nums, strs,
        # Mixed types: no exact batch form, so Polars falls back to the evaluator and SQL refuses.
        st.tuples(st.sampled_from(["==", "<", "%", "cat"]), num_leaf, str_leaf).map(lambda t: {t[0]: [t[1], t[2]]}),
        st.just({"missing": ["reg.status"]}),
    )
    return st.recursive(base, lambda inner: st.one_of(
        st.tuples(st.sampled_from(["and", "or"]), st.lists(inner, min_size=1, max_size=3)).map(lambda t: {t[0]: t[1]}),
        inner.map(lambda e: {"!": [e]}), inner.map(lambda e: {"!!": [e]}),
        st.tuples(inner, inner, inner).map(lambda t: {"if": list(t)}),
    ), max_leaves=5)


def reads(expr: Any) -> list[str]:
    found: list[str] = []
    if isinstance(expr, dict):
        for op, args in expr.items():
            if op == "var":
                found.append(args)
            else:
                found += reads(args)
    elif isinstance(expr, list):
        for item in expr:
            found += reads(item)
    return sorted(set(found))


rows = st.lists(st.fixed_dictionaries({
    "reg.capital": st.one_of(st.none(), st.sampled_from([0.0, 0.5, 3.1, 1e6, -2.25, 100.0, 999.99])),
    "reg.staff": st.one_of(st.none(), st.integers(-5, 1000)),
    "tax.paid": st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: round(f, 2))),
    "reg.status": st.one_of(st.none(), st.sampled_from(TEXTS)),
    "tax.rating": st.one_of(st.none(), st.sampled_from(TEXTS)),
}), min_size=1, max_size=12)


def frame(data: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(data, schema=SCHEMA)


def sql_table(data: list[dict[str, Any]]) -> None:
    real = "DOUBLE PRECISION" if connection.vendor == "postgresql" else "REAL"
    cols = ", ".join(f'"{name}" {real if name in NUM_COLS else "TEXT"}' for name in SCHEMA)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS batch_facts (row_no INTEGER, {cols})")
        cursor.execute("DELETE FROM batch_facts")
        names = ", ".join(f'"{n}"' for n in SCHEMA)
        marks = ", ".join(["%s"] * (len(SCHEMA) + 1))
        cursor.executemany(f"INSERT INTO batch_facts (row_no, {names}) VALUES ({marks})",
                           [(i, *(row[n] for n in SCHEMA)) for i, row in enumerate(data)])


def sql_column(fragment: batch.SqlFragment) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {fragment.sql} FROM batch_facts ORDER BY row_no", fragment.params)
        return [None if r[0] is None else r[0] for r in cursor.fetchall()]


def as_outcome(value: Any) -> str:
    return "unknown" if value is None else PASS if value else FAIL


def spec_of(expr: Any, extra: list[str] | None = None) -> Any:
    facts = sorted(set(reads(expr)) | set(extra or []))
    return parse_rule_set([{"key": "c", "label": "条件", "failure": "不符合", "facts": facts, "expr": expr}])


@pytest.mark.django_db
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(expr=bool_exprs(), data=rows, extra=st.lists(st.sampled_from(list(SCHEMA)), max_size=1))
# A chain is lazy: 0 < 0 fails before the bound 1/0 is reached (CI, 2026-12-07); 0 < 1 holds, so 1/0 is reached.
@example(expr={"<": [0, {"+": [0]}, {"/": [0]}]}, data=[{"reg.capital": 1.0, "reg.staff": 1, "tax.paid": 0.0, "reg.status": "a", "tax.rating": "b"}], extra=[])
@example(expr={"<": [0, 1, {"/": [0]}]}, data=[{"reg.capital": 1.0, "reg.staff": 1, "tax.paid": 0.0, "reg.status": "a", "tax.rating": "b"}], extra=[])
@example(expr={"<": [0, 1, {"/": [{"var": "tax.paid"}]}, 5]}, data=[{"reg.capital": 1.0, "reg.staff": 1, "tax.paid": 0.0, "reg.status": "a", "tax.rating": "b"}], extra=[])
def test_polars_sql_and_the_evaluator_agree_on_every_condition_and_row(expr, data, extra):
    spec = spec_of(expr, extra)
    cond = spec.conditions[0]
    expected = [evaluate(spec, batch.nest(row)).trace[0].outcome for row in data]
    got = frame(data).select(batch.condition_expr(cond, batch.schema_of(frame(data))).alias("o"))["o"].to_list()
    assert [as_outcome(v) for v in got] == expected, expr
    try:
        fragment = batch.sql_condition(cond, batch.schema_of(frame(data)), vendor=connection.vendor)
    except batch.Unsupported:
        return
    sql_table(data)
    assert [as_outcome(v) for v in sql_column(fragment)] == expected, (expr, fragment.sql)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(exprs=st.lists(bool_exprs(), min_size=1, max_size=3), data=rows)
def test_a_rule_set_is_eligible_in_batch_exactly_where_the_evaluator_approves(exprs, data):
    conditions = [{"key": f"c{i}", "label": "条件", "failure": "不符合", "facts": reads(e), "expr": e}
                  for i, e in enumerate(exprs)]
    spec = parse_rule_set(conditions)
    expected = [evaluate(spec, batch.nest(row)).outcome == APPROVE for row in data]
    schema = batch.schema_of(frame(data))
    assert frame(data).select(batch.eligible_expr(spec, schema).alias("e"))["e"].to_list() == expected
    assert batch.outcomes(frame(data), spec)["eligible"].to_list() == expected
    try:
        fragment = batch.sql_eligible(spec, schema, vendor=connection.vendor)
    except batch.Unsupported:
        return
    sql_table(data)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT row_no FROM batch_facts WHERE {fragment.sql} ORDER BY row_no", fragment.params)
        chosen = [r[0] for r in cursor.fetchall()]
    assert chosen == [i for i, ok in enumerate(expected) if ok]


@pytest.mark.django_db
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(expr=num_exprs(), data=rows)
@example(expr={"/": [{"var": "tax.paid"}, 73]},  # 39 / 73: the engines differ in the last bit (CI, 2026-12-07)
         data=[{"reg.capital": None, "reg.staff": None, "tax.paid": 39.0, "reg.status": None, "tax.rating": None}])
def test_an_amount_formula_gives_the_same_number_per_record_in_polars_and_in_sql(expr, data):
    names = reads(expr)
    expected = [batch.value_of(expr, batch.nest(row), names) for row in data]
    schema = batch.schema_of(frame(data))
    got = frame(data).select(batch.value_expr(expr, names, schema).alias("v"))["v"].to_list()
    assert _same_numbers(got, expected), (expr, data, expected, got)
    try:
        fragment = batch.sql_value(expr, names, schema, vendor=connection.vendor)
    except batch.Unsupported:
        return
    sql_table(data)
    assert _same_numbers([None if v is None else float(v) for v in sql_column(fragment)], expected), (expr, fragment.sql)


def _same_numbers(got: list, expected: list) -> bool:
    """Equal, except that floating point may round the last bit differently (39 / 73 is 0.534…657 in one engine and
    0.534…658 in another); an amount is quantised to 0.01 yuan long before that bit matters."""
    import math

    return len(got) == len(expected) and all(
        g == e if g is None or e is None else math.isclose(g, e, rel_tol=1e-12, abs_tol=1e-12)
        for g, e in zip(got, expected))


def test_a_condition_on_a_fact_the_snapshot_lacks_is_unknown_for_every_row():
    spec = spec_of({">": [{"var": "form.area"}, 1]})
    df = frame([{"reg.capital": 1.0, "reg.staff": 1, "tax.paid": 1.0, "reg.status": "存续", "tax.rating": "A"}])
    assert df.select(batch.condition_expr(spec.conditions[0], batch.schema_of(df)))[:, 0].to_list() == [None]


def test_division_by_zero_is_unknown_in_batch_as_the_evaluator_cannot_check_it():
    spec = spec_of({">": [{"/": [{"var": "tax.paid"}, {"var": "reg.staff"}]}, 10]})
    data = [{"reg.capital": 1.0, "reg.staff": 0, "tax.paid": 50.0, "reg.status": "存续", "tax.rating": "A"},
            {"reg.capital": 1.0, "reg.staff": 2, "tax.paid": 50.0, "reg.status": "存续", "tax.rating": "A"}]
    assert [evaluate(spec, batch.nest(r)).trace[0].outcome for r in data] == ["unknown", PASS]
    got = frame(data).select(batch.condition_expr(spec.conditions[0], SCHEMA_KINDS))[:, 0].to_list()
    assert got == [None, True]


SCHEMA_KINDS = {**{n: batch.NUM for n in NUM_COLS}, **{n: batch.STR for n in STR_COLS}}


def test_sql_refuses_what_it_cannot_express_exactly_rather_than_guess():
    spec = spec_of({"==": [{"var": "reg.staff"}, {"var": "reg.status"}]})
    with pytest.raises(batch.Unsupported):
        batch.sql_condition(spec.conditions[0], SCHEMA_KINDS, vendor="postgresql")


def test_dividing_a_fraction_by_zero_is_unknown_not_a_huge_number():
    spec = spec_of({">": [{"/": [{"var": "reg.capital"}, {"var": "reg.staff"}]}, 1]})
    row = {"reg.capital": 0.5, "reg.staff": 0, "tax.paid": None, "reg.status": None, "tax.rating": None}
    assert evaluate(spec, batch.nest(row)).trace[0].outcome == "unknown"
    assert frame([row]).select(batch.condition_expr(spec.conditions[0], SCHEMA_KINDS))[:, 0].to_list() == [None]


def test_a_division_behind_a_guard_that_is_not_taken_still_decides():
    expr = {"or": [{"==": [{"var": "reg.staff"}, 0]}, {"<": [{"/": [{"var": "tax.paid"}, {"var": "reg.staff"}]}, 5]}]}
    spec = spec_of(expr)
    row = {"reg.capital": None, "reg.staff": 0, "tax.paid": 0.5, "reg.status": None, "tax.rating": None}
    assert evaluate(spec, batch.nest(row)).trace[0].outcome == PASS
    assert frame([row]).select(batch.condition_expr(spec.conditions[0], SCHEMA_KINDS))[:, 0].to_list() == [True]
