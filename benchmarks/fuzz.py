"""A standing fuzz suite: random programs run by glassgrad and by PyTorch (float64), judged
against an exact reference (mpmath) wherever the two disagree.

``python -m benchmarks.fuzz --programs 10000 --seed 0`` (``make fuzz``) prints a summary;
``tests/test_fuzz.py`` runs 300 programs in ``make test``.

A *program* is a DAG over a few inputs: each step applies one op of `OPS` to earlier nodes
(often the latest, often any earlier one, so nodes are reused and ``x - x`` or ``x / x``
happen) and numbers. Inputs and constants have magnitudes from 1e-8 to 1e8; an op is only
applied where it is defined and smooth: never exactly at a kink (``relu(0)``, a tie of
``maximum``), though often near one. The program's sinks are summed into one output.

Each program is compared on its value, the gradients from ``backward()``, from ``grad()``
and from ``grad(create_graph=True)``, and every entry of the Hessian (``grad`` of each first
derivative). A comparison agrees when glassgrad and PyTorch are within a relative 1e-9.
Otherwise the program is evaluated exactly (mpmath at 200 bits, with hyper-dual numbers
carrying first and second derivatives), and the *rounding spread* is estimated: how far from
the exact answer float64 rounding alone can take an evaluation (see `exact`). A disagreement
is then put down to one of the `CAUSES`: glassgrad within `NOISE_FACTOR` spreads of the exact
answer is fine (PyTorch is the one off, or both are as close as float64 allows, typically
after a cancellation); only "glassgrad wrong" fails the test. Apart from PyTorch,
``backward()`` must equal ``grad()`` (both run the engine's one sweep) to the bit.

The ops are read off the op table (``autograd.ops.OPS``), with where each is defined and
smooth from ``autograd/testing/domains.py`` and its glassgrad spelling from
``autograd.testing`` (``VALUE_OPS``): an op added to the table is fuzzed at once. Its PyTorch
spelling is its Python operator, ``torch.<name>`` or ``torch.nn.functional.<name>``; its exact
rule Jet arithmetic for an operator, else `_exact_unary` (a formula, or mpmath's function of
the same name with derivatives by ``mpmath.diff``). Users' ops (`user_ops`, made with
``define_op``) have rules that return each kind of result glassgrad takes: floats, None for an
operand, an int, a Fraction, a numpy scalar, a Value closed over.
"""

from __future__ import annotations

import argparse
import importlib
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from autograd import Value, define_op, grad
from autograd.ops import Op as TableOp
from autograd.testing.domains import builtin_ops, fits, region_of
from autograd.testing.trees import INFIX, VALUE_OPS, written_as

Outcome = float | str
"""A compared quantity: a number, or the name of the exception raised while computing it."""

RELATIVE_TOLERANCE = 1e-9
"""glassgrad and PyTorch agree when they are this close, relative to the larger."""

NOISE_FACTOR = 10.0
"""A result within this many times the simulated rounding spread of the exact answer is
explained by rounding (and the cancellation that magnifies it)."""

LARGEST_NODE = 1e15
"""Intermediate values are kept below this in magnitude, so derivatives rarely overflow."""

CAUSES = {
    "torch inexact": "glassgrad matches the exact answer, PyTorch does not",
    "rounding (cancellation)": "both are within float64 rounding of the exact answer",
    "torch nearer": "PyTorch matches the exact answer; glassgrad is off by no more than "
    "float64 rounding of the usual formulas explains",
    "overflow in both": "glassgrad raised OverflowError where PyTorch gave inf or nan",
    "torch overflow": "PyTorch gave inf or nan; glassgrad matches the exact answer",
    "glassgrad overflow": "glassgrad raised OverflowError; the exact answer is finite",
    "glassgrad wrong": "glassgrad is farther from the exact answer than rounding explains",
    "exact undefined": "the exact program divides by 0 (or leaves a domain) where float64 "
    "rounding kept it defined: there is no exact answer to judge by",
    "backward differs from grad": "backward() and grad() gave different bits, which the "
    "design forbids",
}
"""Why glassgrad and PyTorch differ, as judged against the exact reference."""

FAILING_CAUSES = frozenset({"glassgrad wrong", "backward differs from grad"})

EXACT_BITS = 200
"""The precision of the exact reference (float64 has 53)."""

ROUNDING_BITS = (50, 51, 52, 53)
"""The precisions at which the program is also run, to see what rounding does to it."""


# -- the exact side: hyper-dual numbers over mpmath ----------------------------------------------


def _mpmath() -> Any:
    return importlib.import_module("mpmath")


