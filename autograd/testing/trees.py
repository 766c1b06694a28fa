"""Expression trees (what `expressions` draws) and the op set they are made of.

The op set is read off the op table (``autograd.ops.OPS``), not listed here:

* a table op of two Values (``add``, ``pow``, ``maximum``) is a binary op; its forms with a
  number operand (``mul_const``, ``rsub_const``) are the same op with a number on one side;
* an op of one Value (``exp``; ``leaky_relu`` with its parameter at its default) is a unary
  op, called as Value's method of that name (``neg`` and ``abs`` as ``-x`` and ``abs(x)``);
* an op of any number of operands (``sum``: ``x_i``; ``dot``: ``x_i, y_i``) takes one list
  per repeated operand name, as ``Value.sum(xs)`` and ``Value.dot(xs, ys)`` do;

A term's ``value`` is the engine's own number at the drawn point, and `FLOAT_OPS` computes
with the engine on plain numbers: an independent check of the values is PyTorch's
(``tests/test_torch_crosscheck.py``) and mpmath's (``benchmarks/fuzz.py``).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd.mode import no_grad
from autograd.ops import OPS, Op
from autograd.testing.domains import REGIONS, builtin_ops
from autograd.value import Value, apply

__all__ = [
    "BINARY_OPS",
    "FLOAT_OPS",
    "OP_NAMES",
    "UNARY_OPS",
    "VALUE_OPS",
    "VARIADIC_OPS",
    "Backend",
    "Call",
    "Expression",
    "Term",
    "Variable",
    "call_backend",
    "written_as",
]

# --------------------------------------------------------------------------------------------
# The op set, read off the table
# --------------------------------------------------------------------------------------------

INFIX: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}
"""Python's binary operators, by the symbol a table op is drawn with."""


def _value_operands(op: Op) -> tuple[str, ...]:
    """The names of ``op``'s Value operands (its number operand, if any, left out); ``()``
    for an op of any number of operands (``sum``: ``x_i``)."""
    if any(name.endswith("_i") for name in op.names):
        return ()
    if op.constant == "right":
        return op.names[:-1]
    return op.names[1:] if op.constant == "left" else op.names


def written_as(name: str) -> str:
    """The op an expression writes for the table op ``name``: for a form with a number operand
    (``mul_const``, ``rsub_const``), the op of two Values it is a form of (``mul``, ``sub``);
    otherwise ``name`` itself."""
    op = builtin_ops().get(name)
    if op is None or op.constant is None or not name.endswith("_const"):
        return name
    base = name.removesuffix("_const")
    return base if base in OPS else base.removeprefix("r")


def _drawn_ops() -> dict[str, Op]:
    """The table ops an expression is made of, by name: neither a number form of another op
    (``mul_const``) nor an op whose region is None."""
    table = builtin_ops()
    return {
        name: op
        for name, op in table.items()
        if REGIONS.get(name) is not None and written_as(name) == name
    }


def _unary_function(name: str) -> Callable[[Any], Any]:
    """How an expression calls a one-Value op: Value's method (looked up at each call), or
    ``-x`` and ``abs(x)`` for ``neg`` and ``abs``."""
    if hasattr(Value, name):
        return operator.methodcaller(name)
    if hasattr(operator, name):
        function: Callable[[Any], Any] = getattr(operator, name)
        return function
    raise RuntimeError(
        f"autograd.testing: the op {name!r} is neither a method of Value nor an operator; "
        "give it a method in value.py, or mark it None in testing/domains.py"
    )


def _static_function(name: str) -> Callable[..., Any]:
    """``Value.<name>(...)``, looked up at each call."""

    def call(*operands: Any) -> Any:
        return getattr(Value, name)(*operands)

    call.__name__ = name
    return call


def _variadic_function(name: str) -> Callable[..., Any]:
    """``Value.<name>(*lists)`` (``Value.sum(xs)``, ``Value.dot(xs, ys)``), looked up at each
    call; for an op without such a method, the op applied to the lists' items in order
    (numbers become leaves)."""
    if hasattr(Value, name):
        return _static_function(name)
    op = OPS[name]

    def call(*lists: Sequence[Any]) -> Value:
        operands = (x if isinstance(x, Value) else Value(x) for part in lists for x in part)
        return apply(op, tuple(operands))

    call.__name__ = name
    return call


_DRAWN = _drawn_ops()

BINARY_OPS = tuple(name for name, op in _DRAWN.items() if len(_value_operands(op)) == 2)
"""The two-operand ops, by name: ``+ - * / **`` (a Value or a number on either side),
``Value.maximum`` and ``Value.minimum``."""

UNARY_OPS = tuple(name for name, op in _DRAWN.items() if len(_value_operands(op)) == 1)
"""The one-operand ops, by name (``neg`` is unary minus; leaky_relu and elu with their
default parameters)."""

