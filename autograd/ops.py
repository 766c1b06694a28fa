"""The op table: every operation's forward and its local derivative, side by side.

Each entry is an `Op`:

- ``forward(*operands) -> float`` computes the result on plain floats and raises a clear error
  when the operands are outside the op's domain (``log(-1)``, ``sqrt(-2)``, ...).
- ``derivative(g, out, *operands) -> sequence`` is the chain rule for one node: given the
  upstream gradient ``g`` (d root / d out), the node's result ``out`` and its operands, it
  returns one contribution ``g * d(out)/d(operand)`` per *Value* operand, in operand order.

The derivative rules use only arithmetic operators and the helpers at the top of this file
(``cos``, ``log``, ...), which work on floats and on Values alike. The backward sweep calls a
rule with floats (the fast path of ``backward()``) or with Values (``create_graph=True``); in
the second case the rule builds new graph nodes, so the derivative can itself be differentiated.

Ops whose ``constant`` is ``"right"`` or ``"left"`` take a plain number as their last operand
(``x * 2.5`` or ``2.5 - x``). The number is stored on the node as ``.const`` instead of being
wrapped in a new Value: it saves a node per use, and a number never needs a gradient.

Adding an op is one entry here plus, if it should be a method or operator, one line in
``value.py``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

# --------------------------------------------------------------------------------------------
# Helpers that work on floats and on Values. Derivative rules call these instead of `math`,
# so that the same rule serves the float fast path and the differentiable (Value) path.
# --------------------------------------------------------------------------------------------


def cos(x: Any) -> Any:
    """cos(x) for a float or a Value."""
    return math.cos(x) if isinstance(x, float) else x.cos()


def sin(x: Any) -> Any:
    """sin(x) for a float or a Value."""
    return math.sin(x) if isinstance(x, float) else x.sin()


def log(x: Any) -> Any:
    """Natural log of x for a float or a Value."""
    return math.log(x) if isinstance(x, float) else x.log()


def step(x: Any) -> float:
    """1.0 where x > 0, else 0.0: the slope of relu. A constant, so its own derivative is 0."""
    return 1.0 if x > 0 else 0.0


def sign(x: Any) -> float:
    """-1.0, 0.0 or 1.0: the slope of abs, with abs'(0) = 0 as in PyTorch."""
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0


# --------------------------------------------------------------------------------------------
# The Op record
# --------------------------------------------------------------------------------------------

Rule = Callable[..., Sequence[Any]]


@dataclass(frozen=True)
class Op:
    """One operation: its name, how it is shown, its forward and its derivative rule.

    ``symbol`` is what ``Value.op`` returns and what drawings print. ``constant`` says whether
    the op takes a plain-number operand, and on which side of the Value it stands.
    ``singular`` (optional) tells, from the forward's result and operands, whether the
    derivative is infinite there; ``backward()`` asks it before changing any gradient, so that
    such an error leaves every ``.grad`` as it was.
    """

    name: str
    symbol: str
    forward: Callable[..., float]
    derivative: Rule
    constant: Literal["left", "right"] | None = None
    singular: Callable[..., bool] | None = None
    activation: Activation | None = None


def _fail(op: str, message: str, *operands: float) -> ValueError:
    shown = ", ".join(repr(x) for x in operands)
    return ValueError(f"{op}: {message} (got {shown})")


# --------------------------------------------------------------------------------------------
# Forwards that need a domain check. Each raises at the op, naming the op and the value.
# --------------------------------------------------------------------------------------------


def _divide(a: float, b: float) -> float:
    if b == 0.0:
        raise ZeroDivisionError(f"/: division by zero ({a!r} / {b!r})")
    return a / b


def _power(a: float, b: float) -> float:
    if a < 0.0 and not b.is_integer():
        raise _fail("**", "a negative base to a non-integer power is a complex number", a, b)
    if a == 0.0 and b < 0.0:
        raise ZeroDivisionError(f"**: zero to a negative power ({a!r} ** {b!r})")
    try:
        result: float = a**b
    except OverflowError:
        raise OverflowError(f"**: result too large ({a!r} ** {b!r})") from None
    return result