class Jet:
    """``a + b e1 + c e2 + d e1 e2`` with ``e1**2 == e2**2 == 0``: seeded with ``b = 1`` on
    input i and ``c = 1`` on input j, a program's result carries ``f``, ``df/dx_i``,
    ``df/dx_j`` and ``d2f/dx_i dx_j`` (hyper-dual numbers, exact to second order).

    Beside each part it carries a magnitude (``A``, ``B``, ``C``, ``D``): the same part
    computed with the absolute value of every term, so no term cancels another. Rounding each
    operation of any evaluation order (forward or reverse, PyTorch's or glassgrad's) moves a
    part by at most about ``ops * 2**-53`` times its magnitude.
    """

    __slots__ = ("A", "B", "C", "D", "a", "b", "c", "d")

    def __init__(
        self, parts: tuple[Any, Any, Any, Any], magnitudes: tuple[Any, Any, Any, Any]
    ) -> None:
        self.a, self.b, self.c, self.d = parts
        self.A, self.B, self.C, self.D = magnitudes

    def part(self, name: str) -> tuple[Any, Any]:
        """A part (``"a"``, ``"b"``, ``"c"`` or ``"d"``) and its magnitude."""
        value: Any = getattr(self, name)
        magnitude: Any = getattr(self, name.upper())
        return value, magnitude

    def apply(self, f: Any, f1: Any, f2: Any) -> Jet:
        """``g(self)`` for a function g with ``g = f, g' = f1, g'' = f2`` at ``self.a``."""
        m1, m2 = abs(f1), abs(f2)
        return Jet(
            (f, f1 * self.b, f1 * self.c, f1 * self.d + f2 * self.b * self.c),
            (abs(f), m1 * self.B, m1 * self.C, m1 * self.D + m2 * self.B * self.C),
        )

    def __add__(self, other: Jet | Any) -> Jet:
        if isinstance(other, Jet):
            return Jet(
                (self.a + other.a, self.b + other.b, self.c + other.c, self.d + other.d),
                (self.A + other.A, self.B + other.B, self.C + other.C, self.D + other.D),
            )
        return Jet(
            (self.a + other, self.b, self.c, self.d), (self.A + abs(other), self.B, self.C, self.D)
        )

    def __sub__(self, other: Jet | Any) -> Jet:
        return self + (-other)

    def __neg__(self) -> Jet:
        return Jet((-self.a, -self.b, -self.c, -self.d), (self.A, self.B, self.C, self.D))

    def __mul__(self, other: Jet | Any) -> Jet:
        if isinstance(other, Jet):
            x, y = self, other
            return Jet(
                (
                    x.a * y.a,
                    x.a * y.b + x.b * y.a,
                    x.a * y.c + x.c * y.a,
                    x.a * y.d + x.b * y.c + x.c * y.b + x.d * y.a,
                ),
                (
                    x.A * y.A,
                    x.A * y.B + x.B * y.A,
                    x.A * y.C + x.C * y.A,
                    x.A * y.D + x.B * y.C + x.C * y.B + x.D * y.A,
                ),
            )
        m = abs(other)
        return Jet(
            (self.a * other, self.b * other, self.c * other, self.d * other),
            (self.A * m, self.B * m, self.C * m, self.D * m),
        )

    def __radd__(self, other: Any) -> Jet:
        return self.__add__(other)

    def __rsub__(self, other: Any) -> Jet:
        return self.__neg__().__add__(other)

    def __rmul__(self, other: Any) -> Jet:
        return self.__mul__(other)

    def __rtruediv__(self, other: Any) -> Jet:
        scaled: Jet = self.reciprocal() * other
        return scaled

    def __pow__(self, other: Jet | Any) -> Jet:
        if isinstance(other, Jet):  # a ** b = exp(b log a), a > 0
            return _exact_exp(other * _exact_log(self))
        return _exact_power(self, other)

    def __rpow__(self, other: Any) -> Jet:  # c ** x = exp(x log c), c > 0
        return _exact_exp(self * _mpmath().log(other))

    def reciprocal(self) -> Jet:
        """``1 / self``."""
        inverse = 1 / self.a
        return self.apply(inverse, -(inverse**2), 2 * inverse**3)

    def __truediv__(self, other: Jet | Any) -> Jet:
        if isinstance(other, Jet):
            return self * other.reciprocal()
        scaled: Jet = self * (1 / other)
        return scaled


def _exact_unary(name: str) -> Callable[[Jet], Jet]:
    """The exact rule of a unary op: its value and first two derivatives, from mpmath."""
    mp = _mpmath()

    def textbook() -> bool:
        """Whether this is a rounding run (see `exact`): it uses the formulas engines use in
        float64, cancellations and all (``s (1 - s)``, ``1 - t²``, ``1 + erf``), while the
        exact run uses forms without a cancellation (``1 - s`` is 0 even at 200 bits once x
        passes 140)."""
        return bool(mp.mp.prec < EXACT_BITS)

    def logistic(x: Any) -> tuple[Any, Any, Any]:
        """sigmoid(x), its derivative s (1 - s) and 1 - 2 s."""
        if textbook():
            s = 1 / (1 + mp.exp(-x))
            return s, s * (1 - s), 1 - 2 * s
        e = mp.exp(-abs(x))
        s = 1 / (1 + e) if x >= 0 else e / (1 + e)
        return s, e / (1 + e) ** 2, -mp.tanh(x / 2)

    def rule(x: Any) -> tuple[Any, Any, Any]:
        if name == "neg":
            return -x, -1, 0
        if name == "abs":
            return abs(x), mp.sign(x), 0
        if name == "exp":
            e = mp.exp(x)
            return e, e, e
        if name == "log":
            return mp.log(x), 1 / x, -1 / x**2
        if name == "sqrt":
            r = mp.sqrt(x)
            return r, 1 / (2 * r), -1 / (4 * r * x)
        if name == "tanh":
            t = mp.tanh(x)
            sech2 = 1 - t * t if textbook() else 1 / mp.cosh(x) ** 2
            return t, sech2, -2 * t * sech2
        if name == "sigmoid":
            s, slope, one_minus_2s = logistic(x)
            return s, slope, slope * one_minus_2s
        if name == "relu":
            return (x, 1, 0) if x > 0 else (mp.mpf(0), 0, 0)
        if name == "sin":
            return mp.sin(x), mp.cos(x), -mp.sin(x)
        if name == "cos":
            return mp.cos(x), -mp.sin(x), -mp.cos(x)
        if name == "tan":
            t = mp.tan(x)
            return t, 1 + t * t, 2 * t * (1 + t * t)
        if name == "atan":
            return mp.atan(x), 1 / (1 + x * x), -2 * x / (1 + x * x) ** 2
        if name == "log1p":
            return mp.log1p(x), 1 / (1 + x), -1 / (1 + x) ** 2
        if name == "expm1":
            return mp.expm1(x), mp.exp(x), mp.exp(x)
        if name == "softplus":
            s, slope, _ = logistic(x)
            return mp.log1p(mp.exp(x)), s, slope
        if name == "leaky_relu":
            return (x, 1, 0) if x > 0 else (x / 100, mp.mpf(1) / 100, 0)
        if name == "elu":
            return (x, 1, 0) if x > 0 else (mp.expm1(x), mp.exp(x), mp.exp(x))
        if name == "gelu":
            half_x = x / mp.sqrt(2)
            cdf = (1 + mp.erf(half_x)) / 2 if textbook() else mp.erfc(-half_x) / 2
            pdf = mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)
            return x * cdf, cdf + x * pdf, pdf * (2 - x * x)
        if name == "silu":
            s, slope, one_minus_2s = logistic(x)
            return x * s, s + x * slope, slope * (2 + x * one_minus_2s)
        if name in ("erf", "erfc"):
            slope = 2 / mp.sqrt(mp.pi) * mp.exp(-x * x)
            sign = 1 if name == "erf" else -1
            return getattr(mp, name)(x), sign * slope, -2 * x * sign * slope
        if name == "fuzz_softsign":
            d = 1 + abs(x)
            return x / d, 1 / d**2, -2 * mp.sign(x) / d**3
        return by_mpmath(x)

    function = getattr(mp, name, None)

    def by_mpmath(x: Any) -> tuple[Any, Any, Any]:
        """An op with no formula above: mpmath's function of the same name, differentiated
        numerically (at the working precision, so at 200 bits as exact as the formulas)."""
        if function is None:
            raise KeyError(
                f"benchmarks/fuzz.py: no exact rule for {name!r}: add one to _exact_unary"
            )
        return function(x), mp.diff(function, x, 1), mp.diff(function, x, 2)

    rule(mp.mpf(0.3))  # an op without a rule fails here, when the op list is made

    def apply(x: Jet) -> Jet:
        return x.apply(*rule(x.a))

    return apply


