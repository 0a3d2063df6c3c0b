"""The amount a policy pays: a small formula language stored as data, evaluated in Decimal, never `eval`.

    {"expr": {"*": [{"var": "annual.rd_spend"}, {"param": "rate"}]},
     "cap": "2000000",
     "params": {"rate": [{"from": "2025-01-01", "value": "0.5"}, {"from": "2026-07-01", "value": "0.4"}]}}

Operators: `+ - * min max` over any operands, `/` by a constant or a parameter only (a fact may be zero),
`var` (a declared fact), `param` (a dated parameter: the value of the newest row whose `from` is on or
before the day of payment), numbers (as strings or numbers). The result is rounded to fen, never below
zero and never above `cap`, which every formula must have.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

OPERATORS = frozenset({"+", "-", "*", "/", "min", "max", "var", "param"})
FEN = Decimal("0.01")


class FormulaError(ValueError):
    """A formula that may not be stored; the message says why in the user's language."""


class Unknown(Exception):
    """A fact the formula reads is missing for this enterprise."""


@dataclass(frozen=True)
class Formula:
    expr: Any
    cap: Decimal
    params: Mapping[str, tuple[tuple[dt.date, Decimal], ...]]

    def facts(self) -> set[str]:
        return set(_vars(self.expr))

    def param(self, name: str, on: dt.date) -> Decimal:
        rows = self.params[name]
        value = rows[0][1]
        for start, row_value in rows:
            if start <= on:
                value = row_value
        return value

    def amount(self, facts: Mapping[str, Any], on: dt.date) -> Decimal:
        """The amount for these facts ("source.field" → value) on a day; raise Unknown when a fact is missing."""
        raw = _eval(self.expr, facts, self, on)
        return max(Decimal(0), min(raw, self.cap)).quantize(FEN, rounding=ROUND_HALF_UP)


def _decimal(raw: Any, where: str) -> Decimal:
    if isinstance(raw, bool):
        raise FormulaError(_("%(where)s: %(value)s is not a number.") % {"where": where, "value": raw})
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise FormulaError(_("%(where)s: %(value)s is not a number.") % {"where": where, "value": raw}) from None
    if not value.is_finite():
        raise FormulaError(_("%(where)s: %(value)s is not a number.") % {"where": where, "value": raw})
    return value


def _vars(expr: Any) -> Iterable[str]:
    if isinstance(expr, dict):
        for op, args in expr.items():
            if op == "var":
                yield str(args)
            else:
                yield from _vars(args)
    elif isinstance(expr, list):
        for item in expr:
            yield from _vars(item)


def _check(expr: Any, params: Mapping[str, Any], facts: set[str] | None) -> None:
    where = _("Amount formula")
    if isinstance(expr, dict):
        if len(expr) != 1:
            raise FormulaError(_("%(where)s: an operation must have exactly one operator.") % {"where": where})
        (op, args), = expr.items()
        if op not in OPERATORS:
            raise FormulaError(_("%(where)s: the operator %(op)s is not allowed (allowed: %(ops)s).")
                               % {"where": where, "op": op, "ops": " ".join(sorted(OPERATORS))})
        if op == "var":
            if not isinstance(args, str) or (facts is not None and args not in facts):
                raise FormulaError(_("%(where)s: unknown fact %(fact)s.") % {"where": where, "fact": args})
            return
        if op == "param":
            if not isinstance(args, str) or args not in params:
                raise FormulaError(_("%(where)s: unknown parameter %(name)s.") % {"where": where, "name": args})
            return
        if not isinstance(args, list) or not args or (op in {"-", "/"} and len(args) != 2):
            raise FormulaError(_("%(where)s: %(op)s needs a list of operands.") % {"where": where, "op": op})
        if op == "/":
            divisor = args[1]
            if isinstance(divisor, dict) and "param" in divisor:
                name = divisor["param"]
                if any(_decimal(row.get("value"), where) == 0 for row in params.get(name, []) if isinstance(row, dict)):
                    raise FormulaError(_("%(where)s: division by zero (parameter %(name)s is 0).")
                                       % {"where": where, "name": name})
            elif isinstance(divisor, dict | list):
                raise FormulaError(_("%(where)s: divide only by a number or a parameter, never by a fact "
                                     "that may be zero.") % {"where": where})
            elif _decimal(divisor, where) == 0:
                raise FormulaError(_("%(where)s: division by zero.") % {"where": where})
        for item in args:
            _check(item, params, facts)
    elif isinstance(expr, list):
        raise FormulaError(_("%(where)s: a list is not a value.") % {"where": where})
    else:
        _decimal(expr, where)


def parse_formula(raw: Any, allowed_facts: Iterable[str] | None = None) -> Formula:
    """Validate a stored amount rule and return it; raise FormulaError with a clear message otherwise."""
    if not isinstance(raw, Mapping) or "expr" not in raw:
        raise FormulaError(_("The amount rule needs a formula."))
    if raw.get("cap") in (None, ""):
        raise FormulaError(_("The amount rule needs a cap (the most one enterprise may receive)."))
    cap = _decimal(raw["cap"], _("Cap"))
    if cap <= 0:
        raise FormulaError(_("The cap must be more than 0 yuan."))
    params_raw = raw.get("params") or {}
    if not isinstance(params_raw, Mapping):
        raise FormulaError(_("Parameters must be an object."))
    params: dict[str, tuple[tuple[dt.date, Decimal], ...]] = {}
    for name, rows in params_raw.items():
        if not isinstance(rows, list) or not rows:
            raise FormulaError(_("Parameter %(name)s needs at least one dated value.") % {"name": name})
        parsed = []
        for row in rows:
            try:
                start = dt.date.fromisoformat(str(row["from"]))
            except (KeyError, TypeError, ValueError):
                raise FormulaError(_("Parameter %(name)s: each value needs a date \"from\" (YYYY-MM-DD).")
                                   % {"name": name}) from None
            parsed.append((start, _decimal(row.get("value"), str(name))))
        params[str(name)] = tuple(sorted(parsed))
    _check(raw["expr"], params_raw, set(allowed_facts) if allowed_facts is not None else None)
    return Formula(expr=raw["expr"], cap=cap, params=params)


def _fact(facts: Mapping[str, Any], name: str) -> Decimal:
    value = facts.get(name)
    if value is None or value == "" or isinstance(value, bool):
        raise Unknown(name)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise Unknown(name) from None


def _eval(expr: Any, facts: Mapping[str, Any], formula: Formula, on: dt.date) -> Decimal:
    if not isinstance(expr, dict):
        return Decimal(str(expr))
    (op, args), = expr.items()
    if op == "var":
        return _fact(facts, args)
    if op == "param":
        return formula.param(args, on)
    values = [_eval(a, facts, formula, on) for a in args]
    if op == "+":
        return sum(values, Decimal(0))
    if op == "-":
        return values[0] - values[1]
    if op == "*":
        out = Decimal(1)
        for v in values:
            out *= v
        return out
    if op == "/":
        return values[0] / values[1]
    if op == "min":
        return min(values)
    return max(values)
