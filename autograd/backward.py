"""The backward sweep: the sweep itself, ``backward()`` and ``grad()`` (the order: ``order.py``).

Reverse-mode differentiation visits each node once, after every node that uses it: that is
reverse topological order. For each node it asks the node's op (``ops.py``) for one
contribution per parent, ``g * d(node)/d(parent)``, and adds those into the parents' gradients.
A parent used twice receives two contributions: that sum is the multivariate chain rule.

`sweep` is the one loop that does this; ``backward()``, ``grad()`` and the step-through
(``trace_backward``, through ``on_step``) are all built on it. ``Value.backward()`` runs a
faster twin of it (``fast.py``) that gives the same numbers to the last bit; set
``GLASSGRAD_ENGINE=reference`` to run this one instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from autograd.mode import enable_grad
from autograd.order import topological_order
from autograd.value import BACKWARD_ENGINES, Value

OnStep = Callable[[Value, Any, Sequence[Any]], None]
"""``on_step(node, g, contributions)``: called by `sweep` after each node's rule ran."""


def sweep(
    root: Value, seed: Any = 1.0, *, create_graph: bool = False, on_step: OnStep | None = None
) -> dict[Value, Any]:
    """``seed`` times d(root)/d(node), for every node root depends on; no ``.grad`` changes.

    When the loop reaches a node, every node that uses it has already passed its
    contribution on (they come later in topological order), so its gradient ``g`` is
    complete. With ``create_graph`` the gradients are Values that record their own graph.
    """
    grads: dict[Value, Any] = {root: seed}
    for node in reversed(topological_order(root)):
        if node.op is None:  # a leaf: nothing further back
            continue
        g = grads[node]
        out = node if create_graph else node.data
        contributions = contributions_of(node, g, out, node.rule_operands(create_graph))
        for parent, contribution in zip(node.parents, contributions, strict=True):
            grads[parent] = grads[parent] + contribution if parent in grads else contribution
        if on_step is not None:
            on_step(node, g, contributions)
    return grads


def contributions_of(node: Value, g: Any, out: Any, operands: Sequence[Any]) -> Sequence[Any]:
    """``node``'s op rule applied: one contribution per parent. Errors name the op."""
    assert node.op is not None
    try:
        contributions = node.op.derivative(g, out, *operands)
    except ArithmeticError as error:  # e.g. sqrt at 0, whose slope is infinite
        shown = tuple(x if isinstance(x, float) else x.data for x in operands)
        raise type(error)(f"{node.op.symbol}: no derivative at operands {shown}: {error}") from None
    if not isinstance(contributions, Sequence):
        raise TypeError(
            f"{node.op.name}: its derivative rule must return a sequence, one contribution per"
            f" Value operand, got {type(contributions).__name__} {contributions!r}"
        )
    if len(contributions) != len(node.parents):
        raise ValueError(
            f"{node.op.name}: its derivative rule returned {len(contributions)} contributions"
            f" for {len(node.parents)} Value operands; it must return one per operand"
        )
    return contributions


def backward(root: Value, gradient: float = 1.0) -> None:
    """Add ``gradient`` times d(root)/d(node) into ``.grad`` of every node root depends on.

    All or nothing: the sweep computes every gradient without touching a ``.grad``; they
    are checked, and only then written, so an error (a domain error, an overflow, a Ctrl-C)
    leaves every ``.grad`` as it was.
    """
    updates = [(node, node.grad + g) for node, g in sweep(root, gradient).items()]
    for node, total in updates:
        if not math.isfinite(total):
            raise gradient_overflow("backward", node, total)
    commit(updates)


def commit(updates: Sequence[tuple[Value, float]]) -> None:
    """Set each node's ``.grad`` to its new total, or, if interrupted part way, none of them."""
    previous = [(node, node.grad) for node, _ in updates]
    try:
        for node, total in updates:
            node.grad = total
    except BaseException:  # a Ctrl-C in the middle: put back what was there
        for node, old in previous:
            node.grad = old
        raise


def gradient_overflow(what: str, node: Value, total: float) -> OverflowError:
    """The error for a gradient that does not fit in a float, naming the node."""
    name = f" {node.label!r}" if node.label else ""
    kind = f"leaf{name}" if node.op is None else f"{node.op.symbol!r} node{name}"
    return OverflowError(f"{what}: the gradient of {kind} (data {node.data!r}) is {total}")


def grad(output: Value, inputs: Sequence[Value] | Value, create_graph: bool = False) -> list[Value]:
    """d(output)/d(input) for each input, as new Values; no ``.grad`` is touched.

    With ``create_graph=True`` the returned Values are themselves nodes of a graph (built from
    the same op table), so they can be differentiated again: ``grad(grad(y, [x],
    create_graph=True)[0], [x])`` is the second derivative. An input that ``output`` does not
    depend on gets 0.0. A single Value as ``inputs`` is taken as ``[inputs]``.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    inputs = [inputs] if isinstance(inputs, Value) else list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type(x).__name__}")
    with enable_grad():  # create_graph must record even when called under no_grad()
        grads = sweep(output, Value(1.0) if create_graph else 1.0, create_graph=create_graph)
    results = []
    for x in inputs:
        g = grads.get(x, 0.0)
        if not isinstance(g, Value):
            if not math.isfinite(g):
                raise gradient_overflow("grad", x, g)
            g = Value(g)
        results.append(g)
    return results


BACKWARD_ENGINES["reference"] = backward
