"""Rule sets as data: parse (whitelist JSONLogic) once, evaluate purely, explain every outcome.

A condition reads named facts ("form.area", "registry.status"). A fact that is absent or None is
unknown; a condition with an unknown fact is never guessed and refers the case to a person.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import datalogic_py

ALLOWED_OPERATORS = frozenset(
    {"var", "==", "!=", "===", "!==", ">", ">=", "<", "<=", "!", "!!", "and", "or", "if", "?:",
     "in", "+", "-", "*", "/", "%", "min", "max", "missing", "missing_some", "cat", "substr"}
)

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
APPROVE, REFER = "approve", "refer"


class RuleError(ValueError):
    """A rule set that may not be stored: unknown operator, bad shape, undeclared fact."""


@dataclass(frozen=True)
class Condition:
    key: str
    label: str
    failure: str
    facts: tuple[str, ...]
    expr: Any
    label_en: str = ""
    failure_en: str = ""
    threshold: str = ""
    requirement: str = ""  # the threshold in words, when the expression alone would not say it well
    requirement_en: str = ""
    measure: Measure | None = None
    run: Any = None  # `expr` as evaluated: divisions guarded (see guard_division)


@dataclass(frozen=True)
class Measure:
    """A figure computed from the facts that the reviewer needs to see (e.g. the layoff rate)."""

    label: str
    expr: Any
    label_en: str = ""
    percent: bool = False

    def value(self, data: Mapping[str, Any]) -> str:
        try:
            result = datalogic_py.apply(guard_division(self.expr), data)
        except Exception:
            return ""
        if isinstance(result, bool) or not isinstance(result, int | float):
            return ""
        if self.percent:
            return f"{result * 100:.1f}%"
        return f"{result:,.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class RuleSetSpec:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class ConditionOutcome:
    key: str
    label: str
    outcome: str
    message: str
    actual: dict[str, Any]
    threshold: str
    label_en: str = ""
    message_en: str = ""
    measured: dict[str, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {
            "key": self.key, "label": self.label, "label_en": self.label_en, "outcome": self.outcome,
            "message": self.message, "message_en": self.message_en, "actual": self.actual,
            "threshold": self.threshold,
        }
        if self.measured:
            out["measured"] = self.measured
        return out


@dataclass(frozen=True)
class Verdict:
    outcome: str
    trace: tuple[ConditionOutcome, ...] = field(default_factory=tuple)

    @property
    def reasons(self) -> list[str]:
        """Plain-language reasons for every condition that did not pass."""
        return [c.message for c in self.trace if c.outcome != PASS]

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "reasons": self.reasons, "trace": [c.as_dict() for c in self.trace]}


def _vars(expr: Any) -> Iterable[str]:
    if isinstance(expr, dict):
        for op, args in expr.items():
            if op == "var":
                name = args[0] if isinstance(args, list) and args else args
                if isinstance(name, str) and name:
                    yield name
            else:
                yield from _vars(args)
    elif isinstance(expr, list):
        for item in expr:
            yield from _vars(item)


def _check_operators(expr: Any, where: str) -> None:
    if isinstance(expr, dict):
        if len(expr) != 1:
            raise RuleError(f"{where}: an operation must have exactly one operator")
        (op, args), = expr.items()
        if op not in ALLOWED_OPERATORS:
            raise RuleError(f"{where}: operator {op!r} is not allowed")
        _check_operators(args, where)
    elif isinstance(expr, list):
        for item in expr:
            _check_operators(item, where)
    elif not (expr is None or isinstance(expr, str | int | float | bool)):
        raise RuleError(f"{where}: unsupported value {expr!r}")


def guard_division(expr: Any) -> Any:
    """Make every division and remainder by zero fail, whatever the dividend.

    datalogic raises for 1 / 0 but answers ±1.8e308 for 0.5 / 0; a condition must never pass on
    such a number. The guard keeps JSONLogic's laziness: a division in a branch not taken (the
    layoff rate behind "the number did not fall") is not evaluated.
    """
    if isinstance(expr, list):
        return [guard_division(item) for item in expr]
    if not isinstance(expr, dict) or len(expr) != 1:
        return expr
    (op, args), = expr.items()
    if op == "var":
        return expr
    args = guard_division(args)
    if op in {"/", "%"}:
        items = args if isinstance(args, list) else [args]
        first = 0 if len(items) == 1 else 1
        return {op: [*items[:first], *({"if": [{"==": [x, 0]}, {"throw": "NaN"}, x]} for x in items[first:])]}
    return {op: args}


def _threshold(expr: Any) -> str:
    """Describe the constant side of a comparison, for the explanation."""
    if isinstance(expr, dict):
        (op, args), = expr.items()
        if op in {">", ">=", "<", "<=", "==", "!=", "===", "!==", "in"} and isinstance(args, list):
            consts = [a for a in args if not isinstance(a, dict)]
            if consts:
                return f"{op} {json.dumps(consts[-1], ensure_ascii=False)}"
    return ""


def parse_rule_set(raw: Mapping[str, Any] | list[Any], allowed_facts: Iterable[str] | None = None) -> RuleSetSpec:
    """Validate a stored rule set and return its parsed form; raise RuleError when it is unsafe."""
    items = raw.get("conditions") if isinstance(raw, Mapping) else raw
    if not isinstance(items, list) or not items:
        raise RuleError("a rule set needs a non-empty list of conditions")
    allowed = set(allowed_facts) if allowed_facts is not None else None
    seen: set[str] = set()
    conditions = []
    for index, item in enumerate(items):
        where = f"condition {index + 1}"
        if not isinstance(item, Mapping):
            raise RuleError(f"{where}: must be an object")
        for key in ("key", "label", "failure", "facts", "expr"):
            if key not in item:
                raise RuleError(f"{where}: missing {key!r}")
        key = str(item["key"])
        if key in seen:
            raise RuleError(f"{where}: duplicate key {key!r}")
        seen.add(key)
        facts = tuple(str(f) for f in item["facts"])
        _check_operators(item["expr"], where)
        read = set(_vars(item["expr"]))
        undeclared = read - set(facts)
        if undeclared:
            raise RuleError(f"{where}: reads undeclared facts {sorted(undeclared)}")
        if allowed is not None:
            unknown = set(facts) - allowed
            if unknown:
                raise RuleError(f"{where}: unknown facts {sorted(unknown)}")
        conditions.append(Condition(
            key=key, label=str(item["label"]), failure=str(item["failure"]), facts=facts, expr=item["expr"],
            label_en=str(item.get("label_en", "")), failure_en=str(item.get("failure_en", "")),
            threshold=_threshold(item["expr"]), requirement=str(item.get("requirement", "")),
            requirement_en=str(item.get("requirement_en", "")), measure=_measure(item.get("measure"), facts, where),
            run=guard_division(item["expr"]),
        ))
    return RuleSetSpec(conditions=tuple(conditions))


def _measure(raw: Any, facts: tuple[str, ...], where: str) -> Measure | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or "label" not in raw or "expr" not in raw:
        raise RuleError(f"{where}: a measure needs a label and an expr")
    _check_operators(raw["expr"], where)
    undeclared = set(_vars(raw["expr"])) - set(facts)
    if undeclared:
        raise RuleError(f"{where}: the measure reads undeclared facts {sorted(undeclared)}")
    return Measure(label=str(raw["label"]), expr=raw["expr"], label_en=str(raw.get("label_en", "")),
                   percent=raw.get("format") == "percent")


def _lookup(facts: Mapping[str, Any], dotted: str) -> Any:
    node: Any = facts
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def evaluate(spec: RuleSetSpec, facts: Mapping[str, Any]) -> Verdict:
    """Evaluate every condition; approve only when all pass, otherwise refer with the reasons."""
    data = _plain(facts)
    trace = []
    for cond in spec.conditions:
        actual = {name: _lookup(data, name) for name in cond.facts}
        missing = [name for name, value in actual.items() if value is None or value == ""]
        if missing:
            trace.append(ConditionOutcome(
                cond.key, cond.label, UNKNOWN, f"{cond.label}：无法核验（缺少数据）", actual, cond.threshold,
                cond.label_en, f"{cond.label_en or cond.key}: cannot be checked (data missing)",
            ))
            continue
        try:
            result = datalogic_py.apply(cond.expr if cond.run is None else cond.run, data)
        except Exception:
            trace.append(ConditionOutcome(
                cond.key, cond.label, UNKNOWN, f"{cond.label}：无法核验", actual, cond.threshold,
                cond.label_en, f"{cond.label_en or cond.key}: cannot be checked",
            ))
            continue
        passed = _truthy(result)
        measured = None
        if cond.measure is not None:
            figure = cond.measure.value(data)
            if figure:
                measured = {"label": cond.measure.label, "label_en": cond.measure.label_en, "value": figure}
        trace.append(ConditionOutcome(
            cond.key, cond.label, PASS if passed else FAIL, "" if passed else cond.failure, actual, cond.threshold,
            cond.label_en, "" if passed else (cond.failure_en or cond.failure), measured,
        ))
    outcome = APPROVE if trace and all(c.outcome == PASS for c in trace) else REFER
    return Verdict(outcome=outcome, trace=tuple(trace))


def _truthy(value: Any) -> bool:
    """JSONLogic truthiness: [] and "0"-less empty string are false, as the spec defines."""
    if isinstance(value, list):
        return len(value) > 0
    return bool(value)
