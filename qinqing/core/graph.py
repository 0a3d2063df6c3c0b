"""Order the nodes of a dependency graph: each node after the nodes it requires."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class GraphError(ValueError, Generic[K]):
    """A graph that has no dependency order."""


class UnknownNode(GraphError[K]):
    """A node requires one the graph does not have (or itself)."""

    def __init__(self, node: K, required: K) -> None:
        super().__init__(f"{node!r} requires unknown node {required!r}")
        self.node = node
        self.required = required


class Cycle(GraphError[K]):
    """The nodes require each other in a circle; `cycle` lists it, first node repeated at the end."""

    def __init__(self, cycle: Sequence[K]) -> None:
        super().__init__(" → ".join(str(k) for k in cycle))
        self.cycle = list(cycle)


def topological_order(graph: Iterable[tuple[K, Iterable[K]]]) -> list[K]:
    """Return the nodes so that each comes after everything it requires.

    `graph` is (node, required nodes) pairs. The order is deterministic: nodes are visited in the
    order given, each one's requirements in the order listed. Raise UnknownNode for a requirement
    that is not a node (or is the node itself) and Cycle for nodes that require each other.
    """
    requires: dict[K, list[K]] = {}
    for node, reqs in graph:
        requires[node] = list(reqs)
    for node, reqs in requires.items():
        for req in reqs:
            if req not in requires or req == node:
                raise UnknownNode(node, req)
    order: list[K] = []
    done: set[K] = set()
    visiting: list[K] = []
    for start in requires:
        if start in done:
            continue
        # Iterative depth-first search, so deep chains never hit the recursion limit.
        stack: list[tuple[K, int]] = [(start, 0)]
        visiting.append(start)
        while stack:
            node, index = stack[-1]
            reqs = requires[node]
            if index < len(reqs):
                stack[-1] = (node, index + 1)
                req = reqs[index]
                if req in done:
                    continue
                if req in visiting:
                    raise Cycle([*visiting[visiting.index(req):], req])
                visiting.append(req)
                stack.append((req, 0))
                continue
            stack.pop()
            visiting.pop()
            done.add(node)
            order.append(node)
    return order


def depths(graph: Iterable[tuple[K, Iterable[K]]]) -> dict[K, int]:
    """Return each node's depth: 0 when it requires nothing, else 1 + its deepest requirement."""
    pairs = [(node, list(reqs)) for node, reqs in graph]
    requires = dict(pairs)
    depth: dict[K, int] = {}
    for node in topological_order(pairs):
        depth[node] = 1 + max((depth[r] for r in requires[node]), default=-1)
    return depth
