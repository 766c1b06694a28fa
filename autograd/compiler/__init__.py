"""``autograd.compile``: a function's forward and backward pass, written out as Python.

``step = compile(fn)`` runs ``fn`` once on the engine (the first call), then writes the
graph it built out as straight-line Python source (``step.source``) and runs that from then
on. The generated code does what ``fn(*args).backward()`` does, to the last bit, and much
faster, because it is one function of plain floats: no nodes, no dicts, no calls per op.

* ``trace.py`` runs the function and sorts the graph (inputs, live leaves, constants, guards).
* ``templates.py`` writes each common op as an expression; ``codegen.py`` writes the whole
  function, forward then backward, in the engine's order.
* This file is the compiled function you call: it keeps a small cache of traces by the
  shape of the arguments, runs the code, commits the gradients all or nothing, and replays
  a call on the engine whenever the code meets something only the engine should report (a
  domain error, an overflow): so errors are exactly the engine's.
"""

from __future__ import annotations

import builtins
import inspect
import linecache
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, count
from typing import Any

from autograd.backward import GRADIENTS_LOCK, commit
from autograd.compiler.codegen import Generated, Retrace, generate
from autograd.compiler.rolled import generate_rolled
from autograd.compiler.trace import (
    CompileError,
    Trace,
    as_leaves,
    split_result,
    trace,
    tracing,
)
from autograd.mode import is_grad_enabled
from autograd.rule_results import check_contributions
from autograd.validate import finite_float
from autograd.value import Value

__all__ = ["CompileError", "CompiledFunction", "compile"]

_sources = count(1)


def compile(fn: Callable[..., Any], *, max_traces: int = 8) -> CompiledFunction:
    """``fn`` as a compiled function: its forward and backward written out as Python.

    ``fn(*args)`` must return a Value (the one to differentiate), or a tuple whose first
    item is that Value and whose other items are Values or nested lists of Values (extra
    results, such as per-sample outputs). Calling ``step = compile(fn)`` then ``step(*args)``:

    * ``args`` are numbers or nested lists/tuples of numbers (the data that changes from call
      to call). They enter ``fn`` as leaf Values labelled by their place (``X[3][1]``).
    * Values that ``fn`` reads but did not make (a model's parameters, any leaf it closes
      over) are read live at every call: change ``p.data`` and the next call uses it.
      Numbers and leaves that ``fn`` makes itself are constants of the code.
    * It returns the number of ``fn``'s output (with the extra results as numbers, in the
      same nesting) and adds d(output)/d(leaf) into the ``.grad`` of every live leaf,
      exactly as ``fn(*args).backward()`` would, to the last bit, all or nothing. Inside
      ``no_grad()`` that is no gradient at all: the call runs ``fn`` on the engine.

    Python control flow: a comparison of a Value or ``bool(v)`` inside ``fn`` becomes a
    guard, checked at every call; when it comes out differently the function is traced again
    (and both traces are kept). ``float(v)`` and ``v.detach()`` inside ``fn`` are refused
    (CompileError naming the line), as is a ``fn`` that calls ``backward()`` itself (return
    the loss instead). **Reading** ``v.data`` **inside** ``fn`` **gives a
    constant of the code**, as a Python number does inside ``jax.jit``: compare the Value
    instead, or read ``.data`` outside ``fn``. The same holds for ``grad()`` without
    ``create_graph=True`` and for ``no_grad()`` inside ``fn``: their results are numbers, so
    constants.

    Arguments of a new shape get a trace of their own; ``max_traces`` traces are kept (the
    least recently used goes first). A call whose code meets a domain error, an overflow or
    a non-finite number is replayed on the engine, which raises its own error (naming the
    op) with no ``.grad`` changed, or returns its result.

    >>> from autograd import Value
    >>> w = Value(0.5, label="w")
    >>> step = compile(lambda x: (w * x).tanh())
    >>> round(step(2.0), 6), round(w.grad, 6)
    (0.761594, 0.839949)
    >>> round(step(2.0), 6), round(w.grad, 6)  # the compiled code; gradients accumulate
    (0.761594, 1.679897)
    >>> print(step.source.splitlines()[0])
    def forward_backward(inputs, live):
    """
    if not callable(fn):
        raise TypeError(f"compile: expected a function, got {fn!r}")
    if isinstance(max_traces, bool) or not isinstance(max_traces, int) or max_traces < 1:
        raise ValueError(f"compile: max_traces must be a positive int, got {max_traces!r}")
    return CompiledFunction(fn, max_traces)


