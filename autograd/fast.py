"""Fast path: the backward sweep ``Value.backward()`` runs by default.

It computes exactly what the reference sweep (``backward.py``) computes, the same products
and sums in the same order, so every ``.grad`` is the same to the last bit (a contract test
runs both on generated graphs). It is faster in three ways:

* **The walk** (`walk`) finds the same topological order as `topological_order`, but places
  whole layers of neuron nodes at once when their parts are already placed, instead of
  visiting 2n + 1 parents per neuron one by one.
* **The sweep** adds contributions straight into ``.grad`` instead of into a dict, and runs
  the neuron rule of ``ops.py`` written out inline on the numbers the node kept (no list of
  contributions made in between), as it does the rules of ``*`` and ``+`` and the slopes of
  relu and linear neurons, the commonest of all.
* A neuron that receives a zero gradient passes nothing on (adding zeros changes nothing).

The all-or-nothing promise holds as in the reference: the ``.grad`` of every node the walk
found is remembered before anything changes, and on any error (an overflow, a domain error,
a Ctrl-C) put back.
"""

from __future__ import annotations

import math
from operator import attrgetter, mul
from typing import Any

from autograd.backward import GRADIENTS_LOCK, check_gradients, contributions_of
from autograd.define import DefinedOp
from autograd.fused import LayerOutputs, NeuronNode
from autograd.ops import OPS
from autograd.order import cycle_error
from autograd.rule_results import check_contributions
from autograd.value import BACKWARD_ENGINES, Value

__all__ = ["backward", "walk"]


def walk(root: Value) -> tuple[list[Value], list[Value]]:
    """The nodes made by ops in topological order, and the distinct leaves, in one walk.

    The order is that of ``topological_order`` with the leaves kept apart (they have no
    rule to run). A node whose parents are all leaves or already placed follows them without
    going on the stack. Two shortcuts for neuron nodes, which are nearly every node of a
    network, place nodes without visiting their parents one by one; each places exactly what
    the plain walk would, in its order:

    * a neuron whose parents have all been placed follows them at once. Its parts are
      shared tuples (a layer's inputs, a neuron's weights), checked with ``set.issuperset``
      (in C) once, then known by identity;
    * a neuron whose inputs are a whole layer built in one call (`LayerOutputs`, from
      ``layer_batch``) gets that layer placed in one step once the layer's own inputs are:
      its nodes depend on nothing else when its weights and biases have been placed.

    A graph with a cycle (an edited ``.parents``) is refused as `topological_order` refuses
    it: a node met again while it waits on the stack closes a cycle.
    """
    if root.op is None:
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
    # The stack, as three lists side by side: a node (or a LayerOutputs placed as a whole),
    # what must be placed before it, and how far into that it has got. No tuple or iterator
    # per entry: objects the garbage collector tracks, made by the million on a long chain,
    # would make it run again and again over the whole graph (benchmarks/DECISIONS.md).
    stack_nodes: list[Any] = [root]
    stack_parents: list[tuple[Value, ...]] = [root.parents]
    stack_next: list[int] = [0]
    waiting = {root}  # the nodes on the stack (a layer's nodes too): not placed yet
    while stack_nodes:
        parents = stack_parents[-1]
        i = stack_next[-1]
        count = len(parents)
        while i < count:
            parent = parents[i]
            i += 1
            if parent in seen:
                if parent in waiting:
                    raise cycle_error(parent)
                continue
            seen.add(parent)
            if type(parent) is not NeuronNode:
                if parent.op is None:
                    leaves.append(parent)
                    continue
                # Its own parents' leaves are met here, as the plain walk would meet them
                # after pushing it; a node whose parents are all leaves or placed (most nodes
                # of a wide graph) then follows at once, never pushed and popped.
                grandparents = parent.parents
                j = 0
                for grandparent in grandparents:
                    if grandparent not in seen:
                        if grandparent.op is not None:
                            break
                        seen.add(grandparent)
                        leaves.append(grandparent)
                    elif grandparent in waiting or grandparent is parent:
                        raise cycle_error(grandparent)
                    j += 1
                else:
                    order.append(parent)
                    continue
                stack_next[-1] = i
                stack_nodes.append(parent)
                stack_parents.append(grandparents)
                stack_next.append(j)
                waiting.add(parent)
                break
            weights, _, bias, _ = parent.row  # a neuron: its parents come in parts
            inputs = parent.sample[0]
            weights_placed = placed_weights.get(bias) is weights
            if (
                not weights_placed
                and bias in seen
                and seen.issuperset(weights)
                and waiting.isdisjoint(weights)
                and bias not in waiting
            ):
                placed_weights[bias] = weights
                weights_placed = True
            if weights_placed and (
                inputs is placed_inputs or (seen.issuperset(inputs) and waiting.isdisjoint(inputs))
            ):
                placed_inputs = inputs
                order.append(parent)
                continue
            stack_next[-1] = i
            waiting.add(parent)
            if not (weights_placed and _is_new_layer(inputs, seen, placed_rows)):
                stack_nodes.append(parent)
                stack_parents.append(parent.parents)
                stack_next.append(0)
                break
            # Its inputs are all it waits for, and they are a layer: the neuron waits for the
            # layer, and the layer for its own inputs, which may be a layer again.
            stack_nodes.append(parent)
            stack_parents.append(())
            stack_next.append(0)
            layer: Any = inputs
            while True:
                seen.update(layer)
                waiting.update(layer)
                stack_nodes.append(layer)
                stack_next.append(0)
                if _is_new_layer(layer.inputs, seen, placed_rows):
                    stack_parents.append(())
                    layer = layer.inputs
                else:
                    stack_parents.append(layer.inputs)
                    break
            break
        else:  # everything before this entry is placed: it follows
            stack_parents.pop()
            stack_next.pop()
            node = stack_nodes.pop()
            if type(node) is LayerOutputs:
                order.extend(node)
                waiting.difference_update(node)
            else:
                order.append(node)
                waiting.discard(node)
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