def _exact_power(x: Jet, c: float) -> Jet:
    """``x ** c`` for a number ``c`` (an integer exponent allows a negative base)."""
    mp = _mpmath()
    exponent: Any = int(c) if float(c).is_integer() else mp.mpf(c)
    return x.apply(
        x.a**exponent,
        exponent * x.a ** (exponent - 1),
        exponent * (exponent - 1) * x.a ** (exponent - 2),
    )


def _exact_exp(x: Jet) -> Jet:
    e = _mpmath().exp(x.a)
    return x.apply(e, e, e)


def _exact_log(x: Jet) -> Jet:
    return x.apply(_mpmath().log(x.a), 1 / x.a, -1 / x.a**2)


# -- the ops: read off the op table ----------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One op the programs use, as each of the three evaluators spells it.

    ``kind``: ``"unary"`` (one Value), ``"value_const"`` (a Value and a number, in that
    order), ``"const_value"`` (a number and a Value), ``"binary"`` (two Values), ``"sum"``
    (one list of Values: ``sum``, ``logsumexp``), ``"dot"`` (two lists of Values).
    ``allowed(operands, const)`` says where the op may be applied: defined, finite, and not
    exactly at a kink; ``kink``: the op has one (at 0, or at a tie), which `generate` often
    moves an operand next to.
    """

    name: str
    kind: str
    glassgrad: Callable[..., Value]
    torch: Callable[..., Any]
    exact: Callable[..., Jet]
    allowed: Callable[[Sequence[float], float | None], bool] = lambda operands, const: True
    kink: bool = False


def _kind(name: str, op: TableOp) -> str:
    """The `Op.kind` of the table op ``name``."""
    lists = sum(1 for operand in op.names if operand.endswith("_i"))
    if lists:
        return "sum" if lists == 1 else "dot"
    if op.constant is not None and written_as(name) != name:
        return "value_const" if op.constant == "right" else "const_value"
    return "binary" if len(op.names) == 2 and op.constant is None else "unary"


def _torch_function(name: str, kind: str, symbol: str) -> Callable[..., Any]:
    """PyTorch's spelling of an op: its Python operator, or ``torch.<name>``, or
    ``torch.nn.functional.<name>`` (whose defaults are glassgrad's: leaky_relu's slope
    0.01, elu's alpha 1), with `_TORCH_SPELLINGS` where those differ."""
    if name in _TORCH_SPELLINGS:
        return _TORCH_SPELLINGS[name]
    if symbol in INFIX:
        operation = INFIX[symbol]
        return lambda t, *operands: operation(*operands)
    if kind in ("sum", "dot"):
        return _TORCH_VARIADIC.get(name) or (lambda t, *lists: _EXACT_VARIADIC[name](*lists))

    def call(t: Any, *operands: Any) -> Any:
        function = getattr(t, name, None) or getattr(t.nn.functional, name)
        return function(*operands)

    return call


_TORCH_SPELLINGS: dict[str, Callable[..., Any]] = {
    # Softplus without PyTorch's threshold shortcut (x above 20 returned as x): logaddexp.
    "softplus": lambda t, x: t.logaddexp(x, t.zeros_like(x)),
}

_TORCH_VARIADIC: dict[str, Callable[..., Any]] = {
    "logsumexp": lambda t, xs: t.logsumexp(t.stack(xs), 0),
}

_EXACT_VARIADIC: dict[str, Callable[..., Any]] = {
    "sum": lambda xs: sum(xs[1:], xs[0]),
    "logsumexp": lambda xs: _exact_logsumexp(xs),
    "dot": lambda xs, ys: sum((x * y for x, y in zip(xs[1:], ys[1:], strict=True)), xs[0] * ys[0]),
}
"""The ops of several operands on Jets, by name (and on tensors: the same arithmetic, unless
`_TORCH_VARIADIC` spells it). An op of the table missing here fails when the op list is made."""


def _exact_logsumexp(xs: Sequence[Jet]) -> Jet:
    """log(e^x_1 + ... + e^x_n) and its derivatives as engines compute them: the slopes are
    the softmax ``s_i = e^(x_i - out)`` of the rounded result (so at 50 to 53 bits
    ``x_i - out`` cancels as it does in float64), the second derivatives ``diag(s) - s sᵀ``."""
    mp = _mpmath()
    largest = max(x.a for x in xs)
    out = largest + mp.log(mp.fsum(mp.exp(x.a - largest) for x in xs))
    pairs = [(mp.exp(x.a - out), x) for x in xs]  # (s_i, x_i)
    b, c = mp.fsum(s * x.b for s, x in pairs), mp.fsum(s * x.c for s, x in pairs)
    B, C = mp.fsum(s * x.B for s, x in pairs), mp.fsum(s * x.C for s, x in pairs)
    d = mp.fsum(s * (x.d + x.b * x.c) for s, x in pairs) - b * c
    D = mp.fsum(s * (x.D + x.B * x.C) for s, x in pairs) + B * C
    return Jet((out, b, c, d), (abs(out), B, C, D))


_EXACT_BINARY: dict[str, Callable[[Jet, Jet], Jet]] = {
    "maximum": lambda a, b: a if a.a > b.a else b,
    "minimum": lambda a, b: a if a.a < b.a else b,
}
"""The exact rules of the ops of two Values without a Python operator."""


def _exact_function(name: str, kind: str, symbol: str) -> Callable[..., Jet]:
    """The exact rule of an op: Jet arithmetic for an operator, else `_exact_unary`."""
    if symbol in INFIX:
        operation = INFIX[symbol]
        return lambda *operands: operation(*operands)
    if kind in ("sum", "dot"):
        return _EXACT_VARIADIC[name]
    return _EXACT_BINARY[name] if kind == "binary" else _exact_unary(name)


def _allowed(op: TableOp) -> Callable[[Sequence[float], float | None], bool]:
    """Where the table op may be applied: its region (autograd.testing.domains), no margin."""

    def allowed(operands: Sequence[float], const: float | None) -> bool:
        return fits(op, [*operands] if const is None else [*operands, const], margin=0.0)

    return allowed


def _from_table(name: str, op: TableOp) -> Op:
    """The fuzzer's `Op` for the table op ``name``: glassgrad's spelling is the one
    `autograd.testing` writes expressions with (``VALUE_OPS``)."""
    kind = _kind(name, op)
    written = written_as(name)
    region = region_of(op)
    return Op(
        name,
        kind,
        VALUE_OPS[written],
        _torch_function(name, kind, op.symbol),
        _exact_function(name, kind, op.symbol),
        _allowed(op),
        kink=region is not None and region.kink,
    )


def table_ops() -> list[Op]:
    """Every built-in op of the table (autograd.ops.OPS) a program can use: those with a
    region in ``autograd/testing/domains.py``."""
    return [
        _from_table(name, op) for name, op in builtin_ops().items() if region_of(op) is not None
    ]


OPS: list[Op] = table_ops()
"""Every op of the table the programs may use (`user_ops` are added to them)."""


# -- users' ops (define_op), with rules that return each kind of result -------------------------


def _half_rule(g: Any, out: Any, x: Any) -> tuple[Any]:
    """d(x / 2)/dx = 1/2, returned as an exact Fraction when ``g`` is a float."""
    return (Fraction(g) / 2 if isinstance(g, float) else g / 2,)


def _triple_rule(g: Any, out: Any, x: Any) -> tuple[Any]:
    """d(3x)/dx = 3, returned as a numpy scalar (not a float) when ``g`` is a float."""
    numpy = importlib.import_module("numpy")
    return (numpy.longdouble(g) * 3 if isinstance(g, float) else 3 * g,)


_SLOPE = Value(2.5, label="slope")
"""A Value the rule of ``fuzz_scaled`` closes over: during a plain backward() its result is
a Value, taken as its number; under create_graph=True it is part of the new graph."""

_UserOpSpec = tuple[
    Callable[..., Any],  # forward
    Callable[..., Any],  # rule
    str,  # kind
    Callable[..., Any],  # torch
    Callable[..., Any],  # exact
    Callable[[Sequence[float], float | None], bool],  # allowed
    bool,  # kink
]

_USER_OPS: dict[str, _UserOpSpec] = {
    # name: (forward, rule, kind, torch, exact, allowed, kink)
    # float contributions, written in Value-or-float arithmetic
    "fuzz_softsign": (
        lambda x: x / (1 + abs(x)),
        lambda g, out, x: (g / (1 + abs(x)) ** 2,),
        "unary",
        lambda t, x: x / (1 + x.abs()),
        _exact_unary("fuzz_softsign"),
        lambda ops, c: ops[0] != 0.0,
        True,
    ),
    "fuzz_hypot": (
        lambda a, b: math.hypot(a, b),
        lambda g, out, a, b: (g * a / out, g * b / out),
        "binary",
        lambda t, a, b: t.hypot(a, b),
        lambda a, b: _exact_unary("sqrt")(a * a + b * b),
        lambda ops, c: math.hypot(*ops) > 1e-150,
        False,
    ),
    # None for an operand: no gradient (the op does not depend on b)
    "fuzz_keep_first": (
        lambda a, b: a,
        lambda g, out, a, b: (g, None),
        "binary",
        lambda t, a, b: a + 0 * b,
        lambda a, b: a,
        lambda ops, c: True,
        False,
    ),
    # an int 0 where the slope is 0
    "fuzz_ramp": (
        lambda x: x if x > 0 else 0.0,
        lambda g, out, x: (g if x > 0 else 0,),
        "unary",
        lambda t, x: x.relu(),
        _exact_unary("relu"),
        lambda ops, c: ops[0] != 0.0,
        True,
    ),
    # a Fraction, a numpy scalar, a Value
    "fuzz_half": (
        lambda x: x / 2, _half_rule, "unary", lambda t, x: x / 2, lambda x: x / 2,
        lambda ops, c: True, False,
    ),
    "fuzz_triple": (
        lambda x: 3 * x, _triple_rule, "unary", lambda t, x: 3 * x, lambda x: x * 3,
        lambda ops, c: True, False,
    ),
    "fuzz_scaled": (
        lambda x: 2.5 * x, lambda g, out, x: (g * _SLOPE,), "unary", lambda t, x: 2.5 * x,
        lambda x: x * 2.5, lambda ops, c: True, False,
    ),
}  # fmt: skip
"""Ops a user adds with ``define_op``, whose rules return each kind of result glassgrad
takes: floats (softsign, hypot), None for an operand (keep_first), an int (ramp, 0 where x
< 0), a Fraction (half), a numpy scalar (triple) and a Value closed over (scaled)."""

_user_ops_made: list[Op] = []


def user_ops() -> list[Op]:
    """The ops of `_USER_OPS`, made with ``define_op`` (once per process)."""
    if not _user_ops_made:
        for name, (forward, rule, kind, torch_fn, exact_fn, allowed, kink) in _USER_OPS.items():
            function = define_op(name, forward, rule, symbol=name.removeprefix("fuzz_"))
            _user_ops_made.append(Op(name, kind, function, torch_fn, exact_fn, allowed, kink))
    return list(_user_ops_made)


def accepted(op: Op) -> bool:
    """Whether glassgrad takes what the op's rule returns: ``backward()`` leaves float
    ``.grad``s and ``grad()``, with and without ``create_graph``, gives Values."""
    leaves = [Value(0.7), Value(1.3)][: 2 if op.kind == "binary" else 1]
    try:
        out = apply_op(op, "glassgrad", leaves, None)
        out.backward()
        plain, firsts = grad(out, leaves), grad(out, leaves, create_graph=True)
    except (TypeError, ValueError):
        return False
    floats = all(type(leaf.grad) is float for leaf in leaves)
    return floats and all(type(g.data) is float for g in (*plain, *firsts))


def available_ops() -> tuple[list[Op], list[str]]:
    """The ops of `OPS` and the `user_ops` glassgrad accepts; and the names of those it does
    not accept yet (a rule result it refuses, or stores as it is)."""
    users = user_ops()
    refused = [op.name for op in users if not accepted(op)]
    return OPS + [op for op in users if op.name not in refused], refused


# -- programs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One node of a program: ``op`` applied to earlier nodes (by index) and maybe a number."""

    op: str
    operands: tuple[int, ...]
    const: float | None = None


@dataclass(frozen=True)
class Program:
    """Inputs (nodes ``0 .. k-1``) and steps (node ``k + i`` is step i); the last step is the
    output."""

    inputs: tuple[float, ...]
    steps: tuple[Step, ...]

    def text(self) -> str:
        """The program as lines of Python-like code, to read or to replay by hand."""
        lines = [f"v{i} = {x!r}" for i, x in enumerate(self.inputs)]
        for index, step in enumerate(self.steps, start=len(self.inputs)):
            operands = ", ".join(f"v{i}" for i in step.operands)
            if step.const is not None:
                operands = f"{operands}, {step.const!r}"
            lines.append(f"v{index} = {step.op}({operands})")
        return "\n".join(lines)


def _number(rng: random.Random) -> float:
    """A magnitude from 1e-8 to 1e8 (log-uniform) with either sign, or a moderate number."""
    if rng.random() < 0.4:
        return rng.uniform(-3.0, 3.0)
    return rng.choice((-1.0, 1.0)) * float(10.0 ** rng.uniform(-8.0, 8.0))


def _constant(rng: random.Random, op: Op) -> float:
    if op.name == "pow_const":
        if rng.random() < 0.6:
            return float(rng.choice((2, 3, -1, -2, 0.5, -0.5, 1.5, 4)))
        return rng.uniform(-3.0, 3.0)
    if op.name == "rpow_const":
        return float(10.0 ** rng.uniform(-2.0, 2.0))
    return _number(rng)


def _operand_count(op: Op, rng: random.Random) -> int:
    if op.kind == "binary":
        return 2
    if op.kind == "sum":
        return rng.randint(2, 4)
    if op.kind == "dot":
        return 2 * rng.randint(1, 3)
    return 1


def apply_op(
    op: Op, backend: str, operands: Sequence[Any], const: float | None, torch: Any = None
) -> Any:
    """Apply ``op`` to evaluated operands with the backend's spelling of it."""
    fn: Callable[..., Any] = getattr(op, backend)
    prefix = (torch,) if backend == "torch" else ()
    if op.kind == "unary":
        return fn(*prefix, operands[0])
    if op.kind == "value_const":
        return fn(*prefix, operands[0], const)
    if op.kind == "const_value":
        return fn(*prefix, const, operands[0])
    if op.kind == "sum":
        return fn(*prefix, list(operands))
    if op.kind == "dot":
        half = len(operands) // 2
        return fn(*prefix, list(operands[:half]), list(operands[half:]))
    return fn(*prefix, *operands)


@dataclass
class Generated:
    """A program and what happened while making it."""

    program: Program
    forward_errors: list[str] = field(default_factory=list)


NEAR_KINKS = frozenset(
    [op.name for op in OPS if op.kink] + [name for name, spec in _USER_OPS.items() if spec[6]]
)
"""Ops with a kink (at 0, or at a tie): `generate` often moves their operand next to it."""


def _near_kink(
    op: Op, picks: list[int], nodes: list[Value], steps: list[Step], rng: random.Random
) -> list[int] | None:
    """Add a step that puts the operand of ``op`` a hair from its kink (a relative 1e-12 to
    1e-6, never on it) and return the new operand indices; None if rounding hit the kink."""
    x = nodes[picks[0]]
    hair = rng.choice((-1.0, 1.0)) * max(abs(x.data), 1e-8) * float(10.0 ** rng.uniform(-12, -6))
    if op.kind == "binary":  # maximum, minimum: the second operand next to the first
        step = Step("add_const", (picks[0],), hair)
        node = x + hair
    else:  # x - (x - hair) is hair, up to rounding
        step = Step("sub_const", (picks[0],), x.data - hair)
        node = x - (x.data - hair)
    if node.data == x.data or (op.kind == "unary" and node.data == 0.0):
        return None
    nodes.append(node)
    steps.append(step)
    return [picks[0], len(nodes) - 1] if op.kind == "binary" else [len(nodes) - 1]


def generate(rng: random.Random, ops: Sequence[Op], size: int) -> Generated:
    """A random program of ``size`` steps (plus a final sum of its sinks).

    Each candidate step is evaluated by glassgrad on the spot and kept only if the op allows
    its operands, the result is finite and below `LARGEST_NODE` in magnitude. A glassgrad
    error other than OverflowError on allowed operands is recorded (a finding).
    """
    by_name = {op.name: op for op in ops}
    inputs = tuple(_number(rng) for _ in range(rng.randint(1, 3)))
    nodes = [Value(x) for x in inputs]
    steps: list[Step] = []
    errors: list[str] = []
    for _ in range(60 * size):
        if len(steps) == size:
            break
        op = rng.choice(ops)
        count = _operand_count(op, rng)
        picks: list[int] = []
        for _ in range(count):
            if picks and rng.random() < 0.15:
                picks.append(picks[-1])  # x - x, x / x, x * x: cancellation and reuse
            elif rng.random() < 0.5:
                picks.append(len(nodes) - 1)
            else:
                picks.append(rng.randrange(len(nodes)))
        const = _constant(rng, op) if op.kind in ("value_const", "const_value") else None
        if op.kink and len(steps) + 1 < size and rng.random() < 0.3:
            moved = _near_kink(op, picks, nodes, steps, rng)
            if moved is not None:
                picks = moved
        operands = [nodes[i] for i in picks]
        if not op.allowed([v.data for v in operands], const):
            continue
        try:
            node = apply_op(op, "glassgrad", operands, const)
        except OverflowError:
            continue
        except (ArithmeticError, ValueError) as error:
            errors.append(f"{op.name}{tuple(v.data for v in operands)} const={const}: {error}")
            continue
        if not math.isfinite(node.data) or abs(node.data) > LARGEST_NODE:
            continue
        nodes.append(node)
        steps.append(Step(op.name, tuple(picks), const))
    used = {i for step in steps for i in step.operands}
    sinks = [i for i in range(len(inputs), len(nodes)) if i not in used]
    if len(sinks) > 1 and "sum" in by_name:
        total = Value.sum([nodes[i] for i in sinks])
        if math.isfinite(total.data):
            steps.append(Step("sum", tuple(sinks)))
    if not steps:  # nothing fitted: the identity-like x * 1
        steps.append(Step("mul_const", (0,), 1.0))
    return Generated(Program(inputs, tuple(steps)), errors)


# -- running a program -----------------------------------------------------------------------


def _keys(inputs: int) -> list[str]:
    """The names of the quantities compared for a program with ``inputs`` inputs."""
    keys = ["value"]
    for kind in ("backward", "grad", "grad(create_graph)"):
        keys += [f"{kind} x{i}" for i in range(inputs)]
    keys += [f"hessian x{i} x{j}" for i in range(inputs) for j in range(inputs)]
    return keys


def _failed(error: BaseException) -> str:
    return type(error).__name__


def build(program: Program, ops: dict[str, Op]) -> list[Value]:
    """Every node of ``program`` as a glassgrad Value (the inputs first, the output last)."""
    nodes = [Value(x) for x in program.inputs]
    for step in program.steps:
        nodes.append(
            apply_op(ops[step.op], "glassgrad", [nodes[i] for i in step.operands], step.const)
        )
    return nodes


def run_glassgrad(program: Program, ops: dict[str, Op]) -> dict[str, Outcome]:
    """Value, gradients (three ways) and Hessian of ``program``, as glassgrad computes them."""
    nodes = build(program, ops)
    n = len(program.inputs)
    leaves, output = nodes[:n], nodes[-1]
    results: dict[str, Outcome] = {"value": output.data}
    try:
        output.backward()
        results.update({f"backward x{i}": leaf.grad for i, leaf in enumerate(leaves)})
    except (ArithmeticError, ValueError) as error:
        results.update({f"backward x{i}": _failed(error) for i in range(n)})
    try:
        plain = grad(output, leaves)
        results.update({f"grad x{i}": g.data for i, g in enumerate(plain)})
    except (ArithmeticError, ValueError) as error:
        results.update({f"grad x{i}": _failed(error) for i in range(n)})
    try:
        firsts = grad(output, leaves, create_graph=True)
    except (ArithmeticError, ValueError) as error:
        for i in range(n):
            results[f"grad(create_graph) x{i}"] = _failed(error)
            results.update({f"hessian x{i} x{j}": _failed(error) for j in range(n)})
        return results
    for i, first in enumerate(firsts):
        results[f"grad(create_graph) x{i}"] = first.data
        row: list[Outcome]
        try:
            row = [g.data for g in grad(first, leaves)]
        except (ArithmeticError, ValueError) as error:
            row = [_failed(error)] * n
        results.update({f"hessian x{i} x{j}": h for j, h in enumerate(row)})
    return results


def run_torch(program: Program, ops: dict[str, Op], torch: Any) -> dict[str, Outcome]:
    """The same quantities from PyTorch in float64 (inf or nan where it overflows)."""
    leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in program.inputs]
    nodes: list[Any] = list(leaves)
    for step in program.steps:
        nodes.append(
            apply_op(ops[step.op], "torch", [nodes[i] for i in step.operands], step.const, torch)
        )
    output = nodes[-1]
    n = len(leaves)
    results: dict[str, Outcome] = {"value": output.item()}
    firsts = torch.autograd.grad(output, leaves, create_graph=True, allow_unused=True)
    for i, first in enumerate(firsts):
        number = 0.0 if first is None else first.item()
        for kind in ("backward", "grad", "grad(create_graph)"):
            results[f"{kind} x{i}"] = number
        if first is None or not first.requires_grad:
            row = [0.0] * n
        else:
            seconds = torch.autograd.grad(first, leaves, retain_graph=True, allow_unused=True)
            row = [0.0 if s is None else s.item() for s in seconds]
        results.update({f"hessian x{i} x{j}": h for j, h in enumerate(row)})
    return results


