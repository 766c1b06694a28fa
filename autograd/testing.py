"""Hypothesis strategies for property-testing derivatives: the engine's and your own.

Two kinds of strategy:

* ``finite_floats(min_value, max_value)``: well-conditioned floats (never nan, inf or
  subnormal, always inside the bounds), for the inputs of your own functions.
* ``expressions()``: random expression trees over the whole op set (``+ - * / **`` with Value
  or number operands on either side, ``Value.maximum`` and ``Value.minimum``, ``neg abs exp
  log tanh sigmoid relu sqrt sin cos tan atan log1p expm1 softplus gelu silu erf erfc
  leaky_relu elu``, ``Value.sum`` and ``fused.neuron`` with every activation), and over
  your own ops too (``extra_ops``, each with the domain you state). Each draw is an
  ``Expression``: its variables' values, a readable formula, and a way to evaluate it on
  Values or on any other backend (PyTorch, plain floats).

Every expression stays inside each op's domain and away from its kinks at the drawn point,
with room to spare: ``log`` and ``sqrt`` see inputs > 0.1, ``log1p`` inputs > -0.9, ``relu``,
``abs``, ``leaky_relu`` and ``elu`` inputs with ``|x| > 0.1``, ``/`` divisors with
``|x| > 0.1``, ``**`` with a Value exponent a base > 0.1, ``maximum`` and ``minimum``
operands 0.1 apart, and every subexpression stays within ``±10``. So finite differences are
accurate there and any disagreement is a real bug.

Example (a test file)::

    from hypothesis import given
    from autograd import gradcheck
    from autograd.testing import expressions, finite_floats

    @given(expressions())
    def test_engine_derivatives(expr):
        assert gradcheck(expr, expr.values, order=2)

    @given(finite_floats(-3, 3), finite_floats(0.5, 3))
    def test_my_function(x, y):
        assert gradcheck(lambda a, b: (a / b).tanh() * b.log(), [x, y], order=2)

This module needs hypothesis (the ``dev`` extra); ``import autograd`` alone never imports it.
"""

from __future__ import annotations

import inspect
import math
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as error:  # the tests check this message in a subprocess without hypothesis
    raise ImportError(
        "autograd.testing needs hypothesis: pip install hypothesis "
        "(or install glassgrad with its dev extra: pip install -e '.[dev]')"
    ) from error

from autograd.mode import no_grad
from autograd.value import Value

ACTIVATIONS = ("linear", "relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu", "silu", "softplus")

__all__ = [
    "BINARY_OPS",
    "FLOAT_OPS",
    "OP_NAMES",
    "UNARY_OPS",
    "VALUE_OPS",
    "Call",
    "Domain",
    "Expression",
    "NeuronCall",
    "Term",
    "Variable",
    "expressions",
    "finite_floats",
]

MARGIN = 0.1
"""Distance kept from every domain edge, kink and tie (log, sqrt, division, relu, abs, pow,
log1p, leaky_relu, elu, maximum, minimum)."""

BOUND = 10.0
"""Largest magnitude any subexpression may take at the drawn point: keeps gradients tame."""

_EXP_LIMIT = 5.0  # exp only sees moderate inputs (and its result must fit in BOUND as well)

BINARY_OPS = ("add", "sub", "mul", "div", "pow", "maximum", "minimum")
"""The two-operand ops, by name: ``+ - * / **``, ``Value.maximum`` and ``Value.minimum``."""

UNARY_OPS = (
    *("neg", "abs", "exp", "log", "tanh", "sigmoid", "relu", "sqrt", "sin", "cos"),
    *("tan", "atan", "log1p", "expm1", "softplus", "gelu", "silu", "erf", "erfc"),
    *("leaky_relu", "elu"),
)
"""The one-operand ops, by name (``neg`` is unary minus; leaky_relu and elu with their
default parameters)."""

OP_NAMES = (*BINARY_OPS, *UNARY_OPS, "sum", "dot", "neuron")
"""Every op name an ``Expression`` uses and a backend must provide."""

_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}

# Plain numbers used as operands. Short, readable values come first (hypothesis shrinks
# towards them), then any float in a modest range. Integers and non-integers are both there,
# so `**` gets integer exponents (valid on negative bases) and fractional ones.
_NICE_NUMBERS = (2.0, 0.5, -1.0, 3.0, 1.5, -2.0, 0.0, 1.0, -0.5, 0.25)


