"""A compiled function's own work around its generated code (``autograd/compiler/__init__.py``).

Before the code runs, the arguments are checked and flattened, rows and batches of floats in
one go (`_in_one_go`): every case here gives the shape, numbers and errors of the walk number
by number, and only well-formed floats are taken in one go. After it runs, the gradients are
added into ``.grad`` all or nothing (`autograd.backward.commit`), even with a Ctrl-C in the
middle.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

import autograd.compiler
from autograd import Value, compile
from autograd.compiler import _flatten, _in_one_go


def walked(argument: Any) -> Any:
    """`_flatten` of one argument with nothing taken in one go: its shape and numbers, or
    its error's type and message."""
    saved = autograd.compiler._in_one_go
    autograd.compiler._in_one_go = lambda item: None
    try:
        return flattened(argument)
    finally:
        autograd.compiler._in_one_go = saved


def flattened(argument: Any) -> Any:
    try:
        return _flatten([argument], ["X"])
    except Exception as error:
        return type(error), str(error)


TAKEN_IN_ONE_GO = {
    "a row": [0.5, -1.5, 2.0],
    "a row as a tuple": (0.5, -0.0, 5e-324),
    "rows": [[0.5, 1.0], [2.0, -3.0], [1e308, -1e308]],
    "rows as tuples": [(0.5, 1.0), (2.0, -3.0)],
    "a tuple of rows": ((0.5, 1.0), (2.0, -3.0)),
    "a tuple of lists": ([0.5], [2.0]),
    "one row": [[0.5, 1.0, 1.5]],
}
WALKED = {  # each may hold a number the walk converts, refuses or names: never taken at once
    "a row with an int": [0.5, 2, 1.0],
    "a row with a bool": [0.5, True],
    "a row with a nan": [0.5, math.nan],
    "a row with an inf": [math.inf, 0.5],
    "a row whose sum overflows": [1e308, 1e308, 0.5],
    "rows with an int": [[0.5, 1.0], [2, 3.0]],
    "rows with a bool": [[0.5, 1.0], [2.0, False]],
    "rows with a nan": [[0.5, 1.0], [2.0, math.nan]],
    "rows with a -inf": [[-math.inf, 1.0], [2.0, 3.0]],
    "rows whose sum overflows": [[1e308, 1e308], [1e308, 1.0]],
    "rows whose sum overflows below": [[-1e308, -1e308], [-1e308, 1.0]],
    "rows of unequal length": [[0.5, 1.0], [2.0]],
    "rows, one empty": [[0.5], []],
    "empty rows": [[], []],
    "rows, a list and a tuple": [[0.5, 1.0], (2.0, 3.0)],
    "rows with a str": [[0.5, 1.0], [2.0, "3"]],
    "rows with a None": [[0.5, 1.0], [2.0, None]],
    "rows with a Value": [[0.5, 1.0], [2.0, Value(3.0)]],
    "rows of rows": [[[0.5], [1.0]], [[2.0], [3.0]]],
    "rows of dicts": [{0.5: 1.0}, {2.0: 3.0}],
    "a str": ["ab", "cd"],
    "rows of str": [["ab"], ["cd"]],
    "an empty batch": [],
    "an empty tuple": (),
}


@pytest.mark.parametrize("argument", TAKEN_IN_ONE_GO.values(), ids=TAKEN_IN_ONE_GO.keys())
def test_well_formed_floats_are_taken_in_one_go_as_the_walk_takes_them(argument: Any) -> None:
    assert _in_one_go(argument) is not None
    assert repr(flattened(argument)) == repr(walked(argument))  # repr: -0.0 apart from 0.0


@pytest.mark.parametrize("argument", WALKED.values(), ids=WALKED.keys())
def test_anything_else_is_walked_number_by_number(argument: Any) -> None:
    assert _in_one_go(argument) is None
    assert repr(flattened(argument)) == repr(walked(argument))


