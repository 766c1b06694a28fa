"""The checkers of the lesson "Backprop, written out": each accepts a right answer and rejects
the typical wrong ones, saying why, and leaves the learner's Values as it found them."""

from __future__ import annotations

import doctest
import math
from typing import Any

import pytest

from autograd import Value
from nn import exercises_compile

W = Value(0.5, label="w")
POINTS = [(1.0,), (2.0,), (-1.0,), (-3.0,)]  # the branch flips between the 2nd and 3rd


def reference(x: Value) -> Value:
    s = (W * x).tanh()
    return s * s if s.data > 0 else -s  # on the engine, .data is the number itself: fine


def guarded(x: Value) -> Value:
    s = (W * x).tanh()
    if s > 0:  # a comparison of the Value: a guard, so the compiled function retraces
        return s * s
    return -s


def frozen(x: Value) -> Value:
    s = (W * x).tanh()
    if s.data > 0:  # a plain number: the branch taken when traced is kept for good
        return s * s
    return -s


def refused(x: Value) -> Value:
    s = (W * x).tanh()
    if float(s) > 0:  # compile refuses float() of a Value
        return s * s
    return -s


def no_branch(x: Value) -> Value:
    s = (W * x).tanh()
    return s * s


def check(candidate: Any) -> bool:
    return exercises_compile.check_compiled_like_engine(
        candidate, reference, POINTS, [W], what="the loss"
    )


def test_a_guarded_branch_is_right(capsys: pytest.CaptureFixture[str]) -> None:
    W.data, W.grad = 0.5, 1.25
    assert check(guarded)
    assert capsys.readouterr().out == "✓ the loss: right.\n"
    assert (W.data, W.grad) == (0.5, 1.25)  # left as it was


def test_a_branch_on_data_is_caught_where_the_compiled_code_goes_wrong(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert not check(frozen)
    out = capsys.readouterr().out
    assert out.startswith("✗ the loss: at (-1.0) the compiled function gives")
    assert ".data" in out


def test_float_of_a_value_is_refused_by_compile(capsys: pytest.CaptureFixture[str]) -> None:
    assert not check(refused)
    out = capsys.readouterr().out
    assert out.startswith("✗ the loss: compile refuses it:") and "float()" in out


def test_a_function_wrong_on_the_engine_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert not check(no_branch)
    assert "at (-1.0) it gives" in capsys.readouterr().out


def test_missing_answers_are_not_answered(capsys: pytest.CaptureFixture[str]) -> None:
    assert not check(None)

    def placeholder(x: Value) -> None:
        return None  # your code here

    assert not check(placeholder)
    assert capsys.readouterr().out.count("not answered yet") == 2


def test_what_is_not_a_function_or_returns_no_value_is_wrong(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert not check(3.0)
    assert not check(lambda x: 3.0)
    assert not check(lambda x: math.log(-1.0))
    lines = capsys.readouterr().out.splitlines()
    assert "expected a function" in lines[0]
    assert "it returned 3.0, not a Value" in lines[1]
    assert "it raised ValueError" in lines[2]


# check_backward: one sigmoid neuron, squared error, gradients written by hand.

NEURON_W, NEURON_B = Value(0.0, label="w"), Value(0.0, label="b")
NEURON_POINTS = [((0.5, -0.2), (1.5, 1.0)), ((-1.0, 0.3), (2.0, 0.0)), ((2.0, 1.0), (-0.5, 1.0))]


def neuron_loss(x: Value, t: Value) -> Value:
    return ((NEURON_W * x + NEURON_B).sigmoid() - t) ** 2


def by_hand(w: float, b: float, x: float, t: float, *, slope: bool = True, sign: float = 1.0):
    a = 1 / (1 + math.exp(-(w * x + b)))
    delta = sign * 2 * (a - t) * (a * (1 - a) if slope else 1.0)
    return [delta * x, delta]


def check_neuron(candidate: Any) -> bool:
    return exercises_compile.check_backward(
        candidate, neuron_loss, [NEURON_W, NEURON_B], NEURON_POINTS, what="the neuron's backward"
    )


def test_gradients_by_hand_are_right(capsys: pytest.CaptureFixture[str]) -> None:
    NEURON_W.data, NEURON_W.grad = 0.25, -3.0
    assert check_neuron(by_hand)
    assert capsys.readouterr().out == "✓ the neuron's backward: right.\n"
    assert (NEURON_W.data, NEURON_W.grad, NEURON_B.grad) == (0.25, -3.0, 0.0)


@pytest.mark.parametrize(
    "wrong",
    [
        pytest.param(lambda w, b, x, t: by_hand(w, b, x, t, slope=False), id="no sigmoid slope"),
        pytest.param(lambda w, b, x, t: by_hand(w, b, x, t, sign=-1.0), id="t - a, not a - t"),
    ],
)
def test_the_tutorials_mistakes_are_caught(wrong: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert not check_neuron(wrong)
    out = capsys.readouterr().out
    assert out.startswith("✗ the neuron's backward: at (0.5, -0.2, 1.5, 1.0) the gradient of w")


def test_hand_gradients_missing_or_malformed(capsys: pytest.CaptureFixture[str]) -> None:
    assert not check_neuron(None)
    assert not check_neuron(lambda w, b, x, t: [None, None])
    assert not check_neuron(lambda w, b, x, t: [0.0])
    assert not check_neuron(lambda w, b, x, t: ["0", 0.0])
    lines = capsys.readouterr().out.splitlines()
    assert [line[0] for line in lines] == ["…", "…", "✗", "✗"]
    assert "expected 2 gradients (w, b)" in lines[2]
    assert "the gradient of w is '0'" in lines[3]


def test_the_docstring_example_runs() -> None:
    failed, attempted = doctest.testmod(exercises_compile, verbose=False)
    assert attempted > 0 and failed == 0