# --------------------------------------------------------------------------------------------
# Floats
# --------------------------------------------------------------------------------------------


def finite_floats(
    min_value: float = -10.0, max_value: float = 10.0, *, min_magnitude: float = 0.0
) -> st.SearchStrategy[float]:
    """Well-conditioned floats in ``[min_value, max_value]`` with ``|x| >= min_magnitude``.

    Never nan, inf or subnormal, so derivatives and finite differences at these points are
    meaningful. Use ``min_magnitude`` to keep away from zero (a divisor, a kink).

    >>> from hypothesis import given
    >>> from autograd import gradcheck
    >>> @given(finite_floats(-5, 5, min_magnitude=0.1))
    ... def test_reciprocal(x):
    ...     assert gradcheck(lambda v: 1 / v, [x])
    >>> test_reciprocal()
    """
    for name, bound in (("min_value", min_value), ("max_value", max_value)):
        if not isinstance(bound, int | float) or not math.isfinite(bound):
            raise ValueError(f"finite_floats: {name} must be a finite number, got {bound!r}")
    if min_value > max_value:
        raise ValueError(f"finite_floats: min_value {min_value!r} > max_value {max_value!r}")
    if not isinstance(min_magnitude, int | float) or not 0.0 <= min_magnitude < math.inf:
        raise ValueError(f"finite_floats: min_magnitude must be >= 0, got {min_magnitude!r}")

    def between(low: float, high: float) -> st.SearchStrategy[float]:
        return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)

    if min_magnitude == 0.0:
        return between(min_value, max_value)
    sides = []
    if min_value <= -min_magnitude:
        sides.append(between(min_value, min(max_value, -min_magnitude)))
    if max_value >= min_magnitude:
        sides.append(between(max(min_value, min_magnitude), max_value))
    if not sides:
        raise ValueError(
            f"finite_floats: no float in [{min_value!r}, {max_value!r}] has "
            f"|x| >= {min_magnitude!r}"
        )
    return st.one_of(sides)


# --------------------------------------------------------------------------------------------
# Expression trees
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variable:
    """An input of the expression: ``inputs[index]``, shown as ``name``.

    ``value`` is its value at the drawn point (as in every term).
    """

    index: int
    name: str
    value: float

    def __str__(self) -> str:
        return _format(self)


@dataclass(frozen=True)
class Call:
    """The op named ``op`` applied to ``args``: sub-terms, or plain floats for number operands.

    ``op`` is one of ``OP_NAMES`` except ``"neuron"``, or the name of one of your own ops
    (``expressions(extra_ops=...)``); ``"sum"`` takes two or more args, ``"dot"`` an even
    number: the xs, then as many ys.
    """

    op: str
    args: tuple[Term | float, ...]
    value: float

    def __str__(self) -> str:
        return _format(self)


@dataclass(frozen=True)
class NeuronCall:
    """``activation(weights · inputs + bias)``: one ``fused.neuron`` node.

    Weights and bias are terms (``fused.neuron`` wants Values there); inputs are terms or
    plain floats.
    """

    weights: tuple[Term, ...]
    inputs: tuple[Term | float, ...]
    bias: Term
    activation: str
    value: float

    def __str__(self) -> str:
        return _format(self)


Term = Variable | Call | NeuronCall
"""A node of an expression tree."""

Backend = Mapping[str, Callable[..., Any]]
"""Op name -> function. Binary and unary ops take their operands (a number operand comes as
a float), ``"sum"`` takes one list, ``"dot"`` two (xs and ys), ``"neuron"`` takes (weights,
inputs, bias, activation)."""