def _pair(key: str) -> tuple[int, int, str]:
    """Which inputs to seed (i, j) and which Jet component holds ``key``."""
    if key == "value":
        return 0, 0, "a"
    names = [int(word[1:]) for word in key.split() if word.startswith("x") and word[1:].isdigit()]
    if key.startswith("hessian"):
        i, j = sorted(names)
        return i, j, "d"
    return names[0], names[0], "b"


def _run_exact(program: Program, ops: dict[str, Op], i: int, j: int) -> Jet:
    """The program on Jets seeded for inputs i and j, at mpmath's working precision."""
    mp = _mpmath()
    nodes: list[Any] = [
        Jet((mp.mpf(x), int(k == i), int(k == j), 0), (abs(mp.mpf(x)), int(k == i), int(k == j), 0))
        for k, x in enumerate(program.inputs)
    ]
    for step in program.steps:
        const = None if step.const is None else mp.mpf(step.const)
        nodes.append(apply_op(ops[step.op], "exact", [nodes[k] for k in step.operands], const))
    result: Jet = nodes[-1]
    return result


def _run_or_none(program: Program, ops: dict[str, Op], i: int, j: int, bits: int) -> Jet | None:
    """`_run_exact` at ``bits`` of precision; None where the program is undefined at that
    precision (a division by a zero, a log of a negative, which float64 rounding avoided)."""
    mp = _mpmath()
    with mp.workprec(bits):
        try:
            result = _run_exact(program, ops, i, j)
        except (ZeroDivisionError, ValueError):
            return None
    parts = (result.a, result.b, result.c, result.d)
    return result if all(isinstance(part, mp.mpf | int) for part in parts) else None


