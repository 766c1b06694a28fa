"""The op table: every operation's forward and its local derivative, side by side.

Each entry is an `Op`:

- ``forward(*operands) -> float`` computes the result on plain floats and raises a clear error
  when the operands are outside the op's domain (``log(-1)``, ``sqrt(-2)``, ...).
- ``derivative(g, out, *operands) -> sequence`` is the chain rule for one node: given the
  upstream gradient ``g`` (d root / d out), the node's result ``out`` and its operands, it
  returns one contribution ``g * d(out)/d(operand)`` per *Value* operand, in operand order.
- ``formula`` is that local derivative d(out)/d(operand) as text, one per Value operand, written
  in the operand names ``names``; the step-through shows it beside the numbers.

The derivative rules use only arithmetic operators and the functions of ``functions.py``
(``cos``, ``log``, ``sigmoid``, ...), which work on floats and on Values alike. The backward
sweep calls a rule with floats (``backward()``) or with Values (``create_graph=True``); in the
second case the rule builds new graph nodes, so the derivative can itself be differentiated.

Ops whose ``constant`` is ``"right"`` or ``"left"`` take a plain number as their last operand
(``x * 2.5`` or ``2.5 - x``). The number is stored on the node as ``.const`` instead of being
wrapped in a new Value: it saves a node per use, and a number never needs a gradient.

Adding an op is one entry here plus, if it should be a method or operator, one line in
``value.py``. A user adds an op to the same table with ``define_op`` (``define.py``), as nn
does for its neuron (``nn/neuron.py``).
"""

from __future__ import annotations

import importlib
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

# Derivative rules call these functions of a float or a Value instead of `math`, so that the
# same rule serves floats (backward) and Values (create_graph=True). The *_float ones are the
# forwards, with their domain checks.
from autograd.functions import (
    TWO_OVER_SQRT_PI,
    atan_float,
    cos,
    elu_float,
    erf_float,
    erfc_float,
    exp,
    expm1_float,
    gaussian,
    gelu_float,
    leaky_relu_float,
    log,
    log1p_float,
    maximum_float,
    minimum_float,
    normal_cdf,
    normal_pdf,
    sigmoid,
    sign,
    silu_float,
    sin,
    softplus_float,
    step,
    tan_float,
    tie_share,
)

__all__ = ["OPS", "Op", "Rule", "op_named"]

# --------------------------------------------------------------------------------------------
# The Op record
# --------------------------------------------------------------------------------------------

Rule = Callable[..., Sequence[Any]]


@dataclass(frozen=True, repr=False)
class Op:
    """One operation: its name, how it is shown, its forward and its derivative rule.

    ``symbol`` is what drawings print (``"*"``, ``"tanh"``). ``names`` names the operands the
    rule receives (``("a", "b")``; ``_i`` marks an op of any number of operands, such as
    ``sum``); ``formula`` holds d(out)/d(operand) for each Value operand, as text in those
    names. ``constant`` says whether the op takes a plain-number operand, and on which side of
    the Value it stands. ``off_at_zero`` marks an op whose rule sends back nothing but zeros
    when its result is 0 (``relu``: off, its slope 0); ``backward()`` skips such a node.
    """

    name: str
    symbol: str
    forward: Callable[..., float]
    derivative: Rule
    names: tuple[str, ...] = ("x",)
    formula: tuple[str, ...] = ()
    constant: Literal["left", "right"] | None = None
    off_at_zero: bool = False

    def local(self, out: Any, *operands: Any) -> Sequence[Any]:
        """The local derivatives d(out)/d(operand): the rule with an upstream gradient of 1."""
        return self.derivative(1.0, out, *operands)

    def __repr__(self) -> str:
        return f"Op({self.name!r}, {self.symbol!r})"

    def __reduce__(self) -> tuple[Callable[[str], Op], tuple[str]]:
        # A node pickles its op by name: the table entry is found again when it is loaded.
        return op_named, (self.name,)


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
        raise OverflowError(f"**: the result is too large for a float ({a!r} ** {b!r})") from None
    return result


def _power_of_value(a: float, b: float) -> float:
    # With a Value exponent, d(a**b)/db = a**b * log(a) needs log(a): the base must be positive.
    if a <= 0.0:
        raise _fail("**", "a Value exponent needs a positive base (d/db uses log(base))", a, b)
    return _power(a, b)


def _exp(x: float) -> float:
    if x > 709.782712893384:  # log(largest float): beyond it exp overflows
        raise OverflowError(f"exp: the result is too large for a float (exp({x!r}))")
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


def _sum(*xs: float) -> float:
    # fsum: the correctly rounded sum, whatever the order of the terms. It gives up when a
    # partial sum overflows (1e308 + 1e308 - 1e308); the exact sum in fractions does not.
    try:
        return math.fsum(xs)
    except OverflowError:
        from fractions import Fraction  # here: only this rare case needs it

        try:
            return float(sum(map(Fraction, xs), Fraction(0)))
        except OverflowError:
            raise OverflowError(
                f"sum: the result is too large for a float ({len(xs)} terms)"
            ) from None