@dataclass(frozen=True)
class Expression:
    """A random expression over some variables, with the point it was drawn at.

    ``str(expr)`` is the formula (``exp(x0 * 2.0) + sigmoid(x1)``); the repr adds the point,
    which is what hypothesis shows for a failing (shrunk) example. Call it on Values to build
    the graph, or hand ``evaluate`` another backend:

    >>> from autograd import Value, gradcheck
    >>> from hypothesis import given
    >>> @given(expressions(variables=2))
    ... def test_gradients(expr):
    ...     leaves = [Value(x) for x in expr.values]
    ...     assert abs(expr(*leaves).data - expr.value) <= 1e-9 * (1 + abs(expr.value))
    ...     assert gradcheck(expr, expr.values, order=2)
    >>> test_gradients()

    Attributes:
        root: the top term of the tree.
        names: the variables' names, ``("x0", "x1", ...)``; input i is ``names[i]``.
        values: the drawn point, one float per variable, in the same order.
        extra_ops: your own ops the tree may use (``expressions(extra_ops=...)``), by name;
            the default backend calls them on Values.
    """

    root: Term
    names: tuple[str, ...]
    values: tuple[float, ...]
    extra_ops: Mapping[str, Callable[..., Any]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def value(self) -> float:
        """The expression's value at ``values``, computed with plain floats (``FLOAT_OPS``)."""
        return self.root.value

    def __call__(self, *inputs: Value) -> Value:
        """Evaluate on Values (one per variable), building their graph: ``expr(x0, x1)``."""
        result: Value = self.evaluate(inputs)
        return result

    def evaluate(self, inputs: Sequence[Any], ops: Backend | None = None) -> Any:
        """Evaluate with a backend: ``ops`` maps every name in ``OP_NAMES`` to a function.

        The default backend is ``VALUE_OPS`` plus ``extra_ops`` (``inputs`` are Values). With
        ``FLOAT_OPS`` and ``inputs=expr.values`` it gives ``expr.value`` back; with a mapping
        to torch functions and float64 tensors it gives PyTorch's result for the same tree.
        Another backend needs a function for each of your own ops too, under its name.
        """
        if len(inputs) != len(self.names):
            raise TypeError(
                f"Expression: expected {len(self.names)} inputs ({', '.join(self.names)}), "
                f"got {len(inputs)}"
            )
        backend = {**VALUE_OPS, **self.extra_ops} if ops is None else ops
        missing = [name for name in self.ops_used() if name not in backend]
        if missing:
            raise KeyError(f"Expression.evaluate: the backend has no function for {missing}")
        return _evaluate(self.root, inputs, backend)

    def leaves(self) -> list[Value]:
        """Fresh leaf Values at the drawn point, labelled with the variables' names."""
        return [Value(x, label=name) for name, x in zip(self.names, self.values, strict=True)]

    def terms(self) -> Iterator[Term]:
        """Every term of the tree, each before its operands (pre-order), the root first."""
        stack: list[Term] = [self.root]
        while stack:
            term = stack.pop()
            yield term
            stack.extend(reversed(_subterms(term)))

    def ops_used(self) -> frozenset[str]:
        """The op names (from ``OP_NAMES``) that occur in the tree."""
        return frozenset(
            "neuron" if isinstance(t, NeuronCall) else t.op
            for t in self.terms()
            if not isinstance(t, Variable)
        )

    def __str__(self) -> str:
        return _format(self.root)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis (and IPython) print through this hook: show the formula, not the fields.
        printer.text(repr(self))

    def __repr__(self) -> str:
        point = ", ".join(f"{name}={x!r}" for name, x in zip(self.names, self.values, strict=True))
        return f"<Expression {self} at {point}>"


def _subterms(term: Term) -> list[Term]:
    if isinstance(term, Variable):
        return []
    if isinstance(term, Call):
        return [a for a in term.args if not isinstance(a, float)]
    inputs = [x for x in term.inputs if not isinstance(x, float)]
    return [*term.weights, *inputs, term.bias]


def _evaluate(term: Term | float, inputs: Sequence[Any], ops: Backend) -> Any:
    if isinstance(term, float):
        return term
    if isinstance(term, Variable):
        return inputs[term.index]
    if isinstance(term, Call):
        args = [_evaluate(a, inputs, ops) for a in term.args]
        if term.op == "sum":
            return ops["sum"](args)
        if term.op == "dot":
            n = len(args) // 2
            return ops["dot"](args[:n], args[n:])
        return ops[term.op](*args)
    weights = [_evaluate(w, inputs, ops) for w in term.weights]
    xs = [_evaluate(x, inputs, ops) for x in term.inputs]
    return ops["neuron"](weights, xs, _evaluate(term.bias, inputs, ops), term.activation)


def _format(term: Term | float, operand: bool = False) -> str:
    """The formula of a term. ``operand``: it stands next to an infix operator."""
    if isinstance(term, float):
        shown = repr(term)
        return f"({shown})" if operand and math.copysign(1.0, term) < 0 else shown
    if isinstance(term, Variable):
        return term.name
    if isinstance(term, NeuronCall):
        weights = ", ".join(_format(w) for w in term.weights)
        xs = ", ".join(_format(x) for x in term.inputs)
        return f"neuron_{term.activation}(w=[{weights}], x=[{xs}], b={_format(term.bias)})"
    if term.op in _SYMBOLS:
        left, right = term.args
        text = f"{_format(left, True)} {_SYMBOLS[term.op]} {_format(right, True)}"
    elif term.op == "neg":
        text = f"-{_format(term.args[0], True)}"
    elif term.op == "dot":
        n = len(term.args) // 2
        xs, ys = (", ".join(_format(a) for a in part) for part in (term.args[:n], term.args[n:]))
        return f"dot([{xs}], [{ys}])"
    else:
        return f"{term.op}({', '.join(_format(a) for a in term.args)})"
    return f"({text})" if operand else text


# --------------------------------------------------------------------------------------------
# Backends
# --------------------------------------------------------------------------------------------


def _value_sum(values: Sequence[Value | float]) -> Value:
    return Value.sum(values)


def _value_dot(xs: Sequence[Value | float], ys: Sequence[Value | float]) -> Value:
    return Value.dot(xs, ys)


def _value_neuron(
    weights: Sequence[Value], inputs: Sequence[Value | float], bias: Value, activation: str
) -> Value:
    from nn.neuron import neuron  # (temporary: autograd.testing is being rebuilt)

    return neuron(weights, inputs, bias, activation)


VALUE_OPS: Backend = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
    "neg": operator.neg,
    "abs": operator.abs,
    # Looked up at each call (not taken from the class now), so that an expression is built
    # by whichever methods Value has then: value.py's own or their fast twins (fast_ops.py).
    **{name: operator.methodcaller(name) for name in UNARY_OPS if name not in ("neg", "abs")},
    "maximum": Value.maximum,
    "minimum": Value.minimum,
    "sum": _value_sum,
    "dot": _value_dot,
    "neuron": _value_neuron,
}
"""The engine as a backend: ``expr.evaluate(leaves, VALUE_OPS)`` is ``expr(*leaves)``."""


