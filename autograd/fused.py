"""Fast path: the neuron as one node, and builders for whole layers and batches.

``nn`` computes ``activation(w · x + b)`` for every neuron of every sample. Built from ``*``
and ``+`` that is 2n + 1 nodes per neuron; here it is one `NeuronNode`, whose op is the
neuron op of the table in ``ops.py`` (forward and rule there, as for every op). What this file
adds is speed: a node keeps its parts in two records shared with its neighbours instead of a
tuple of 2n + 1 parents, and a layer or a batch is built in one call that reads each number
once. The reference sweep (``backward.py``) treats these nodes like any other; the fast sweep
(``fast.py``) knows their records.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import Any, NoReturn

from autograd.mode import is_grad_enabled
from autograd.ops import ACTIVATIONS, OPS, Op
from autograd.validate import finite_float
from autograd.value import Value, apply

__all__ = [
    "LayerOutputs",
    "NeuronNode",
    "NeuronRow",
    "layer",
    "layer_batch",
    "layer_batch_from_rows",
    "neuron",
    "read_rows",
]

NeuronRow = tuple[tuple[Value, ...], list[float], Value, float]
"""One neuron's parts: its weights, their numbers, its bias and the bias's number."""

Sample = tuple[tuple[Value, ...], list[float]]
"""One sample's inputs and their numbers, shared by every neuron of a layer."""

AT_FORWARD = Op(
    "at_forward",
    "was",
    lambda x, c: c,
    lambda g, out, x, c: (g,),
    names=("x", "c"),
    formula=("1",),
    constant="right",
)
"""``x`` as it was when a neuron read it: its number then, its gradient passed to ``x``.

Used by `NeuronNode.rule_operands` under ``create_graph=True`` for a parent whose ``.data``
changed after the forward pass, so that ``grad()`` differentiates at the same point as
``backward()`` (the forward pass's), as PyTorch does with the tensors it saves for backward.
"""
OPS[AT_FORWARD.name] = AT_FORWARD  # in the table, so that a node using it pickles


class NeuronNode(Value):
    """``activation(w · x + b)`` as one node; its op is ``OPS["neuron_<activation>"]``.

    Its parents are (w_1..w_n, x_1..x_n, b), built when asked for. It keeps the numbers it
    was computed from (``weight_data``, ``input_data``, ``bias_data``), so its gradients are
    those at the point where it was evaluated even if a parent's ``.data`` changes later.
    """

    __slots__ = ("row", "sample")

    row: NeuronRow
    sample: Sample

    @property
    def parents(self) -> tuple[Value, ...]:  # type: ignore[override]  # the records hold them
        """(w_1..w_n, x_1..x_n, b): the operand order of the neuron op."""
        weights, _, bias, _ = self.row
        return (*weights, *self.sample[0], bias)

    @property
    def weights(self) -> tuple[Value, ...]:
        """The weights, the first part of ``parents``."""
        return self.row[0]

    @property
    def weight_data(self) -> list[float]:
        """The weights' numbers when the node was built."""
        return self.row[1]

    @property
    def bias(self) -> Value:
        """The bias, the last of ``parents``."""
        return self.row[2]

    @property
    def bias_data(self) -> float:
        """The bias's number when the node was built."""
        return self.row[3]

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The inputs, the middle part of ``parents``."""
        return self.sample[0]

    @property
    def input_data(self) -> list[float]:
        """The inputs' numbers when the node was built."""
        return self.sample[1]

    def rule_operands(self, as_values: bool = False) -> list[Any]:
        """The numbers the node was computed from; as Values, each parent as it was then."""
        numbers = [*self.row[1], *self.sample[1], self.row[3]]
        if not as_values:
            return numbers
        return [
            parent if parent.data == number else apply(AT_FORWARD, (parent,), number)
            for parent, number in zip(self.parents, numbers, strict=True)
        ]

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _NEURON_STATE}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name in _NEURON_STATE:
            object.__setattr__(self, name, state[name])


_NEURON_STATE = ("data", "grad", "_label", "op", "const", "row", "sample")


class LayerOutputs(tuple[Value, ...]):
    """One sample's output nodes of a layer (`layer_batch`): a tuple that also remembers what
    every one of them reads.

    ``inputs`` is the tuple of input nodes they all share, and ``rows`` the layer's neurons
    (`NeuronRow`), one per node; both are None when the layer was built under ``no_grad()``
    (its outputs are then plain leaves). When these outputs are the inputs of the next layer,
    the fast sweep's walk (``fast.py``) places the whole layer at once.
    """

    # Class-level defaults, which _build sets on the instance when it records a graph. (No
    # __new__ taking them as arguments: calling one costs more than making the tuple.)
    inputs: tuple[Value, ...] | None = None
    rows: Sequence[NeuronRow] | None = None

    def __reduce__(self) -> tuple[type[LayerOutputs], tuple[tuple[Value, ...]]]:
        # The nodes only: `inputs` and `rows` serve the fast walk's shortcut, and `rows` names
        # other neurons' weights, which need not be part of the graph being pickled.
        return LayerOutputs, (tuple(self),)


