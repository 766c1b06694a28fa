"""The backward sweep: the sweep itself, ``backward()`` and ``grad()``.

Reverse-mode differentiation visits each node once, after every node that uses it: that is
reverse topological order (`topological_order`, in ``order.py``: a walk that needs nothing but
``.parents``, so pickling uses it too). For each node it asks the node's op (``ops.py``) for one
contribution per parent, ``g * d(node)/d(parent)``, and adds those into the parents' gradients.
A parent used twice receives two contributions: that sum is the multivariate chain rule.

`sweep` is the one loop that does this; ``backward()``, ``grad()`` (``gradients.py``) and the
step-through
(``trace_backward``, through ``on_step``) are all built on it, and ``autograd.compile``
writes it out as Python, node by node in the same order. What a user's rule returns is
checked on the way (``rule_results.py``); a built-in rule's is taken as it is.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from autograd.order import describe
from autograd.order import topological_order as topological_order  # for importers of it here
from autograd.rule_results import check_contributions, is_user_op, refuse_complex

if TYPE_CHECKING:  # value.py imports this module: Value.backward() runs `backward` below
    from autograd.value import Value

__all__ = [
    "GRADIENTS_LOCK",
    "OnStep",
    "backward",
    "check_gradients",
    "commit",
    "contributions_of",
    "gradient_overflow",
    "sweep",
    "topological_order",
]

OnStep = Callable[["Value", Any, Sequence[Any]], None]
"""``on_step(node, g, contributions)``: called by `sweep` after each node's rule ran (with
zeros for a node it skipped: one that is off, or that nothing reached, with ``g`` 0.0)."""

GRADIENTS_LOCK = threading.RLock()
"""Held while a ``backward()`` adds its pass into the ``.grad`` of a graph's nodes: two
threads calling ``backward()`` on one graph take turns, so neither loses the other's pass."""


def sweep(
    root: Value, seed: Any = 1.0, *, create_graph: bool = False, on_step: OnStep | None = None
) -> dict[Value, Any]:
    """``seed`` times d(root)/d(node), for every node a gradient reaches; no ``.grad`` changes.

    When the loop reaches a node, every node that uses it has already passed its
    contribution on (they come later in topological order), so its gradient ``g`` is
    complete. With ``create_graph`` the gradients are Values that record their own graph.

    A node that is off (an op marked ``off_at_zero``, such as relu, whose result is 0) would
    send back only zeros: it sends nothing, and a node that nothing reached is skipped too, as
    hand-written backprop skips a neuron whose gradient is 0. (Its gradient is 0, and a node
    missing from the result has a gradient of 0.) Under ``create_graph`` nothing is skipped:
    the gradient's graph must have the same shape at every input.
    """
    grads: dict[Value, Any] = {root: seed}
    for node in reversed(topological_order(root)):
        if node.op is None:  # a leaf: nothing further back
            continue
        g = grads.get(node)
        off = node.op.off_at_zero and node.data == 0.0 and not create_graph
        if g is None or off:  # nothing reached it, or it is off: it passes nothing back
            if on_step is not None:
                on_step(node, 0.0 if g is None else g, [0.0] * len(node.parents))
            continue
        out = node if create_graph else node.data
        operands = node.rule_operands(create_graph)
        contributions = contributions_of(node, g, out, operands, create_graph)
        for parent, contribution in zip(node.parents, contributions, strict=True):
            total = grads.get(parent)
            grads[parent] = contribution if total is None else total + contribution
        if on_step is not None:
            on_step(node, g, contributions)
    return grads


def contributions_of(
    node: Value, g: Any, out: Any, operands: Sequence[Any], as_values: bool = False
) -> Sequence[Any]:
    """``node``'s op rule applied: one contribution per parent. Errors name the op.

    A user op's results (`define_op`) are checked and cleaned (``rule_results.py``: None is
    0.0, a Value is its number unless ``as_values``); a built-in rule's are taken as they are.
    """
    op = node.op
    assert op is not None
    try:
        contributions = op.derivative(g, out, *operands)
    except ArithmeticError as error:  # e.g. sqrt at 0, whose slope is infinite
        shown = tuple(x if isinstance(x, float) else x.data for x in operands)
        raise type(error)(f"{op.symbol}: no derivative at operands {shown}: {error}") from None
    if is_user_op(op):
        return check_contributions(op, contributions, len(node.parents), as_values)
    return contributions


def backward(root: Value, gradient: float = 1.0) -> None:
    """Add ``gradient`` times d(root)/d(node) into ``.grad`` of every node root depends on.

    All or nothing: the sweep computes every gradient without touching a ``.grad``; they
    are checked, and only then written, so an error (a domain error, an overflow, a Ctrl-C)
    leaves every ``.grad`` as it was. Calls from several threads add their passes in turn.
    """
    grads = sweep(root, gradient)
    with GRADIENTS_LOCK:
        nodes = list(grads)
        totals = [node.grad + g for node, g in grads.items()]
        check = sum(totals)  # an inf or a nan anywhere makes it one
        if type(check) is not float or not math.isfinite(check):
            order = topological_order(root)  # ops nearest the root first, then the leaves
            first = [n for n in order[::-1] if n.op is not None] + [
                n for n in order if n.op is None
            ]
            total_of = dict(zip(nodes, totals, strict=True))
            check_gradients("backward", root, gradient, first, lambda n: total_of.get(n, 0.0))
        commit(nodes, totals)


def check_gradients(
    what: str, root: Value, seed: Any, nodes: Iterable[Value], total_of: Callable[[Value], Any]
) -> None:
    """Raise for the first of ``nodes`` whose gradient ``total_of(node)`` is not a finite float.

    The nodes come ops nearest the root first, then the leaves, so the error names the node
    where the trouble starts. A complex gradient comes from an op whose operands changed after it
    was built: a second sweep finds that op and names it.
    """
    for node in nodes:
        total = total_of(node)
        if isinstance(total, complex):
            sweep(root, seed, on_step=refuse_complex)
        if isinstance(total, float) and not math.isfinite(total):  # (a Value's is finite)
            raise gradient_overflow(what, node, total)


def gradient_overflow(what: str, node: Value, total: float) -> OverflowError:
    """The error for a gradient that does not fit in a float, naming the node."""
    return OverflowError(f"{what}: the gradient of {describe(node)} is {total}")


def commit(nodes: Sequence[Value], totals: Sequence[Any]) -> None:
    """Set each node's ``.grad`` to its new total, or, if interrupted part way, none of them.

    (Two lists side by side, not a list of pairs: a pair per node would be an object for the
    garbage collector to look at, thousands of them on a network's graph.)
    """
    previous = [node.grad for node in nodes]
    try:
        for node, total in zip(nodes, totals, strict=True):
            node.grad = total
    except BaseException:  # a Ctrl-C in the middle: put back what was there
        for node, old in zip(nodes, previous, strict=True):
            node.grad = old
        raise