# A float reference written from the formulas, independently of autograd/ops.py, so that
# comparing it with the engine's forward values is a real check.
def _float_sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    return math.exp(x) / (1.0 + math.exp(x))


def _float_gelu(x: float) -> float:
    return 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0)))


_FLOAT_ACTIVATIONS: dict[str, Callable[[float], float]] = {
    "linear": lambda z: z,
    "relu": lambda z: max(z, 0.0),
    "tanh": math.tanh,
    "sigmoid": _float_sigmoid,
    "leaky_relu": lambda z: z if z > 0 else 0.01 * z,
    "elu": lambda z: z if z > 0 else math.exp(z) - 1.0,
    "gelu": _float_gelu,
    "silu": lambda z: z / (1.0 + math.exp(-z)),
    "softplus": lambda z: math.log1p(math.exp(z)),  # the inputs here are at most BOUND
}


def _float_dot(xs: Sequence[float], ys: Sequence[float]) -> float:
    return math.fsum(x * y for x, y in zip(xs, ys, strict=True))


def _float_neuron(
    weights: Sequence[float], inputs: Sequence[float], bias: float, activation: str
) -> float:
    z = math.fsum([*(w * x for w, x in zip(weights, inputs, strict=True)), bias])
    return _FLOAT_ACTIVATIONS[activation](z)


FLOAT_OPS: Backend = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
    "neg": operator.neg,
    "abs": abs,
    "exp": math.exp,
    "log": math.log,
    "tanh": math.tanh,
    "sigmoid": _float_sigmoid,
    "relu": _FLOAT_ACTIVATIONS["relu"],
    "sqrt": math.sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "atan": math.atan,
    "log1p": math.log1p,
    "expm1": math.expm1,
    "erf": math.erf,
    "erfc": math.erfc,
    **{
        name: _FLOAT_ACTIVATIONS[name] for name in ("softplus", "gelu", "silu", "leaky_relu", "elu")
    },
    "maximum": max,
    "minimum": min,
    "sum": math.fsum,
    "dot": _float_dot,
    "neuron": _float_neuron,
}
"""Plain-float reference backend (``math``): ``expr.evaluate(expr.values, FLOAT_OPS)``."""