def _power_of_value(a: float, b: float) -> float:
    # With a Value exponent, d(a**b)/db = a**b * log(a) needs log(a): the base must be positive.
    if a <= 0.0:
        raise _fail("**", "a Value exponent needs a positive base (d/db uses log(base))", a, b)
    return _power(a, b)


def _exp(x: float) -> float:
    if x > 709.782712893384:  # log(largest float): beyond it exp overflows
        raise OverflowError(f"exp: result too large for a float (exp({x!r}))")
    return math.exp(x)


def _log(x: float) -> float:
    if x <= 0.0:
        raise _fail("log", "input must be > 0", x)
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0.0:
        raise _fail("sqrt", "input must be >= 0", x)
    return math.sqrt(x)


def _sigmoid(x: float) -> float:
    # Two branches keep exp's argument <= 0, so neither overflows for any finite x.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _relu(x: float) -> float:
    return x if x > 0.0 else 0.0


def _sin(x: float) -> float:
    if math.isinf(x):
        raise _fail("sin", "input must be finite", x)
    return math.sin(x)


def _cos(x: float) -> float:
    if math.isinf(x):
        raise _fail("cos", "input must be finite", x)
    return math.cos(x)


# --------------------------------------------------------------------------------------------
# Fused neuron: activation(w · x + b) as one node.
#
# Operands are laid out as (w_1..w_n, x_1..x_n, b). One node per neuron instead of 2n + 1
# nodes for the `*`s and `+`s is the single biggest speed-up of the engine (benchmarks/).
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Activation:
    """What a fused neuron applies to ``z = w · x + b``.

    ``apply`` maps z to the neuron's output, on floats. ``slope`` is d(output)/dz written as a
    function of the *output* (for tanh, ``1 - out * out``), so the backward sweep needs nothing
    but the node's own data; like the derivative rules it works on floats and on Values.
    """

    name: str
    apply: Callable[[float], float]
    slope: Callable[[Any], Any]


# fmt: off
_ACTIVATION_TABLE = [
    Activation("linear", lambda z: z, lambda out: 1.0),
    Activation("relu", _relu, step),
    Activation("tanh", math.tanh, lambda out: 1 - out * out),
    Activation("sigmoid", _sigmoid, lambda out: out * (1 - out)),
]
# fmt: on

ACTIVATION_FUNCTIONS: dict[str, Activation] = {a.name: a for a in _ACTIVATION_TABLE}
"""Every activation a fused neuron can apply, by name."""

ACTIVATIONS = tuple(ACTIVATION_FUNCTIONS)
"""The names of the activations a fused neuron node can apply (``Value.neuron``)."""


def _dot_plus_bias(operands: Sequence[float]) -> float:
    """w · x + b for operands laid out as (w_1..w_n, x_1..x_n, b)."""
    n = len(operands) // 2  # (2n + 1) // 2
    return sum(map(operator.mul, operands[:n], operands[n:-1]), operands[-1])


def _neuron_contributions(local: Any, operands: Sequence[Any]) -> list[Any]:
    """Contributions of w·x + b given local = g * activation'(z): x_i, w_i and 1, times local."""
    n = len(operands) // 2
    weights, inputs = operands[:n], operands[n:-1]
    return [local * x for x in inputs] + [local * w for w in weights] + [local]


def _neuron_op(activation: Activation) -> Op:
    """The op ``activation(w · x + b)``: forward and derivative rule built from `activation`."""

    def forward(*operands: float) -> float:
        return activation.apply(_dot_plus_bias(operands))

    def derivative(g: Any, out: Any, *operands: Any) -> Sequence[Any]:
        slope = activation.slope(out)
        # A slope that is a plain number (always for linear and relu) gets two shortcuts:
        # with 0 nothing flows back at all (a relu that is off), and with 1 g passes on as it
        # is, where g * 1.0 would add a node to a create_graph graph.
        if isinstance(slope, float):
            if slope == 0.0:
                return ()
            if slope == 1.0:
                return _neuron_contributions(g, operands)
        return _neuron_contributions(g * slope, operands)

    name = activation.name
    symbol = "w·x+b" if name == "linear" else f"{name}(w·x+b)"
    return Op(f"neuron_{name}", symbol, forward, derivative, activation=activation)


def _sum_derivative(g: Any, out: Any, *operands: Any) -> list[Any]:
    return [g] * len(operands)


