"""Functions of a float or a Value: the pieces a derivative rule is written with.

Each function here takes a number and returns a float, or takes a Value and returns a Value
(through the Value method of the same name, so the result is a node of the graph)::

    >>> from autograd.functions import sigmoid
    >>> sigmoid(0.0)
    0.5
    >>> from autograd import Value
    >>> y = sigmoid(Value(0.0))
    >>> type(y).__name__, y.data
    ('Value', 0.5)

That is what lets one derivative rule serve both sweeps: ``backward()`` calls a rule with
floats, ``grad(..., create_graph=True)`` calls the same rule with Values, and then the rule
builds nodes that can be differentiated again. The built-in rules in ``ops.py`` are written
with these functions, and so can yours (``define_op``)::

    my_softplus = define_op("my_softplus", ..., lambda g, out, x: (g * sigmoid(x),))

On floats each function checks its domain and raises at once, naming itself and the value
(``log(-1.0)``, ``tan`` of an infinite number, ``expm1`` too large for a float); it never returns
nan or inf from a finite input. The float versions are also the ops' forwards in the op table.

``step`` and ``sign`` are the slopes of relu and abs: plain numbers in either case (a slope
that is constant where it is defined has derivative 0), with PyTorch's choice at the kink.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from collections.abc import Callable

    from autograd.value import Value

# fmt: off
__all__ = ["INV_SQRT_2PI", "SQRT_2", "TWO_OVER_SQRT_PI", "Scalar", "atan", "atan_float", "cos",
           "cos_float", "elu", "elu_float", "erf", "erf_float", "erfc", "erfc_float", "exp",
           "exp_float", "expm1", "expm1_float", "gaussian", "gelu", "gelu_float", "leaky_relu",
           "leaky_relu_float", "log", "log1p", "log1p_float", "log_float", "maximum",
           "maximum_float", "minimum", "minimum_float", "normal_cdf", "normal_cdf_float",
           "normal_pdf", "relu", "relu_float", "sigmoid", "sigmoid_float", "sign", "silu",
           "silu_float", "sin", "sin_float", "softplus", "softplus_float", "sqrt", "sqrt_float",
           "step", "tan", "tan_float", "tanh", "tanh_float", "tie_share"]
# fmt: on

Scalar = TypeVar("Scalar", float, "Value")
"""A float in, a float out; a Value in, a Value out."""

SQRT_2 = math.sqrt(2.0)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)  # erf'(x) = 2/√π · exp(-x²)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)  # the standard normal density at 0

_EXP_LIMIT = 709.782712893384  # log of the largest float: beyond it exp overflows


def _domain_error(name: str, requirement: str, *operands: float) -> ValueError:
    shown = ", ".join(repr(x) for x in operands)
    return ValueError(f"{name}: {requirement} (got {shown})")


def _finite(name: str, x: float) -> float:
    """x, or a ValueError naming ``name`` when x is infinite or nan."""
    if x - x != 0.0:
        raise _domain_error(name, "input must be finite", x)
    return x


def _checked(name: str, result: float, *operands: float) -> float:
    """result, or an OverflowError naming ``name`` when it is not finite."""
    if result - result != 0.0:
        shown = ", ".join(repr(x) for x in operands)
        raise OverflowError(f"{name}: result too large for a float ({name}({shown}) = {result})")
    return result


# --------------------------------------------------------------------------------------------
# The forwards on floats. Each raises at the op, naming the op and the value.
# --------------------------------------------------------------------------------------------


def exp_float(x: float) -> float:
    """e ** x; OverflowError beyond x = 709.78 (the result would be inf)."""
    if x > _EXP_LIMIT:
        raise OverflowError(f"exp: result too large for a float (exp({x!r}))")
    return math.exp(x)


def log_float(x: float) -> float:
    """Natural logarithm; ValueError unless x > 0."""
    if not x > 0.0:
        raise _domain_error("log", "input must be > 0", x)
    return math.log(x)


def sqrt_float(x: float) -> float:
    """Square root; ValueError unless x >= 0."""
    if not x >= 0.0:
        raise _domain_error("sqrt", "input must be >= 0", x)
    return math.sqrt(x)


def sin_float(x: float) -> float:
    """Sine of a finite x (radians)."""
    return math.sin(_finite("sin", x))


def cos_float(x: float) -> float:
    """Cosine of a finite x (radians)."""
    return math.cos(_finite("cos", x))


def tan_float(x: float) -> float:
    """Tangent of a finite x (radians); an OverflowError naming tan if it overflows.

    No float is exactly a pole (π/2 + kπ), and the largest tangent of a float is about
    1.6e16, so the overflow check is a guard, never expected to fire.
    """
    return _checked("tan", math.tan(_finite("tan", x)), x)


def atan_float(x: float) -> float:
    """Arctangent, in (-π/2, π/2)."""
    return math.atan(x)


def tanh_float(x: float) -> float:
    """Hyperbolic tangent, in (-1, 1)."""
    return math.tanh(x)


def sigmoid_float(x: float) -> float:
    """1 / (1 + e^-x), stable for any finite x."""
    # Two branches keep exp's argument <= 0, so neither overflows.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def log1p_float(x: float) -> float:
    """log(1 + x), accurate for tiny x; ValueError unless x > -1."""
    if not x > -1.0:
        raise _domain_error("log1p", "input must be > -1", x)
    return math.log1p(x)


def expm1_float(x: float) -> float:
    """e ** x - 1, accurate for tiny x; OverflowError beyond x = 709.78."""
    if x > _EXP_LIMIT:
        raise OverflowError(f"expm1: result too large for a float (expm1({x!r}))")
    return math.expm1(x)


def softplus_float(x: float) -> float:
    """log(1 + e^x), stable for any finite x.

    Written as max(x, 0) + log1p(e^-|x|): exp never overflows, and there is no threshold
    beyond which x itself is returned (PyTorch's F.softplus returns x above 20 by default,
    which is off by e^-20 ≈ 2e-9).
    """
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def relu_float(x: float) -> float:
    """max(0, x)."""
    return x if x > 0.0 else 0.0


def leaky_relu_float(x: float, negative_slope: float = 0.01) -> float:
    """x for x > 0, else negative_slope * x."""
    return x if x > 0.0 else x * negative_slope


def elu_float(x: float, alpha: float = 1.0) -> float:
    """x for x > 0, else alpha * (e^x - 1) (with expm1, accurate near 0)."""
    return x if x > 0.0 else alpha * math.expm1(x)


def erf_float(x: float) -> float:
    """The error function 2/√π ∫_0^x e^(-t²) dt, in [-1, 1]."""
    return math.erf(x)


def erfc_float(x: float) -> float:
    """1 - erf(x), accurate where erf(x) is close to 1 (large x)."""
    return math.erfc(x)


def normal_cdf_float(x: float) -> float:
    """Φ(x), the standard normal distribution function, accurate in both tails.

    Written with erfc(-x/√2) rather than (1 + erf(x/√2)) / 2: the second loses every digit
    for x below about -8, where 1 + erf is 1 - 1.
    """
    return 0.5 * math.erfc(-x / SQRT_2)


def gelu_float(x: float) -> float:
    """x · Φ(x), the exact (erf) form of GELU."""
    return x * normal_cdf_float(x)


def silu_float(x: float) -> float:
    """x · sigmoid(x) (also called swish)."""
    return x * sigmoid_float(x)


def maximum_float(a: float, b: float) -> float:
    """The larger of a and b."""
    return a if a >= b else b


def minimum_float(a: float, b: float) -> float:
    """The smaller of a and b."""
    return a if a <= b else b


# --------------------------------------------------------------------------------------------
# Value-or-float functions: what derivative rules are written with.
# --------------------------------------------------------------------------------------------


def _one(x: Scalar, name: str, on_float: Callable[[float], float]) -> Scalar:
    """on_float(x) for a real number x; the Value method ``name`` for anything else."""
    result: Any
    if type(x) is float:  # by far the usual case: a rule on the float path
        result = on_float(x)
    elif isinstance(x, Real):  # int, bool, Fraction, numpy's numbers
        result = on_float(float(x))
    else:
        method = getattr(x, name, None)
        if method is None:
            raise TypeError(f"{name}: expected a number or a Value, got {type(x).__name__} {x!r}")
        result = method()
    return cast(Scalar, result)


def exp(x: Scalar) -> Scalar:
    """e ** x. Its derivative is exp(x)."""
    return _one(x, "exp", exp_float)


def log(x: Scalar) -> Scalar:
    """Natural logarithm, for x > 0. Its derivative is 1 / x."""
    return _one(x, "log", log_float)


def sqrt(x: Scalar) -> Scalar:
    """Square root, for x >= 0. Its derivative is 1 / (2 sqrt(x)) (infinite at 0)."""
    return _one(x, "sqrt", sqrt_float)


def sin(x: Scalar) -> Scalar:
    """Sine (radians). Its derivative is cos(x)."""
    return _one(x, "sin", sin_float)


def cos(x: Scalar) -> Scalar:
    """Cosine (radians). Its derivative is -sin(x)."""
    return _one(x, "cos", cos_float)


def tan(x: Scalar) -> Scalar:
    """Tangent (radians). Its derivative is 1 + tan(x)²."""
    return _one(x, "tan", tan_float)


def atan(x: Scalar) -> Scalar:
    """Arctangent. Its derivative is 1 / (1 + x²)."""
    return _one(x, "atan", atan_float)


def tanh(x: Scalar) -> Scalar:
    """Hyperbolic tangent. Its derivative is 1 - tanh(x)²."""
    return _one(x, "tanh", tanh_float)


def sigmoid(x: Scalar) -> Scalar:
    """1 / (1 + e^-x). Its derivative is sigmoid(x) · (1 - sigmoid(x))."""
    return _one(x, "sigmoid", sigmoid_float)


def log1p(x: Scalar) -> Scalar:
    """log(1 + x), for x > -1. Its derivative is 1 / (1 + x)."""
    return _one(x, "log1p", log1p_float)


def expm1(x: Scalar) -> Scalar:
    """e ** x - 1. Its derivative is exp(x)."""
    return _one(x, "expm1", expm1_float)


def softplus(x: Scalar) -> Scalar:
    """log(1 + e^x), stable for any finite x. Its derivative is sigmoid(x)."""
    return _one(x, "softplus", softplus_float)


def relu(x: Scalar) -> Scalar:
    """max(0, x). Its derivative is step(x) (0 at the kink)."""
    return _one(x, "relu", relu_float)


def erf(x: Scalar) -> Scalar:
    """The error function. Its derivative is 2/√π · exp(-x²)."""
    return _one(x, "erf", erf_float)


def erfc(x: Scalar) -> Scalar:
    """1 - erf(x), accurate for large x. Its derivative is -2/√π · exp(-x²)."""
    return _one(x, "erfc", erfc_float)


def gelu(x: Scalar) -> Scalar:
    """x · Φ(x) (exact erf form). Its derivative is Φ(x) + x · φ(x)."""
    return _one(x, "gelu", gelu_float)


def silu(x: Scalar) -> Scalar:
    """x · sigmoid(x). Its derivative is s · (1 + x · (1 - s)) with s = sigmoid(x)."""
    return _one(x, "silu", silu_float)


def leaky_relu(x: Scalar, negative_slope: float = 0.01) -> Scalar:
    """x for x > 0, else negative_slope · x. Its derivative is 1, or negative_slope for x <= 0.

    (At 0 the slope is negative_slope, as in PyTorch.)
    """
    value: Any = x
    result: Any = (
        leaky_relu_float(float(value), negative_slope)
        if isinstance(value, Real)
        else value.leaky_relu(negative_slope)
    )
    return cast(Scalar, result)


def elu(x: Scalar, alpha: float = 1.0) -> Scalar:
    """x for x > 0, else alpha · (e^x - 1). Its derivative is 1, or alpha · e^x for x <= 0."""
    value: Any = x
    result: Any = elu_float(float(value), alpha) if isinstance(value, Real) else value.elu(alpha)
    return cast(Scalar, result)


def normal_cdf(x: Scalar) -> Scalar:
    """Φ(x), the standard normal distribution function: erfc(-x/√2) / 2. Φ' is normal_pdf."""
    return 0.5 * erfc(-x / SQRT_2)


