"""`Value`: one scalar in a computation graph, and the operators that grow the graph.

A Value holds a number (``data``), the derivative of some output with respect to it (``grad``,
filled in by ``backward()``), an optional ``label`` for drawings, and the Values it was computed
from (``parents``, in operand order). Every operator or method applies one op from the table in
``ops.py``; this file only decides which op, and builds the node.

Two choices keep nodes small and the backward sweep fast:

* The op is not stored on each node. Instead every op in the table gets its own tiny subclass
  of ``Value`` (made once, at import, by ``_node_class``); the op name, the derivative rule and
  the forward live on that class. A node is four pointers plus its float: data, grad, label,
  parents. ``type(v).__name__`` is still ``"Value"``.
* A plain number operand (``x * 2``) is not wrapped in a Value: it is kept on the node as
  ``.const``, and ``parents`` holds Values only. A number never needs a gradient.

Nodes hold no reference to their children and no closures, so a graph has no reference cycles:
when the last name for the output goes away, refcounting frees the whole graph at once.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from autograd.mode import _grad_enabled
from autograd.ops import ACTIVATIONS, OPS, Activation, Op, Rule

if TYPE_CHECKING:
    from collections.abc import Callable

Number = int | float


def _check_number(x: object, what: str) -> float:
    """Return x as a float, or raise naming `what` when x is not a finite real number."""
    # bool is an int, and numpy's float64 is a float: both are accepted.
    if not isinstance(x, int | float):
        raise TypeError(f"{what}: expected an int, float or bool, got {type(x).__name__} {x!r}")
    value = float(x)
    if value - value != 0.0:  # true for inf and nan only
        raise ValueError(f"{what}: expected a finite number, got {value!r}")
    return value


def _leaf_forward(*operands: float) -> float:
    """What ``forward`` is on a leaf: there is no op to run."""
    raise TypeError("a leaf Value has no forward: it is not made by an op")


class Value:
    """A scalar that remembers how it was computed, so gradients can flow back through it.

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b + 1
    >>> c.backward()
    >>> a.grad, b.grad
    (-3.0, 2.0)

    Attributes:
        data: the number this node holds.
        grad: d(output)/d(this node), accumulated by ``backward()``; 0.0 until then.
        label: a name for drawings and reprs ("" when unset).
        parents: the Values this one was computed from, in operand order (``a * a`` has
            ``(a, a)``); ``()`` for a leaf.
        op: the op that made this node, e.g. ``"*"`` or ``"tanh"``; ``""`` for a leaf.
        const: the plain-number operand of ops such as ``x * 2.5``, else None.
        activation: on a fused neuron node (``Value.neuron``), its `Activation`; else None.
    """

    __slots__ = ("data", "grad", "label", "parents")

    data: float
    grad: float
    label: str
    parents: tuple[Value, ...]

    # Class-level defaults that each op's node class overrides (see _node_class below).
    op: ClassVar[str] = ""
    const: float | None = None
    forward: ClassVar[Callable[..., float]] = staticmethod(_leaf_forward)
    derivative: ClassVar[Rule | None] = None
    singular: ClassVar[Callable[..., bool] | None] = None
    spec: ClassVar[Op | None] = None
    activation: ClassVar[Activation | None] = None

    def __init__(self, data: Number, label: str = "") -> None:
        """Make a leaf: a Value with no parents, such as an input or a weight."""
        # A finite float, by far the usual case, skips the call that sorts out the others.
        if type(data) is float and data - data == 0.0:
            self.data = data
        else:
            self.data = _check_number(data, "Value")
        self.grad = 0.0
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {type(label).__name__}")
        self.label = label
        self.parents = ()

    # -- reading --------------------------------------------------------------------------------

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        op = f", op={self.op!r}" if self.op else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{op}{label})"

    def __float__(self) -> float:
        return self.data

    # Comparisons look at .data and return plain bools. Equality and hashing stay those of
    # object identity: two nodes holding the same number are still two nodes of the graph.
    def __lt__(self, other: Value | Number) -> bool:
        return self.data < _data_of(other)

    def __le__(self, other: Value | Number) -> bool:
        return self.data <= _data_of(other)

    def __gt__(self, other: Value | Number) -> bool:
        return self.data > _data_of(other)

    def __ge__(self, other: Value | Number) -> bool:
        return self.data >= _data_of(other)

    # -- arithmetic -------------------------------------------------------------------------

    def __add__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            return _apply(_ADD, (self, other))
        return _apply_const(_ADD_CONST, self, other)

    def __radd__(self, other: Number) -> Value:
        # c + x is drawn and stored as x + c: addition commutes, and one op suffices.
        return _apply_const(_ADD_CONST, self, other)

    def __sub__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            return _apply(_SUB, (self, other))
        return _apply_const(_SUB_CONST, self, other)

    def __rsub__(self, other: Number) -> Value:
        return _apply_const(_RSUB_CONST, self, other)

    def __mul__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            return _apply(_MUL, (self, other))
        return _apply_const(_MUL_CONST, self, other)

    def __rmul__(self, other: Number) -> Value:
        return _apply_const(_MUL_CONST, self, other)

    def __truediv__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            return _apply(_DIV, (self, other))
        return _apply_const(_DIV_CONST, self, other)

    def __rtruediv__(self, other: Number) -> Value:
        return _apply_const(_RDIV_CONST, self, other)

    def __pow__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            return _apply(_POW, (self, other))
        return _apply_const(_POW_CONST, self, other)

    def __rpow__(self, other: Number) -> Value:
        return _apply_const(_RPOW_CONST, self, other)

    def __neg__(self) -> Value:
        return _apply(_NEG, (self,))

    def __abs__(self) -> Value:
        return _apply(_ABS, (self,))

    # -- functions ----------------------------------------------------------------------------

    def exp(self) -> Value:
        """e to the power of this value."""
        return _apply(_EXP, (self,))

    def log(self) -> Value:
        """Natural logarithm; the value must be > 0."""
        return _apply(_LOG, (self,))

    def sqrt(self) -> Value:
        """Square root; the value must be >= 0 (and > 0 to take its derivative)."""
        return _apply(_SQRT, (self,))

    def tanh(self) -> Value:
        """Hyperbolic tangent, in (-1, 1)."""
        return _apply(_TANH, (self,))

    def sigmoid(self) -> Value:
        """The logistic function 1 / (1 + e^-x), in (0, 1); stable for any finite x."""
        return _apply(_SIGMOID, (self,))

    def relu(self) -> Value:
        """max(0, x); its derivative at 0 is taken to be 0, as in PyTorch."""
        return _apply(_RELU, (self,))

    def sin(self) -> Value:
        """Sine (radians)."""
        return _apply(_SIN, (self,))

    def cos(self) -> Value:
        """Cosine (radians)."""
        return _apply(_COS, (self,))

    # -- fused n-ary ops ------------------------------------------------------------------------

    @staticmethod
    def sum(values: Iterable[Value | Number]) -> Value:
        """The sum of many values as one node (instead of a chain of ``+`` nodes)."""
        parents = tuple(_as_value(v, "Value.sum") for v in values)
        if not parents:
            return Value(0.0)
        return _apply(_SUM, parents)

    @staticmethod
    def dot(xs: Sequence[Value | Number], ys: Sequence[Value | Number]) -> Value:
        """The dot product ``x_1 * y_1 + ... + x_n * y_n`` as one node.

        Its parents are ``(x_1..x_n, y_1..y_n)``; numbers become leaves. ``Value.dot(p, p)``
        is the sum of squares of ``p`` (``nn.losses.l2``) in one node instead of 2n.
        """
        if len(xs) != len(ys):
            raise ValueError(f"Value.dot: {len(xs)} xs but {len(ys)} ys; they must match")
        parents = tuple(_as_value(v, "Value.dot") for v in (*xs, *ys))
        if not parents:
            return Value(0.0)
        return _apply(_DOT, parents)

    @staticmethod
    def neuron(
        weights: Sequence[Value],
        inputs: Sequence[Value | Number],
        bias: Value,
        activation: str = "linear",
    ) -> Value:
        """``activation(w · x + b)`` as a single node whose parents are (w..., x..., b).

        This is what ``nn.Neuron`` uses: one node per neuron rather than one per ``*`` and
        ``+``. Number inputs become leaves, so the gradient with respect to an input (a
        saliency map) is there to read after ``backward()``.

        The node keeps the numbers it was computed from (``weight_data``, ``input_data``,
        ``bias_data``), as PyTorch saves tensors for backward: its gradients are those at the
        point where it was evaluated, even if a parent's ``.data`` changes in between.
        """
        return _layer("Value.neuron", [weights], [inputs], [bias], activation)[0][0]

    @staticmethod
    def neurons(
        weights: Sequence[Sequence[Value]],
        inputs: Sequence[Value | Number],
        biases: Sequence[Value],
        activation: str = "linear",
    ) -> list[Value]:
        """A layer: one ``Value.neuron`` node per row of ``weights``, all reading ``inputs``.

        ``weights[j]`` and ``biases[j]`` belong to neuron ``j``. The same nodes as calling
        ``Value.neuron`` for each neuron, built faster: the inputs are checked and their
        numbers read once for the whole layer rather than once per neuron.
        """
        return list(_layer("Value.neurons", weights, [inputs], biases, activation)[0])

    @staticmethod
    def neurons_batch(
        weights: Sequence[Sequence[Value]],
        samples: Iterable[Sequence[Value | Number]],
        biases: Sequence[Value],
        activation: str = "linear",
    ) -> list[LayerOutputs]:
        """A layer applied to each sample of a batch: ``Value.neurons`` once per sample.

        The same nodes as ``[Value.neurons(weights, x, biases, activation) for x in
        samples]``, built faster: every weight's number is read once for the whole batch
        instead of once per sample. ``nn``'s ``model.batch(X)`` uses this.

        Each sample's nodes come as a `LayerOutputs` tuple. Give it as is to the next layer's
        ``neurons_batch``: then ``backward()`` places the whole layer at once in its walk.
        """
        return _layer("Value.neurons_batch", weights, samples, biases, activation)

    # -- gradients -------------------------------------------------------------------------

    def backward(self, gradient: Number = 1.0) -> None:
        """Fill in ``.grad`` of every node this one depends on (this node included).

        Seeds d(self)/d(self) = ``gradient`` and sweeps the graph once in reverse topological
        order. Gradients *accumulate*: calling it twice adds the gradients twice, as in
        PyTorch and micrograd. Reset with ``model.zero_grad()`` or ``v.grad = 0.0``.
        """
        from autograd.backward import backward

        backward(self, _check_number(gradient, "backward: gradient"))

    def detach(self) -> Value:
        """A new leaf with the same data and label: gradients do not flow through it."""
        return Value(self.data, label=self.label)


FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "exp": Value.exp,
    "log": Value.log,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "sqrt": Value.sqrt,
    "sin": Value.sin,
    "cos": Value.cos,
    "abs": Value.__abs__,
}
"""The one-argument functions of a Value by name (what ``glassgrad graph`` lets you call)."""


def _data_of(x: Value | Number) -> float:
    return x.data if isinstance(x, Value) else _check_number(x, "comparison")


def _as_value(x: Value | Number, what: str) -> Value:
    return x if isinstance(x, Value) else Value(_check_number(x, what))


# -- building nodes ---------------------------------------------------------------------------


def _apply(node_class: type[Value], parents: tuple[Value, ...]) -> Value:
    """Run an op's forward on the parents' data and return the resulting node."""
    forward = node_class.forward
    # Unary and binary ops (most nodes) skip the list comprehension, which in Python 3.11 is a
    # function call of its own: a quarter of the cost of `a * b` (benchmarks/README.md).
    arity = len(parents)
    if arity == 2:
        data = forward(parents[0].data, parents[1].data)
    elif arity == 1:
        data = forward(parents[0].data)
    else:
        data = forward(*[p.data for p in parents])
    if data - data != 0.0:  # inf or nan: finite operands overflowed
        raise OverflowError(f"{node_class.op}: result is {data} for operands {_shown(parents)}")
    if not _grad_enabled.get():
        return Value(data)
    node = object.__new__(node_class)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node.parents = parents
    return node


def _apply_const(node_class: type[Value], x: Value, const: object) -> Value:
    """Like `_apply` for ops with one Value and one plain-number operand."""
    # The usual constant is already a finite float; only other types need converting. This
    # inlines _check_number for the common case, as every `x * 2.0` goes through here.
    if type(const) is not float:
        if not isinstance(const, int | float):
            # Lets Python raise its usual "unsupported operand" TypeError.
            return NotImplemented  # type: ignore[no-any-return]
        const = float(const)
    if const - const != 0.0:  # inf or nan
        raise ValueError(f"{node_class.op}: expected a finite number, got {const!r}")
    data = node_class.forward(x.data, const)
    if data - data != 0.0:
        raise OverflowError(
            f"{node_class.op}: result is {data} for operands ({x.data!r}, {const!r})"
        )
    if not _grad_enabled.get():
        return Value(data)
    node = object.__new__(node_class)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node.parents = (x,)
    node.const = const  # type: ignore[misc]  # a slot of the constant ops' node classes only
    return node


def _layer(
    what: str,
    weight_rows: Sequence[Sequence[Value]],
    samples: Iterable[Sequence[Value | Number]],
    biases: Sequence[Value],
    activation: str,
) -> list[LayerOutputs]:
    """Fused neuron nodes, one per (weights, bias) pair, for each sample of inputs.

    This is where a network spends most of its forward pass, so each number is read once: a
    weight's once for the whole batch, an input's once for the whole layer. The nodes keep
    those lists of floats (shared, never mutated), so the backward sweep (``backward.py``)
    reads no parent's ``.data`` again.
    """
    node_class = _NEURON.get(activation)
    if node_class is None:
        raise ValueError(f"{what}: unknown activation {activation!r}; choose one of {ACTIVATIONS}")
    rows = _neuron_rows(what, weight_rows, biases)
    n_weights = len(rows[0][1]) if rows else 0
    assert node_class.activation is not None
    apply = node_class.activation.apply
    recording = _grad_enabled.get()
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
                xs = tuple([_as_value(x, what + ": input") for x in inputs])
        if len(xs) != n_weights and rows:
            raise ValueError(
                f"{what}: {n_weights} weights{'' if what == 'Value.neuron' else ' per neuron'}"
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
                    f"{node_class.op}: w · x + b is {z} for weights {_shown(weights)},"
                    f" inputs {_shown(xs)} and bias {bias_data!r}"
                )
            out = apply(z)
            if not recording:
                nodes.append(Value(out))
                continue
            node: Any = new_node(node_class)
            node.data = out
            node.grad = 0.0
            node.label = ""
            # No tuple of all 2n + 1 parents (see _neuron_parents) but two records that many
            # nodes share: the neuron's row (weights, bias, their numbers) with every sample's
            # node of this neuron, the sample (inputs, their numbers) with every neuron of this
            # layer. They are tuples, so what is shared cannot change.
            node.row = row
            node.sample = sample
            nodes.append(node)
        layer_outputs = new_tuple(LayerOutputs, nodes)
        if recording:  # what they read; an instance attribute each (see LayerOutputs)
            layer_outputs.inputs = xs
            layer_outputs.rows = rows
        outputs.append(layer_outputs)
    return outputs


class LayerOutputs(tuple[Value, ...]):
    """One sample's output nodes of a layer (``Value.neurons_batch``): a tuple that also
    remembers what every one of them reads.

    ``inputs`` is the tuple of input nodes they all share, and ``rows`` the layer's neurons
    as (weights, their numbers, bias, its number), one row per node; both are None when the
    layer was built under ``no_grad()`` (its outputs are then plain leaves). When these
    outputs are the inputs of the next layer, ``backward()``'s walk can see from them that
    a node's inputs are a whole layer built in one call, and place all of them at once
    (``backward.py``).
    """

    # Class-level defaults, which _layer sets on the instance when it records a graph. (No
    # __new__ taking them as arguments: calling one costs more than making the tuple.)
    inputs: tuple[Value, ...] | None = None
    rows: list[_NeuronRow] | None = None


_NeuronRow = tuple[tuple[Value, ...], list[float], Value, float]


def _neuron_rows(
    what: str, weight_rows: Sequence[Sequence[Value]], biases: Sequence[Value]
) -> list[_NeuronRow]:
    """Each neuron's weights (as a tuple) and bias, with their numbers, checked."""
    if len(weight_rows) != len(biases):
        raise ValueError(
            f"{what}: {len(weight_rows)} rows of weights but {len(biases)} biases; they must match"
        )
    rows: list[_NeuronRow] = []
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
    layer = what != "Value.neuron"  # name weights[row][i] and biases[row], else weights[i]
    for i, w in enumerate(weights):
        if not isinstance(w, Value):
            name = f"weights[{row}][{i}]" if layer else f"weights[{i}]"
            raise TypeError(f"{what}: {name} must be a Value, got {w!r}")
    if not isinstance(bias, Value):
        name = f"biases[{row}]" if layer else "bias"
        raise TypeError(f"{what}: {name} must be a Value, got {bias!r}")
    raise TypeError(f"{what}: a weight or the bias of neuron {row} has data that is not a float")