_grad_of = attrgetter("grad")
_RELU = OPS["neuron_relu"].activation
_LINEAR = OPS["neuron_linear"].activation
_MUL_RULE = OPS["mul"].derivative
_ADD_RULE = OPS["add"].derivative


def backward(root: Value, gradient: float = 1.0) -> None:
    """``Value.backward()``'s default sweep: the reference ``backward`` computed in place.

    It uses the ``.grad`` of the nodes as its workspace, so it holds ``GRADIENTS_LOCK`` (as
    the reference does to write its results): calls from several threads take turns.
    """
    with GRADIENTS_LOCK:
        _backward(root, gradient)


def _backward(root: Value, gradient: float) -> None:
    order, leaves = walk(root)
    nodes = order + leaves
    # Before anything changes: the gradients earlier passes left. During the sweep a node's
    # .grad holds this pass's gradient only (else a second backward() would push the first
    # pass's gradient through again); the old ones are added back at the end.
    kept = [(node, node.grad) for node in nodes if node.grad]
    try:
        for node, _ in kept:
            node.grad = 0.0
        root.grad = gradient
        _sweep_in_place(order)
        for node, old in kept:
            node.grad += old
        # One sum in C tells whether every gradient is a finite float; only when it is not (or
        # it overflowed) are they looked at one by one, in the order the reference uses.
        total = sum(map(_grad_of, nodes))
        if type(total) is not float or not math.isfinite(total):
            check_gradients("backward", root, gradient, [*order[::-1], *leaves], _grad_of)
    except BaseException:  # an error or a Ctrl-C anywhere above: put every .grad back
        for node in nodes:
            node.grad = 0.0
        for node, old in kept:
            node.grad = old
        raise


def _sweep_in_place(order: list[Value]) -> None:
    """The reverse sweep, adding each node's contributions straight into its parents' .grad."""
    for node in reversed(order):
        g = node.grad
        if type(node) is NeuronNode:
            if not g:  # nothing flows through this neuron (e.g. behind a relu that is off)
                continue
            # The neuron rule of ops.py (neuron_derivative) written out: the same products in
            # the same order, on the numbers the node kept at forward.
            activation: Any = node.op.activation  # type: ignore[union-attr]
            weights, weight_data, bias, bias_data = node.row
            inputs, input_data = node.sample
            # relu's and linear's slopes (step(out) and 1) written out: g * 1.0 is g.
            if activation is _RELU:
                local = g if node.data > 0.0 else 0.0
            elif activation is _LINEAR:
                local = g
            elif activation.slope_of_z:  # gelu, silu, elu: z again, as the forward computed it
                local = g * activation.slope(sum(map(mul, weight_data, input_data), bias_data))
            else:
                local = g * activation.slope(node.data)
            if local:  # else a relu that is off: nothing flows back
                # No strict=True: the builder made the parts of one length, and a keyword
                # argument makes CPython 3.11 parse it on every call.
                for weight, x in zip(weights, input_data):  # noqa: B905
                    weight.grad += local * x
                for input_node, w in zip(inputs, weight_data):  # noqa: B905
                    input_node.grad += local * w
                bias.grad += local
            continue
        parents = node.parents
        const = node.const
        op: Any = node.op
        if isinstance(op, DefinedOp):  # a user's rule: its results are checked (rule_results)
            one = len(parents) == 1  # spelled out, as below: no list made
            try:
                if one:
                    returned = op.derivative(g, node.data, parents[0].data)
                else:
                    returned = op.derivative(g, node.data, *[p.data for p in parents])
            except ArithmeticError:  # the reference's call names the op
                contributions_of(node, g, node.data, node.rule_operands())
                raise
            checked = check_contributions(op, returned, len(parents), False)
            if one:
                parents[0].grad += checked[0]
            else:
                for parent, contribution in zip(parents, checked):  # noqa: B905
                    parent.grad += contribution
            continue
        derivative: Any = op.derivative
        try:
            # One- and two-operand nodes, the most common, are spelled out: that saves a list
            # comprehension and a zip per node, and unpacking checks the count for free.
            if const is not None:
                (parent,) = parents
                (contribution,) = derivative(g, node.data, parent.data, const)
                parent.grad += contribution
            elif len(parents) == 2:
                first, second = parents
                if derivative is _MUL_RULE:  # the rules of * and + written out, the same products
                    to_first, to_second = g * second.data, g * first.data
                elif derivative is _ADD_RULE:
                    to_first = to_second = g
                else:
                    to_first, to_second = derivative(g, node.data, first.data, second.data)
                first.grad += to_first
                second.grad += to_second
            elif len(parents) == 1:
                (parent,) = parents
                (contribution,) = derivative(g, node.data, parent.data)
                parent.grad += contribution
            else:
                contributions = derivative(g, node.data, *[p.data for p in parents])
                if len(contributions) != len(parents):
                    raise ValueError
                for parent, contribution in zip(parents, contributions):  # noqa: B905
                    parent.grad += contribution
        except (ArithmeticError, ValueError, TypeError):
            # The reference's call raises the same error with the op's name in it. (No
            # .grad has changed for this node: every rule returns before anything is added.)
            contributions_of(node, g, node.data, node.rule_operands())
            raise


BACKWARD_ENGINES["fast"] = backward
