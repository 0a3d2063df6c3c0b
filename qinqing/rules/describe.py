"""A condition's expression in words, for the reviewer: names instead of fact codes, labels instead of values.

`registry.status in ["存续", "在业"]` reads "登记状态为存续或在业"; `form.monthly_quantity <= 25` reads
"每月最高领用数量不超过 25". Pure: the caller supplies how a fact and one of its values are named.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

Namer = Callable[[str], str]
ValueNamer = Callable[[str, Any], str]

_WORDS = {
    "zh": {
        "==": "{a}为{b}", "===": "{a}为{b}", "!=": "{a}不是{b}", "!==": "{a}不是{b}",
        ">": "{a}大于 {b}", ">=": "{a}不低于 {b}", "<": "{a}小于 {b}", "<=": "{a}不超过 {b}",
        "in": "{a}为{b}", "true": "{a}：已确认", "false": "{a}：未勾选", "or": "或", "and": "且",
        "either": "；或", "both": "，并且", "not": "并非：{a}", "missing": "已填写：{a}", "list": "或",
        "yes": "是", "no": "否", "open": "（", "close": "）",
    },
    "en": {
        "==": "{a} is {b}", "===": "{a} is {b}", "!=": "{a} is not {b}", "!==": "{a} is not {b}",
        ">": "{a} is more than {b}", ">=": "{a} is at least {b}", "<": "{a} is less than {b}",
        "<=": "{a} is at most {b}", "in": "{a} is {b}", "true": "{a}: confirmed", "false": "{a}: not ticked",
        "or": " or ", "and": " and ", "either": "; or ", "both": ", and ", "not": "not: {a}",
        "missing": "filled in: {a}", "list": " or ", "yes": "yes", "no": "no", "open": "(", "close": ")",
    },
}
_ARITHMETIC = {"+": "+", "-": "−", "*": "×", "/": "÷", "%": "mod"}


def describe(expr: Any, *, name: Namer, value: ValueNamer, english: bool = False) -> str:
    """The expression as a sentence; an unusual shape falls back to a readable formula."""
    words = _WORDS["en" if english else "zh"]
    return _sentence(expr, name, value, words)


def _var(expr: Any) -> str | None:
    if isinstance(expr, dict) and len(expr) == 1 and "var" in expr:
        arg = expr["var"]
        arg = arg[0] if isinstance(arg, list) and arg else arg
        return arg if isinstance(arg, str) else None
    return None


def _number(raw: Any) -> str:
    if isinstance(raw, float) and 0 < abs(raw) < 1:
        return f"{Decimal(str(raw)) * 100:f}".rstrip("0").rstrip(".") + "%"
    if isinstance(raw, int | float):
        return f"{raw:,}"
    return str(raw)


def _term(expr: Any, fact: str | None, name: Namer, value: ValueNamer, words: dict[str, str],
          nested: bool = False) -> str:
    """One side of a comparison: a fact's name, a constant (named through the fact), or arithmetic."""
    var = _var(expr)
    if var is not None:
        return name(var)
    if isinstance(expr, bool):
        return words["yes"] if expr else words["no"]
    if isinstance(expr, list):
        return words["list"].join(_term(e, fact, name, value, words) for e in expr)
    if isinstance(expr, dict) and len(expr) == 1:
        (op, args), = expr.items()
        if op in _ARITHMETIC and isinstance(args, list):
            parts = [_term(a, fact, name, value, words, nested=True) for a in args]
            formula = f" {_ARITHMETIC[op]} ".join(parts)
            return words["open"] + formula + words["close"] if nested and len(parts) > 1 else formula
    if fact is not None and isinstance(expr, str | int | float):
        shown = value(fact, expr)
        if shown != str(expr):
            return shown
    return _number(expr)


def _sentence(expr: Any, name: Namer, value: ValueNamer, words: dict[str, str]) -> str:
    if not isinstance(expr, dict) or len(expr) != 1:
        return _term(expr, None, name, value, words)
    (op, args), = expr.items()
    if op in ("or", "and") and isinstance(args, list):
        parts = [_sentence(a, name, value, words) for a in args]
        nested = any(isinstance(a, dict) and set(a) & {"or", "and"} for a in args)
        joiner = words["either" if op == "or" else "both"] if nested else words[op]
        return joiner.join(parts)
    if op in ("!", "!!") :
        inner = args[0] if isinstance(args, list) and args else args
        return words["not"].format(a=_sentence(inner, name, value, words)) if op == "!" else _sentence(
            inner, name, value, words)
    if op in ("missing", "missing_some"):
        return words["missing"].format(a=_term(args, None, name, value, words))
    if op in words and isinstance(args, list) and len(args) == 2:
        left, right = args
        fact = _var(left)
        if op in ("==", "===") and isinstance(right, bool) and fact is not None:
            return words["true" if right else "false"].format(a=name(fact))
        return words[op].format(a=_term(left, fact, name, value, words), b=_term(right, fact, name, value, words))
    return _term(expr, None, name, value, words)