def exact(
    program: Program, ops: dict[str, Op], keys: Sequence[str]
) -> dict[str, tuple[Any, Any] | None]:
    """For each key: the exact answer and how far float64 rounding can move it (the spread);
    None when the exact program is undefined (float64 rounding kept it defined).

    The spread is the larger of two estimates. Running the same program with every operation
    rounded to 50 to 53 bits, with the formulas engines use, shows the cancellation inside
    them (``1 - 2 sigmoid(x)`` near 0, ``1 - sigmoid(x)`` for large x); if such a run is
    undefined, rounding decides everything and the spread is infinite. The magnitudes of
    the Jets bound what rounding does in any evaluation order, such as a reverse sweep adding
    ``g`` and ``-g`` into a gradient that is exactly 0.
    """
    mp = _mpmath()
    answers: dict[str, tuple[Any, Any] | None] = {}
    runs: dict[tuple[int, int], tuple[Jet | None, list[Jet | None]]] = {}
    unit = mp.mpf(2) ** -53 * 2 * (len(program.steps) + 2)
    for key in keys:
        i, j, component = _pair(key)
        if (i, j) not in runs:
            rounded = [_run_or_none(program, ops, i, j, bits) for bits in ROUNDING_BITS]
            runs[i, j] = (_run_or_none(program, ops, i, j, EXACT_BITS), rounded)
        reference, rounded_runs = runs[i, j]
        if reference is None:
            answers[key] = None
            continue
        with mp.workprec(EXACT_BITS):
            answer, magnitude = reference.part(component)
            by_rounding = max(
                mp.inf if run is None else abs(run.part(component)[0] - answer)
                for run in rounded_runs
            )
            answers[key] = (answer, max(by_rounding, unit * magnitude))
    return answers


