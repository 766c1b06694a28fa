"""Fast path: twins of `Value`'s operators that build the very nodes ``value.py`` builds.

Every operator in ``value.py`` goes through one general path: `apply` puts the operands in a
list, runs the op's forward, checks the result, asks whether gradients are recorded and calls
``Value(...)``; a plain number is first checked by ``finite_float``. That path is written to be
read. The twins here build the same node directly: the same op's forward on the same numbers,
the same parents, op and constant, no label, gradient 0.0. Only the usual case is theirs (Value
or finite float/int operands, gradients recorded, a finite result); anything else (another
kind of operand, inf or nan, an overflow, ``no_grad()``, a bool or a Fraction) is handed to the
reference method, which does what it always does and raises its own errors.

``import autograd`` calls `install` unless ``GLASSGRAD_ENGINE=reference`` is set at that
moment: then every operator is ``value.py``'s own, as every sweep is ``backward.py``'s. Like the
fast sweep, the twins are held to the reference by a contract test (``tests/test_fast_ops.py``):
generated expressions built both ways must give the same graph, node for node and bit for bit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from typing import Any, TypeVar

from autograd.mode import is_grad_enabled
from autograd.ops import OPS, Op
from autograd.value import Value

__all__ = [
    "REFERENCE_METHODS",
    "TWINS",
    "install",
    "install_unless_reference",
    "installed",
    "uninstall",
]

_new_value = object.__new__
_Twin = TypeVar("_Twin", bound=Callable[..., Value])


def _node(data: float, parents: tuple[Value, ...], op: Op, const: float | None) -> Value:
    """The node ``Value(data, parents=parents, op=op, const=const)`` makes, made directly."""
    node: Any = _new_value(Value)
    node.data = data
    node.grad = 0.0
    node._label = ""
    node.parents = parents
    node.op = op
    node.const = const
    return node  # type: ignore[no-any-return]


def _constant(number: object) -> float | None:
    """``number`` as ``finite_float`` gives it, for a finite float or an int; else None."""
    if type(number) is float:
        return number if number - number == 0.0 else None
    if type(number) is int:
        try:
            return float(number)
        except OverflowError:  # the reference raises, naming the op
            return None
    return None


def _binary(name: str, op: Op, op_with_number: Op) -> Callable[[Value, object], Value]:
    """The twin of ``Value.<name>`` for ``self <op> other``, other a Value or a number."""
    reference = getattr(Value, name)
    forward = op.forward
    with_number = _with_number(name, op_with_number)

    def twin(self: Value, other: object) -> Value:
        if not isinstance(other, Value):
            return with_number(self, other)
        if is_grad_enabled():
            data = forward(self.data, other.data)
            if type(data) is float and data - data == 0.0:  # finite: else the reference raises
                return _node(data, (self, other), op, None)
        return reference(self, other)  # type: ignore[no-any-return]

    return _named(twin, name)


def _with_number(name: str, op: Op) -> Callable[[Value, object], Value]:
    """The twin of ``Value.<name>`` for ``self <op> number`` or ``number <op> self``."""
    reference = getattr(Value, name)
    forward = op.forward

    def twin(self: Value, other: object) -> Value:
        const = _constant(other)
        if const is not None and is_grad_enabled():
            data = forward(self.data, const)
            if type(data) is float and data - data == 0.0:
                return _node(data, (self,), op, const)
        return reference(self, other)  # type: ignore[no-any-return]

    return _named(twin, name)


def _unary(name: str, op: Op) -> Callable[[Value], Value]:
    """The twin of ``Value.<name>()``, an op of the Value alone."""
    reference = getattr(Value, name)
    forward = op.forward

    def twin(self: Value) -> Value:
        if is_grad_enabled():
            data = forward(self.data)
            if type(data) is float and data - data == 0.0:
                return _node(data, (self,), op, None)
        return reference(self)  # type: ignore[no-any-return]

    return _named(twin, name)


def _named(twin: _Twin, name: str) -> _Twin:
    """``twin``, named after the method it stands in for (for tracebacks and ``help``)."""
    twin.__name__ = twin.__qualname__ = name
    twin.__doc__ = f"Twin of value.py's ``Value.{name}`` (autograd/fast_ops.py)."
    return twin


def _sum_twin(values: Iterable[Value | float]) -> Value:
    """Twin of ``Value.sum``: one node over many Values, without a check call per operand."""
    parents = tuple(values)
    if parents and is_grad_enabled() and all(map(isinstance, parents, repeat(Value))):
        data = _SUM.forward(*[p.data for p in parents])  # type: ignore[union-attr]
        if type(data) is float and data - data == 0.0:
            return _node(data, parents, _SUM, None)  # type: ignore[arg-type]
    return _REFERENCE_SUM(parents)


def _dot_twin(xs: Sequence[Value | float], ys: Sequence[Value | float]) -> Value:
    """Twin of ``Value.dot``: one node over (x_1..x_n, y_1..y_n) when all are Values."""
    if len(xs) == len(ys) and xs and is_grad_enabled():
        parents = (*xs, *ys)
        if all(map(isinstance, parents, repeat(Value))):
            data = _DOT.forward(*[p.data for p in parents])  # type: ignore[union-attr]
            if type(data) is float and data - data == 0.0:
                return _node(data, parents, _DOT, None)  # type: ignore[arg-type]
    return _REFERENCE_DOT(xs, ys)


_SUM, _DOT = OPS["sum"], OPS["dot"]
_REFERENCE_SUM, _REFERENCE_DOT = Value.sum, Value.dot

_BINARY = {
    "__add__": ("add", "add_const"),
    "__sub__": ("sub", "sub_const"),
    "__mul__": ("mul", "mul_const"),
    "__truediv__": ("div", "div_const"),
    "__pow__": ("pow", "pow_const"),
}
_REFLECTED = {
    "__radd__": "add_const",  # c + x is stored as x + c, as value.py stores it
    "__rsub__": "rsub_const",
    "__rmul__": "mul_const",
    "__rtruediv__": "rdiv_const",
    "__rpow__": "rpow_const",
}
# Every method of value.py that is `apply(OPS[name], (self,))` and nothing else.
_METHODS = (
    *("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos", "tan", "atan"),
    *("log1p", "expm1", "softplus", "gelu", "silu", "erf", "erfc"),
)
_UNARY = {"__neg__": "neg", "__abs__": "abs"} | {name: name for name in _METHODS}

TWINS: dict[str, Any] = {
    **{
        name: _binary(name, OPS[op], OPS[with_number])
        for name, (op, with_number) in _BINARY.items()
    },
    **{name: _with_number(name, OPS[op]) for name, op in _REFLECTED.items()},
    **{name: _unary(name, OPS[op]) for name, op in _UNARY.items()},
    "sum": staticmethod(_sum_twin),
    "dot": staticmethod(_dot_twin),
}
"""Each twin by the name of the `Value` method it stands in for."""

REFERENCE_METHODS: dict[str, Any] = {name: vars(Value)[name] for name in TWINS}
"""``value.py``'s own methods, by name, as they were before `install`."""


def install() -> None:
    """Put the twins on `Value` (``import autograd`` does, unless GLASSGRAD_ENGINE=reference)."""
    for name, twin in TWINS.items():
        setattr(Value, name, twin)


def uninstall() -> None:
    """Put ``value.py``'s own methods back on `Value`."""
    for name, method in REFERENCE_METHODS.items():
        setattr(Value, name, method)


def installed() -> bool:
    """Whether `Value`'s operators are the twins."""
    return vars(Value)["__add__"] is TWINS["__add__"]


def install_unless_reference() -> None:
    """`install`, unless the environment asks for the reference engine at import."""
    if os.environ.get("GLASSGRAD_ENGINE") != "reference":
        install()
