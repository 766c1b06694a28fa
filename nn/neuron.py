"""The neuron, nn's own op: ``act(w · x + b)`` as one node of the graph, made with `define_op`.

A neuron could be built from the engine's ``*``, ``+`` and an activation: 2n + 2 nodes for n
inputs. nn makes it one op instead, with the public `autograd.define_op` (as HIPS autograd
registers its own primitives with the ``defvjp`` its users call), so that a network's graph
has one box per neuron in drawings and in the step-through, and ``autograd`` itself knows
nothing of neurons. There is one op per activation (``neuron_relu``, ``neuron_tanh``, ...);
their operands are laid out as ``(w_1..w_n, x_1..x_n, b)``.

* The forward adds ``b + w_1·x_1 + w_2·x_2 + ...`` left to right, then applies the activation
  (an op of the engine's table: ``relu``, ``tanh``, ...).
* The rule asks the activation's own rule for ``local = g · act'(z)`` (so it is the same
  product the op ``z.relu()`` would make) and sends ``local · x_i`` to ``w_i``, ``local · w_i``
  to ``x_i`` and ``local`` to ``b``. On Values (``create_graph=True``) the same rule builds
  nodes, so a neuron can be differentiated twice.
* `NeuronWriter` tells ``autograd.compile`` how to write a neuron out: the same operations
  in the same order as inline Python, not a call per neuron.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from autograd import Value, define_op
from autograd.compiler.templates import TEMPLATES
from autograd.ops import OPS, Op
from autograd.validate import finite_float
from autograd.value import apply

__all__ = ["ACTIVATIONS", "NEURON_OPS", "Activation", "NeuronWriter", "neuron"]


@dataclass(frozen=True)
class Activation:
    """What a neuron applies to ``z = w · x + b``: an op of the engine's table (or nothing).

    ``scalar`` is that op's name (``""`` for linear) and ``const`` its constant (leaky_relu's
    slope 0.01, elu's alpha 1.0). ``formula`` is d(out)/dz as text; ``needs_z`` says whether the
    op's rule reads its operand z (not only its result), so the neuron's rule computes z again.
    """

    name: str
    scalar: str
    formula: str
    needs_z: bool
    const: float | None = None

    def apply(self, z: float) -> float:
        """The activation of z, on floats: the op's own forward."""
        if not self.scalar:
            return z
        op = OPS[self.scalar]
        return op.forward(z) if self.const is None else op.forward(z, self.const)

    def local(self, g: Any, out: Any, z: Any) -> Any:
        """g · act'(z), from the op's own rule (floats, or Values under create_graph)."""
        if not self.scalar:
            return g
        op = OPS[self.scalar]
        operands = (z,) if self.const is None else (z, self.const)
        return op.derivative(g, out, *operands)[0]


# fmt: off
_TABLE = [
    Activation("linear", "", "1", needs_z=False),
    Activation("relu", "relu", "step(out)", needs_z=False),
    Activation("tanh", "tanh", "1 − out²", needs_z=False),
    Activation("sigmoid", "sigmoid", "out·(1 − out)", needs_z=False),
    Activation("leaky_relu", "leaky_relu", "1 if z > 0 else 0.01", needs_z=True, const=0.01),
    Activation("elu", "elu", "1 if z > 0 else exp(z)", needs_z=True, const=1.0),
    Activation("gelu", "gelu", "Φ(z) + z·φ(z)", needs_z=True),
    Activation("silu", "silu", "s·(1 + z·(1 − s)), s = sigmoid(z)", needs_z=True),
    Activation("softplus", "softplus", "sigmoid(z)", needs_z=True),
]
# fmt: on

ACTIVATION_OF: dict[str, Activation] = {a.name: a for a in _TABLE}
"""Every activation a neuron can apply, by name."""

ACTIVATIONS = tuple(ACTIVATION_OF)
"""The names of the activations a neuron can apply."""


def weighted_sum(operands: Sequence[Any]) -> Any:
    """``b + w_1·x_1 + w_2·x_2 + ...``, added left to right, for operands (w..., x..., b).

    A plain loop adds strictly left to right on every Python version, as the compiled code
    does (``sum()`` of floats compensates its rounding from Python 3.12 on, which would give
    other bits), and is the fastest way we measured (benchmarks/DECISIONS.md). Works on
    Values too.
    """
    n = (len(operands) - 1) // 2
    z = operands[-1]
    for i in range(n):
        z = z + operands[i] * operands[n + i]
    return z


def _forward(activation: Activation) -> Callable[..., float]:
    def forward(*operands: float) -> float:
        if len(operands) % 2 == 0:
            raise ValueError(
                f"neuron_{activation.name}: operands are (w_1..w_n, x_1..x_n, b), an odd "
                f"number; got {len(operands)}"
            )
        z = weighted_sum(operands)
        if not math.isfinite(z):  # relu(-inf) is 0: the overflow would be hidden
            raise OverflowError(f"neuron_{activation.name}: w · x + b is {z}")
        return activation.apply(z)

    return forward


def _rule(activation: Activation) -> Callable[..., list[Any]]:
    def derivative(g: Any, out: Any, *operands: Any) -> list[Any]:
        n = (len(operands) - 1) // 2
        weights, inputs = operands[:n], operands[n:-1]
        z = weighted_sum(operands) if activation.needs_z else None
        local = activation.local(g, out, z)  # d(root)/dz
        return [local * x for x in inputs] + [local * w for w in weights] + [local]

    return derivative