def _close(x: float, y: float) -> bool:
    return x == y or abs(x - y) <= RELATIVE_TOLERANCE * max(abs(x), abs(y))


def _finite(x: Outcome) -> bool:
    return isinstance(x, float | int) and math.isfinite(x)


def _near_exact(x: Outcome, answer: Any, spread: Any) -> bool:
    if not _finite(x):
        return False
    assert isinstance(x, float | int)
    error = abs(_mpmath().mpf(x) - answer)
    return bool(error <= RELATIVE_TOLERANCE * abs(answer) + NOISE_FACTOR * spread + 1e-300)


def judge(ours: Outcome, theirs: Outcome, answer: Any, spread: Any) -> str:
    """The cause (a key of `CAUSES`) of a disagreement between glassgrad and PyTorch."""
    largest = sys.float_info.max
    if isinstance(ours, str):
        if ours == "OverflowError" and not _finite(theirs):
            return "overflow in both"
        if ours == "OverflowError" and abs(answer) > largest:
            return "overflow in both"
        return "glassgrad overflow" if ours == "OverflowError" else "glassgrad wrong"
    if not _near_exact(ours, answer, spread):
        return "glassgrad wrong"
    if not _finite(theirs):
        return "torch overflow"
    if _near_exact(ours, answer, 0) and not _near_exact(theirs, answer, 0):
        return "torch inexact"
    if _near_exact(theirs, answer, 0) and not _near_exact(ours, answer, 0):
        return "torch nearer"
    return "rounding (cancellation)" if _near_exact(theirs, answer, spread) else "torch inexact"


