"""`Value`: one scalar in a computation graph, and the operators that grow the graph.

A Value holds a number (``data``), the derivative of some output with respect to it (``grad``,
filled in by ``backward()``), an optional ``label`` for drawings, the Values it was computed
from (``parents``, in operand order), the op that made it (``op``, an entry of the op table in
``ops.py``) and, for ops such as ``x * 2.5``, the plain-number operand (``const``).

Every operator and method below is one line: it picks an op from the table and hands it to
`apply`, which runs the op's forward and builds the node. The derivative rules are in the
table too; ``backward.py`` sweeps the graph and asks them for the gradients.

What runs is what you read here: nothing replaces these methods. (Speed comes from
``autograd.compile``, which writes a graph's forward and backward out as Python.)

A node holds no closures and no reference to its children, so a graph has no reference
cycles: when the last name for the output goes away, the whole graph is freed at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, SupportsIndex

from autograd.backward import backward as run_backward
from autograd.mode import is_grad_enabled
from autograd.ops import OPS, Op
from autograd.pickling import copy_node, reduce_node
from autograd.validate import check_label, finite_float

__all__ = ["Number", "Value", "apply"]

Number = int | float


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
        op: the `Op` that made this node (``c.op.symbol == "+"``); None for a leaf.
        const: the plain-number operand of ops such as ``x * 2.5``, else None.
    """

    __slots__ = ("_label", "const", "data", "grad", "op", "parents")

    def __init__(
        self,
        data: Number,
        label: str = "",
        parents: tuple[Value, ...] = (),
        op: Op | None = None,
        const: float | None = None,
    ) -> None:
        """A Value holding ``data``. Made with a number alone it is a leaf, such as an input
        or a weight; `apply` passes the ``parents``, ``op`` and ``const`` of an op's result."""
        # A leaf's number comes from the user and is checked here; an op's result was checked
        # by apply().
        self.data = finite_float(data, "Value") if op is None else data
        if tracer is not None and op is None:  # compile tells fn's own leaves from live ones
            tracer.made(self)
        self.grad = 0.0
        self._label = label if type(label) is str else check_label(label)
        self.parents = parents
        self.op = op
        self.const = const

    @property
    def label(self) -> str:
        """A name for drawings and reprs; must be a str."""
        return self._label

    @label.setter
    def label(self, text: str) -> None:
        self._label = check_label(text)

    def __repr__(self) -> str:
        op = f", op={self.op.symbol!r}" if self.op else ""
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{op}{label})"

    def __float__(self) -> float:
        if tracer is not None:  # inside compile, a plain number would be baked into the code
            tracer.converted(self)
        return self.data

    def __bool__(self) -> bool:
        return _seen(self, "!=", 0.0, self.data != 0.0)

    # Comparisons look at .data and return plain bools. Equality and hashing stay those of
    # object identity: two nodes holding the same number are still two nodes of the graph.
    def __lt__(self, other: Value | Number) -> bool:
        return _seen(self, "<", other, self.data < _number(other))

    def __le__(self, other: Value | Number) -> bool:
        return _seen(self, "<=", other, self.data <= _number(other))

    def __gt__(self, other: Value | Number) -> bool:
        return _seen(self, ">", other, self.data > _number(other))

    def __ge__(self, other: Value | Number) -> bool:
        return _seen(self, ">=", other, self.data >= _number(other))

    # -- arithmetic: a Value with a Value, or with a plain number on either side -----------------

    def __add__(self, other: Value | Number) -> Value:
        return _binary(OPS["add"], OPS["add_const"], self, other)

    def __radd__(self, other: Number) -> Value:
        # c + x is stored as x + c: addition commutes, and one op suffices.
        return _with_number(OPS["add_const"], self, other)

    def __sub__(self, other: Value | Number) -> Value:
        return _binary(OPS["sub"], OPS["sub_const"], self, other)

    def __rsub__(self, other: Number) -> Value:
        return _with_number(OPS["rsub_const"], self, other)

    def __mul__(self, other: Value | Number) -> Value:
        return _binary(OPS["mul"], OPS["mul_const"], self, other)

    def __rmul__(self, other: Number) -> Value:
        return _with_number(OPS["mul_const"], self, other)

    def __truediv__(self, other: Value | Number) -> Value:
        return _binary(OPS["div"], OPS["div_const"], self, other)

    def __rtruediv__(self, other: Number) -> Value:
        return _with_number(OPS["rdiv_const"], self, other)

    def __pow__(self, other: Value | Number) -> Value:
        return _binary(OPS["pow"], OPS["pow_const"], self, other)

    def __rpow__(self, other: Number) -> Value:
        return _with_number(OPS["rpow_const"], self, other)

    def __neg__(self) -> Value:
        return apply(OPS["neg"], (self,))

    def __abs__(self) -> Value:
        return apply(OPS["abs"], (self,))

    # -- functions ----------------------------------------------------------------------------

    def exp(self) -> Value:
        """e to the power of this value."""
        return apply(OPS["exp"], (self,))

    def log(self) -> Value:
        """Natural logarithm; the value must be > 0."""
        return apply(OPS["log"], (self,))

    def sqrt(self) -> Value:
        """Square root; the value must be >= 0 (and > 0 to take its derivative)."""
        return apply(OPS["sqrt"], (self,))

    def tanh(self) -> Value:
        """Hyperbolic tangent, in (-1, 1)."""
        return apply(OPS["tanh"], (self,))

    def sigmoid(self) -> Value:
        """The logistic function 1 / (1 + e^-x), in (0, 1); stable for any finite x."""
        return apply(OPS["sigmoid"], (self,))

    def relu(self) -> Value:
        """max(0, x); its derivative at 0 is taken to be 0, as in PyTorch."""
        return apply(OPS["relu"], (self,))

    def sin(self) -> Value:
        """Sine (radians)."""
        return apply(OPS["sin"], (self,))

    def cos(self) -> Value:
        """Cosine (radians)."""
        return apply(OPS["cos"], (self,))

    def tan(self) -> Value:
        """Tangent (radians); finite for every float (none is exactly a pole)."""
        return apply(OPS["tan"], (self,))

    def atan(self) -> Value:
        """Arctangent, in (-π/2, π/2)."""
        return apply(OPS["atan"], (self,))

    def log1p(self) -> Value:
        """log(1 + x), accurate for tiny x; the value must be > -1."""
        return apply(OPS["log1p"], (self,))

    def expm1(self) -> Value:
        """e ** x - 1, accurate for tiny x."""
        return apply(OPS["expm1"], (self,))

    def softplus(self) -> Value:
        """log(1 + e^x), stable for any finite x (no threshold shortcut)."""
        return apply(OPS["softplus"], (self,))

    def gelu(self) -> Value:
        """x · Φ(x), Φ the standard normal distribution function (the exact, erf form)."""
        return apply(OPS["gelu"], (self,))

    def silu(self) -> Value:
        """x · sigmoid(x) (also called swish)."""
        return apply(OPS["silu"], (self,))

    def erf(self) -> Value:
        """The error function, in [-1, 1]."""
        return apply(OPS["erf"], (self,))

    def erfc(self) -> Value:
        """1 - erf(x), accurate where erf(x) is near 1."""
        return apply(OPS["erfc"], (self,))

    def leaky_relu(self, negative_slope: Number = 0.01) -> Value:
        """x for x > 0, else negative_slope · x; at 0 the slope is negative_slope (PyTorch)."""
        return apply(OPS["leaky_relu"], (self,), finite_float(negative_slope, "leaky_relu"))

    def elu(self, alpha: Number = 1.0) -> Value:
        """x for x > 0, else alpha · (e^x - 1); at 0 the slope is alpha (PyTorch)."""
        return apply(OPS["elu"], (self,), finite_float(alpha, "elu"))

    @staticmethod
    def maximum(a: Value | Number, b: Value | Number) -> Value:
        """The larger of a and b as a node; a tie splits the gradient 0.5 / 0.5 (PyTorch)."""
        return apply(OPS["maximum"], (_as_value(a, "maximum"), _as_value(b, "maximum")))

    @staticmethod
    def minimum(a: Value | Number, b: Value | Number) -> Value:
        """The smaller of a and b as a node; a tie splits the gradient 0.5 / 0.5 (PyTorch)."""
        return apply(OPS["minimum"], (_as_value(a, "minimum"), _as_value(b, "minimum")))

    @staticmethod
    def sum(values: Iterable[Value | Number]) -> Value:
        """The sum of many values as one node (instead of a chain of ``+`` nodes)."""
        parents = tuple(_as_value(v, "Value.sum") for v in values)
        return apply(OPS["sum"], parents) if parents else Value(0.0)

    @staticmethod
    def dot(xs: Sequence[Value | Number], ys: Sequence[Value | Number]) -> Value:
        """The dot product ``x_1 * y_1 + ... + x_n * y_n`` as one node.

        Its parents are ``(x_1..x_n, y_1..y_n)``; numbers become leaves. ``Value.dot(p, p)``
        is the sum of squares of ``p`` in one node instead of 2n.
        """
        if len(xs) != len(ys):
            raise ValueError(f"Value.dot: {len(xs)} xs but {len(ys)} ys; they must match")
        parents = tuple(_as_value(v, "Value.dot") for v in (*xs, *ys))
        return apply(OPS["dot"], parents) if parents else Value(0.0)

    # -- gradients -------------------------------------------------------------------------

    def backward(self, gradient: Number = 1.0) -> None:
        """Fill in ``.grad`` of every node this one depends on (this node included).

        Seeds d(self)/d(self) = ``gradient`` and sweeps the graph once in reverse topological
        order (``backward.py``). Gradients *accumulate*: calling it twice adds the gradients
        twice, as in PyTorch and micrograd. Reset with ``model.zero_grad()`` or ``v.grad = 0``.
        All or nothing: on any error every ``.grad`` is left as it was.
        """
        run_backward(self, finite_float(gradient, "backward: gradient"))

    def rule_operands(self, as_values: bool = False) -> list[Any]:
        """What this node's derivative rule is given after ``g`` and ``out``.

        The parents' numbers, then ``const`` if the op has one; with ``as_values`` the parents
        themselves (for ``create_graph=True``, where the rule builds new nodes).
        """
        operands: list[Any] = list(self.parents) if as_values else [p.data for p in self.parents]
        return operands if self.const is None else [*operands, self.const]

    # Pickle and deepcopy write the graph parents first, so that any depth works (pickling.py).
    def __reduce_ex__(self, protocol: SupportsIndex) -> Any:
        _copying(self)
        return reduce_node(self, protocol)

    def __copy__(self) -> Value:
        _copying(self)
        return copy_node(self)  # type: ignore[no-any-return]

    def detach(self) -> Value:
        """A new leaf with the same data and label: gradients do not flow through it."""
        return Value(self.data, label=self.label)


