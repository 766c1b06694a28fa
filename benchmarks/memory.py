"""Bytes per node, measured with ``tracemalloc`` (every byte Python allocates is counted).

A node of the chain ``y = y * 1.0001 + 0.1`` costs its object (four slots, a fifth for the
constant: 72 bytes with the garbage collector's header), its result float (24 bytes) and its
one-element ``parents`` tuple (48 bytes): 144 bytes. The constant (1.0001 or 0.1) is one
float object shared by every node, and ``grad`` is the shared 0.0 until ``backward()``.

The wide sum of products ``Value.sum([w_i * x_i ...])`` has ``*`` nodes with two-element
tuples (no constant slot: 64 + 24 + 56 = 144 bytes), and one sum node with an n-tuple.
Leaves made beforehand are not counted: they are the model's parameters and the data.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

from autograd import Value
from benchmarks.graphs import build_chain, build_wide, wide_leaves


@dataclass(frozen=True)
class MemoryResult:
    """Bytes allocated while building a graph, and per op node."""

    nodes: int
    bytes_total: int

    @property
    def bytes_per_node(self) -> float:
        """Allocated bytes divided by the number of op nodes built."""
        return self.bytes_total / self.nodes


def _traced_bytes(build: Callable[[], Value]) -> tuple[int, Value]:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        root = build()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before, root


def chain_bytes(n_nodes: int) -> MemoryResult:
    """Memory of a chain of ``n_nodes`` op nodes (the starting leaf is negligible)."""
    size, root = _traced_bytes(lambda: build_chain(n_nodes))
    del root
    return MemoryResult(n_nodes, size)


def chain_bytes_wrapping_constants(n_nodes: int) -> MemoryResult:
    """The same chain with each number wrapped in a new leaf, ``y * Value(1.0001)``.

    What storing plain-number operands as constants (``.const``) saves: here every op node
    comes with a leaf of its own.
    """

    def build() -> Value:
        y = Value(0.5)
        for _ in range(n_nodes // 2):
            y = y * Value(1.0001) + Value(0.1)
        return y

    size, root = _traced_bytes(build)
    del root
    return MemoryResult(n_nodes, size)


def wide_bytes(n_terms: int) -> MemoryResult:
    """Memory of the ``n_terms`` products and the sum of the wide graph (leaves excluded)."""
    weights, inputs = wide_leaves(n_terms)
    size, root = _traced_bytes(lambda: build_wide(weights, inputs))
    del root
    return MemoryResult(n_terms + 1, size)
