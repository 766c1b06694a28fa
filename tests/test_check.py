"""`gradcheck`: it passes right derivatives, catches wrong ones (first and second order),
and every generated expression passes it."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings

from autograd import GradcheckError, Value, define_op, grad, gradcheck, no_grad
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
        ({"order": 0}, ValueError, "order must be an int >= 1, got 0"),
        ({"order": 1.5}, ValueError, "order must be an int >= 1, got 1.5"),
        ({"order": True}, ValueError, "order must be an int >= 1, got True"),
        ({"eps": 0.0}, ValueError, "eps must be > 0, got 0.0"),
        ({"eps": -1e-6}, ValueError, "eps must be > 0"),
        ({"eps": math.nan}, ValueError, "eps must be finite, got nan"),
        ({"eps": math.inf}, ValueError, "eps must be finite, got inf"),
        ({"atol": math.nan}, ValueError, "atol must be finite, got nan"),
        ({"rtol": math.nan}, ValueError, "rtol must be finite, got nan"),
        ({"atol": math.inf}, ValueError, "atol must be finite, got inf"),
        ({"atol": -1e-5}, ValueError, "atol must be >= 0, got -1e-05"),
        ({"rtol": -0.1}, ValueError, "rtol must be >= 0, got -0.1"),
        ({"rtol": "0.1"}, ValueError, "rtol must be a number, got '0.1'"),
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


def test_a_nan_tolerance_no_longer_lets_a_wrong_derivative_pass() -> None:
    with pytest.raises(ValueError, match="atol"):
        gradcheck(wrong_first_derivative, [1.5], atol=math.nan)


# -- functions that differentiate inside: third derivatives ------------------------------------


def dcube(x: Value) -> Value:
    """d(x³)/dx = 3x², computed by autograd inside the function."""
    return grad(x**3, [x], create_graph=True)[0]


def test_a_function_that_calls_grad_inside_is_checked_like_any_other() -> None:
    # The first derivative of dcube is 6x = 9 at 1.5: numeric and analytic both.
    assert gradcheck(dcube, [1.5]) is True
    assert gradcheck(dcube, [1.5], order=2) is True  # d3(x³)/dx3 = 6


def test_a_derivative_function_works_under_no_grad_too() -> None:
    with no_grad():
        assert gradcheck(dcube, [1.5], order=2) is True


def dcube_cut(x: Value) -> Value:
    """d(x³)/dx computed without create_graph: a constant leaf, so its derivative reads 0."""
    return grad(x**3, [x])[0] + 0 * x


def test_a_derivative_function_that_forgets_create_graph_is_caught() -> None:
    with pytest.raises(GradcheckError) as info:
        gradcheck(dcube_cut, [1.5])
    assert "analytic 0.0" in str(info.value)
    assert "numeric 9.0" in str(info.value) or "numeric 8.99999" in str(info.value)


def test_nested_derivative_functions_check_to_third_and_fourth_order() -> None:
    def f(x: Value, y: Value) -> Value:
        return (x * y).sin() * x.exp()

    def dfdx(x: Value, y: Value) -> Value:
        return grad(f(x, y), [x], create_graph=True)[0]

    def d2fdx2(x: Value, y: Value) -> Value:
        return grad(dfdx(x, y), [x], create_graph=True)[0]

    assert gradcheck(dfdx, [0.4, -0.7], order=2, atol=1e-4)  # third derivatives
    assert gradcheck(d2fdx2, [0.4, -0.7], order=2, atol=1e-4)  # fourth derivatives


def test_order_three_compares_every_third_derivative() -> None:
    assert gradcheck(lambda x, y: x * x * y * y.exp(), [0.5, 0.25], order=3, atol=1e-4)


def wrong_third_derivative(x: Value) -> Value:
    """x⁴ whose first and second derivatives are right but whose third reads 0.

    With a = x detached, a⁴ + 4a³(x - a) + 6a²(x - a)² matches x⁴ to second order at every
    point: value, slope 4x³ and curvature 12x² are right, d3/dx3 = 0 instead of 24x.
    """
    a = x.detach()
    return a**4 + 4 * a**3 * (x - a) + 6 * a**2 * (x - a) ** 2


def test_order_three_catches_a_wrong_third_derivative_that_order_two_misses() -> None:
    assert gradcheck(wrong_third_derivative, [0.8], order=2, atol=1e-4)
    with pytest.raises(GradcheckError, match=r"d3 f/d x0 d x0 d x0 .* analytic 0\.0"):
        gradcheck(wrong_third_derivative, [0.8], order=3, atol=1e-4)


# -- a rule must scale with the upstream gradient g ----------------------------------------

FORGOT_G = "the rule of 'sq' does not scale with the upstream gradient g"


def test_a_rule_that_forgets_g_is_caught_on_its_own() -> None:
    # With the seed 1 alone the rule looks right: 2x is d(x²)/dx.
    sq = define_op("sq", lambda x: x * x, lambda g, out, x: (2 * x,))
    with pytest.raises(GradcheckError, match=FORGOT_G + ".* did it forget to multiply by g"):
        gradcheck(sq, [0.7])
    with pytest.raises(GradcheckError, match=FORGOT_G):
        gradcheck(lambda x: 3 * sq(x), [0.7])


def test_a_rule_that_misuses_g_is_caught() -> None:
    for rule in (lambda g, out, x: (g * g * 2 * x,), lambda g, out, x: (abs(g) * 2 * x,)):
        sq = define_op("sq", lambda x: x * x, rule)
        with pytest.raises(GradcheckError, match=FORGOT_G):
            gradcheck(sq, [0.7], order=2)


def test_a_rule_that_ignores_g_only_under_create_graph_is_caught() -> None:
    def rule(g: object, out: object, x: object) -> tuple[object]:
        return (g * 2 * x if isinstance(g, float) else 2 * x,)  # type: ignore[operator]

    sq = define_op("sq", lambda x: x * x, rule)
    assert gradcheck(sq, [0.7])  # order 1 calls it with floats only
    with pytest.raises(GradcheckError, match=FORGOT_G):
        gradcheck(sq, [0.7], order=2)


def test_a_rule_inside_a_rule_is_checked_at_the_order_that_reaches_it() -> None:
    # double's rule forgets g, but only the second derivative of outer sweeps through it.
    double = define_op("double", lambda x: 2 * x, lambda g, out, x: (2.0,))
    outer = define_op("outer", lambda x: x * x, lambda g, out, x: (g * double(x),))
    assert gradcheck(outer, [0.7])
    with pytest.raises(GradcheckError, match="the rule of 'double' does not scale"):
        gradcheck(outer, [0.7], order=2)


def test_right_rules_pass_at_every_order() -> None:
    sq = define_op("sq", lambda x: x * x, lambda g, out, x: (g * 2 * x,))
    none_for_b = define_op("first", lambda a, b: a, lambda g, out, a, b: (g, None))
    assert gradcheck(sq, [0.7], order=3)
    assert gradcheck(lambda a, b: none_for_b(sq(a), b) * b, [0.7, -1.5], order=2)