def error_in_spreads(ours: Outcome, answer: Any, spread: Any) -> float:
    """How many rounding spreads glassgrad's number is from the exact answer (0 when it is
    within the relative tolerance): how close `NOISE_FACTOR` came to being needed."""
    if not _finite(ours) or _near_exact(ours, answer, 0):
        return 0.0
    assert isinstance(ours, float | int)
    error = abs(_mpmath().mpf(ours) - answer)
    return math.inf if spread == 0 else float(error / spread)


# -- the suite ---------------------------------------------------------------------------------


@dataclass
class Summary:
    """What a fuzz run found."""

    programs: int = 0
    comparisons: int = 0
    causes: Counter[str] = field(default_factory=Counter)
    op_uses: Counter[str] = field(default_factory=Counter)
    missing_ops: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    worst_spreads: float = 0.0
    """The largest `error_in_spreads` of glassgrad over the judged disagreements it passed."""

    @property
    def disagreements(self) -> int:
        """Comparisons where glassgrad and PyTorch differ by more than the tolerance."""
        return sum(self.causes.values())

    @property
    def failed(self) -> int:
        """Disagreements put down to glassgrad."""
        return sum(n for cause, n in self.causes.items() if cause in FAILING_CAUSES)

    def report(self, show: int = 5) -> str:
        """The summary as text: counts, causes, ops used, and the first failures in full."""
        lines = [
            f"programs: {self.programs}  comparisons: {self.comparisons}  "
            f"disagreements: {self.disagreements}  failures: {self.failed}  "
            f"({self.seconds:.1f} s)",
        ]
        for cause, n in self.causes.most_common():
            lines.append(f"  {n:6d}  {cause}: {CAUSES[cause]}")
        if self.causes:
            lines.append(
                f"glassgrad's largest error among those judged fine: {self.worst_spreads:.3g} "
                f"rounding spreads (the limit is {NOISE_FACTOR:g})"
            )
        used = ", ".join(f"{name} {n}" for name, n in sorted(self.op_uses.items()))
        lines.append(f"ops used: {used}")
        if self.missing_ops:
            lines.append(
                "users' ops whose rule results glassgrad does not take yet (skipped): "
                + ", ".join(self.missing_ops)
            )
        for failure in self.failures[:show]:
            lines.append("")
            lines.append(failure)
        return "\n".join(lines)


