"""`gradcheck`: it passes right derivatives, catches wrong ones (first and second order),
and every generated expression passes it."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings

from autograd import GradcheckError, Value, gradcheck
from autograd.testing import Expression, expressions

MANY = settings(max_examples=3 * settings.default.max_examples)


def test_gradcheck_passes_correct_derivatives() -> None:
    assert gradcheck(lambda x, y: (x * y).sin(), [0.3, -1.2], order=2) is True
    assert gradcheck(lambda x: x.sigmoid() * x.log(), [2.0]) is True


def wrong_first_derivative(x: Value) -> Value:
    """x², computed so that autograd sees x * constant: it reports x instead of 2x."""
    return x * x.detach()


def wrong_second_derivative(x: Value) -> Value:
    """x³ whose first derivative is right (3x²) but whose derivative graph is cut.

    With a = x detached, a³ + 3a²(x - a) equals x³ near any point and its gradient is 3a²,
    which is 3x² in value; but d(3a²)/dx = 0 where it should be 6x.
    """
    a = x.detach()
    return a * a * a + 3 * a * a * (x - a)


def test_gradcheck_catches_a_wrong_first_derivative_naming_input_and_values() -> None:
    with pytest.raises(GradcheckError) as info:
        gradcheck(wrong_first_derivative, [1.5])
    message = str(info.value)
    assert "d f/d x0" in message
    assert "analytic 1.5" in message  # autograd's x
    assert "numeric 3.0" in message or "numeric 2.99999" in message  # the true 2x


def test_gradcheck_names_the_input_whose_derivative_is_wrong() -> None:
    with pytest.raises(GradcheckError, match="d f/d x1"):
        gradcheck(lambda x, y: x.sin() + wrong_first_derivative(y), [0.5, 2.0])


def test_order_two_catches_a_wrong_second_derivative_that_order_one_misses() -> None:
    assert gradcheck(wrong_second_derivative, [0.7]) is True
    with pytest.raises(GradcheckError) as info:
        gradcheck(wrong_second_derivative, [0.7], order=2)
    message = str(info.value)
    assert "d2 f/d x0 d x0" in message
    assert "analytic 0.0" in message


def test_gradcheck_error_is_an_assertion_error() -> None:
    assert issubclass(GradcheckError, AssertionError)


def test_tolerances_decide() -> None:
    # A central difference of exp at 1 is off by about eps² e / 6: inside rtol 1e-3,
    # outside a tolerance of zero.
    assert gradcheck(lambda x: x.exp(), [1.0], eps=1e-3)
    with pytest.raises(GradcheckError):
        gradcheck(lambda x: x.exp(), [1.0], eps=1e-3, atol=0.0, rtol=0.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"order": 3}, ValueError, "order must be 1 or 2, got 3"),
        ({"eps": 0.0}, ValueError, "eps must be > 0, got 0.0"),
        ({"eps": -1e-6}, ValueError, "eps must be > 0"),
    ],
)
def test_gradcheck_refuses_bad_settings(
    kwargs: dict[str, float], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        gradcheck(lambda x: x, [1.0], **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("inputs", "error", "message"),
    [
        (["a"], TypeError, r"inputs\[0\].*str"),
        ([1.0, math.nan], ValueError, r"inputs\[1\].*nan"),
        ([math.inf], ValueError, r"inputs\[0\].*inf"),
    ],
)
def test_gradcheck_refuses_bad_inputs(
    inputs: list[object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        gradcheck(lambda *xs: Value.sum(xs), inputs)  # type: ignore[arg-type]


def test_gradcheck_refuses_a_function_that_returns_no_value() -> None:
    with pytest.raises(TypeError, match="fn must return a Value, got float"):
        gradcheck(lambda x: 2.0, [1.0])  # type: ignore[arg-type,return-value]


@MANY
@given(expressions(variables=2))
def test_every_generated_expression_passes_gradcheck_first_and_second_order(
    expr: Expression,
) -> None:
    assert gradcheck(expr, expr.values, order=2)


@MANY
@given(expressions(variables=3, max_depth=5))
def test_deeper_generated_expressions_pass_gradcheck_first_order(expr: Expression) -> None:
    assert gradcheck(expr, expr.values)
