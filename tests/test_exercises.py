"""The notebooks' exercise checker: right answers pass, wrong and missing ones are told apart."""

from __future__ import annotations

import math

import pytest

from autograd import Value
from nn import exercises


def test_a_right_number_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert exercises.check_number(6.0000000001, 6.0, what="a.grad")
    assert capsys.readouterr().out == "✓ a.grad: right.\n"
    assert exercises.check_number(Value(-2.0), Value(-2.0), what="v")


def test_a_missing_answer_is_not_answered(capsys: pytest.CaptureFixture[str]) -> None:
    assert not exercises.check_number(None, 6.0, what="a.grad")
    assert capsys.readouterr().out == "… a.grad: not answered yet (replace the None).\n"


@pytest.mark.parametrize(
    ("answer", "hint"),
    [(-6.0, "the sign is wrong"), (7.0, "too large"), (5.0, "too small"), (0.0, "too small")],
)
def test_a_wrong_number_says_how(
    answer: float, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not exercises.check_number(answer, 6.0, what="a.grad")
    out = capsys.readouterr().out
    assert out.startswith("✗ a.grad:") and hint in out
    assert "6.0 " not in out.replace(repr(answer), "")  # the expected value is not given away


@pytest.mark.parametrize("answer", ["6", True, math.nan, math.inf, [6.0]])
def test_what_is_not_a_finite_number_is_wrong(
    answer: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not exercises.check_number(answer, 6.0, what="x")
    assert "expected a finite number" in capsys.readouterr().out


def test_an_expected_value_that_is_not_a_number_is_the_exercise_authors_error() -> None:
    with pytest.raises(ValueError, match="check_number: expected must be a finite number"):
        exercises.check_number(1.0, math.nan, what="x")


def test_functions_are_compared_point_by_point(capsys: pytest.CaptureFixture[str]) -> None:
    def reference(a: float, b: float) -> list[float]:
        return [a * b, a + b]

    assert exercises.check_function(
        lambda a, b: [b * a, b + a], reference, [(1, 2), (3, -1)], what="f"
    )
    assert not exercises.check_function(
        lambda a, b: [a * b, a - b], reference, [(1, 0), (3, -1)], what="f"
    )
    assert "at (3, -1) it gives [-3, 4], which is wrong" in capsys.readouterr().out.splitlines()[-1]
    assert not exercises.check_function(lambda a, b: [a * b], reference, [(1, 2)], what="f")
    assert not exercises.check_function(None, reference, [(1, 2)], what="f")
    assert "not answered" in capsys.readouterr().out.splitlines()[-1]
    assert not exercises.check_function(lambda a, b: None, reference, [(1, 2)], what="f")
    assert "not answered" in capsys.readouterr().out.splitlines()[-1]
    assert not exercises.check_function(lambda a, b: [None, None], reference, [(1, 2)], what="f")
    assert "not answered" in capsys.readouterr().out.splitlines()[-1]


def test_a_function_that_raises_is_wrong_and_named(capsys: pytest.CaptureFixture[str]) -> None:
    def broken(x: float) -> float:
        raise ZeroDivisionError("oops")

    assert not exercises.check_function(broken, lambda x: x, [(2.0,)], what="f")
    assert "at (2.0) it raised ZeroDivisionError: oops" in capsys.readouterr().out


def test_a_derivative_rule_is_graded_by_gradcheck(capsys: pytest.CaptureFixture[str]) -> None:
    assert exercises.check_gradient(Value.exp, math.exp, [-1.0, 0.0, 2.5], what="exp")
    assert capsys.readouterr().out == "✓ exp: right.\n"

    def wrong_value(x: Value) -> Value:
        return x.exp() + 1

    assert not exercises.check_gradient(wrong_value, math.exp, [0.5], what="exp")
    assert "at 0.5 its value" in capsys.readouterr().out

    def wrong_rule(x: Value) -> Value:
        # e^x computed as a product whose derivative is cut off: the value is right,
        # the slope is not.
        return x.exp().relu() * 0 + Value(math.exp(x.data))

    assert not exercises.check_gradient(wrong_rule, math.exp, [0.5], what="exp")
    assert "its derivative is wrong" in capsys.readouterr().out
    assert not exercises.check_gradient(lambda x: 3.0, math.exp, [0.5], what="exp")  # type: ignore[arg-type, return-value]
    assert "not a Value" in capsys.readouterr().out
    assert not exercises.check_gradient(None, math.exp, [0.5], what="exp")


def test_a_property_is_judged_by_running_it(capsys: pytest.CaptureFixture[str]) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=50, derandomize=True, database=None)
    @given(st.floats(-10, 10))
    def holds(x: float) -> None:
        assert abs(x) >= 0

    @settings(max_examples=50, derandomize=True, database=None)
    @given(st.floats(-10, 10))
    def fails(x: float) -> None:
        assert x < 5, "too big"

    assert exercises.check_property(holds, what="p")
    assert capsys.readouterr().out == "✓ p: right.\n"
    assert not exercises.check_property(fails, what="p")
    out = capsys.readouterr().out
    assert out.startswith("✗ p: AssertionError: too big (") and "x=5.0" in out
    assert not exercises.check_property(None, what="p")
    assert "not answered" in capsys.readouterr().out