def _dot(*operands: float) -> float:
    """x · y for operands laid out as (x_1..x_n, y_1..y_n)."""
    n = len(operands) // 2
    # sum(), not fsum(): products that overflow give inf or nan, which the engine reports
    # as an OverflowError (fsum raises its own ValueError for inf - inf).
    return sum(map(operator.mul, operands[:n], operands[n:]), 0.0)


def _dot_derivative(g: Any, out: Any, *operands: Any) -> list[Any]:
    """d(x · y)/dx_i = y_i and d(x · y)/dy_i = x_i, each times g."""
    n = len(operands) // 2
    xs, ys = operands[:n], operands[n:]
    return [g * y for y in ys] + [g * x for x in xs]


def _pow_singular(out: float, x: float, c: float) -> bool:
    return x == 0.0 and 0.0 < c < 1.0  # e.g. x ** 0.5 at 0: the slope is infinite


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------
# fmt: off
_TABLE = [
    # --- two Values -----------------------------------------------------------------------
    Op("add", "+", operator.add,
       lambda g, out, a, b: (g, g)),
    Op("sub", "-", operator.sub,
       lambda g, out, a, b: (g, -g)),
    Op("mul", "*", operator.mul,
       lambda g, out, a, b: (g * b, g * a)),
    Op("div", "/", _divide,
       lambda g, out, a, b: (g / b, -g * out / b)),
    Op("pow", "**", _power_of_value,
       lambda g, out, a, b: (g * b * a ** (b - 1), g * out * log(a))),
    # --- a Value and a number (the number is the last operand, stored as .const) ----------
    Op("add_const", "+", operator.add,
       lambda g, out, x, c: (g,), constant="right"),
    Op("sub_const", "-", operator.sub,
       lambda g, out, x, c: (g,), constant="right"),
    Op("rsub_const", "-", lambda x, c: c - x,
       lambda g, out, x, c: (-g,), constant="left"),
    Op("mul_const", "*", operator.mul,
       lambda g, out, x, c: (g * c,), constant="right"),
    Op("div_const", "/", _divide,
       lambda g, out, x, c: (g / c,), constant="right"),
    Op("rdiv_const", "/", lambda x, c: _divide(c, x),
       lambda g, out, x, c: (-g * out / x,), constant="left"),
    Op("pow_const", "**", _power,
       lambda g, out, x, c: (g * c * x ** (c - 1) if c != 0 else g * 0.0,),
       constant="right", singular=_pow_singular),
    Op("rpow_const", "**", lambda x, c: _power_of_value(c, x),
       lambda g, out, x, c: (g * out * math.log(c),), constant="left"),
    # --- one Value --------------------------------------------------------------------------
    Op("neg", "neg", operator.neg,
       lambda g, out, x: (-g,)),
    Op("abs", "abs", abs,
       lambda g, out, x: (g * sign(x),)),
    Op("exp", "exp", _exp,
       lambda g, out, x: (g * out,)),
    Op("log", "log", _log,
       lambda g, out, x: (g / x,)),
    Op("sqrt", "sqrt", _sqrt,
       lambda g, out, x: (g * 0.5 / out,), singular=lambda out, x: out == 0.0),
    Op("tanh", "tanh", math.tanh,
       lambda g, out, x: (g * (1 - out * out),)),
    Op("sigmoid", "sigmoid", _sigmoid,
       lambda g, out, x: (g * out * (1 - out),)),
    Op("relu", "relu", _relu,
       lambda g, out, x: (g * step(out),)),
    Op("sin", "sin", _sin,
       lambda g, out, x: (g * cos(x),)),
    Op("cos", "cos", _cos,
       lambda g, out, x: (-g * sin(x),)),
    # --- many Values --------------------------------------------------------------------------
    Op("sum", "sum", lambda *xs: math.fsum(xs),
       _sum_derivative),
    Op("dot", "dot", _dot,  # operands (x_1..x_n, y_1..y_n)
       _dot_derivative),
]
# fmt: on

_TABLE += [_neuron_op(activation) for activation in _ACTIVATION_TABLE]

OPS: dict[str, Op] = {op.name: op for op in _TABLE}
"""Every op by name. ``Value`` makes one node class per entry (see ``value.py``)."""