class NeuronWriter:
    """How ``autograd.compile`` writes a neuron: ``z = b + w_1 * x_1 + ...``, then the
    activation and, in the backward pass, ``local`` and its products, each the very
    operations of the forward and rule above (relu, tanh and sigmoid as expressions, the other
    activations as calls of their op's own forward and rule)."""

    def __init__(self, activation: Activation) -> None:
        """The writer of neurons with this activation."""
        self.activation = activation
        self.prefix = f"neuron_{activation.name}"

    def namespace(self) -> dict[str, Any]:
        """The functions the written code calls."""
        return {f"{self.prefix}_apply": self.activation.apply, f"{self.prefix}_local": self.local}

    def local(self, g: float, out: float, z: float) -> float:
        """``activation.local`` (a function the written code calls)."""
        return float(self.activation.local(g, out, z))

    def forward(self, out: str, operands: Sequence[str]) -> tuple[list[str], list[str]]:
        """Statements that set ``out``; the names whose numbers must be finite."""
        n = (len(operands) - 1) // 2
        z = f"z_{out}"
        pairs = zip(operands[:n], operands[n:-1], strict=True)
        terms = [operands[-1]] + [f"{w} * {x}" for w, x in pairs]
        name = self.activation.scalar
        if not name:
            return [f"{z} = {' + '.join(terms)}", f"{out} = {z}"], []
        if name in ("relu", "tanh", "sigmoid"):
            apply = TEMPLATES[name].forward([z], None)
        else:
            apply = f"{self.prefix}_apply({z})"
        return [f"{z} = {' + '.join(terms)}", f"{out} = {apply}"], [z]

    def runs_when(self, out: str) -> str | None:
        """When the rule sends anything but zeros back: for relu, while the neuron is on (its
        slope is 0 when off), so a loop over samples may skip it. None: always."""
        return f"{out} > 0.0" if self.activation.scalar == "relu" else None

    def derivative(
        self, g: str, out: str, operands: Sequence[str], on: bool = False
    ) -> tuple[list[str], list[str]]:
        """Statements that set ``local_<out>``, and the contributions, in operand order.

        ``on``: written where ``runs_when`` holds, so a relu's slope is 1 there (``g * 1.0`` is
        ``g`` to the bit, so the line says just that)."""
        n = (len(operands) - 1) // 2
        local, z = f"local_{out}", f"z_{out}"
        name = self.activation.scalar
        if not name:
            value = g
        elif name == "relu" and on:
            value = f"{g}  # on: relu's slope is 1"
        elif name in ("relu", "tanh", "sigmoid"):
            value = TEMPLATES[name].derivative(g, out, [z], None)[0]
        else:
            value = f"{self.prefix}_local({g}, {out}, {z})"
        contributions = [f"{local} * {x}" for x in operands[n:-1]]
        contributions += [f"{local} * {w}" for w in operands[:n]] + [local]
        return [f"{local} = {value}"], contributions


def neuron(
    weights: Sequence[Value | float],
    inputs: Sequence[Value | float],
    bias: Value | float,
    activation: str = "linear",
) -> Value:
    """``activation(w · x + b)`` as one node; numbers become leaves (inputs labelled x0, x1...).

    >>> from autograd import Value
    >>> w = [Value(0.5), Value(-1.0)]
    >>> out = neuron(w, [2.0, 0.5], Value(0.25), "relu")
    >>> out.data, out.op.name
    (0.75, 'neuron_relu')
    """
    if activation not in NEURON_OPS:
        raise ValueError(f"neuron: unknown activation {activation!r}; choose one of {ACTIVATIONS}")
    if len(weights) != len(inputs):
        raise ValueError(
            f"neuron: {len(weights)} weights but {len(inputs)} inputs; they must match"
        )

    def leaf(x: Value | float, what: str, label: str = "") -> Value:
        return x if isinstance(x, Value) else Value(finite_float(x, f"neuron: {what}"), label)

    parents = (
        *(leaf(w, f"weights[{i}]") for i, w in enumerate(weights)),
        *(leaf(x, f"inputs[{i}]", f"x{i}") for i, x in enumerate(inputs)),
        leaf(bias, "bias"),
    )
    return apply(NEURON_OPS[activation], parents)


def _define(activation: Activation) -> Op:
    slope = activation.formula
    factor = f"({slope})" if " " in slope else slope  # 1 − out² times x_i needs brackets
    linear = slope == "1"
    function = define_op(
        f"neuron_{activation.name}",
        _forward(activation),
        _rule(activation),
        symbol="w·x+b" if linear else f"{activation.name}(w·x+b)",
        operands=("w_i", "x_i", "b"),
        formula=("x_i", "w_i", "1") if linear else (f"{factor}·x_i", f"{factor}·w_i", slope),
        writer=NeuronWriter(activation),
        trusted=True,
        off_at_zero=activation.scalar == "relu",  # off: relu's slope is 0, it sends zeros
    )
    return function.op


NEURON_OPS: dict[str, Op] = {a.name: _define(a) for a in _TABLE}
"""The neuron op of each activation."""
