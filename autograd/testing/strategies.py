"""The hypothesis strategies: `finite_floats` and `expressions` (with your own ops).

`expressions` grows a tree bottom-up: the variables' values first, then at each node an op
that fits its operands' values, as the engine computes them: inside the op's region with a
margin (``domains.py``) and with a result of magnitude at most `BOUND`.

Each call of one of your own ops (``extra_ops``) is scaled by a number other than 1
(``2.0 * my_op(x0)``): its rule then receives an upstream gradient ``g`` other than 1, so a
rule that forgets to multiply by ``g``, or misuses it, gives a wrong gradient, and
``gradcheck(expr, expr.values)`` fails even where the op is the whole expression.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from autograd.mode import no_grad
from autograd.testing.domains import BOUND, fits
from autograd.testing.trees import (
    BINARY_OPS,
    OP_NAMES,
    UNARY_OPS,
    VALUE_OPS,
    VARIADIC_OPS,
    Call,
    Expression,
    Term,
    Variable,
    call_backend,
)
from autograd.value import Value

__all__ = ["UPSTREAM_SCALES", "Domain", "UserOp", "expressions", "finite_floats"]

# Plain numbers used as operands. Short, readable values come first (hypothesis shrinks
# towards them), then any float in a modest range. Integers and non-integers are both there,
# so `**` gets integer exponents (valid on negative bases) and fractional ones.
_NICE_NUMBERS = (2.0, 0.5, -1.0, 3.0, 1.5, -2.0, 0.0, 1.0, -0.5, 0.25)

UPSTREAM_SCALES = (2.0, -0.5, 3.0, 0.0)
"""What each call of one of your ops is multiplied by: upstream gradients other than 1."""


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
        # per operand form (Value op Value, Value op number, number op Value). In OP_NAMES
        # order: hypothesis shrinks towards "add". Your own ops, which are what you are
        # testing, come as often as a binary operator.
        self.ops = [op for op in OP_NAMES if op in ops]
        self.ops += [op for op in self.ops if op in BINARY_OPS] * 2
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
        if wanted in VARIADIC_OPS:
            return self.variadic(depth - 1, wanted)
        if wanted in self.unary_ops:
            return self.unary(depth - 1, wanted)
        return self.binary(depth - 1, wanted)

    def number(self) -> float:
        """A plain-number operand: a short one, or any float in [-4, 4]."""
        return float(self.draw(self.numbers))

    def term_or_number(self, depth: int) -> Term | float:
        """A number a third of the time, else a term (for the items of a variadic op)."""
        return self.number() if self.draw(st.integers(0, 2)) == 0 else self.term(depth)

    def value(self, op: str, args: Sequence[Term | float]) -> float | None:
        """``op(args)`` when it fits: the engine's number, if the operands lie inside the
        region of the op the engine ran (with its margin) and the result within BOUND."""
        if op in self.user_ops:
            return self.user_ops[op].value([_value(a) for a in args])
        operands = [a if isinstance(a, float) else Value(a.value) for a in args]
        try:
            node = call_backend(VALUE_OPS, op, operands)
        except (ArithmeticError, ValueError):
            return None
        return _fitting(node)

    def call(self, op: str, args: tuple[Term | float, ...], value: float) -> Term:
        """``op(args)``; one of your ops multiplied by an upstream gradient other than 1."""
        term = Call(op, args, value)
        if op not in self.user_ops:
            return term
        scale = self.draw(st.sampled_from(UPSTREAM_SCALES))
        if not abs(scale * value) <= BOUND:
            scale = UPSTREAM_SCALES[1]  # |value| <= BOUND, so half of it fits
        return Call("mul", (scale, term), scale * value)

    def unary(self, depth: int, wanted: str) -> Term:
        """``wanted(child)``, or another one-operand op when the child's value does not fit."""
        child = self.term(depth)
        op, value = wanted, self.value(wanted, [child])
        if value is None:
            fitting = [op for op in self.unary_ops if self.value(op, [child]) is not None]
            if not fitting:
                return child
            op = self.draw(st.sampled_from(fitting))
            value = self.value(op, [child])
        assert value is not None
        return self.call(op, (child,), value)

    def user_call(self, depth: int, name: str) -> Term:
        """One of your ops of two or more operands, if they fit its domain, else the first."""
        op = self.user_ops[name]
        first = self.term(depth)  # at least one Value, so the call depends on the variables
        args = (first, *(self.term_or_number(depth) for _ in range(op.arity - 1)))
        value = self.value(name, args)
        return first if value is None else self.call(name, args, value)

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
        op, value = wanted, self.value(wanted, [left, right])
        if value is None:
            fitting = [op for op in self.binary_ops if self.value(op, [left, right]) is not None]
            if not fitting:
                return left if not isinstance(left, float) else self.variables[0]
            op = self.draw(st.sampled_from(fitting))
            value = self.value(op, [left, right])
        assert value is not None
        return Call(op, (left, right), value)

    def variadic(self, depth: int, op: str) -> Term:
        """``Value.sum`` of two or three items, ``Value.dot`` of one or two pairs (an op of
        several lists: one or two items each), the first item a term."""
        lists = VARIADIC_OPS[op]
        size = self.draw(st.integers(2, 3) if lists == 1 else st.integers(1, 2))
        first = self.term(depth)  # at least one Value, so the result depends on the variables
        args = (first, *(self.term_or_number(depth) for _ in range(lists * size - 1)))
        value = self.value(op, args)
        return first if value is None else Call(op, args, value)


def _fitting(node: Value) -> float | None:
    """The node's number, if its operands fit its op's region and the number is within BOUND."""
    assert node.op is not None
    if not fits(node.op, node.rule_operands()) or not abs(node.data) <= BOUND:
        return None
    return float(node.data)


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
    that fit its operands' values: inside the op's region (``domains.py``) with a margin of
    0.1, away from kinks and ties, and with a result of magnitude <= 10. ``max_depth`` bounds
    the nesting. Hypothesis shrinks a failure to a small tree with short numbers.

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
    reported as an error. Each call of it is multiplied by one of `UPSTREAM_SCALES` (2.0,
    -0.5, 3.0 or 0.0), so its derivative rule receives an upstream gradient ``g`` other than
    1: a rule that returns ``d(out)/dx`` without multiplying it by ``g`` fails ``gradcheck``.

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