def normal_pdf(x: Scalar) -> Scalar:
    """φ(x) = e^(-x²/2) / √(2π), the standard normal density. Its derivative is -x·φ(x).

    Beyond |x| = 39 it is below the smallest float (e^-760): 0 is returned there as
    ``x * 0.0``, so that x² never overflows (it would from |x| = 1.3e154 on).
    """
    if -39.0 < x < 39.0:
        return INV_SQRT_2PI * exp(-0.5 * x * x)
    return x * 0.0


def gaussian(x: Scalar) -> Scalar:
    """e^(-x²), the slope of erf up to 2/√π. Its derivative is -2x·e^(-x²).

    As for `normal_pdf`, 0 (as ``x * 0.0``) where the result is below the smallest float.
    """
    if -27.5 < x < 27.5:
        return exp(-x * x)
    return x * 0.0


def maximum(a: Any, b: Any) -> Any:
    """The larger of a and b; a Value when either is one (``Value.maximum``)."""
    if isinstance(a, Real) and isinstance(b, Real):
        return maximum_float(float(a), float(b))
    value_class = type(b) if isinstance(a, Real) else type(a)
    return value_class.maximum(a, b)


def minimum(a: Any, b: Any) -> Any:
    """The smaller of a and b; a Value when either is one (``Value.minimum``)."""
    if isinstance(a, Real) and isinstance(b, Real):
        return minimum_float(float(a), float(b))
    value_class = type(b) if isinstance(a, Real) else type(a)
    return value_class.minimum(a, b)


def step(x: Any) -> float:
    """1.0 where x > 0, else 0.0: the slope of relu, 0 at the kink as in PyTorch.

    A plain number for a float or a Value alike: the slope is constant on each side, so its
    own derivative is 0.
    """
    return 1.0 if x > 0 else 0.0


def sign(x: Any) -> float:
    """-1.0, 0.0 or 1.0: the slope of abs, with abs'(0) = 0 as in PyTorch. A plain number."""
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0


def tie_share(a: Any, b: Any) -> float:
    """How much of maximum(a, b)'s gradient goes to a: 1, 0, or 0.5 for a tie (as PyTorch).

    The share of minimum(a, b) is ``tie_share(b, a)``. A plain number, like ``step``.
    """
    return 1.0 if a > b else 0.0 if a < b else 0.5