tracer: Any = None
"""While ``autograd.compile`` traces a function, the object watching it (``compiler/trace.py``):
told of every leaf made and every comparison, ``bool()`` and ``float()`` of a Value, so that
the compiled code can tell the function's own numbers from live ones and check its branches."""


def _copying(x: Value) -> None:
    if tracer is not None:  # inside compile: a copy is a leaf made without Value(), unseen
        tracer.copied(x)


def _seen(x: Value, symbol: str, other: Value | Number, result: bool) -> bool:
    """``result`` of ``x <symbol> other``, reported to the tracer while one is watching."""
    if tracer is not None:
        tracer.compared(x, symbol, other, result)
    return result


def apply(op: Op, parents: tuple[Value, ...], const: float | None = None) -> Value:
    """Run ``op`` forward on the parents' numbers (and the constant); return the new node.

    The node remembers its parents, op and constant only when gradients are recorded (not
    inside ``no_grad()``): otherwise it is a plain leaf.
    """
    operands = [p.data for p in parents] if const is None else [parents[0].data, const]
    data = op.forward(*operands)
    if not math.isfinite(data):  # finite operands overflowed
        raise OverflowError(f"{op.symbol}: the result is {data} for operands {_shown(operands)}")
    if not is_grad_enabled():
        return Value(data)
    return Value(data, "", parents, op, const)  # (by position: cheaper; DECISIONS.md 20)


def _binary(op: Op, op_with_number: Op, x: Value, other: Value | Number) -> Value:
    if isinstance(other, Value):
        return apply(op, (x, other))
    return _with_number(op_with_number, x, other)


def _with_number(op: Op, x: Value, number: object) -> Value:
    try:
        constant = finite_float(number, op.symbol)
    except TypeError:  # not a number: Python then raises its usual "unsupported operand" error
        return NotImplemented  # type: ignore[no-any-return]
    return apply(op, (x,), constant)


def _number(x: Value | Number) -> float:
    return x.data if isinstance(x, Value) else finite_float(x, "comparison")


def _as_value(x: Value | Number, what: str) -> Value:
    return x if isinstance(x, Value) else Value(finite_float(x, what))


def _shown(operands: Sequence[float]) -> str:
    if len(operands) > 6:
        return f"({len(operands)} numbers)"
    return "(" + ", ".join(repr(x) for x in operands) + ")"