@dataclass
class _Entry:
    """One trace: its generated code, compiled, and how to read its results."""

    generated: Generated
    function: Callable[[list[float], list[float]], tuple[list[float], list[float]]]
    extras: Any  # the extra results' nesting, with None where a number goes


class CompiledFunction:
    """A function compiled by `compile`: call it like the function; read ``source``."""

    def __init__(self, fn: Callable[..., Any], max_traces: int) -> None:
        """See `compile`."""
        self.fn = fn
        self.max_traces = max_traces
        self.traces = 0  # how many times fn was traced (a new shape, or a guard that failed)
        self.replays = 0  # calls replayed on the engine
        self._cache: OrderedDict[Any, list[_Entry]] = OrderedDict()
        self._lock = threading.Lock()  # held while the cache changes or is read
        self._latest: _Entry | None = None
        self._names = _argument_names(fn)
        self.__name__ = getattr(fn, "__name__", "compiled")
        self.__doc__ = getattr(fn, "__doc__", None)

    # -- calling -----------------------------------------------------------------------------

    def __call__(self, *args: Any) -> Any:
        """``fn(*args)``'s output as a number, its gradients added to the live leaves."""
        if tracing():
            raise CompileError(
                f"compile: {self.__name__} was called inside a function being compiled; its"
                " number and gradients would not be part of the compiled code. Call the plain"
                " function there instead."
            )
        shape, numbers = _flatten(args, self._names_for(len(args)))
        if not is_grad_enabled():
            # Inside no_grad() the engine's fn builds no graph, and backward() adds no gradient:
            # so does this call. (Traced here, fn would be a constant, wrong at every input.)
            return self._on_engine(args)
        with self._lock:  # the cache is shared by the threads that call this function
            entries = self._cache.get(shape)
            if entries is not None:
                self._cache.move_to_end(shape)
                entries = list(entries)  # another thread may drop one while these run
        if entries is not None:
            for entry in entries:
                try:
                    return self._run(entry, args, numbers)
                except Retrace:
                    continue
        return self._trace(shape, args)

    def _names_for(self, n: int) -> list[str]:
        if n == len(self._names):  # the usual call: one argument per parameter, named once
            return self._names
        return [self._names[i] if i < len(self._names) else f"arg{i}" for i in range(n)]

    def _run(self, entry: _Entry, args: tuple[Any, ...], numbers: list[float]) -> Any:
        live = entry.generated.live
        try:
            outputs, gradients = entry.function(numbers, [leaf.data for leaf in live])
        except Retrace:
            raise
        except Exception:  # NotFinite, Replay, a domain error, a user's rule that raised...
            # The engine has the last word: its result, or its own error. (A user's rule may
            # raise where the engine never calls it: below a relu that is off.)
            return self._replay(args)
        with GRADIENTS_LOCK:  # as backward(): calls from two threads add their passes in turn
            totals = [leaf.grad + g for leaf, g in zip(live, gradients, strict=True)]
            finite = math.isfinite(sum(totals))  # one inf or nan makes the sum so (or overflow)
            if finite:
                commit(live, totals)
        if not finite:
            return self._replay(args)  # the engine names the node whose gradient overflowed
        self._latest = entry
        return _results(outputs, entry.extras)

    def _replay(self, args: tuple[Any, ...]) -> Any:
        """The call replayed on the engine: its result, or its error."""
        self.replays += 1
        return self._on_engine(args)

    def _on_engine(self, args: tuple[Any, ...]) -> Any:
        """``fn(*args).backward()`` on the engine: its result, or its error."""
        structured, _ = as_leaves(_plain(args), self._names_for(len(args)))
        root, extras = split_result(self.fn(*structured), self.__name__)
        root.backward()
        return _numbers(root, extras)

    def _trace(self, shape: Any, args: tuple[Any, ...]) -> Any:
        traced = trace(self.fn, _plain(args), self._names_for(len(args)))
        entry = _build(traced, self.__name__)  # before any .grad changes
        self.traces += 1
        traced.root.backward()  # this call's result: the engine's own
        with self._lock:
            entries = self._cache.setdefault(shape, [])
            entries.insert(0, entry)
            self._cache.move_to_end(shape)
            while sum(len(e) for e in self._cache.values()) > self.max_traces:
                oldest = next(iter(self._cache.values()))
                oldest.pop()
                if not oldest:
                    self._cache.popitem(last=False)
        self._latest = entry
        return _numbers(traced.root, traced.extras)

    # -- reading -----------------------------------------------------------------------------

    @property
    def source(self) -> str:
        """The generated Python of the trace used last (call the function once first)."""
        if self._latest is None:
            raise ValueError(f"compile: {self.__name__} has not been called yet, so not traced")
        return self._latest.generated.source

    def __str__(self) -> str:
        return self.source if self._latest is not None else repr(self)

    def __repr__(self) -> str:
        return f"<compiled {self.__name__}: {self.traces} trace(s)>"

    def explain(self, node: Value | str) -> str:
        """The lines of ``source`` that compute ``node`` or its gradient, or use it.

        ``node`` is a Value of the traced graph (a parameter, say) or a variable's name.
        """
        if self._latest is None:
            raise ValueError(f"compile: {self.__name__} has not been called yet, so not traced")
        names = self._latest.generated.names
        if isinstance(node, Value):
            if node not in names:
                raise ValueError(f"explain: {node!r} is not a node of the traced graph")
            name = names[node]
        else:
            name = node
        # Its gradient (g_), and a neuron's sum (z_), local gradient and contributions too.
        pattern = re.compile(rf"\b(g_|z_|local_|c_)?{re.escape(name)}\b")
        lines = [line for line in self.source.splitlines() if pattern.search(line)]
        if not lines:
            raise ValueError(f"explain: no variable {name!r} in the generated code")
        return "\n".join(lines)