def neuron(
    weights: Sequence[Value],
    inputs: Sequence[Value | float],
    bias: Value,
    activation: str = "linear",
) -> Value:
    """``activation(w · x + b)`` as a single node whose parents are (w..., x..., b).

    Number inputs become leaves, so the gradient with respect to an input (a saliency map) is
    there to read after ``backward()``.
    """
    rows = read_rows([weights], [bias], "neuron")
    return _build("neuron", rows, [inputs], activation)[0][0]


def layer(
    weight_rows: Sequence[Sequence[Value]],
    inputs: Sequence[Value | float],
    biases: Sequence[Value],
    activation: str = "linear",
) -> list[Value]:
    """A layer: one `neuron` node per row of ``weight_rows``, all reading ``inputs``.

    ``weight_rows[j]`` and ``biases[j]`` belong to neuron ``j``. The same nodes as calling
    `neuron` for each, built faster: the inputs are checked and read once for the layer.
    """
    rows = read_rows(weight_rows, biases, "layer")
    return list(_build("layer", rows, [inputs], activation)[0])


def layer_batch(
    weight_rows: Sequence[Sequence[Value]],
    samples: Iterable[Sequence[Value | float]],
    biases: Sequence[Value],
    activation: str = "linear",
) -> list[LayerOutputs]:
    """A layer applied to each sample of a batch: `layer` once per sample, built faster.

    Every weight's number is read once for the whole batch. Each sample's nodes come as a
    `LayerOutputs` tuple: give it as is to the next layer's ``layer_batch``, and the fast
    sweep places that whole layer at once in its walk.
    """
    rows = read_rows(weight_rows, biases, "layer_batch")
    return _build("layer_batch", rows, samples, activation)


def layer_batch_from_rows(
    rows: Sequence[NeuronRow], samples: Iterable[Sequence[Value | float]], activation: str
) -> list[LayerOutputs]:
    """`layer_batch` on rows `read_rows` gave earlier: the weights' numbers are not read again.

    For a caller that knows the numbers have not changed since (``nn.Layer`` keeps its rows
    until a `Parameter` changes), so that calling a model on one sample at a time reads each
    weight once per change, as ``model.batch(X)`` does, rather than once per sample. The nodes
    keep the numbers of ``rows``: they are what their gradients will be computed at.
    """
    return _build("layer", rows, samples, activation)


def _build(
    what: str,
    rows: Sequence[NeuronRow],
    samples: Iterable[Sequence[Value | float]],
    activation: str,
) -> list[LayerOutputs]:
    """Neuron nodes, one per row (a neuron's weights and bias with their numbers), for each
    sample of inputs.

    This is where a network spends most of its forward pass, so each number is read once: a
    weight's once for the whole batch, an input's once for the whole layer. The nodes keep
    those lists of floats (shared, never mutated), so the fast sweep reads no parent's
    ``.data`` again.
    """
    op = OPS.get(f"neuron_{activation}")
    if op is None or op.activation is None:
        raise ValueError(f"{what}: unknown activation {activation!r}; choose one of {ACTIVATIONS}")
    n_weights = len(rows[0][1]) if rows else 0
    apply_activation = op.activation.apply
    # relu and linear, nearly every neuron of a network, are written out below (the same
    # expressions as ops.py's): a call per neuron would cost about as much as its dot product.
    is_relu = op.activation.name == "relu"
    is_linear = op.activation.name == "linear"
    recording = is_grad_enabled()
    mul = operator.mul
    new_node = object.__new__
    new_tuple = tuple.__new__
    outputs = []
    for inputs in samples:
        xs: tuple[Value, ...]
        if type(inputs) is LayerOutputs:  # the previous layer's nodes: kept as they are
            xs = inputs
        else:
            xs = tuple(inputs)  # type: ignore[arg-type]  # checked next
            # all(map(...)) runs the check in C; a comprehension would cost a call per sample.
            if not all(map(isinstance, xs, repeat(Value))):  # numbers become leaves
                xs = tuple([_as_value(x, f"{what}: input") for x in inputs])
        if len(xs) != n_weights and rows:
            raise ValueError(
                f"{what}: {n_weights} weights{'' if what == 'neuron' else ' per neuron'}"
                f" but {len(xs)} inputs; they must match"
            )
        input_data = [x.data for x in xs]
        sample = (xs, input_data)
        nodes = []
        for row in rows:
            weights, weight_data, _, bias_data = row
            try:
                z = sum(map(mul, weight_data, input_data), bias_data)
            except TypeError:  # some .data is not a number
                z = None
            if type(z) is not float:
                _raise_for_layer(what, rows)
            if z - z != 0.0:  # inf or nan: finite operands overflowed
                raise OverflowError(
                    f"{op.symbol}: w · x + b is {z} for weights {_shown(weights)},"
                    f" inputs {_shown(xs)} and bias {bias_data!r}"
                )
            if is_relu:
                out = z if z > 0.0 else 0.0
            elif is_linear:
                out = z
            else:
                out = apply_activation(z)
            if not recording:
                nodes.append(Value(out))
                continue
            node: Any = new_node(NeuronNode)
            node.data = out
            node.grad = 0.0
            node._label = ""
            node.op = op
            node.const = None
            # No tuple of all 2n + 1 parents but two records that many nodes share: the
            # neuron's row with every sample's node of this neuron, the sample with every
            # neuron of this layer. They are tuples, so what is shared cannot change.
            node.row = row
            node.sample = sample
            nodes.append(node)
        layer_outputs = new_tuple(LayerOutputs, nodes)
        if recording:  # what they read; an instance attribute each (see LayerOutputs)
            layer_outputs.inputs = xs
            layer_outputs.rows = rows
        outputs.append(layer_outputs)
    return outputs


