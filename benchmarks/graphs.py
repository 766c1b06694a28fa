"""Big graphs: a wide one (a long dot product) and a deep one (a long chain).

* **Wide**: ``Value.sum([w_i * x_i for i in range(n)])`` over ``2n`` leaves: ``3n + 1`` nodes,
  most of them side by side. With ``n = 333,333`` that is 10^6 nodes. The leaves exist before
  the clock starts (like a model's parameters and its data); "build" is making the ``n``
  products and the sum.
* **Deep**: ``y = y * 1.0001 + 0.1`` repeated ``n // 2`` times from one leaf: a chain of ``n``
  op nodes, each depending on the one before. The backward pass walks it without recursion
  (a recursive walk would hit Python's recursion limit after about a thousand nodes), and
  its time must grow linearly with ``n``: the chain is timed at ``n`` and at ``n / 2``.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass

from autograd import Value, topological_order


@dataclass(frozen=True)
class GraphTiming:
    """Seconds to build a graph and to run ``backward()`` on it, and its node count."""

    nodes: int
    build_s: float
    backward_s: float

    @property
    def total_s(self) -> float:
        """Build plus backward."""
        return self.build_s + self.backward_s


def wide_leaves(n_terms: int) -> tuple[list[Value], list[Value]]:
    """The ``2 * n_terms`` leaves of the wide graph."""
    weights = [Value(0.5 + (i % 13) / 13.0) for i in range(n_terms)]
    inputs = [Value(float(i % 7) - 3.0) for i in range(n_terms)]
    return weights, inputs


def build_wide(weights: list[Value], inputs: list[Value]) -> Value:
    """One sum node over the products ``w_i * x_i``."""
    return Value.sum([w * x for w, x in zip(weights, inputs, strict=True)])


def build_chain(n_nodes: int) -> Value:
    """A chain of ``n_nodes`` op nodes (two per step) from one leaf."""
    y = Value(0.5)
    for _ in range(n_nodes // 2):
        y = y * 1.0001 + 0.1
    return y


def time_wide(n_terms: int) -> GraphTiming:
    """Build and backward of the wide graph with ``n_terms`` products (leaves made untimed)."""
    weights, inputs = wide_leaves(n_terms)
    gc.collect()
    start = time.perf_counter()
    root = build_wide(weights, inputs)
    built = time.perf_counter()
    root.backward()
    done = time.perf_counter()
    if inputs and weights[0].grad != inputs[0].data:  # d(sum w·x)/dw_0 = x_0
        raise AssertionError("wide graph: wrong gradient")
    nodes = 3 * n_terms + 1
    del root
    return GraphTiming(nodes, built - start, done - built)


def time_chain(n_nodes: int) -> GraphTiming:
    """Build and backward of a chain of ``n_nodes`` op nodes."""
    gc.collect()
    start = time.perf_counter()
    root = build_chain(n_nodes)
    built = time.perf_counter()
    root.backward()
    done = time.perf_counter()
    leaf = root
    while leaf.parents:  # walk down to the leaf (no recursion here either)
        leaf = leaf.parents[0]
    expected = 1.0001 ** (n_nodes // 2)
    if abs(leaf.grad - expected) > 1e-9 * expected:
        raise AssertionError(f"chain: d(y)/d(x) is {leaf.grad}, expected {expected}")
    del root, leaf
    return GraphTiming(n_nodes + 1, built - start, done - built)


def count_nodes(root: Value) -> int:
    """Every node of the graph below ``root`` (used by the tests to check the sizes)."""
    return len(topological_order(root))
