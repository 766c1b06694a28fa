"""`trace_network`: a step-through of a network's backward pass, its neuron marked in a picture.

`autograd.viz.trace_backward` steps through any graph and knows nothing of networks. This
module adds what a network brings: the layered picture of the model (`draw_network`) beside
the step-through, with the neuron whose node is being processed marked at each step, so the
reader keeps track of where in the network the step is.

>>> from nn import MLP, trace_network
>>> model = MLP(2, [4, 4, 1], seed=0)
>>> trace = trace_network(model, [0.5, -1.0])    # steps through model's output
>>> len(trace.inset.parts)                      # one part per neuron: 4 + 4 + 1
9
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from autograd import Value
from nn.module import MLP, Layer, Module, Neuron
from nn.network import draw_network

if TYPE_CHECKING:
    from autograd.viz import BackwardTrace

__all__ = ["trace_network"]

Number = int | float

_NEURON_GROUP = re.compile(r'<g class="nn-neuron" data-name="([^"]*)"')


def trace_network(
    model: MLP | Layer | Neuron,
    x: Sequence[Number | Value] | None = None,
    *,
    loss: Value | None = None,
) -> BackwardTrace:
    """Run the backward pass of one sample through ``model`` and record it, with the network.

    The result is `autograd.viz.trace_backward`'s record (it runs the backward pass: the
    gradients land in ``.grad``), with the model's picture as its inset: in Jupyter and in
    ``trace.save_html(path)`` the step-through shows the network beside the graph and marks
    the neuron of each step.

    Args:
        model: an ``nn`` MLP, Layer or Neuron.
        x: one input sample; without ``loss`` the step-through is of ``model(x)`` (a model of
            one output).
        loss: a Value computed from one sample's pass through ``model`` (its output or a loss
            built on it), not yet backpropagated: the step-through is of it.

    >>> from nn import MLP, losses, trace_network
    >>> model = MLP(2, [4, 4, 1], seed=0)
    >>> loss = losses.hinge([model([0.5, -1.0])], [1])
    >>> trace = trace_network(model, loss=loss)  # trace.save_html("steps.html")
    """
    from autograd.viz import Inset, trace_backward

    if not isinstance(model, MLP | Layer | Neuron):
        raise TypeError(
            f"trace_network: model must be an nn MLP, Layer or Neuron, got {type(model).__name__}"
        )
    if loss is None:
        if x is None:
            raise ValueError("trace_network: pass x (one input sample) or loss")
        output = model(list(x))
        if not isinstance(output, Value):
            raise ValueError(
                f"trace_network: the model has {len(output)} outputs; pass loss= (a Value "
                "computed from them) to step through"
            )
        loss = output
    elif not isinstance(loss, Value):
        raise TypeError(f"trace_network: loss must be a Value, got {type(loss).__name__}")
    trace = trace_backward(loss)
    nodes = _neuron_nodes(trace.nodes, model)
    if not nodes:
        raise ValueError(
            "trace_network: loss was not computed from this model (none of its neurons is "
            "in the graph)"
        )
    # The picture of this pass: its activations in the circles, its gradients under them.
    svg = draw_network(model, x, loss=loss).svg
    ids: dict[str, str] = {}

    def add_id(match: re.Match[str]) -> str:
        name = html.unescape(match.group(1))
        ids[name] = f"gg-neuron-{len(ids)}"
        return f'{match.group(0)} id="{ids[name]}"'

    svg = _NEURON_GROUP.sub(add_id, svg)
    parts = {node: ids[name] for node, name in nodes.items() if name in ids}
    names = {ids[name]: name for name in ids}
    caption = "the network: the neuron of this step is outlined"
    return trace.with_inset(Inset(svg, parts, names, caption))


def _neuron_nodes(nodes: Sequence[Value], model: Module) -> dict[Value, str]:
    """Each neuron's node in the graph, with the neuron's name in the model.

    A neuron's node is the one op node whose operands include all its weights and its bias
    (by identity), whatever its op is called.
    """
    neurons = {
        id(module.b): (name, module)
        for name, module in model.named_modules()
        if isinstance(module, Neuron)
    }
    found: dict[Value, str] = {}
    for node in nodes:
        for parent in node.parents:
            entry = neurons.get(id(parent))
            if entry is None:
                continue
            name, neuron = entry
            operands = {id(p) for p in node.parents}
            if all(id(w) in operands for w in neuron.w):
                found[node] = name or "neuron"
            break
    return found