def _raise_for_layer(what: str, rows: list[_NeuronRow]) -> NoReturn:
    """`_raise_for_operands` for the first neuron of a layer whose operands are wrong."""
    for j, (weights, weight_data, bias, bias_data) in enumerate(rows):
        if not all(type(x) is float for x in (*weight_data, bias_data)):
            _raise_for_operands(what, weights, bias, j)
    raise TypeError(f"{what}: the inputs' data must be floats")


def operand_data(node: Value) -> list[float]:
    """The numbers ``node``'s derivative rule is given on the float path, in operand order.

    Its parents' ``.data``, then its ``.const`` if it has one. A fused neuron node gives the
    numbers it kept when it was built instead (see `Value.neuron`). A leaf has none.
    """
    if node.activation is not None:
        saved: Any = node
        _, weight_data, _, bias_data = saved.row
        return [*weight_data, *saved.sample[1], bias_data]
    operands = [p.data for p in node.parents]
    if node.const is not None:
        operands.append(node.const)
    return operands


def _shown(parents: Sequence[Value]) -> str:
    if len(parents) > 6:
        return f"({len(parents)} values)"
    return "(" + ", ".join(repr(p.data) for p in parents) + ")"


_NODE_SLOTS = {
    (False, False): (),
    (True, False): ("const",),
    # A fused neuron keeps its parents and the numbers it was computed from (for backward)
    # in two shared records, its row and its sample (see _layer).
    (False, True): ("row", "sample"),
}