def _as_value(x: Value | float, what: str) -> Value:
    return x if isinstance(x, Value) else Value(finite_float(x, what))


def read_rows(
    weight_rows: Sequence[Sequence[Value]], biases: Sequence[Value], what: str = "read_rows"
) -> list[NeuronRow]:
    """Each neuron's weights (as a tuple) and bias, with their numbers now, checked.

    ``weight_rows[j]`` and ``biases[j]`` belong to neuron ``j``; ``what`` names the caller in
    error messages. What `layer_batch` reads first; see `layer_batch_from_rows`.
    """
    if len(weight_rows) != len(biases):
        raise ValueError(
            f"{what}: {len(weight_rows)} rows of weights but {len(biases)} biases; they must match"
        )
    rows: list[NeuronRow] = []
    for j, (weights, bias) in enumerate(zip(weight_rows, biases, strict=True)):
        # An isinstance check per weight would cost as much as reading it, so only what is
        # read gets checked: anything without a float .data is sorted out by the fallback.
        try:
            weight_data = [w.data for w in weights]
            bias_data = bias.data
        except AttributeError:
            _raise_for_operands(what, weights, bias, j)
        if rows and len(weight_data) != len(rows[0][1]):
            raise ValueError(
                f"{what}: neuron {j} has {len(weight_data)} weights but neuron 0 has"
                f" {len(rows[0][1])}; every neuron of a layer reads the same inputs"
            )
        weights_tuple = weights if type(weights) is tuple else tuple(weights)
        rows.append((weights_tuple, weight_data, bias, bias_data))
    return rows


def _raise_for_operands(what: str, weights: Sequence[object], bias: object, row: int) -> NoReturn:
    """Name the weight or bias of a neuron that is not a Value (called once something failed)."""
    one = what == "neuron"  # name weights[i], else weights[row][i] and biases[row]
    for i, w in enumerate(weights):
        if not isinstance(w, Value):
            name = f"weights[{i}]" if one else f"weights[{row}][{i}]"
            raise TypeError(f"{what}: {name} must be a Value, got {w!r}")
    if not isinstance(bias, Value):
        name = "bias" if one else f"biases[{row}]"
        raise TypeError(f"{what}: {name} must be a Value, got {bias!r}")
    raise TypeError(f"{what}: a weight or the bias of neuron {row} has data that is not a float")


def _raise_for_layer(what: str, rows: Sequence[NeuronRow]) -> NoReturn:
    """`_raise_for_operands` for the first neuron of a layer whose operands are wrong."""
    for j, (weights, weight_data, bias, bias_data) in enumerate(rows):
        if not all(type(x) is float for x in (*weight_data, bias_data)):
            _raise_for_operands(what, weights, bias, j)
    raise TypeError(f"{what}: the inputs' data must be floats")


def _shown(values: Sequence[Value]) -> str:
    if len(values) > 6:
        return f"({len(values)} values)"
    return "(" + ", ".join(repr(v.data) for v in values) + ")"