# --------------------------------------------------------------------------------------------
# Which op fits where: domains, kinks and the magnitude bound
# --------------------------------------------------------------------------------------------


def _unary_fits(op: str, x: float) -> bool:
    """True when ``op(x)`` is inside the op's domain, away from kinks, and within BOUND."""
    if op in ("log", "sqrt") and not x > MARGIN:
        return False
    if op in ("abs", "relu", "leaky_relu", "elu") and not abs(x) > MARGIN:
        return False
    if op == "log1p" and not x > -1.0 + MARGIN:
        return False
    if op in ("exp", "expm1") and not abs(x) <= _EXP_LIMIT:
        return False
    result: float = FLOAT_OPS[op](x)
    return abs(result) <= BOUND


def _binary_fits(op: str, left: Term | float, right: Term | float) -> bool:
    """True when ``left op right`` is well inside the op's domain and within BOUND."""
    a, b = _value(left), _value(right)
    if op == "div" and not abs(b) > MARGIN:
        return False
    if op in ("maximum", "minimum") and not abs(a - b) > MARGIN:  # away from the tie
        return False
    if op == "pow":
        if not isinstance(right, float):
            # A Value exponent: d/db a**b = a**b * log(a) needs a positive base.
            if not a > MARGIN:
                return False
        elif b.is_integer():
            if b < 0 and not abs(a) > MARGIN:  # 0 ** -1 is a division by zero
                return False
        elif not a > MARGIN:  # a fractional power of a negative base is complex
            return False
    result: float = FLOAT_OPS[op](a, b)
    return abs(result) <= BOUND


def _activation_fits(activation: str, z: float) -> bool:
    if activation in ("relu", "leaky_relu", "elu") and not abs(z) > MARGIN:
        return False
    return abs(_FLOAT_ACTIVATIONS[activation](z)) <= BOUND


# --------------------------------------------------------------------------------------------
# Your own ops
# --------------------------------------------------------------------------------------------

Domain = Callable[..., bool] | tuple[float, float]
"""Where one of your ops may be applied: a predicate on its operands' values
(``lambda x: x > -0.9``, ``lambda a, b: a != b``), or an interval ``(low, high)`` that every
operand must lie in (both ends included). State it with a margin around any point where the
op is undefined or has a kink, so finite differences there are accurate."""

UserOp = Callable[..., Any] | tuple[Callable[..., Any], Domain]
"""An item of ``expressions(extra_ops=...)``: the op alone, or ``(op, domain)``."""


@dataclass(frozen=True)
class _UserOp:
    """One of your ops, ready for the builder: its name, arity and domain test."""

    name: str
    function: Callable[..., Any]
    arity: int
    domain: Domain | None

    def value(self, operands: Sequence[float]) -> float | None:
        """The op's value at ``operands`` when they fit it (domain, finite, within BOUND)."""
        if self.domain is not None and not _in_domain(self.domain, operands):
            return None
        try:
            with no_grad():  # only the number is needed here
                out = self.function(*[Value(x) for x in operands])
        except (ArithmeticError, ValueError) as error:
            shown = ", ".join(repr(x) for x in operands)
            raise ValueError(
                f"expressions: {self.name}({shown}) raised {type(error).__name__}: {error}; "
                f"state a domain for {self.name} that leaves this point out "
                f"(extra_ops=[({self.name}, domain)])"
            ) from error
        result = float(out.data if isinstance(out, Value) else out)
        return result if abs(result) <= BOUND else None


def _in_domain(domain: Domain, operands: Sequence[float]) -> bool:
    if isinstance(domain, tuple):
        low, high = domain
        return all(low <= x <= high for x in operands)
    return bool(domain(*operands))


