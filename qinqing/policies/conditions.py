"""Eligibility conditions: the 秒办 JSONLogic named conditions, checked for policies, built from rows.

An officer builds a condition from a row (fact, operator, value) chosen among the datahub's declared
facts; experts may write the JSON instead. Either way `check_eligibility` refuses an unknown fact or
an operator outside the whitelist with a message naming the condition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from qinqing.rules.engine import RuleError, RuleSetSpec, parse_rule_set

# What a policy condition may use: comparisons, logic and sums; no division (a fact may be zero).
OPERATORS = frozenset({"var", "==", "!=", ">", ">=", "<", "<=", "!", "!!", "and", "or", "in", "+", "-", "*",
                       "min", "max"})
ROW_OPERATORS: dict[str, str] = {
    "==": "等于", "!=": "不等于", ">": "大于", ">=": "不少于", "<": "小于", "<=": "不超过", "in": "属于其中之一",
}
ROW_OPERATORS_EN: dict[str, str] = {
    "==": "equals", "!=": "differs from", ">": "more than", ">=": "at least", "<": "less than", "<=": "at most",
    "in": "one of",
}


class ConditionsInvalid(ValueError):
    """The eligibility conditions may not be stored; `.errors` lists each problem in words."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _walk_operators(expr: Any, found: set[str]) -> None:
    if isinstance(expr, dict):
        for op, args in expr.items():
            found.add(str(op))
            _walk_operators(args, found)
    elif isinstance(expr, list):
        for item in expr:
            _walk_operators(item, found)


def collect_reads(expr: Any, found: set[str]) -> None:
    """Add the names of the facts a JSONLogic expression reads (`var`) to `found`."""
    if isinstance(expr, dict):
        for op, args in expr.items():
            if op == "var":
                name = args[0] if isinstance(args, list) and args else args
                found.add(str(name))
            else:
                collect_reads(args, found)
    elif isinstance(expr, list):
        for item in expr:
            collect_reads(item, found)


def check_eligibility(raw: Any, declared: Sequence[str]) -> RuleSetSpec:
    """Parse the conditions; raise ConditionsInvalid naming every unknown fact and forbidden operator."""
    items = raw.get("conditions") if isinstance(raw, Mapping) else raw
    if not isinstance(items, list) or not items:
        raise ConditionsInvalid([_("Add at least one eligibility condition.")])
    errors: list[str] = []
    known = set(declared)
    for index, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            errors.append(_("Condition %(n)d must be an object.") % {"n": index})
            continue
        name = str(item.get("label") or item.get("key") or index)
        ops: set[str] = set()
        _walk_operators(item.get("expr"), ops)
        for op in sorted(ops - OPERATORS):
            errors.append(_("Condition %(n)d (%(name)s): the operator %(op)s is not allowed.")
                          % {"n": index, "name": name, "op": op})
        facts: set[str] = set()
        collect_reads(item.get("expr"), facts)
        facts |= {str(f) for f in item.get("facts") or []}
        for fact in sorted(facts - known):
            errors.append(_("Condition %(n)d (%(name)s): unknown fact %(fact)s.")
                          % {"n": index, "name": name, "fact": fact})
        if not str(item.get("label") or "").strip():
            errors.append(_("Condition %(n)d needs a plain-language label.") % {"n": index})
        if not str(item.get("failure") or "").strip():
            errors.append(_("Condition %(n)d needs a text saying what is lacking when it fails.") % {"n": index})
    if errors:
        raise ConditionsInvalid(errors)
    try:
        return parse_rule_set({"conditions": items}, allowed_facts=known)
    except RuleError as exc:
        raise ConditionsInvalid([str(exc)]) from None


def _typed(value: str, kind: str) -> Any:
    value = value.strip()
    if kind in {"integer", "decimal"}:
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ConditionsInvalid([_("%(value)s is not a number.") % {"value": value}]) from None
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "date":
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ConditionsInvalid([_("%(value)s is not a date (YYYY-MM-DD).") % {"value": value}]) from None
    return value


def condition_from_row(row: Mapping[str, str], index: int, specs: Mapping[str, Any]) -> dict[str, Any]:
    """One builder row (fact, operator, value) as a named condition with a label and a failure text."""
    fact, op, raw = str(row.get("fact", "")), str(row.get("op", "")), str(row.get("value", ""))
    if fact not in specs:
        raise ConditionsInvalid([_("Row %(n)d: choose a fact.") % {"n": index}])
    if op not in ROW_OPERATORS:
        raise ConditionsInvalid([_("Row %(n)d: the operator %(op)s is not allowed.") % {"n": index, "op": op}])
    if not raw.strip():
        raise ConditionsInvalid([_("Row %(n)d: enter a value.") % {"n": index}])
    spec = specs[fact]
    kind = getattr(spec, "type", "text")
    value: Any = ([_typed(v, kind) for v in raw.replace("，", ",").split(",") if v.strip()] if op == "in"
                  else _typed(raw, kind))
    label_fact = getattr(spec, "label", fact)
    label_fact_en = getattr(spec, "label_en", "") or fact
    shown = "、".join(str(v) for v in value) if isinstance(value, list) else str(value)
    label = str(row.get("label") or f"{label_fact}{ROW_OPERATORS[op]}{shown}")
    return {
        "key": f"c{index}", "label": label, "label_en": f"{label_fact_en} {ROW_OPERATORS_EN[op]} {shown}",
        "failure": str(row.get("failure") or f"不符合：{label}"),
        "failure_en": f"Not met: {label_fact_en} {ROW_OPERATORS_EN[op]} {shown}",
        "facts": [fact], "expr": {op: [{"var": fact}, value]},
        "row": {"fact": fact, "op": op, "value": raw.strip()},
    }


def conditions_from_rows(rows: Sequence[Mapping[str, str]], specs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every filled builder row as a condition; collect every row's problem."""
    out: list[dict[str, Any]] = []
    errors: list[str] = []
    for index, row in enumerate(rows, start=1):
        if not any(str(row.get(k, "")).strip() for k in ("fact", "op", "value")):
            continue
        try:
            out.append(condition_from_row(row, index, specs))
        except ConditionsInvalid as exc:
            errors += exc.errors
    if errors:
        raise ConditionsInvalid(errors)
    return out


def rows_of(conditions: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The builder rows of conditions that were built from rows (an expert's JSON has none)."""
    return [dict(c["row"]) for c in conditions if isinstance(c.get("row"), Mapping)]