def _logsumexp(*xs: float) -> float:
    """log(e^x_1 + ... + e^x_n), with the largest x taken out first so no e^x overflows."""
    largest = max(xs)
    return largest + math.log(math.fsum([math.exp(x - largest) for x in xs]))


def _dot(*operands: float) -> float:
    """x · y for operands laid out as (x_1..x_n, y_1..y_n)."""
    n = len(operands) // 2
    return sum(map(operator.mul, operands[:n], operands[n:]), 0.0)


def _dot_derivative(g: Any, out: Any, *operands: Any) -> list[Any]:
    """d(x · y)/dx_i = y_i and d(x · y)/dy_i = x_i, each times g."""
    n = len(operands) // 2
    xs, ys = operands[:n], operands[n:]
    return [g * y for y in ys] + [g * x for x in xs]


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------
# fmt: off
_TABLE = [
    # --- two Values -----------------------------------------------------------------------
    Op("add", "+", operator.add,
       lambda g, out, a, b: (g, g),
       names=("a", "b"), formula=("1", "1")),
    Op("sub", "-", operator.sub,
       lambda g, out, a, b: (g, -g),
       names=("a", "b"), formula=("1", "−1")),
    Op("mul", "*", operator.mul,
       lambda g, out, a, b: (g * b, g * a),
       names=("a", "b"), formula=("b", "a")),
    Op("div", "/", _divide,
       lambda g, out, a, b: (g / b, -g * out / b),
       names=("a", "b"), formula=("1/b", "−out/b")),
    Op("pow", "**", _power_of_value,
       lambda g, out, a, b: (g * b * a ** (b - 1), g * out * log(a)),
       names=("a", "b"), formula=("b·a^(b−1)", "out·log(a)")),
    # --- a Value and a number (the number is the last operand, stored as .const) ----------
    Op("add_const", "+", operator.add,
       lambda g, out, x, c: (g,),
       names=("x", "c"), formula=("1",), constant="right"),
    Op("sub_const", "-", operator.sub,
       lambda g, out, x, c: (g,),
       names=("x", "c"), formula=("1",), constant="right"),
    Op("rsub_const", "-", lambda x, c: c - x,
       lambda g, out, x, c: (-g,),
       names=("x", "c"), formula=("−1",), constant="left"),
    Op("mul_const", "*", operator.mul,
       lambda g, out, x, c: (g * c,),
       names=("x", "c"), formula=("c",), constant="right"),
    Op("div_const", "/", _divide,
       lambda g, out, x, c: (g / c,),
       names=("x", "c"), formula=("1/c",), constant="right"),
    Op("rdiv_const", "/", lambda x, c: _divide(c, x),
       lambda g, out, x, c: (-g * out / x,),
       names=("x", "c"), formula=("−out/x",), constant="left"),
    Op("pow_const", "**", _power,
       lambda g, out, x, c: (g * c * x ** (c - 1) if c != 0 else g * 0.0,),
       names=("x", "c"), formula=("c·x^(c−1)",), constant="right"),
    Op("rpow_const", "**", lambda x, c: _power_of_value(c, x),
       lambda g, out, x, c: (g * out * math.log(c),),
       names=("x", "c"), formula=("out·log(c)",), constant="left"),
    # --- one Value --------------------------------------------------------------------------
    Op("neg", "neg", operator.neg,
       lambda g, out, x: (-g,),
       formula=("−1",)),
    Op("abs", "abs", abs,
       lambda g, out, x: (g * sign(x),),
       formula=("sign(x)",)),
    Op("exp", "exp", _exp,
       lambda g, out, x: (g * out,),
       formula=("out",)),
    Op("log", "log", _log,
       lambda g, out, x: (g / x,),
       formula=("1/x",)),
    Op("sqrt", "sqrt", _sqrt,
       lambda g, out, x: (g * 0.5 / out,),
       formula=("0.5/out",)),
    Op("tanh", "tanh", math.tanh,
       lambda g, out, x: (g * (1 - out * out),),
       formula=("1 − out²",)),
    Op("sigmoid", "sigmoid", _sigmoid,
       lambda g, out, x: (g * out * (1 - out),),
       formula=("out·(1 − out)",)),
    Op("relu", "relu", _relu,
       lambda g, out, x: (g * step(out),),
       formula=("step(out)",), off_at_zero=True),
    Op("sin", "sin", math.sin,
       lambda g, out, x: (g * cos(x),),
       formula=("cos(x)",)),
    Op("cos", "cos", math.cos,
       lambda g, out, x: (-g * sin(x),),
       formula=("−sin(x)",)),
    Op("tan", "tan", tan_float,
       lambda g, out, x: (g * (1 + out * out),),
       formula=("1 + out²",)),
    # Beyond |x| = 1e8, 1 + x² is x² in floats, and x * x would overflow from 1.3e154 on.
    Op("atan", "atan", atan_float,
       lambda g, out, x: (g / (1 + x * x) if -1e8 < x < 1e8 else g / x / x,),
       formula=("1/(1 + x²)",)),
    Op("log1p", "log1p", log1p_float,
       lambda g, out, x: (g / (1 + x),),
       formula=("1/(1 + x)",)),
    Op("expm1", "expm1", expm1_float,  # exp(x), not out + 1, which is 0 for x < -37
       lambda g, out, x: (g * exp(x),),
       formula=("exp(x)",)),
    Op("softplus", "softplus", softplus_float,
       lambda g, out, x: (g * sigmoid(x),),
       formula=("sigmoid(x)",)),
    Op("gelu", "gelu", gelu_float,
       lambda g, out, x: (g * (normal_cdf(x) + x * normal_pdf(x)),),
       formula=("Φ(x) + x·φ(x)",)),
    Op("silu", "silu", silu_float,
       lambda g, out, x: (g * sigmoid(x) * (1 + x * (1 - sigmoid(x))),),
       formula=("s·(1 + x·(1 − s)), s = sigmoid(x)",)),
    Op("erf", "erf", erf_float,
       lambda g, out, x: (g * TWO_OVER_SQRT_PI * gaussian(x),),
       formula=("2/√π·exp(−x²)",)),
    Op("erfc", "erfc", erfc_float,
       lambda g, out, x: (-g * TWO_OVER_SQRT_PI * gaussian(x),),
       formula=("−2/√π·exp(−x²)",)),
    # --- a Value and a parameter (stored as .const); the slopes at 0 are PyTorch's -----------
    Op("leaky_relu", "leaky_relu", leaky_relu_float,
       lambda g, out, x, c: (g * (1.0 if x > 0 else c),),
       names=("x", "c"), formula=("1 if x > 0 else c",), constant="right"),
    Op("elu", "elu", elu_float,
       lambda g, out, x, c: (g if x > 0 else g * c * exp(x) if x < 0 else g * c,),
       names=("x", "c"), formula=("1 if x > 0 else c·exp(x)",), constant="right"),
    # --- two Values; a tie splits the gradient 0.5 / 0.5, as in PyTorch ---------------------
    Op("maximum", "max", maximum_float,
       lambda g, out, a, b: (g * tie_share(a, b), g * tie_share(b, a)),
       names=("a", "b"), formula=("1 if a > b, ½ if a = b, else 0",
                                  "1 if b > a, ½ if a = b, else 0")),
    Op("minimum", "min", minimum_float,
       lambda g, out, a, b: (g * tie_share(b, a), g * tie_share(a, b)),
       names=("a", "b"), formula=("1 if a < b, ½ if a = b, else 0",
                                  "1 if b < a, ½ if a = b, else 0")),
    # --- many Values --------------------------------------------------------------------------
    Op("sum", "sum", _sum,
       lambda g, out, *xs: [g] * len(xs),
       names=("x_i",), formula=("1",)),
    Op("logsumexp", "logsumexp", _logsumexp,  # its slopes are the softmax of the x_i
       lambda g, out, *xs: [g * exp(x - out) for x in xs],
       names=("x_i",), formula=("exp(x_i − out)",)),
    Op("dot", "dot", _dot,  # operands (x_1..x_n, y_1..y_n)
       _dot_derivative,
       names=("x_i", "y_i"), formula=("y_i", "x_i")),
]
# fmt: on

OPS: dict[str, Op] = {op.name: op for op in _TABLE}
"""Every op by name: the built-in ones above, and users' ops (``define_op``)."""


@dataclass(frozen=True, repr=False)
class DefinedOp(Op):
    """An op added with `define_op`. ``module`` is where it was defined: a pickled node finds
    its op again by importing that module (which runs its ``define_op``) and looking it up.
    ``variadic``: it takes any number of operands (its forward has ``*xs``). ``writer`` and
    ``trusted``: see ``define_op`` (``define.py``)."""

    module: str = "__main__"
    variadic: bool = False
    writer: Any = None
    trusted: bool = False

    def __reduce__(self) -> tuple[Callable[..., Op], tuple[str, ...]]:  # type: ignore[override]
        return defined_op, (self.module, self.name)


def defined_op(module: str, name: str) -> Op:
    """The op ``name``, which importing ``module`` defines: how a pickled node finds its op."""
    if name not in OPS:
        importlib.import_module(module)
    return op_named(name)


def op_named(name: str) -> Op:
    """The op called ``name`` in the table (how a pickled node finds its op again)."""
    try:
        return OPS[name]
    except KeyError:
        raise ValueError(
            f"no op named {name!r} in the op table; import the module that defines it"
        ) from None