def check_program(
    program: Program, ops: dict[str, Op], torch: Any, summary: Summary, label: str
) -> None:
    """Run one program both ways, judge every disagreement, add it all to ``summary``."""
    ours = run_glassgrad(program, ops)
    theirs = run_torch(program, ops, torch)
    keys = _keys(len(program.inputs))
    summary.programs += 1
    summary.comparisons += len(keys)
    summary.op_uses.update(step.op for step in program.steps)
    for i in range(len(program.inputs)):
        # Not a comparison with PyTorch: glassgrad's two sweeps must agree to the last bit.
        fast, reference = ours[f"backward x{i}"], ours[f"grad x{i}"]
        if fast != reference:
            summary.causes["backward differs from grad"] += 1
            summary.failures.append(
                f"{label}, x{i}: backward() gave {fast!r}, grad() {reference!r}\n{program.text()}"
            )
    differing = [key for key in keys if not _agree(ours[key], theirs[key])]
    if not differing:
        return
    answers = exact(program, ops, differing)
    for key in differing:
        known = answers[key]
        if known is None:
            summary.causes["exact undefined"] += 1
            continue
        answer, spread = known
        cause = judge(ours[key], theirs[key], answer, spread)
        summary.causes[cause] += 1
        if cause not in FAILING_CAUSES:
            spreads = error_in_spreads(ours[key], answer, spread)
            summary.worst_spreads = max(summary.worst_spreads, spreads)
        if cause in FAILING_CAUSES:
            summary.failures.append(
                f"{label}, {key}: glassgrad {ours[key]!r}, torch {theirs[key]!r}, "
                f"exact {_mpmath().nstr(answer, 17)} (rounding spread "
                f"{_mpmath().nstr(spread, 3)})\n{program.text()}"
            )


def _agree(ours: Outcome, theirs: Outcome) -> bool:
    if isinstance(ours, str) or isinstance(theirs, str):
        return False
    if not math.isfinite(theirs):
        return False  # glassgrad gave a number (or raised) where torch did not: judge it
    return _close(float(ours), float(theirs))


def _generate_program(seed: int, index: int, ops: Sequence[Op], size: int) -> Generated:
    rng = random.Random(f"{seed}-{index}")
    return generate(rng, ops, rng.randint(1, size))


def replay(seed: int, index: int, size: int = 8) -> Program:
    """Program ``index`` of the run with ``seed`` (and ``size``), as `fuzz` made it."""
    return _generate_program(seed, index, available_ops()[0], size).program


def fuzz(programs: int, seed: int = 0, size: int = 8, only: int | None = None) -> Summary:
    """Generate and check ``programs`` programs; program ``i`` comes from the seed
    ``f"{seed}-{i}"``, so ``only=i`` replays it alone."""
    torch: Any = importlib.import_module("torch")
    op_list, missing = available_ops()
    ops = {op.name: op for op in op_list}
    summary = Summary(missing_ops=missing)
    start = time.perf_counter()
    for index in range(programs) if only is None else [only]:
        generated = _generate_program(seed, index, op_list, size)
        label = f"seed {seed} program {index}"
        for error in generated.forward_errors:
            summary.causes["glassgrad wrong"] += 1
            summary.failures.append(f"{label}: glassgrad refused allowed operands: {error}")
        check_program(generated.program, ops, torch, summary, label)
    summary.seconds = time.perf_counter() - start
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.fuzz``: run the suite, print the summary; exit 1 on a failure."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.fuzz", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--programs", type=int, default=10_000, help="how many programs (10000)")
    parser.add_argument("--seed", type=int, default=0, help="the run's seed (0)")
    parser.add_argument("--size", type=int, default=8, help="the most steps in a program (8)")
    parser.add_argument("--only", type=int, default=None, help="replay one program by index")
    parser.add_argument("--show", type=int, default=5, help="failures to print in full (5)")
    args = parser.parse_args(argv)
    summary = fuzz(args.programs, args.seed, args.size, args.only)
    if args.only is not None:
        print(replay(args.seed, args.only, args.size).text(), end="\n\n")
    print(summary.report(args.show))
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
