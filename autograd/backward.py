"""The backward sweep: topological order, ``Value.backward()`` and ``grad()``.

Reverse-mode differentiation visits each node once, after every node that uses it: that is
reverse topological order. For each node it asks the op's derivative rule (``ops.py``) for one
contribution per parent and adds those into the parents' gradients.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

from autograd.mode import enable_grad
from autograd.value import LayerOutputs, Value, operand_data

P = ParamSpec("P")
R = TypeVar("R")


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


def _op_nodes_and_leaves(root: Value) -> tuple[list[Value], list[Value]]:
    """The nodes made by ops in topological order, and the distinct leaves, in one walk.

    The walk and the order are those of `topological_order`; leaves are kept apart because
    they have no rule to run (the sweep adds into their .grad directly). Two shortcuts for
    fused neurons, which are nearly every node of a network, place nodes without visiting
    their parents one by one; each places exactly what the plain walk would, in its order:

    * a neuron whose parents have all been placed follows them at once. Its parts are
      shared (a layer's neurons share one tuple of inputs, every sample's neurons their
      weights), so each tuple is checked by ``issuperset`` (in C) once, then known by identity;
    * a neuron whose inputs are a whole layer built in one call (`LayerOutputs`, from
      ``model.batch``) gets that layer placed in one step once the layer's own inputs are:
      its nodes depend on nothing else when its weights and biases have been placed.
    """
    if not root.parents:
        return [], [root]
    order: list[Value] = []
    leaves: list[Value] = []
    seen = {root}
    # What the shortcuts found placed, remembered because the parts are shared: the inputs
    # tuple last found placed (a layer's neurons meet one after another), per bias its
    # weights tuple (every sample's node of a neuron shares them), and the layers' rows.
    placed_inputs: tuple[Value, ...] = ()
    placed_weights: dict[Value, tuple[Value, ...]] = {}
    placed_rows: dict[int, list[Any]] = {}
    # A stack entry is a node, or a LayerOutputs placed as a whole, with an iterator over
    # what must be placed before it.
    stack: list[tuple[Any, Any]] = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent in seen:
                continue
            seen.add(parent)
            if parent.activation is None:
                if not parent.parents:
                    leaves.append(parent)
                    continue
                stack.append((parent, iter(parent.parents)))
                break
            saved: Any = parent  # a fused neuron: its parents come in parts
            weights, _, bias, _ = saved.row
            inputs = saved.sample[0]
            weights_placed = placed_weights.get(bias) is weights
            if not weights_placed and bias in seen and seen.issuperset(weights):
                placed_weights[bias] = weights
                weights_placed = True
            if weights_placed and (inputs is placed_inputs or seen.issuperset(inputs)):
                placed_inputs = inputs
                order.append(parent)
                continue
            if not (weights_placed and _is_new_layer(inputs, seen, placed_rows)):
                stack.append((parent, iter(parent.parents)))
                break
            # Its inputs are all it waits for, and they are a layer: the neuron waits for the
            # layer, and the layer for its own inputs, which may be a layer again.
            stack.append((parent, iter(())))
            layer: Any = inputs
            while True:
                seen.update(layer)
                if _is_new_layer(layer.inputs, seen, placed_rows):
                    stack.append((layer, iter(())))
                    layer = layer.inputs
                else:
                    stack.append((layer, iter(layer.inputs)))
                    break
            break
        else:
            stack.pop()
            if type(node) is LayerOutputs:
                order.extend(node)
            else:
                order.append(node)
    return order, leaves


def _is_new_layer(nodes: tuple[Value, ...], seen: set[Value], placed_rows: dict[int, Any]) -> bool:
    """Whether ``nodes`` is a layer built in one call, none of it met yet, whose neurons'
    weights and biases are all in ``seen``: then only its inputs stand before it.

    ``placed_rows`` remembers the layers' rows found placed (a batch's samples share them).
    """
    if type(nodes) is not LayerOutputs or nodes.rows is None or not seen.isdisjoint(nodes):
        return False
    rows = nodes.rows
    if placed_rows.get(id(rows)) is not rows:
        if not all(bias in seen and seen.issuperset(weights) for weights, _, bias, _ in rows):
            return False
        placed_rows[id(rows)] = rows
    return True


def _op_nodes_in_order(root: Value) -> list[Value]:
    """Like `topological_order` but only nodes made by ops (leaves have no rule to run)."""
    return _op_nodes_and_leaves(root)[0]


def _check_derivatives_exist(order: Sequence[Value]) -> None:
    """Raise before any gradient changes if some op's derivative is infinite at its inputs."""
    for node in order:
        if node.singular is not None:
            _check_singular(node)


def _check_singular(node: Value) -> None:
    operands = operand_data(node)
    assert node.singular is not None
    if node.singular(node.data, *operands):
        raise ZeroDivisionError(
            f"{node.op}: the derivative is infinite at operands {tuple(operands)}"
        )


