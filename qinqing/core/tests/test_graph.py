import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinqing.core.graph import Cycle, UnknownNode, depths, topological_order


def test_topological_order_puts_each_node_after_what_it_requires():
    order = topological_order([("c", ["a", "b"]), ("b", ["a"]), ("a", [])])
    assert order == ["a", "b", "c"]


def test_topological_order_keeps_the_given_order_where_the_graph_allows_any():
    assert topological_order([("x", []), ("y", []), ("z", [])]) == ["x", "y", "z"]
    assert topological_order([("z", []), ("y", []), ("x", [])]) == ["z", "y", "x"]


def test_topological_order_is_the_same_every_time():
    graph = [("d", ["b", "c"]), ("b", ["a"]), ("c", ["a"]), ("a", []), ("e", [])]
    assert len({tuple(topological_order(graph)) for _ in range(20)}) == 1


def test_topological_order_refuses_a_cycle_naming_its_nodes_in_order():
    with pytest.raises(Cycle) as caught:
        topological_order([("start", []), ("permit", ["start", "survey"]), ("survey", ["permit"])])
    assert caught.value.cycle == ["permit", "survey", "permit"]


def test_topological_order_refuses_an_unknown_requirement_and_a_self_loop():
    with pytest.raises(UnknownNode) as caught:
        topological_order([("a", ["ghost"])])
    assert (caught.value.node, caught.value.required) == ("a", "ghost")
    with pytest.raises(UnknownNode):
        topological_order([("a", ["a"])])


def test_topological_order_handles_a_chain_deeper_than_the_recursion_limit():
    n = 5000
    graph = [(i, [i - 1] if i else []) for i in reversed(range(n))]
    assert topological_order(graph) == list(range(n))


def test_depths_count_the_longest_path_of_requirements():
    assert depths([("c", ["a", "b"]), ("b", ["a"]), ("a", []), ("x", [])]) == {"a": 0, "b": 1, "c": 2, "x": 0}


@given(st.integers(min_value=1, max_value=8).flatmap(
    lambda n: st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=20).map(lambda e: (n, e))))
def test_every_acyclic_graph_is_ordered_and_every_cyclic_one_refused(sized):
    n, edges = sized
    # Keep only edges from a higher to a lower node for the acyclic case.
    acyclic = [(i, sorted({b for a, b in edges if a == i and b < i})) for i in range(n)]
    order = topological_order(acyclic)
    position = {node: i for i, node in enumerate(order)}
    assert sorted(order) == list(range(n))
    assert all(position[r] < position[node] for node, reqs in acyclic for r in reqs)
    cyclic = [(i, sorted({b for a, b in edges if a == i and b != i})) for i in range(n)]
    has_cycle = any(
        all(b in dict(cyclic)[a] for a, b in itertools.pairwise([*perm, perm[0]]))
        for size in range(2, n + 1) for perm in itertools.permutations(range(n), size)
    ) if n <= 5 else None
    if has_cycle is None:
        return
    if has_cycle:
        with pytest.raises(Cycle):
            topological_order(cyclic)
    else:
        topological_order(cyclic)