def test_numpy_arrays_and_numbers_give_what_their_python_lists_give() -> None:
    np = pytest.importorskip("numpy")
    for argument, plain in [
        (np.array([[0.5, 1.0], [2.0, 3.0]]), [[0.5, 1.0], [2.0, 3.0]]),
        (np.array([[1, 2], [3, 4]], dtype=np.int64), [[1, 2], [3, 4]]),
        (np.array([0.5, 1.5], dtype=np.float32), [0.5, 1.5]),
        (np.array([[True, False]]), [[True, False]]),
        (np.array([[0.5, np.nan]]), [[0.5, math.nan]]),
        ([np.array([0.5, 1.0]), np.array([2.0, 3.0])], [[0.5, 1.0], [2.0, 3.0]]),
        ([[np.float64(0.5), 1.0], [2.0, 3.0]], [[0.5, 1.0], [2.0, 3.0]]),
        ([np.float64(0.5), 1.0], [0.5, 1.0]),
    ]:
        assert _in_one_go(argument) is None  # numpy's floats are not Python's: walked
        got = flattened(argument)
        assert repr(got) == repr(walked(argument)) == repr(walked(plain))
        if not isinstance(got[0], type):  # not an error: the numbers are Python floats
            assert {type(x) for x in got[1]} <= {float}


def test_a_batch_with_a_converted_number_uses_the_trace_of_its_shape() -> None:
    w = Value(0.5, label="w")

    def fn(X: list[list[Value]], y: list[Value]) -> Value:
        return Value.sum([w * x * t for row, t in zip(X, y, strict=True) for x in row])

    step = compile(fn)
    step([[0.5, 1.0], [2.0, 3.0]], [1.0, -1.0])
    for X, y in [
        ([[0.5, 1], [2.0, 3.0]], [1.0, -1.0]),  # an int: walked, the same shape
        ([[0.5, 1.0], [2.0, 3.0]], [1, True]),  # labels an int and a bool: the same shape
        ([[1e308, 1e308], [1e308, 1.0]], [1e-300, 1e-300]),  # a sum that overflows: walked
    ]:
        before = w.grad
        got = step(X, y)
        compiled_grad, w.grad = w.grad, before
        expected = fn([[Value(float(x)) for x in row] for row in X], [Value(float(t)) for t in y])
        expected.backward()
        assert (got, compiled_grad) == (expected.data, w.grad)
    assert (step.traces, step.replays) == (1, 0)
    step([(0.5, 1.0), (2.0, 3.0)], [1.0, -1.0])  # rows as tuples: another shape
    assert step.traces == 2


def test_the_same_shape_is_the_same_key_object() -> None:
    # The trace of a batch is found by its shape; the shape of a batch taken in one go is made
    # once, so finding it compares nothing row by row.
    first, _ = _flatten([[[0.5, 1.0]] * 3, [1.0] * 3], ["X", "y"])
    again, _ = _flatten([[[2.0, 3.0]] * 3, [-1.0] * 3], ["X", "y"])
    assert first == again and first[0] is again[0]


# -- all or nothing, even with a Ctrl-C ---------------------------------------------------------


class Trap(Value):
    """A leaf whose ``.grad``, once ``armed``, raises a KeyboardInterrupt instead of taking
    its next number: a Ctrl-C in the middle of adding the gradients."""

    __slots__ = ("armed",)

    def __init__(self, data: float, label: str) -> None:
        self.armed = False
        super().__init__(data, label=label)

    @property
    def grad(self) -> float:
        return float(Value.grad.__get__(self))  # the slot of Value that the property hides

    @grad.setter
    def grad(self, total: float) -> None:
        if self.armed:
            self.armed = False
            raise KeyboardInterrupt
        Value.grad.__set__(self, total)


@pytest.mark.parametrize("trapped", range(5))
def test_a_ctrl_c_while_the_gradients_are_added_changes_none_of_them(trapped: int) -> None:
    ws = [
        Trap(0.1 * i, f"w{i}") if i == trapped else Value(0.1 * i, label=f"w{i}") for i in range(5)
    ]

    def fn(x: Value) -> Value:
        return Value.sum([w * x * (i + 1) for i, w in enumerate(ws)])

    step = compile(fn)
    step(2.0)  # traced
    before = [w.grad for w in ws]
    trap = ws[trapped]
    assert isinstance(trap, Trap)
    trap.armed = True
    with pytest.raises(KeyboardInterrupt):
        step(3.0)
    assert [w.grad for w in ws] == before
    step(3.0)  # disarmed: the gradients added
    assert [w.grad for w in ws] == [g + 3.0 * (i + 1) for i, g in enumerate(before)]
    assert (step.traces, step.replays) == (1, 0)
