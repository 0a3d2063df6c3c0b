"""Typed nodes: a JSONLogic expression checked against the snapshot's column types, with its error cases."""


from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

NUM, STR, BOOL, LOGIC = "num", "str", "bool", "logic"  # LOGIC: and/or of non-booleans, truthiness only


class Unsupported(ValueError):
    """The expression has no exact batch form; match it with the per-record evaluator."""


@dataclass(frozen=True)
class Node:
    """A typed operation; `err` (a boolean node) is true where the evaluator would raise."""

    kind: str
    type: str
    args: tuple[Node, ...] = ()
    value: Any = None
    err: Node | None = field(default=None, compare=False)


def _lit(value: Any, type_: str) -> Node:
    return Node("lit", type_, value=value)


def _any(*errs: Node | None) -> Node | None:
    found = [e for e in errs if e is not None]
    if not found:
        return None
    return found[0] if len(found) == 1 else Node("or", BOOL, tuple(found))


def _both(a: Node, b: Node | None) -> Node | None:
    return None if b is None else Node("and", BOOL, (a, b))


def truthy(node: Node) -> Node:
    if node.type in (BOOL, LOGIC):
        return node
    if node.type == NUM:
        return Node("cmp", BOOL, (node, _lit(0.0, NUM)), "!=", node.err)
    return Node("nonempty", BOOL, (node,), err=node.err)


def _args(raw: Any) -> list[Any]:
    return raw if isinstance(raw, list) else [raw]


def _same(nodes: Sequence[Node], *types: str) -> str:
    kinds = {n.type for n in nodes}
    if len(kinds) != 1 or next(iter(kinds)) not in types:
        raise Unsupported(f"operands of types {sorted(kinds)}")
    return next(iter(kinds))


def build_root(expr: Any, schema: Mapping[str, str]) -> Node:
    """Build a whole condition or formula: a bare string there is JSON text to the evaluator, not a string."""
    if isinstance(expr, str):
        raise Unsupported("a bare string at the top")
    return build(expr, schema)


def build(expr: Any, schema: Mapping[str, str]) -> Node:
    """Type-check a JSONLogic expression against the snapshot's columns; raise Unsupported if not exact."""
    if isinstance(expr, bool):
        return _lit(expr, BOOL)
    if isinstance(expr, int | float):
        return _lit(float(expr), NUM)
    if isinstance(expr, str):
        return _lit(expr, STR)
    if not isinstance(expr, dict) or len(expr) != 1:
        raise Unsupported(f"value {expr!r}")
    (op, raw), = expr.items()
    if op == "var":
        name = _args(raw)[0] if _args(raw) else None
        if not isinstance(name, str) or name not in schema:
            raise Unsupported(f"variable {name!r}")
        return Node("col", schema[name], value=name)
    if op == "in":
        return _build_in(_args(raw), schema)
    args = [build(a, schema) for a in _args(raw)]
    errs = _any(*(a.err for a in args))
    if op in {"==", "===", "!=", "!=="} and len(args) == 2:
        _same(args, NUM, STR, BOOL)
        return Node("cmp", BOOL, tuple(args), "==" if op in {"==", "==="} else "!=", errs)
    if op in {"<", "<=", ">", ">="} and len(args) >= 2:
        _same(args, NUM, STR)
        pairs = [Node("cmp", BOOL, (a, b), op) for a, b in itertools.pairwise(args)]
        # A chain (between) is lazy, as the evaluator is: a later bound is evaluated, and its error counts, only
        # while the comparisons before it hold.
        chain_errs = _any(args[0].err, args[1].err, *(
            _both(pairs[i - 2] if i == 2 else Node("and", BOOL, tuple(pairs[:i - 1])), args[i].err)
            for i in range(2, len(args))))
        return _with_err(pairs[0] if len(pairs) == 1 else Node("and", BOOL, tuple(pairs)), chain_errs)
    if op in {"!", "!!"} and args:
        inner = truthy(args[0])
        return Node("not", BOOL, (inner,), err=inner.err) if op == "!" else inner
    if op in {"and", "or"} and args:
        return _build_logic(op, args)
    if op in {"if", "?:"} and len(args) >= 3 and len(args) % 2 == 1:
        return _build_if(args)
    if op in {"+", "*", "-", "/", "min", "max"}:
        return _build_arith(op, args, errs)
    raise Unsupported(f"operator {op!r} with {len(args)} arguments")