def _build(traced: Trace, what: str) -> _Entry:
    generated = generate_rolled(traced, check_user_rule) or generate(traced, check_user_rule)
    filename = f"<compiled {what} #{next(_sources)}>"
    linecache.cache[filename] = (
        len(generated.source),
        None,
        generated.source.splitlines(True),
        filename,
    )
    code = builtins.compile(generated.source, filename, "exec")
    namespace = dict(generated.namespace)
    exec(code, namespace)  # our own generated source
    return _Entry(generated, namespace["forward_backward"], _nesting(traced.extras))


def check_user_rule(op: Any, n: int, contributions: Any) -> Sequence[Any]:
    """A user op's contributions, checked as the sweep checks them (`rule_results`)."""
    return check_contributions(op, contributions, n, False)


# -- arguments and results ---------------------------------------------------------------------


def _argument_names(fn: Callable[..., Any]) -> list[str]:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _flatten(args: Sequence[Any], names: Sequence[str]) -> tuple[Any, list[float]]:
    """The arguments' shape (a hashable key) and their numbers, checked, in order."""
    numbers: list[float] = []
    shape = tuple(_walk(arg, name, numbers) for arg, name in zip(args, names, strict=True))
    return shape, numbers


def _walk(item: Any, where: str, numbers: list[float]) -> Any:
    """``item``'s shape; its numbers appended to ``numbers``."""
    kind = type(item)
    if kind is float and item - item == 0.0:  # a finite float: the usual case, checked fast
        numbers.append(item)
        return None
    if kind is list or kind is tuple:
        taken = _in_one_go(item)  # a sample's row, or a batch of rows: the usual cases
        if taken is not None:
            shape, row_numbers = taken
            numbers += row_numbers
            return shape
        parts = tuple(_walk(x, f"{where}[{i}]", numbers) for i, x in enumerate(item))
        if all(part is None for part in parts):  # numbers (ints, huge ones): a row all the same
            return (kind is tuple, len(item))
        return (kind is tuple, *parts)
    if isinstance(item, Value):
        raise TypeError(
            f"compile: argument {where} is a Value; pass numbers (Values the function reads"
            " without taking them as arguments are read live at every call)"
        )
    tolist = getattr(item, "tolist", None)  # a numpy array or number
    if tolist is not None and not isinstance(item, int | float):
        return _walk(tolist(), where, numbers)
    numbers.append(finite_float(item, f"compile: argument {where}"))
    return None


