"""Tracing: run a function once on the engine and keep what `compile` needs to write it out.

The function runs on ordinary Values, so the graph it builds is the engine's own. While it
runs, a `Tracer` watches ``value.py``'s hooks: it is told of every leaf the function makes
(those numbers are constants of the code it will become) and of every comparison, ``bool()``
and ``float()`` of a Value (a Python branch taken on a number that may be different next
time). A comparison becomes a `Guard`, checked by the compiled code at every call; ``float()``
is refused, since the plain number it returns would silently become a constant.
"""

from __future__ import annotations

import copy
import linecache
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import autograd.value as value_module
from autograd.order import describe, topological_order
from autograd.value import Value

__all__ = ["CompileError", "Guard", "Trace", "Tracer", "trace", "tracing"]


class CompileError(TypeError):
    """``compile`` cannot turn the function into code that is right at every input."""


@dataclass(frozen=True)
class Guard:
    """A comparison the function made while traced: ``value <symbol> other`` was ``result``.

    ``where`` is the line of the function (outside autograd) that made it.
    """

    value: Value
    symbol: str
    other: Value | float
    result: bool
    where: str


_AUTOGRAD_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_STDLIB_DIR = os.path.dirname(os.path.abspath(copy.__file__))  # (copy.py calls __copy__)


def caller_line(also_outside: str = "") -> str:
    """``file:line: source`` of the innermost frame outside the autograd package (and outside
    the folder ``also_outside``, if given: nn's, for a refusal raised in nn)."""
    skipped = (_AUTOGRAD_DIR, also_outside) if also_outside else (_AUTOGRAD_DIR,)
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(skipped):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "<unknown line>"
    filename, line = frame.f_code.co_filename, frame.f_lineno
    source = linecache.getline(filename, line).strip()
    return f"{filename}:{line}: {source}" if source else f"{filename}:{line}"


class Tracer:
    """What ``value.py`` reports while a function is traced, from the tracing thread only."""

    def __init__(self) -> None:
        """An empty record for the current thread."""
        self.thread = threading.get_ident()
        self.leaves: list[Value] = []  # kept alive, so that their ids stay theirs
        self.guards: list[Guard] = []

    def made(self, value: Value) -> None:
        """A leaf was made: the traced function's own constant. ``v.detach()`` is refused,
        naming the line: its leaf holds v's number, which changes from call to call."""
        if threading.get_ident() == self.thread:
            if sys._getframe(2).f_code is _DETACH:  # Value.__init__, called by detach()
                raise CompileError(
                    f"compile: detach() of a Value at {caller_line()}\n  gives a leaf whose "
                    "number would be a constant of the compiled code, wrong at the next input. "
                    "Compute what you detach outside the compiled function and pass it in."
                )
            self.leaves.append(value)

    def compared(self, value: Value, symbol: str, other: Value | float, result: bool) -> None:
        """``value <symbol> other`` gave ``result``: a branch the compiled code must check."""
        if threading.get_ident() == self.thread:
            number = other if isinstance(other, Value) else float(other)
            self.guards.append(Guard(value, symbol, number, result, caller_line()))

    def copied(self, value: Value) -> None:
        """``copy.copy``, ``deepcopy`` or a pickle of a Value inside the traced function:
        refused, naming the line (the copy is a leaf made without ``Value()``, so the trace
        would take it for a value read from outside, fixed at its traced number)."""
        if threading.get_ident() == self.thread:
            raise CompileError(
                f"compile: a copy of a Value at {caller_line(_STDLIB_DIR)}\n  would be a leaf"
                " the compiled code reads as it was at the trace, wrong at the next call. Keep"
                " computing with the Value itself, or copy it outside the compiled function."
            )

    def converted(self, value: Value) -> None:
        """``float(value)`` inside the traced function: refused, naming the line."""
        if threading.get_ident() == self.thread:
            raise CompileError(
                f"compile: float() of a Value at {caller_line()}\n  gives a plain number, which "
                "would be a constant of the compiled code, wrong at the next input. Keep "
                "computing with the Value (compare it, or use Value ops), or read the number "
                "outside the compiled function."
            )


_DETACH = Value.detach.__code__
_tracing = threading.Lock()  # one trace at a time: value.py has one hook


def tracing() -> bool:
    """Whether this thread is tracing a function now (a compiled function called inside
    another one's function would wait for the lock its own caller holds)."""
    watcher = value_module.tracer
    return watcher is not None and watcher.thread == threading.get_ident()


@dataclass
class Trace:
    """A function's graph at one call, sorted into what the generated code needs.

    ``inputs`` are the leaves made from the call's arguments (with the name of each),
    ``live`` the leaves the function read but did not make (read again at every call), and
    ``constants`` the ids of the leaves it made itself. ``forward`` holds every node made by
    an op that the output, the extra results or a guard needs, parents first, and the nodes
    each guard compares before the nodes of later guards and of the output; ``sweep`` the
    order of the engine's backward sweep from ``root``.
    """

    root: Value
    extras: Any  # the rest of what the function returned: Values in nested lists/tuples
    inputs: list[tuple[Value, str]]
    live: list[Value]
    constants: set[int]
    forward: list[Value]
    sweep: list[Value]
    guards: list[Guard] = field(default_factory=list)
    paths: list[tuple[int, ...]] = field(default_factory=list)  # where each input sat in args

    def extra_values(self) -> list[Value]:
        """The extra results, flattened in order."""
        return list(_values_in(self.extras))