VARIADIC_OPS: dict[str, int] = {
    name: sum(1 for n in op.names if n.endswith("_i"))
    for name, op in _DRAWN.items()
    if any(n.endswith("_i") for n in op.names)
}
"""The ops of any number of operands, with how many lists each takes (``sum`` 1, ``dot`` 2)."""

OP_NAMES = (*BINARY_OPS, *UNARY_OPS, *VARIADIC_OPS)
"""Every op name an ``Expression`` uses and a backend must provide."""

Backend = Mapping[str, Callable[..., Any]]
"""Op name -> function. Binary and unary ops take their operands (a number operand comes as
a float), ``"sum"`` takes one list, ``"dot"`` two (xs and ys)."""

VALUE_OPS: Backend = {
    **{name: INFIX.get(_DRAWN[name].symbol) or _static_function(name) for name in BINARY_OPS},
    **{name: _unary_function(name) for name in UNARY_OPS},
    **{name: _variadic_function(name) for name in VARIADIC_OPS},
}
"""The engine as a backend: ``expr.evaluate(leaves, VALUE_OPS)`` is ``expr(*leaves)``.

Each function is looked up at each call (not taken from the class now), so that an
expression is built by whichever methods Value has then."""


def _on_numbers(name: str) -> Callable[..., float]:
    """The op ``name`` computed by the engine on plain numbers (no graph is recorded)."""

    def compute(*operands: Any) -> float:
        with no_grad():
            if name in VARIADIC_OPS:
                out = VALUE_OPS[name](*operands)
            else:  # the first operand a Value, the other a number: x op c
                out = VALUE_OPS[name](Value(operands[0]), *operands[1:])
        return float(out.data)

    compute.__name__ = name
    return compute


FLOAT_OPS: Backend = {name: _on_numbers(name) for name in OP_NAMES}
"""Plain numbers in, a float out, computed by the engine's forwards:
``expr.evaluate(expr.values, FLOAT_OPS)`` is ``expr.value``."""


def call_backend(ops: Backend, name: str, args: Sequence[Any]) -> Any:
    """Apply the backend's op ``name`` to a Call's flat ``args`` (a variadic op's lists cut
    out of them: ``dot``'s args are the xs, then as many ys)."""
    if name in VARIADIC_OPS:
        size = len(args) // VARIADIC_OPS[name]
        return ops[name](*(list(args[i : i + size]) for i in range(0, len(args), size)))
    return ops[name](*args)


# --------------------------------------------------------------------------------------------
# Terms and expressions
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

    ``op`` is one of ``OP_NAMES``, or the name of one of your own ops
    (``expressions(extra_ops=...)``); ``"sum"`` takes two or more args, ``"dot"`` an even
    number: the xs, then as many ys.
    """

    op: str
    args: tuple[Term | float, ...]
    value: float

    def __str__(self) -> str:
        return _format(self)


Term = Variable | Call
"""A node of an expression tree."""


@dataclass(frozen=True)
class Expression:
    """A random expression over some variables, with the point it was drawn at.

    ``str(expr)`` is the formula (``exp(x0 * 2.0) + sigmoid(x1)``); the repr adds the point,
    which is what hypothesis shows for a failing (shrunk) example. Call it on Values to build
    the graph, or hand ``evaluate`` another backend:

    >>> from autograd import Value, gradcheck
    >>> from hypothesis import given
    >>> from autograd.testing import expressions
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
        """The expression's value at ``values``: the engine's number, as `FLOAT_OPS` gives it."""
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
        return frozenset(t.op for t in self.terms() if not isinstance(t, Variable))

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
    return [a for a in term.args if not isinstance(a, float)]


def _evaluate(term: Term | float, inputs: Sequence[Any], ops: Backend) -> Any:
    if isinstance(term, float):
        return term
    if isinstance(term, Variable):
        return inputs[term.index]
    return call_backend(ops, term.op, [_evaluate(a, inputs, ops) for a in term.args])


def _format(term: Term | float, operand: bool = False) -> str:
    """The formula of a term. ``operand``: it stands next to an infix operator."""
    if isinstance(term, float):
        shown = repr(term)
        return f"({shown})" if operand and math.copysign(1.0, term) < 0 else shown
    if isinstance(term, Variable):
        return term.name
    symbol = _DRAWN[term.op].symbol if term.op in _DRAWN else ""
    if symbol in INFIX and len(term.args) == 2:
        left, right = term.args
        text = f"{_format(left, True)} {symbol} {_format(right, True)}"
    elif VALUE_OPS.get(term.op) is operator.neg:
        text = f"-{_format(term.args[0], True)}"
    elif VARIADIC_OPS.get(term.op, 1) > 1:
        size = len(term.args) // VARIADIC_OPS[term.op]
        lists = [term.args[i : i + size] for i in range(0, len(term.args), size)]
        return (
            f"{term.op}({', '.join('[' + ', '.join(map(_format, part)) + ']' for part in lists)})"
        )
    else:
        return f"{term.op}({', '.join(_format(a) for a in term.args)})"
    return f"({text})" if operand else text
