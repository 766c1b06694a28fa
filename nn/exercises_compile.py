"""Checkers for the exercises of the side lesson "Backprop, written out" (`autograd.compile`).

They print a one-line verdict as `nn.exercises` does (``✓`` right, ``✗`` wrong and why,
``…`` not answered yet) and return True only for a right answer, so a solution cell can
``assert`` them. Both leave the Values they are given as they found them (``.data`` and
``.grad``).

* `check_compiled_like_engine`: a function to compile must give, once compiled, what the
  engine gives, at every point (the pitfall it catches: a ``v.data`` read inside the function,
  which the compiled code keeps as a constant).
* `check_backward`: gradients written by hand in plain floats must equal those of the
  compiled code (the lines of ``step.source``) at every point.

>>> from autograd import Value
>>> from nn import exercises_compile
>>> w = Value(0.5, label="w")
>>> def square(x):
...     return (w * x) ** 2
>>> exercises_compile.check_compiled_like_engine(square, square, [(1.0,), (-2.0,)], [w],
...                                              what="square")
✓ square: right.
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import autograd
from autograd import CompileError, Value
from nn.exercises import _not_answered, _verdict  # the same verdict lines as nn.exercises

__all__ = ["check_backward", "check_compiled_like_engine"]

Point = Sequence[Any]


@contextmanager
def _kept(leaves: Sequence[Value]) -> Iterator[None]:
    """Put back the leaves' ``.data`` and ``.grad`` when the block ends, however it ends."""
    saved = [(leaf.data, leaf.grad) for leaf in leaves]
    try:
        yield
    finally:
        for leaf, (data, grad) in zip(leaves, saved, strict=True):
            leaf.data, leaf.grad = data, grad


def _as_values(item: Any) -> Any:
    """Numbers, or nested lists/tuples of them, as leaf Values (as `compile` passes them)."""
    if isinstance(item, list | tuple):
        return type(item)(_as_values(part) for part in item)
    return Value(item)


def _root(result: Any) -> Any:
    """The output to differentiate: the result, or the first item of a tuple."""
    return result[0] if isinstance(result, tuple) and result else result


class _NotAValue(Exception):
    """The function returned something other than a Value (or a tuple starting with one)."""


def _on_engine(fn: Callable[..., Any], point: Point, leaves: Sequence[Value]) -> Any:
    """``fn(*point)`` on the engine, differentiated: (output, gradients), or None when ``fn``
    returned None (a placeholder)."""
    for leaf in leaves:
        leaf.grad = 0.0
    out = _root(fn(*(_as_values(arg) for arg in point)))
    if out is None:
        return None
    if not isinstance(out, Value):
        raise _NotAValue(f"it returned {out!r}, not a Value.")
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def _shown(point: Point) -> str:
    return ", ".join(repr(arg) for arg in point)


def _same(a: float, b: float) -> bool:
    """Equal to the bit (0.0 and -0.0 count as equal, as in compile's contract)."""
    return a == b