def _user_ops(extra_ops: Iterable[UserOp]) -> dict[str, _UserOp]:
    """Check ``extra_ops`` and describe each op: name, arity, domain."""
    if isinstance(extra_ops, tuple) and len(extra_ops) == 2 and callable(extra_ops[0]):
        raise TypeError(
            "expressions: extra_ops must be a list of ops or (op, domain) pairs; "
            "wrap a single pair in a list: extra_ops=[(op, domain)]"
        )
    user_ops: dict[str, _UserOp] = {}
    for item in extra_ops:
        function, domain = item if isinstance(item, tuple) else (item, None)
        if not callable(function):
            raise TypeError(f"expressions: extra_ops: {function!r} is not callable")
        name = getattr(function, "__name__", "")
        if not name.isidentifier():
            raise ValueError(
                f"expressions: extra_ops: {function!r} needs a name to be shown in formulas: "
                "use a def (or define_op) instead of a lambda"
            )
        if name in OP_NAMES or name in user_ops:
            raise ValueError(f"expressions: extra_ops: the name {name!r} is already taken")
        user_ops[name] = _UserOp(name, function, _arity(name, function), _domain(name, domain))
    return user_ops


def _arity(name: str, function: Callable[..., Any]) -> int:
    """How many operands ``function`` takes: its positional parameters without a default."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        parameters = None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if parameters is None or any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        raise ValueError(
            f"expressions: extra_ops: cannot tell how many operands {name} takes; "
            f"give it a fixed list of parameters (def {name}(x): ...)"
        )
    arity = sum(1 for p in parameters if p.kind in positional and p.default is p.empty)
    if arity < 1:
        raise ValueError(f"expressions: extra_ops: {name} must take at least one operand")
    return arity


def _domain(name: str, domain: object) -> Domain | None:
    if domain is None or callable(domain):
        return domain  # a predicate, or None: everywhere
    if isinstance(domain, tuple) and len(domain) == 2:
        low, high = domain
        if isinstance(low, int | float) and isinstance(high, int | float) and low <= high:
            return (float(low), float(high))
    raise ValueError(
        f"expressions: extra_ops: the domain of {name} must be a predicate or an interval "
        f"(low, high) with low <= high, got {domain!r}"
    )


class _Builder:
    """Grows one expression bottom-up: operands first, then an op that fits their values."""

    def __init__(
        self,
        draw: st.DrawFn,
        variables: tuple[Variable, ...],
        ops: frozenset[str],
        user_ops: Mapping[str, _UserOp],
    ) -> None:
        self.draw = draw
        self.variables = variables
        # The ops to draw from, weighted like the engine's op table: a binary operator once
        # per operand form (Value op Value, Value op number, number op Value) and a neuron
        # once per activation. In OP_NAMES order: hypothesis shrinks towards "add". Your own
        # ops, which are what you are testing, come as often as a binary operator.
        self.ops = [op for op in OP_NAMES if op in ops and op != "neuron"]
        self.ops += [op for op in self.ops if op in BINARY_OPS] * 2
        if "neuron" in ops:
            self.ops += [f"neuron_{activation}" for activation in ACTIVATIONS]
        self.ops += [name for name in user_ops] * 3
        self.user_ops = user_ops
        self.unary_ops = [op for op in UNARY_OPS if op in ops]
        self.unary_ops += [name for name, op in user_ops.items() if op.arity == 1]
        self.binary_ops = [op for op in BINARY_OPS if op in ops]
        self.numbers = st.one_of(st.sampled_from(_NICE_NUMBERS), finite_floats(-4.0, 4.0))

    def term(self, depth: int) -> Term:
        """A variable (always at depth 0, a quarter of the time above), else a compound."""
        if depth <= 0 or self.draw(st.integers(0, 3)) == 0:
            return self.variables[self.draw(st.integers(0, len(self.variables) - 1))]
        return self.compound(depth)

    def compound(self, depth: int) -> Term:
        """An op applied to operands of depth < ``depth``.

        The op is drawn first, uniformly, so that ops with narrow domains (``**``, ``log``)
        are as frequent as the others; when its operands turn out not to fit it, another op
        that fits them is drawn instead.
        """
        wanted = self.draw(st.sampled_from(self.ops))
        if wanted in self.user_ops and self.user_ops[wanted].arity > 1:
            return self.user_call(depth - 1, wanted)
        if wanted == "sum":
            return self.sum(depth - 1)
        if wanted == "dot":
            return self.dot(depth - 1)
        if wanted.startswith("neuron_"):
            return self.neuron(depth - 1, wanted.removeprefix("neuron_"))
        if wanted in self.unary_ops:
            return self.unary(depth - 1, wanted)
        return self.binary(depth - 1, wanted)

    def number(self) -> float:
        """A plain-number operand: a short one, or any float in [-4, 4]."""
        return float(self.draw(self.numbers))

    def term_or_number(self, depth: int) -> Term | float:
        """A number a third of the time, else a term (for sum and dot items, neuron inputs)."""
        return self.number() if self.draw(st.integers(0, 2)) == 0 else self.term(depth)

    def unary(self, depth: int, wanted: str) -> Term:
        """``wanted(child)``, or another one-operand op when the child's value does not fit."""
        child = self.term(depth)
        value = self.unary_value(wanted, child.value)
        op = wanted
        if value is None:
            fitting = [op for op in self.unary_ops if self.unary_value(op, child.value) is not None]
            if not fitting:
                return child
            op = self.draw(st.sampled_from(fitting))
            value = self.unary_value(op, child.value)
        assert value is not None
        return Call(op, (child,), value)

    def unary_value(self, op: str, x: float) -> float | None:
        """``op(x)`` when it fits (inside the domain, away from kinks, within BOUND)."""
        if op in self.user_ops:
            return self.user_ops[op].value([x])
        return FLOAT_OPS[op](x) if _unary_fits(op, x) else None

    def user_call(self, depth: int, name: str) -> Term:
        """One of your ops of two or more operands, if they fit its domain, else the first."""
        op = self.user_ops[name]
        first = self.term(depth)  # at least one Value, so the call depends on the variables
        args = (first, *(self.term_or_number(depth) for _ in range(op.arity - 1)))
        value = op.value([_value(a) for a in args])
        if value is None:
            return first
        return Call(name, args, value)

    def binary(self, depth: int, wanted: str) -> Term:
        """``left wanted right`` (either side may be a number), or another operator that fits."""
        # Which operand, if any, is a plain number: 0 neither, 1 the right, 2 the left.
        form = self.draw(st.integers(0, 2))
        left: Term | float
        right: Term | float
        if form == 2:
            left, right = self.number(), self.term(depth)
        else:
            left = self.term(depth)
            right = self.number() if form == 1 else self.term(depth)
        if _binary_fits(wanted, left, right):
            op = wanted
        else:
            fitting = [op for op in self.binary_ops if _binary_fits(op, left, right)]
            if not fitting:
                return left if not isinstance(left, float) else self.variables[0]
            op = self.draw(st.sampled_from(fitting))
        return Call(op, (left, right), FLOAT_OPS[op](_value(left), _value(right)))

    def sum(self, depth: int) -> Term:
        """``Value.sum`` of two or three items, the first of them a term."""
        first = self.term(depth)  # at least one Value, so the sum depends on the variables
        rest = [self.term_or_number(depth) for _ in range(self.draw(st.integers(1, 2)))]
        args = (first, *rest)
        total = math.fsum(_value(a) for a in args)
        if not abs(total) <= BOUND:
            return first
        return Call("sum", args, total)

    def dot(self, depth: int) -> Term:
        """``Value.dot`` of one or two pairs, the first x a term."""
        size = self.draw(st.integers(1, 2))
        first = self.term(depth)  # at least one Value, so the result depends on the variables
        xs = (first, *(self.term_or_number(depth) for _ in range(size - 1)))
        ys = tuple(self.term_or_number(depth) for _ in range(size))
        value = _float_dot([_value(x) for x in xs], [_value(y) for y in ys])
        if not abs(value) <= BOUND:
            return first
        return Call("dot", (*xs, *ys), value)

    def neuron(self, depth: int, wanted: str) -> Term:
        """A one- or two-input neuron with the ``wanted`` activation if it fits, else another."""
        size = self.draw(st.integers(1, 2))
        weights = tuple(self.term(depth) for _ in range(size))
        inputs = tuple(self.term_or_number(depth) for _ in range(size))
        bias = self.term(depth)
        ws, xs = [w.value for w in weights], [_value(x) for x in inputs]
        z = math.fsum([*(w * x for w, x in zip(ws, xs, strict=True)), bias.value])
        if _activation_fits(wanted, z):
            activation = wanted
        else:  # tanh and sigmoid always fit
            fitting = [a for a in ACTIVATIONS if _activation_fits(a, z)]
            activation = self.draw(st.sampled_from(fitting))
        value = _float_neuron(ws, xs, bias.value, activation)
        return NeuronCall(weights, inputs, bias, activation, value)


