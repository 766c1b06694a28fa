"""The order a graph is visited in: every node after the nodes it depends on.

The backward sweep (``backward.py``) walks this order in reverse; pickling (``pickling.py``)
writes nodes in it; the drawings list nodes in it. It reads only each node's ``parents``, so
it imports nothing: value.py, pickling.py and backward.py can all use it without importing
each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograd.value import Value

__all__ = ["topological_order"]


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on (leaves included), each after all of its parents.

    Depth-first, with an explicit stack instead of recursion, so a chain of a million nodes
    works under Python's default recursion limit. Parents are visited in operand order, so
    the same graph always gives the same order (and the same drawing).
    """
    order: list[Value] = []
    seen = {root}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:  # resumes where the last visit of this node stopped
            if parent not in seen:
                seen.add(parent)
                stack.append((parent, iter(parent.parents)))
                break
        else:  # every parent is placed: the node can follow them
            stack.pop()
            order.append(node)
    return order