def _neuron_parents(node: Any) -> tuple[Value, ...]:
    """``parents`` of a fused neuron node: (w_1..w_n, x_1..x_n, b), built when asked for.

    Building this tuple for every neuron of every sample would cost a forward pass more than
    the tuple is worth: the backward sweep and the walk use the parts directly.
    """
    weights, _, bias, _ = node.row
    return (*weights, *node.sample[0], bias)


def _record_field(record: str, index: int, doc: str) -> property:
    """A read-only attribute of a fused neuron node: item ``index`` of its ``record``."""
    return property(lambda node: getattr(node, record)[index], doc=doc)


# What a fused neuron node reads, by name (the two records hold them; see _layer).
_NEURON_FIELDS = {
    "weights": _record_field("row", 0, "The weights, the first part of ``parents``."),
    "weight_data": _record_field("row", 1, "The weights' numbers when the node was built."),
    "bias": _record_field("row", 2, "The bias, the last of ``parents``."),
    "bias_data": _record_field("row", 3, "The bias's number when the node was built."),
    "inputs": _record_field("sample", 0, "The inputs, the middle part of ``parents``."),
    "input_data": _record_field("sample", 1, "The inputs' numbers when the node was built."),
}


def _node_class(op: Op) -> type[Value]:
    """The subclass of Value for nodes made by `op`: the op's data lives on the class."""
    namespace: dict[str, Any] = {
        "__slots__": _NODE_SLOTS[op.constant is not None, op.activation is not None],
        "__doc__": f"A Value made by the {op.name!r} op.",
        "__module__": __name__,
        "op": op.symbol,
        "forward": staticmethod(op.forward),
        "derivative": staticmethod(op.derivative),
        "singular": staticmethod(op.singular) if op.singular else None,
        "spec": op,
        "activation": op.activation,
    }
    if op.activation is not None:
        namespace["parents"] = property(_neuron_parents)
        namespace |= _NEURON_FIELDS
    return type("Value", (Value,), namespace)


