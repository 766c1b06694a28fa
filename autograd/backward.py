"""The backward sweep: topological order, ``Value.backward()`` and ``grad()``.

Reverse-mode differentiation visits each node once, after every node that uses it: that is
reverse topological order. For each node it asks the op's derivative rule (``ops.py``) for one
contribution per parent and adds those into the parents' gradients.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autograd.mode import enable_grad
from autograd.value import Value


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


def _op_nodes_in_order(root: Value) -> list[Value]:
    """Like `topological_order` but only nodes made by ops (leaves have no rule to run).

    Skipping leaves here matters for speed: a network's weights are parents of every sample's
    neuron node, and the sweep adds into their .grad directly anyway.
    """
    if not root.parents:
        return []
    order: list[Value] = []
    seen = {root}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent.parents and parent not in seen:
                seen.add(parent)
                stack.append((parent, iter(parent.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _check_derivatives_exist(order: Sequence[Value]) -> None:
    """Raise before any gradient changes if some op's derivative is infinite at its inputs."""
    for node in order:
        singular = node.singular
        if singular is not None:
            operands = [p.data for p in node.parents]
            if node.const is not None:
                operands.append(node.const)
            if singular(node.data, *operands):
                raise ZeroDivisionError(
                    f"{node.op}: the derivative is infinite at operands {tuple(operands)}"
                )


def backward(root: Value, gradient: float = 1.0) -> None:
    """Accumulate d(root)/d(node) * gradient into ``.grad`` of every node root depends on."""
    order = _op_nodes_in_order(root)
    _check_derivatives_exist(order)
    # During the sweep an op node's .grad must hold this pass's gradient only, or a second
    # backward() would push the first pass's gradient through again. So park what earlier
    # passes left on op nodes and add it back at the end. Leaves simply accumulate.
    parked = [(node, node.grad) for node in order if node.grad]
    for node, _ in parked:
        node.grad = 0.0
    root.grad += gradient
    for node in reversed(order):
        g = node.grad
        if not g:  # nothing flows through this node (e.g. behind a dead relu)
            continue
        if g - g != 0.0:
            raise OverflowError(f"backward: the gradient reaching a {node.op!r} node is {g}")
        parents = node.parents
        operands = [p.data for p in parents]
        const = node.const
        if const is not None:
            operands.append(const)
        contributions = node.derivative(g, node.data, *operands)  # type: ignore[misc]
        for parent, contribution in zip(parents, contributions):
            parent.grad += contribution
    for node, old in parked:
        node.grad += old


def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list[Value]:
    """d(output)/d(input) for each input, as new Values; no ``.grad`` is touched.

    With ``create_graph=True`` the returned Values are themselves nodes of a graph (built from
    the same op table), so they can be differentiated again: ``grad(grad(y, [x],
    create_graph=True)[0], [x])`` is the second derivative. An input that ``output`` does not
    depend on gets 0.0.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type(x).__name__}")
    order = _op_nodes_in_order(output)
    _check_derivatives_exist(order)
    with enable_grad():  # create_graph must record even when called under no_grad()
        grads = _sweep(output, order, create_graph)
    results = []
    for x in inputs:
        g = grads.get(x)
        if g is None:
            results.append(Value(0.0))
        elif isinstance(g, Value):
            results.append(g)
        else:
            results.append(Value(g))
    return results


def _sweep(output: Value, order: Sequence[Value], create_graph: bool) -> dict[Value, Any]:
    """The reverse sweep into a dict. Floats, or Values (which record a graph) when asked."""
    grads: dict[Value, Any] = {output: Value(1.0) if create_graph else 1.0}
    for node in reversed(order):
        g = grads.get(node)
        if g is None:
            continue
        parents = node.parents
        operands: list[Any] = list(parents) if create_graph else [p.data for p in parents]
        if node.const is not None:
            operands.append(node.const)
        out = node if create_graph else node.data
        contributions = node.derivative(g, out, *operands)  # type: ignore[misc]
        for parent, contribution in zip(parents, contributions):
            previous = grads.get(parent)
            grads[parent] = contribution if previous is None else previous + contribution
    return grads
