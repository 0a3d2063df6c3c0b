"""SQL: conditions and formulas as bound-parameter expressions over a table of facts (PostgreSQL, SQLite).

The table has one row per enterprise and one column per fact (numbers as double precision or
REAL, text as text); `columns` maps a fact name to the SQL that reads it (default: the fact name
as a quoted column). Text is compared byte by byte (COLLATE "C" on PostgreSQL), as the evaluator
compares strings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qinqing.rules.batch.nodes import BOOL, NUM, STR, Node, Unsupported, build_root, truthy
from qinqing.rules.engine import Condition, RuleSetSpec


@dataclass(frozen=True)
class SqlFragment:
    sql: str
    params: list[Any]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Renderer:
    def __init__(self, vendor: str, columns: Mapping[str, str] | None) -> None:
        if vendor not in {"postgresql", "sqlite"}:
            raise Unsupported(f"database {vendor!r}")
        self.pg = vendor == "postgresql"
        self.columns = columns or {}
        self.params: list[Any] = []
        self.real = "DOUBLE PRECISION" if self.pg else "REAL"

    def column(self, name: str) -> str:
        return self.columns.get(name) or _quote(name)

    def literal(self, value: Any, type_: str) -> str:
        if type_ == BOOL:
            return ("TRUE" if value else "FALSE") if self.pg else ("1" if value else "0")
        self.params.append(value)
        return f"CAST(%s AS {self.real})" if type_ == NUM else "CAST(%s AS TEXT)"

    def render(self, node: Node) -> str:
        k, a = node.kind, node.args
        if k == "col":
            col = self.column(node.value)
            return f"CAST({col} AS {self.real})" if node.type == NUM else col
        if k == "lit":
            return self.literal(node.value, node.type)
        if k == "cmp":
            left, right = self.render(a[0]), self.render(a[1])
            op = {"==": "=", "!=": "<>"}.get(node.value, node.value)
            if self.pg and a[0].type == STR:
                left += ' COLLATE "C"'
            return f"({left} {op} {right})"
        if k == "arith":
            left, right = self.render(a[0]), self.render(a[1])
            return f"({left} / NULLIF({right}, 0))" if node.value == "/" else f"({left} {node.value} {right})"
        if k == "neg":
            return f"(-{self.render(a[0])})"
        if k in {"min", "max"}:
            name = {"min": "LEAST", "max": "GREATEST"}[k] if self.pg else k.upper()
            return f"{name}({', '.join(self.render(x) for x in a)})"
        if k == "nonempty":
            return f"(LENGTH({self.render(a[0])}) > 0)"
        if k == "not":
            return f"(NOT {self.render(a[0])})"
        if k in {"and", "or"}:
            return "(" + f" {k.upper()} ".join(self.render(x) for x in a) + ")"
        if k == "if":
            parts = [f"WHEN {self.render(a[i])} THEN {self.render(a[i + 1])}" for i in range(0, len(a) - 1, 2)]
            return f"(CASE {' '.join(parts)} ELSE {self.render(a[-1])} END)"
        if k == "inlist":
            if not node.value:
                return self.literal(False, BOOL)
            needle = self.render(a[0])
            items = ", ".join(self.literal(v, a[0].type) for v in node.value)
            return f"({needle} IN ({items}))"
        if k == "contains":
            hay, needle = self.render(a[0]), self.render(a[1])
            return f"(STRPOS({hay}, {needle}) > 0)" if self.pg else f"(INSTR({hay}, {needle}) > 0)"
        raise Unsupported(k)

    def known(self, facts: Sequence[str], schema: Mapping[str, str]) -> str:
        parts = []
        for fact in facts:
            col = self.column(fact)
            parts.append(f"({col} IS NOT NULL AND {col} <> '')" if schema[fact] == STR else f"({col} IS NOT NULL)")
        return " AND ".join(parts) or self.literal(True, BOOL)

    def guarded(self, node: Node, facts: Sequence[str], schema: Mapping[str, str]) -> str:
        """CASE: unknown facts or an error → NULL; otherwise the value."""
        known = self.known(facts, schema)
        err = f" WHEN COALESCE({self.render(node.err)}, {self.literal(True, BOOL)}) THEN NULL" if node.err else ""
        value = self.render(node)
        return f"(CASE WHEN NOT ({known}) THEN NULL{err} ELSE {value} END)"


def _condition_node(cond: Condition, schema: Mapping[str, str]) -> Node:
    if any(f not in schema for f in cond.facts):
        raise Unsupported(f"{cond.key}: a fact outside the table")
    return truthy(build_root(cond.expr, schema))


def sql_condition(cond: Condition, schema: Mapping[str, str], *, vendor: str,
                  columns: Mapping[str, str] | None = None) -> SqlFragment:
    """The condition's outcome: TRUE (pass), FALSE (fail) or NULL (unknown); raise Unsupported if not exact."""
    r = _Renderer(vendor, columns)
    sql = r.guarded(_condition_node(cond, schema), cond.facts, schema)
    return SqlFragment(sql, r.params)


def sql_eligible(spec: RuleSetSpec, schema: Mapping[str, str], *, vendor: str,
                 columns: Mapping[str, str] | None = None) -> SqlFragment:
    """A WHERE clause true exactly where every condition passes."""
    r = _Renderer(vendor, columns)
    true = r.literal(True, BOOL)
    parts = [f"COALESCE({r.guarded(_condition_node(c, schema), c.facts, schema)}, {r.literal(False, BOOL)}) = {true}"
             for c in spec.conditions]
    return SqlFragment(" AND ".join(parts), r.params)


def sql_value(expr: Any, reads: Sequence[str], schema: Mapping[str, str], *, vendor: str,
              columns: Mapping[str, str] | None = None) -> SqlFragment:
    """A formula's number, NULL where a fact it reads is unknown or the formula fails."""
    if any(f not in schema for f in reads):
        raise Unsupported("a fact outside the table")
    node = build_root(expr, schema)
    if node.type != NUM:
        raise Unsupported("not a number")
    r = _Renderer(vendor, columns)
    return SqlFragment(r.guarded(node, reads, schema), r.params)