_FLOAT = {float}
_ROWS = ({list}, {tuple})  # the types of a batch's rows: all lists, or all tuples


def _in_one_go(item: list[Any] | tuple[Any, ...]) -> tuple[Any, Sequence[float]] | None:
    """``item``'s shape and numbers, as `_walk` gives them, when ``item`` is a row of finite
    floats, or rows that are all lists (or all tuples) of one length of finite floats; else
    None (then it is walked item by item, which checks and names each number).

    Each check is one pass of C over the rows or the numbers (a type, a length, a sum), so a
    batch costs a few passes rather than a Python call per number. The rows are joined into
    one list first and the numbers are checked there: the rows are not gone through again.
    """
    kinds = set(map(type, item))
    if kinds == _FLOAT:  # a row: one sample's inputs
        numbers: Sequence[float] = item
        shape: Any = (type(item) is tuple, len(item))
    elif kinds in _ROWS:  # rows: a batch of samples
        lengths = set(map(len, item))
        if len(lengths) != 1:
            return None
        numbers = list(chain.from_iterable(item))
        if set(map(type, numbers)) != _FLOAT:
            return None
        shape = _rows_shape(type(item) is tuple, tuple in kinds, lengths.pop(), len(item))
    else:
        return None
    # One sum checks that every number is finite: an inf or a nan makes it inf or nan. (So
    # does an overflow, 1e308 + 1e308: such rows are walked, number by number, and taken;
    # fsum would raise there.)
    if not math.isfinite(sum(numbers)):
        return None
    return shape, numbers


@lru_cache(maxsize=8)  # as many as the traces a compiled function keeps by default
def _rows_shape(is_tuple: bool, rows_are_tuples: bool, width: int, n: int) -> tuple[Any, ...]:
    """The shape of ``n`` rows of ``width`` numbers, as `_walk` gives it, made once: the same
    object at every call finds its trace without comparing the shape row by row."""
    return (is_tuple, *[(rows_are_tuples, width)] * n)


def _plain(item: Any) -> Any:
    """The arguments with numpy arrays and numbers as Python lists and numbers: what the
    function is traced or replayed on."""
    if isinstance(item, list | tuple):
        return type(item)(_plain(part) for part in item)
    tolist = getattr(item, "tolist", None)
    return tolist() if tolist is not None and not isinstance(item, int | float) else item


def _nesting(item: Any) -> Any:
    if isinstance(item, Value):
        return None
    return [_nesting(part) for part in item]


def _results(outputs: list[float], extras: Any) -> Any:
    if extras == []:
        return outputs[0]
    position = iter(outputs[1:])

    def rebuild(shape: Any) -> Any:
        return next(position) if shape is None else [rebuild(part) for part in shape]

    return (outputs[0], *rebuild(extras))


def _numbers(root: Value, extras: Any) -> Any:
    if not extras:
        return root.data

    def numbers(item: Any) -> Any:
        return item.data if isinstance(item, Value) else [numbers(part) for part in item]

    return (root.data, *numbers(extras))