def check_compiled_like_engine(
    candidate: Callable[..., Any] | None,
    reference: Callable[..., Any],
    points: Sequence[Point],
    leaves: Sequence[Value],
    *,
    what: str,
    rel_tol: float = 1e-9,
    abs_tol: float = 1e-12,
) -> bool:
    """Judge a function meant for `autograd.compile`.

    ``candidate(*point)`` and ``reference(*point)`` take the point's numbers as Values and may
    read ``leaves`` (parameters). At every point, in order: the candidate on the engine must
    agree with the reference on the engine (output and the leaves' gradients, to
    ``rel_tol``/``abs_tol``), and the candidate compiled once, then called at each point, must
    give exactly the candidate's engine numbers. A wrong verdict says which of the two failed;
    a function `compile` refuses is wrong too, with compile's reason.
    """
    if candidate is None:
        return _not_answered(what)
    if not callable(candidate):
        return _verdict(False, what, f"expected a function, got {candidate!r}.")
    step = autograd.compile(candidate)
    with _kept(leaves):
        for point in points:
            try:
                engine = _on_engine(candidate, point, leaves)
            except Exception as error:  # the learner's code: report whatever it raised
                return _verdict(False, what, f"at ({_shown(point)}) {_describe_error(error)}")
            if engine is None:
                return _not_answered(what)
            wanted = _on_engine(reference, point, leaves)
            if not _agree(engine, wanted, rel_tol, abs_tol):
                problem = f"at ({_shown(point)}) it gives {engine[0]!r}, which is wrong."
                return _verdict(False, what, problem)
            for leaf in leaves:
                leaf.grad = 0.0
            try:
                compiled = (_root(step(*point)), [leaf.grad for leaf in leaves])
            except CompileError as error:
                return _verdict(False, what, f"compile refuses it: {str(error).splitlines()[0]}")
            except Exception as error:  # the learner's code, compiled
                problem = f"compiled, at ({_shown(point)}) {_describe_error(error)}"
                return _verdict(False, what, problem)
            if not all(_same(a, b) for a, b in zip(_flat(compiled), _flat(engine), strict=True)):
                problem = (
                    f"at ({_shown(point)}) the compiled function gives {compiled[0]!r} where the"
                    f" engine gives {engine[0]!r}: is a number read with .data inside it?"
                )
                return _verdict(False, what, problem)
    return _verdict(True, what)


def _describe_error(error: Exception) -> str:
    if isinstance(error, _NotAValue):
        return str(error)
    return f"it raised {type(error).__name__}: {error}"


def _flat(result: tuple[float, list[float]]) -> list[float]:
    return [result[0], *result[1]]


def _agree(got: Any, wanted: Any, rel_tol: float, abs_tol: float) -> bool:
    return all(
        math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)
        for a, b in zip(_flat(got), _flat(wanted), strict=True)
    )


def check_backward(
    candidate: Callable[..., Any] | None,
    fn: Callable[..., Value],
    parameters: Sequence[Value],
    points: Sequence[tuple[Sequence[float], Point]],
    *,
    what: str,
    rel_tol: float = 1e-9,
    abs_tol: float = 1e-12,
) -> bool:
    """Judge gradients derived by hand against the code `autograd.compile` writes for ``fn``.

    ``fn(*arguments)`` reads ``parameters`` (leaf Values). Each point is a pair
    ``(parameter numbers, arguments)``: the checker sets the parameters to those numbers,
    calls the compiled ``fn`` with the arguments, and compares its gradients with
    ``candidate(*parameter numbers, *arguments)``, a function on plain floats returning one
    gradient per parameter, in order (to ``rel_tol``/``abs_tol``: a hand derivation may
    multiply in another order). The verdict names the first parameter whose gradient is wrong.
    """
    if candidate is None:
        return _not_answered(what)
    if not callable(candidate):
        return _verdict(False, what, f"expected a function, got {candidate!r}.")
    step = autograd.compile(fn)
    names = [p.label or f"parameter {i}" for i, p in enumerate(parameters)]
    with _kept(parameters):
        for numbers, arguments in points:
            shown = _shown([*numbers, *arguments])
            try:
                got = candidate(*numbers, *arguments)
            except Exception as error:  # the learner's code: report whatever it raised
                problem = f"at ({shown}) it raised {type(error).__name__}: {error}"
                return _verdict(False, what, problem)
            if got is None or (isinstance(got, Sequence) and all(g is None for g in got)):
                return _not_answered(what)
            if not isinstance(got, Sequence) or len(got) != len(parameters):
                problem = f"expected {len(parameters)} gradients ({', '.join(names)}), got {got!r}."
                return _verdict(False, what, problem)
            for p, number in zip(parameters, numbers, strict=True):
                p.data, p.grad = float(number), 0.0
            step(*arguments)
            for name, g, p in zip(names, got, parameters, strict=True):
                if isinstance(g, bool) or not isinstance(g, int | float):
                    return _verdict(False, what, f"the gradient of {name} is {g!r}, not a number.")
                if not math.isclose(g, p.grad, rel_tol=rel_tol, abs_tol=abs_tol):
                    problem = f"at ({shown}) the gradient of {name}, {g!r}, is wrong."
                    return _verdict(False, what, problem)
    return _verdict(True, what)