def _pausing_gc(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` with Python's cyclic garbage collector paused, then restore it.

    A backward pass allocates a stack entry per node and holds the whole graph: on a long
    chain the collector would run again and again, each time walking every node of the graph
    while finding nothing to free (graphs have no reference cycles). Pausing it cut the
    backward pass of a 10^6-node chain from 1.9 s to about 1.0 s (benchmarks/README.md). Only the
    collector's timing changes: it is switched back on, also after an exception, unless it
    was already off, and every object is collected as usual afterwards. (The switch is
    process-wide: cyclic garbage made by other threads meanwhile waits until the pass ends.)
    """

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return paused


@_pausing_gc
def backward(root: Value, gradient: float = 1.0) -> None:
    """Accumulate d(root)/d(node) * gradient into ``.grad`` of every node root depends on."""
    order, leaves = _op_nodes_and_leaves(root)
    # One pass before the sweep, for two things. First, an op whose derivative is infinite
    # here raises now, before any gradient changes. Second, during the sweep an op node's
    # .grad must hold this pass's gradient only, or a second backward() would push the first
    # pass's gradient through again: so park what earlier passes left on op nodes, and add
    # it back at the end.
    parked = []
    for node in order:
        if node.singular is not None:
            _check_singular(node)
        if node.grad:
            parked.append((node, node.grad))
    for node, _ in parked:
        node.grad = 0.0
    # Leaves are parked too, so that a pass adds its whole gradient to a leaf at once, as in
    # PyTorch: backward() twice gives exactly twice the gradient, not a rounding away from it.
    for leaf in leaves:
        if leaf.grad:
            parked.append((leaf, leaf.grad))
            leaf.grad = 0.0
    root.grad += gradient
    try:
        _sweep_into_grads(order)
        # The sweep checks the gradient reaching each op node; a leaf's is checked here,
        # once per leaf rather than once per edge (e.g. d log(x)/dx = 1/x at x = 1e-310).
        for leaf in leaves:
            if leaf.grad - leaf.grad != 0.0:
                name = f" {leaf.label!r}" if leaf.label else ""
                raise OverflowError(
                    f"backward: the gradient of leaf{name} (data {leaf.data!r}) is {leaf.grad}"
                )
    except BaseException:  # an overflowing gradient: leave every .grad as it was
        for node in order:
            node.grad = 0.0
            for parent in node.parents:
                parent.grad = 0.0
        raise
    finally:
        for node, old in parked:
            node.grad += old


def _sweep_into_grads(order: Sequence[Value]) -> None:
    """The reverse sweep of ``backward()``: adds each node's contributions into its parents."""
    for node in reversed(order):
        g = node.grad
        if not g:  # nothing flows through this node (e.g. behind a dead relu)
            continue
        if g - g != 0.0:
            raise OverflowError(f"backward: the gradient reaching a {node.op!r} node is {g}")
        activation = node.activation
        if activation is not None:
            # A fused neuron, where a network has nearly all of its edges: its rule from
            # ops.py written out here, the same products and sums in the same order (a test
            # checks that they agree to the last bit), added straight into the parents' .grad.
            # It runs on the numbers the node kept at forward (Value.neuron), so no parent's
            # .data is read and no list of contributions is made in between.
            saved: Any = node
            local = g * activation.slope(node.data)  # d(root)/dz, z = w · x + b
            if local:  # else a relu that is off: nothing flows back
                # No strict=True: the builder made the parts of one length, and a keyword
                # argument makes CPython 3.11 parse it on every call (12% of the sweep).
                weights, weight_data, bias, _ = saved.row
                inputs, input_data = saved.sample
                for weight, x in zip(weights, input_data):  # noqa: B905
                    weight.grad += local * x
                for input_node, w in zip(inputs, weight_data):  # noqa: B905
                    input_node.grad += local * w
                bias.grad += local
            continue
        parents = node.parents
        derivative: Any = node.derivative
        const = node.const
        # The rule gets the node's operands: its parents' data, then the constant if any.
        # One- and two-operand nodes, the most common, are spelled out: that saves a list
        # comprehension (a function call of its own in Python 3.11) and a zip per node.
        if const is not None:  # ops such as x * 2.5: one Value, and the number last
            (contribution,) = derivative(g, node.data, parents[0].data, const)
            parents[0].grad += contribution
        elif len(parents) == 1:
            # A loop, not an unpacking: a dead relu neuron (here one with no inputs, only a
            # bias) returns no contribution at all.
            for contribution in derivative(g, node.data, parents[0].data):
                parents[0].grad += contribution
        elif len(parents) == 2:
            first, second = parents
            contributions = derivative(g, node.data, first.data, second.data)
            first.grad += contributions[0]
            second.grad += contributions[1]
        else:
            contributions = derivative(g, node.data, *[p.data for p in parents])
            # Not strict: a relu neuron that is off returns no contributions at all.
            for parent, contribution in zip(parents, contributions, strict=False):
                parent.grad += contribution


@_pausing_gc
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
        operands: list[Any] = list(parents) if create_graph else operand_data(node)
        if create_graph and node.const is not None:
            operands.append(node.const)
        out = node if create_graph else node.data
        contributions = node.derivative(g, out, *operands)  # type: ignore[misc]
        # Not strict: a relu neuron that is off returns no contributions at all.
        for parent, contribution in zip(parents, contributions, strict=False):
            previous = grads.get(parent)
            grads[parent] = contribution if previous is None else previous + contribution
    return grads