def _build_in(raw: list[Any], schema: Mapping[str, str]) -> Node:
    if len(raw) != 2:
        raise Unsupported("in needs two arguments")
    needle = build(raw[0], schema)
    if isinstance(raw[1], list):
        values = raw[1]
        if needle.type == NUM and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            return Node("inlist", BOOL, (needle,), tuple(float(v) for v in values), needle.err)
        if needle.type == STR and all(isinstance(v, str) for v in values):
            return Node("inlist", BOOL, (needle,), tuple(values), needle.err)
        raise Unsupported("in: a list of another type")
    hay = build(raw[1], schema)
    if needle.type == STR and hay.type == STR:
        return Node("contains", BOOL, (hay, needle), err=_any(needle.err, hay.err))
    raise Unsupported("in: not a string or a list")


def _build_logic(op: str, args: list[Node]) -> Node:
    truths = [truthy(a) for a in args]
    # Short-circuit: a later operand's error counts only when the earlier ones did not decide.
    errs: list[Node | None] = []
    for i, t in enumerate(truths):
        before = truths[:i]
        if t.err is None:
            continue
        if not before:
            errs.append(t.err)
            continue
        gate = [b if op == "and" else Node("not", BOOL, (b,)) for b in before]
        errs.append(Node("and", BOOL, (*gate, t.err)))
    type_ = BOOL if all(a.type == BOOL for a in args) else LOGIC
    return Node(op, type_, tuple(truths), err=_any(*errs))


def _build_if(args: list[Node]) -> Node:
    values = [args[i] for i in range(1, len(args), 2)] + [args[-1]]
    kinds = {v.type for v in values}
    if kinds <= {BOOL, LOGIC}:
        type_ = LOGIC if LOGIC in kinds else BOOL
        values = [truthy(v) for v in values]
    elif len(kinds) == 1 and kinds <= {NUM, STR}:
        type_ = next(iter(kinds))
    else:
        raise Unsupported("if: branches of different types")
    conds = [truthy(args[i]) for i in range(0, len(args) - 1, 2)]
    # The error of a branch counts only when it is taken; a condition's only when it is reached.
    err: Node | None = values[-1].err
    for cond, value in zip(reversed(conds), reversed(values[:-1]), strict=True):
        taken = _both(cond, value.err)
        skipped = _both(Node("not", BOOL, (cond,)), err)
        err = _any(cond.err, taken, skipped)
    parts: list[Node] = []
    for cond, value in zip(conds, values[:-1], strict=True):
        parts += [cond, value]
    return Node("if", type_, (*parts, values[-1]), err=err)


def _build_arith(op: str, args: list[Node], errs: Node | None) -> Node:
    if args:
        _same(args, NUM)
    if op in {"+", "*"}:
        if len(args) == 1:
            return args[0]
        start = _lit(0.0 if op == "+" else 1.0, NUM)
        return _with_err(reduce(lambda a, b: Node("arith", NUM, (a, b), op), args, start), errs)
    if not args:
        raise Unsupported(f"{op} of nothing")
    if op == "/" and len(args) == 1:
        args = [_lit(1.0, NUM), args[0]]  # the evaluator's unary division is the reciprocal
    elif len(args) == 1:
        return _with_err(Node("neg", NUM, (args[0],)), errs) if op == "-" else args[0]
    if op in {"min", "max"}:
        return Node(op, NUM, tuple(args), err=errs)
    out = args[0]
    zero = []
    for arg in args[1:]:
        out = Node("arith", NUM, (out, arg), op)
        if op == "/":
            zero.append(Node("cmp", BOOL, (arg, _lit(0.0, NUM)), "=="))
    return _with_err(out, _any(errs, *zero))


def _with_err(node: Node, errs: Node | None) -> Node:
    return node if errs is None else Node(node.kind, node.type, node.args, node.value, errs)


