"""`define_op`: your own op, in the same table as the built-in ones.

An op is a forward on floats and a derivative rule, exactly as in ``ops.py``; `define_op`
checks them, puts the op in ``OPS`` under its name and gives it back as a function of Values.
From then on it works as a built-in op does: ``backward()`` and ``grad()`` call its rule
(with floats, or with Values under ``create_graph=True``), drawings show its symbol, the
step-through its formula, ``gradcheck`` checks it, and a graph holding it pickles. One thing
differs: what its rule returns is checked at every call (``rule_results.py``), where a
built-in rule's results are trusted (its tests check them).
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Sequence
from typing import Any

from autograd.ops import OPS, DefinedOp, Rule, defined_op
from autograd.validate import finite_float
from autograd.value import Number, Value, apply

__all__ = ["DefinedOp", "OpFunction", "define_op"]


class OpFunction:
    """A user's op as a function: Values or numbers in (a number becomes a leaf), a node out.

    ``op`` is its entry in the table. Made by `define_op`; it pickles by its module and name.
    """

    def __init__(self, op: DefinedOp) -> None:
        """Wrap ``op``."""
        self.op = op
        self.__name__ = self.__qualname__ = op.name
        self.__module__ = op.module
        # The operands' names, as help() and autograd.testing read them.
        kind = (
            inspect.Parameter.VAR_POSITIONAL if op.variadic else inspect.Parameter.POSITIONAL_ONLY
        )
        operands = [op.names[0].removesuffix("_i")] if op.variadic else op.names
        self.__signature__ = inspect.Signature([inspect.Parameter(n, kind) for n in operands])
        self.__doc__ = f"The op {op.name!r} (define_op): Values or numbers in, a Value out."

    def __call__(self, *operands: Value | Number) -> Value:
        """The op applied to ``operands``: a new node (a leaf under ``no_grad()``)."""
        op = self.op
        if not op.variadic and len(operands) != len(op.names):
            raise TypeError(
                f"{op.name}: takes {len(op.names)} operand{'s' * (len(op.names) != 1)} "
                f"({', '.join(op.names)}), got {len(operands)}"
            )
        parents = tuple(
            x if isinstance(x, Value) else Value(finite_float(x, f"{op.name}: operand"))
            for x in operands
        )
        return apply(op, parents)

    def __repr__(self) -> str:
        return f"<op {self.op.name!r} from define_op in {self.op.module}>"

    def __reduce__(self) -> tuple[Callable[[str, str], OpFunction], tuple[str, str]]:
        return op_function, (self.op.module, self.op.name)


def op_function(module: str, name: str) -> OpFunction:
    """The function of the op ``name`` defined in ``module`` (how a pickled one is found)."""
    op = defined_op(module, name)
    if not isinstance(op, DefinedOp):
        raise ValueError(f"{name!r} in the op table is a built-in op, not one from define_op")
    return OpFunction(op)


def define_op(
    name: str,
    forward: Callable[..., float],
    derivative: Rule,
    *,
    symbol: str | None = None,
    formula: str | Sequence[str] | None = None,
    operands: Sequence[str] | None = None,
    writer: Any = None,
    trusted: bool = False,
    off_at_zero: bool = False,
) -> OpFunction:
    """Add your own op to the op table; return it as a function of Values (or numbers).

    Args:
        name: the op's name in the table (an identifier, not a built-in op's name). Defining
            the same name again replaces your earlier op (re-running a notebook cell).
        forward: ``forward(*floats) -> float``, the op on numbers. Its parameters name the
            operands (``lambda x: ...`` takes one, ``x``; ``*xs`` any number). Raise a clear
            error outside the op's domain.
        derivative: ``derivative(g, out, *operands)``, returning a list or tuple of one
            contribution ``g * d(out)/d(operand)`` per operand, as the built-in rules in
            ``ops.py``: forgetting the ``* g`` is the commonest mistake, and `gradcheck`
            catches it. ``backward()`` calls it with floats, ``grad(..., create_graph=True)``
            with Values: written with arithmetic, ``abs()`` and ``autograd.functions``, it can
            be differentiated again. What it returns is checked at every sweep
            (`autograd.rule_results.check_contributions`): ``None`` means no gradient (0.0);
            a number (int, Fraction, numpy scalar) becomes a float; a Value is taken as its
            number in a plain ``backward()``/``grad()`` and kept, as part of the new graph,
            under ``create_graph=True``. Anything else (complex, str, a list, a wrong count)
            is a TypeError or ValueError, and an inf or nan an OverflowError, naming the op
            and the operand, with every ``.grad`` left as it was.
        symbol: what drawings show in the op's box (default: ``name``).
        formula: d(out)/d(operand) as text, one str per operand (default ``∂name/∂x``), for
            the step-through.
        operands: names for the operands of an op that takes any number of them, one per
            kind, for ``formula`` (nn's neuron: ``("w_i", "x_i", "b")``).
        writer: how ``autograd.compile`` writes the op out as inline Python instead of a
            call of its forward and rule: an object with ``forward(out, operands) ->
            (statements, names to check finite)``, ``derivative(g, out, operands) ->
            (statements, contributions)`` and ``namespace() -> dict`` (the functions the
            statements call), all of Python source text. The statements must do the very
            operations of ``forward`` and ``derivative``, in the same order, so the compiled
            numbers stay the engine's (``nn.neuron.NeuronWriter`` is an example).
        trusted: take the forward's result and the rule's contributions as they come, without
            the checks every call (for an op whose tests check them, as nn's neuron).
        off_at_zero: the rule sends back nothing but zeros whenever the result is 0 (a
            relu-like op, off there). ``backward()`` then skips the node, and what only it
            reaches, as it does for ``relu``; `gradcheck` at such a point finds a wrong claim.

    >>> from autograd import Value, grad
    >>> softsign = define_op(
    ...     "softsign", lambda x: x / (1 + abs(x)), lambda g, out, x: (g / (1 + abs(x)) ** 2,)
    ... )
    >>> x = Value(1.0)
    >>> y = softsign(x)
    >>> y.data, grad(y, [x])[0].data
    (0.5, 0.25)
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"define_op: name must be an identifier such as 'softsign', got {name!r}")
    if name in OPS and not isinstance(OPS[name], DefinedOp):
        raise ValueError(f"define_op: {name!r} is a built-in op's name; choose another")
    module = _caller_module()
    existing = OPS.get(name)
    if isinstance(existing, DefinedOp) and existing.trusted and existing.module != module:
        raise ValueError(f"define_op: {name!r} is an op of {existing.module}; choose another name")
    for what, function in (("forward", forward), ("derivative", derivative)):
        if not callable(function):
            raise TypeError(f"define_op({name!r}): {what} must be callable, got {function!r}")
    names, variadic = _operands(name, forward)
    if operands is not None:
        if (
            not variadic
            or isinstance(operands, str)
            or not all(isinstance(n, str) for n in operands)
        ):
            raise ValueError(
                f"define_op({name!r}): operands names the kinds of operand of an op that takes "
                f"any number of them (forward(*xs)), got {operands!r}"
            )
        names = tuple(operands)
    shown = name if symbol is None else symbol
    if not isinstance(shown, str) or not shown:
        raise TypeError(f"define_op({name!r}): symbol must be a non-empty str, got {symbol!r}")
    texts = _formula(name, names, formula)
    op = DefinedOp(
        name,
        shown,
        forward if trusted else _number_forward(name, forward),
        derivative,
        names=names,
        formula=texts,
        module=module,
        variadic=variadic,
        writer=writer,
        trusted=trusted,
        off_at_zero=bool(off_at_zero),
    )
    OPS[name] = op
    return OpFunction(op)


def _operands(name: str, forward: Callable[..., float]) -> tuple[tuple[str, ...], bool]:
    """The operand names from ``forward``'s parameters, and whether it takes any number of
    them (``*xs``: names ``("xs_i",)``; also when its parameters cannot be read)."""
    try:
        signature = inspect.signature(forward)
    except (TypeError, ValueError):  # some built-in functions (math.hypot) do not say
        return ("x_i",), True
    names: list[str] = []
    for parameter in signature.parameters.values():
        if parameter.kind is parameter.VAR_POSITIONAL:
            return (f"{parameter.name}_i",), True
        positional = parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
        if positional and parameter.default is parameter.empty:
            names.append(parameter.name)
    if not names:
        raise TypeError(f"define_op({name!r}): forward must take at least one operand")
    return tuple(names), False


def _formula(
    name: str, names: tuple[str, ...], formula: str | Sequence[str] | None
) -> tuple[str, ...]:
    if formula is None:
        return tuple(f"∂{name}/∂{operand}" for operand in names)
    texts = (formula,) if isinstance(formula, str) else tuple(formula)
    if len(texts) != len(names) or not all(isinstance(text, str) for text in texts):
        raise ValueError(
            f"define_op({name!r}): formula must be one str per operand {names}, got {formula!r}"
        )
    return texts


def _number_forward(name: str, forward: Callable[..., float]) -> Callable[..., float]:
    """``forward``, its result checked to be a real number and made a float."""

    def checked(*operands: float) -> float:
        result = forward(*operands)
        if type(result) is float:
            return result
        if isinstance(result, Value):
            raise TypeError(
                f"{name}: forward returned a Value; it is called with floats and must return "
                "a float (use math, or the *_float functions of autograd.functions)"
            )
        return finite_float(result, f"{name}: forward's result")

    return checked


def _caller_module() -> str:
    """The module that called `define_op`: where a pickle looks for the op again."""
    frame = sys._getframe(2)
    return str(frame.f_globals.get("__name__", "__main__"))