def _value(operand: Term | float) -> float:
    """The value of an operand at the drawn point."""
    return operand if isinstance(operand, float) else operand.value


def expressions(
    variables: int = 2,
    *,
    max_depth: int = 4,
    ops: Iterable[str] = OP_NAMES,
    values: st.SearchStrategy[float] | None = None,
    extra_ops: Iterable[UserOp] = (),
) -> st.SearchStrategy[Expression]:
    """Random ``Expression``s in ``variables`` inputs, well inside every op's domain.

    The variables' values are drawn first (from ``values``, default ``finite_floats(-3, 3)``);
    then the tree is grown bottom-up, and each node picks only among the ops (from ``ops``)
    that fit its operands' values: inside the domain with a margin of 0.1, away from the
    kinks of relu and abs, and with a result of magnitude <= 10. ``max_depth`` bounds the
    nesting. Hypothesis shrinks a failure to a small tree with short numbers.

    >>> from hypothesis import given
    >>> from autograd import gradcheck
    >>> @given(expressions(variables=1, ops={"mul", "sin", "log", "sum"}))
    ... def test_first_and_second_derivatives(expr):
    ...     assert gradcheck(expr, expr.values, order=2)
    >>> test_first_and_second_derivatives()

    ``extra_ops`` adds your own ops (made with ``define_op``, or any named function of
    Values), each as the function alone (fit everywhere) or as ``(function, domain)``: a
    predicate on the operands' values or an interval ``(low, high)`` they must lie in (see
    `Domain`). Its name (``__name__``) appears in formulas, its number of operands is that of
    its parameters, and the tree uses it as often as a binary operator, also where a
    one-operand op does not fit. A point where it raises although the domain includes it is
    reported as an error.

    >>> def softsign(x):
    ...     return x / (1 + abs(x))
    >>> def log_plus_one(x):
    ...     return (x + 1).log()
    >>> @given(expressions(extra_ops=[softsign, (log_plus_one, lambda x: x > -0.9)]))
    ... def test_my_ops_inside_expressions(expr):
    ...     assert gradcheck(expr, expr.values)
    >>> test_my_ops_inside_expressions()
    """
    if not isinstance(variables, int) or isinstance(variables, bool) or variables < 1:
        raise ValueError(f"expressions: variables must be an int >= 1, got {variables!r}")
    if not isinstance(max_depth, int) or isinstance(max_depth, bool) or not 1 <= max_depth <= 8:
        raise ValueError(f"expressions: max_depth must be an int in 1..8, got {max_depth!r}")
    if isinstance(ops, str):
        raise TypeError(f"expressions: ops must be a collection of op names, got {ops!r}")
    chosen = frozenset(ops)
    unknown = sorted(chosen - set(OP_NAMES))
    if unknown:
        raise ValueError(f"expressions: unknown ops {unknown}; choose among {OP_NAMES}")
    if not chosen:
        raise ValueError("expressions: ops must name at least one op")
    user_ops = _user_ops(extra_ops)
    return _expressions(
        variables,
        max_depth,
        chosen,
        finite_floats(-3.0, 3.0) if values is None else values,
        user_ops,
    )


@st.composite
def _expressions(
    draw: st.DrawFn,
    variables: int,
    max_depth: int,
    ops: frozenset[str],
    values: st.SearchStrategy[float],
    user_ops: Mapping[str, _UserOp],
) -> Expression:
    names = tuple(f"x{i}" for i in range(variables))
    point = []
    for name in names:
        x = draw(values)
        if not isinstance(x, int | float) or not math.isfinite(x):
            raise ValueError(f"expressions: values drew {x!r} for {name}; need finite floats")
        point.append(float(x))
    leaves = tuple(
        Variable(i, name, x) for i, (name, x) in enumerate(zip(names, point, strict=True))
    )
    root = _Builder(draw, leaves, ops, user_ops).compound(max_depth)
    functions = {name: op.function for name, op in user_ops.items()}
    return Expression(root=root, names=names, values=tuple(point), extra_ops=functions)
