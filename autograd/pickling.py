"""How a graph pickles and copies: every node after the nodes it depends on, so any depth works.

Python's pickle and ``copy.deepcopy`` write an object's attributes depth first: a node, then
its parents, then theirs, one nested call per level, so a chain of a few hundred nodes (the
``sum(losses)`` of a hundred samples is one) would exceed the recursion limit. Here the node
being pickled first lists all the nodes it depends on in topological order (parents before
children, ``autograd.order.topological_order``). Each of those then writes only itself, as
Python's default would: its parents are already written, so they are references, and no call
nests more than a level or two. Loading rebuilds them in the same order.

A node must know whether it is the one being pickled or one of the nodes listed before it:
the first kind lists its graph, the second writes itself alone (listing again would make the
file quadratic in the depth). The listed nodes are kept, per thread, until each has written
itself, or until the next node is pickled on its own. ``copy.copy`` of a node does not come
here: it copies the node's attributes (a new node with the same parents).
"""

from __future__ import annotations

import threading
from typing import Any, SupportsIndex

from autograd.order import topological_order

__all__ = ["copy_node", "reduce_node"]

_listed = threading.local()


def reduce_node(node: Any, protocol: SupportsIndex) -> Any:
    """``Value.__reduce_ex__``: a node with the nodes it depends on written first.

    Used by pickle and ``copy.deepcopy``. A node written as part of another node's list goes
    as Python's default would write it.
    """
    listed: dict[int, Any] = _listed.__dict__.setdefault("nodes", {})
    if listed.pop(id(node), None) is node:
        return object.__reduce_ex__(node, protocol)
    reduced = object.__reduce_ex__(node, protocol)  # first: it refuses protocols 0 and 1
    before = topological_order(node)[:-1]
    listed.clear()  # left over from a pickle that stopped half-way, or already written
    listed.update((id(other), other) for other in before)
    return _rebuilt_after, (before, reduced)


def _rebuilt_after(before: list[Any], reduced: tuple[Any, ...]) -> Any:
    """The node ``reduced`` (Python's default reduction) describes, ``before`` being loaded."""
    make, arguments, state = reduced[:3]
    node = make(*arguments)
    if state is None:
        return node
    setstate = getattr(node, "__setstate__", None)
    if setstate is not None:
        setstate(state)
        return node
    # As pickle applies a default state: (instance dict or None, slot values).
    instance_state, slot_state = state if isinstance(state, tuple) else (state, None)
    if instance_state:
        node.__dict__.update(instance_state)
    for name, value in (slot_state or {}).items():
        setattr(node, name, value)
    return node


def copy_node(node: Any) -> Any:
    """``Value.__copy__``: a new node with the same attributes (the same parents, not copies)."""
    reduced: Any = object.__reduce_ex__(node, 2)
    make, arguments, state = reduced[:3]
    return _rebuilt_after([], (make, arguments, state))
