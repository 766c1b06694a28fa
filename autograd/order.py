"""The order of a graph's nodes: every node after the nodes it was computed from.

`topological_order` is the walk that ``backward()`` and ``grad()`` (``backward.py``), the
drawings and pickling all go through. It needs nothing but each node's ``.parents``, so it
imports nothing of the engine, and any module can use it. A graph whose ``.parents`` were
edited into a cycle has no such order: the walk refuses it (`cycle_error`), naming a node on
the cycle in words (`describe`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["cycle_error", "describe", "topological_order"]


def topological_order(root: Any) -> list[Any]:
    """Every node ``root`` depends on (leaves included), each after all of its parents.

    Depth-first, with an explicit stack instead of recursion, so a chain of a million nodes
    works under Python's default recursion limit. Parents are visited in operand order, so
    the same graph always gives the same order (and the same drawing). A graph with a cycle
    (an edited ``.parents``) has no such order: ValueError naming a node on the cycle.
    """
    order: list[Any] = []
    placed: set[Any] = set()  # the nodes in `order` already
    waiting = {root}  # the nodes on the stack: met again there, a node closes a cycle
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:  # resumes where the last visit of this node stopped
            if parent in placed:
                continue
            if parent in waiting:
                raise cycle_error(parent)
            waiting.add(parent)  # not met yet: visit it first
            stack.append((parent, iter(parent.parents)))
            break
        else:  # every parent is placed: the node can follow them
            stack.pop()
            waiting.remove(node)
            placed.add(node)
            order.append(node)
    return order


def describe(node: Any) -> str:
    """A node in words for error messages: ``leaf 'x'`` or ``'*' node 'y'``, and its data."""
    name = f" {node.label!r}" if node.label else ""
    kind = f"leaf{name}" if node.op is None else f"{node.op.symbol!r} node{name}"
    return f"{kind} (data {node.data!r})"


def cycle_error(node: Any) -> ValueError:
    """The error for a graph in which ``node`` depends on itself."""
    return ValueError(
        f"the graph has a cycle: the {describe(node)} depends on itself through .parents."
        " Graphs built by ops never do (an edited .parents made it); gradients, drawings and"
        " pickles need a graph without cycles"
    )