def _values_in(item: Any) -> Iterator[Value]:
    if isinstance(item, Value):
        yield item
    else:
        for part in item:
            yield from _values_in(part)


def as_leaves(
    args: Sequence[Any], names: Sequence[str]
) -> tuple[list[Any], list[tuple[Value, str]]]:
    """The arguments with every number made a leaf labelled by its place (``X[3][1]``)."""
    made: list[tuple[Value, str]] = []

    def leafify(item: Any, name: str) -> Any:
        if isinstance(item, list | tuple):
            return type(item)(leafify(part, f"{name}[{i}]") for i, part in enumerate(item))
        leaf = Value(item, label=name)
        made.append((leaf, name))
        return leaf

    return [leafify(arg, name) for arg, name in zip(args, names, strict=True)], made


def split_result(result: object, what: str) -> tuple[Value, Any]:
    """The Value to differentiate and the extra results (``()`` if there are none)."""
    extras: Any = ()
    if isinstance(result, tuple) and result:
        extras = result[1:]
        result = result[0]
    if not isinstance(result, Value):
        raise CompileError(
            f"compile: {what} must return a Value (or a tuple whose first item is one), "
            f"got {type(result).__name__}"
        )
    try:
        list(_values_in(extras))
    except TypeError:
        raise CompileError(
            f"compile: the extra results of {what} must be Values or (nested) lists of Values;"
            " a plain number would be a constant of the compiled code"
        ) from None
    return result, extras


def trace(fn: Callable[..., Any], args: Sequence[Any], names: Sequence[str]) -> Trace:
    """Run ``fn`` on leaves made from ``args`` and sort its graph (see `Trace`)."""
    structured, inputs = as_leaves(args, names)
    tracer = Tracer()
    with _tracing:
        value_module.tracer = tracer
        try:
            result = fn(*structured)
        finally:
            value_module.tracer = None
    root, extras = split_result(result, getattr(fn, "__name__", "the function"))
    input_ids = {id(leaf) for leaf, _ in inputs}
    constants = {id(leaf) for leaf in tracer.leaves} - input_ids
    guards = [g for g in tracer.guards if _matters(g, constants)]
    # What the guards compare comes first, in the order the function compared them, so that
    # the code can check each guard before it computes any node of the branch taken.
    tops: list[Value] = []
    for g in guards:
        tops += [g.value, *([g.other] if isinstance(g.other, Value) else [])]
    tops += [root, *_values_in(extras)]
    forward: list[Value] = []
    live: list[Value] = []
    for node in _nodes_below(tops):
        if node.op is not None:
            forward.append(node)
        elif id(node) not in constants and id(node) not in input_ids:
            live.append(node)
    _refuse_gradients_made_inside(fn, [leaf for leaf, _ in inputs], tracer.leaves, forward)
    sweep = topological_order(root)[::-1]
    return Trace(root, extras, inputs, live, constants, forward, sweep, guards, _paths(args))


def _refuse_gradients_made_inside(
    fn: Callable[..., Any], inputs: list[Value], leaves: list[Value], forward: list[Value]
) -> None:
    """Refuse a function that called ``backward()`` itself: the nodes it made (the inputs' leaves,
    its own leaves and what it computed from them) start with a gradient of 0, and the
    compiled code would add only the gradients of the Value it returns."""
    made = {id(node) for node in (*inputs, *leaves)}
    for node in forward:  # parents first
        if any(id(parent) in made for parent in node.parents):
            made.add(id(node))
    for node in (*inputs, *leaves, *forward):
        if id(node) in made and (type(node.grad) is not float or node.grad != 0.0):
            raise CompileError(
                f"compile: {getattr(fn, '__name__', 'the function')} calls backward() (after it"
                f" ran, {describe(node)} had a gradient): compile runs the backward pass itself,"
                " from the Value the function returns, so return the loss rather than call"
                " backward() on it. (The gradients that backward() added are kept.)"
            )


def _paths(args: Sequence[Any]) -> list[tuple[int, ...]]:
    """Where each number of ``args`` sits (``(0, 3, 1)``: ``args[0][3][1]``), in the order
    `as_leaves` makes their leaves."""
    found: list[tuple[int, ...]] = []

    def walk(item: Any, path: tuple[int, ...]) -> None:
        if isinstance(item, list | tuple):
            for i, part in enumerate(item):
                walk(part, (*path, i))
        else:
            found.append(path)

    for i, arg in enumerate(args):
        walk(arg, (i,))
    return found


def _nodes_below(tops: list[Value]) -> list[Value]:
    """Every node the tops depend on, each after its parents (one walk for all of them)."""
    order: list[Value] = []
    seen: set[Value] = set()
    for top in tops:
        if top in seen:
            continue
        seen.add(top)
        stack = [(top, iter(top.parents))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent not in seen:
                    seen.add(parent)
                    stack.append((parent, iter(parent.parents)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def _matters(guard: Guard, constants: set[int]) -> bool:
    """A comparison of the function's own constants can never come out differently."""
    operands = [guard.value, guard.other]
    return any(
        isinstance(x, Value) and (x.op is not None or id(x) not in constants) for x in operands
    )