NODE_CLASSES: dict[str, type[Value]] = {name: _node_class(op) for name, op in OPS.items()}
"""The node class of every op, by op name."""

_ADD, _SUB, _MUL, _DIV, _POW = (NODE_CLASSES[n] for n in ("add", "sub", "mul", "div", "pow"))
_ADD_CONST, _SUB_CONST, _RSUB_CONST = (
    NODE_CLASSES[n] for n in ("add_const", "sub_const", "rsub_const")
)
_MUL_CONST, _DIV_CONST, _RDIV_CONST = (
    NODE_CLASSES[n] for n in ("mul_const", "div_const", "rdiv_const")
)
_POW_CONST, _RPOW_CONST = NODE_CLASSES["pow_const"], NODE_CLASSES["rpow_const"]
_NEG, _ABS, _EXP, _LOG, _SQRT = (NODE_CLASSES[n] for n in ("neg", "abs", "exp", "log", "sqrt"))
_TANH, _SIGMOID, _RELU = NODE_CLASSES["tanh"], NODE_CLASSES["sigmoid"], NODE_CLASSES["relu"]
_SIN, _COS, _SUM = NODE_CLASSES["sin"], NODE_CLASSES["cos"], NODE_CLASSES["sum"]
_DOT = NODE_CLASSES["dot"]
_NEURON = {act: NODE_CLASSES[f"neuron_{act}"] for act in ACTIVATIONS}
