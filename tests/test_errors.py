"""Every bad input: the exception type, and a message naming the op and the value.

Errors raise where they happen (at the op, not later in backward), and an error in
backward() leaves every gradient as it was.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import pytest

from autograd import Value, grad, topological_order


def raises_naming(
    error: type[Exception], build: Callable[[], object], *names: str
) -> pytest.ExceptionInfo[Exception]:
    """Check that build() raises `error` whose message contains every one of `names`."""
    with pytest.raises(error) as info:
        build()
    message = str(info.value)
    for name in names:
        assert name in message, f"{name!r} is not in the message {message!r}"
    return info


@pytest.mark.parametrize(
    ("given", "type_name"), [("x", "str"), (None, "NoneType"), ([1], "list"), (1j, "complex")]
)
def test_value_of_a_non_number_is_a_type_error(given: object, type_name: str) -> None:
    raises_naming(TypeError, lambda: Value(given), "Value", type_name, repr(given))  # type: ignore[arg-type]


@pytest.mark.parametrize("given", [math.nan, math.inf, -math.inf])
def test_value_of_a_non_finite_number_is_a_value_error(given: float) -> None:
    raises_naming(ValueError, lambda: Value(given), "Value", repr(given))


@pytest.mark.parametrize(
    ("build", "error", "names"),
    [
        (lambda: Value(0.0).log(), ValueError, ["log", "0.0"]),
        (lambda: Value(-1.0).log(), ValueError, ["log", "-1.0"]),
        (lambda: Value(-1.0).sqrt(), ValueError, ["sqrt", "-1.0"]),
        (lambda: Value(-8.0) ** (1 / 3), ValueError, ["**", "-8.0", repr(1 / 3)]),
        (lambda: Value(-2.0) ** Value(2.0), ValueError, ["**", "-2.0"]),
        (lambda: Value(0.0) ** Value(2.0), ValueError, ["**", "0.0"]),
        (lambda: (-2.0) ** Value(2.0), ValueError, ["**", "-2.0"]),
        (lambda: Value(1000.0).exp(), OverflowError, ["exp", "1000.0"]),
        (lambda: 1 / Value(0.0), ZeroDivisionError, ["/", "0.0"]),
        (lambda: Value(1.0) / 0, ZeroDivisionError, ["/", "0.0"]),
        (lambda: Value(1.0) / Value(0.0), ZeroDivisionError, ["/", "0.0"]),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, ["**", "0.0", "-1.0"]),
        (lambda: Value(1e200) * 1e200, OverflowError, ["*", "1e+200"]),
        (lambda: Value(1e200) * Value(1e200), OverflowError, ["*", "1e+200"]),
        (lambda: 1e200 * Value(1e200), OverflowError, ["*", "1e+200"]),
        (lambda: Value(1.7e308) + Value(1.7e308), OverflowError, ["+", "1.7e+308"]),
        (lambda: Value(10.0) ** 400, OverflowError, ["**", "10.0", "400"]),
        (lambda: 10.0 ** Value(400.0), OverflowError, ["**", "400.0"]),
        (lambda: Value(1e300) / 1e-300, OverflowError, ["/", "1e+300", "1e-300"]),
        (lambda: Value.sum([Value(1.7e308), Value(1.7e308)]), OverflowError, ["sum"]),
    ],
    ids=lambda p: p if isinstance(p, str) else None,
)
def test_domain_errors_raise_at_the_op(
    build: Callable[[], object], error: type[Exception], names: list[str]
) -> None:
    raises_naming(error, build, *names)


def test_exp_just_below_overflow_is_fine_and_just_above_raises() -> None:
    assert math.isfinite(Value(709.78).exp().data)
    raises_naming(OverflowError, lambda: Value(709.79).exp(), "exp", "709.79")


def test_a_failed_op_changes_nothing() -> None:
    x = Value(-1.0)
    with pytest.raises(ValueError):
        x.log()
    assert (x.data, x.grad, x.parents) == (-1.0, 0.0, ())


def test_backward_with_a_non_finite_seed_is_refused() -> None:
    raises_naming(ValueError, lambda: Value(1.0).backward(math.nan), "backward", "nan")
    raises_naming(TypeError, lambda: Value(1.0).backward("1"), "backward", "str")  # type: ignore[arg-type]


# -- infinite derivatives: raise in backward() before any gradient changes -----------------


def _graph_with_sqrt_at_zero() -> tuple[Value, list[Value]]:
    a, b, x = Value(2.0, label="a"), Value(-3.0, label="b"), Value(0.0, label="x")
    out = (a * b).tanh() + x.sqrt() * a
    return out, [a, b, x]


def test_sqrt_at_zero_has_a_value_but_its_derivative_raises_naming_the_op() -> None:
    x = Value(0.0)
    y = x.sqrt()
    assert y.data == 0.0
    raises_naming(ZeroDivisionError, y.backward, "sqrt", "0.0")


def test_an_infinite_derivative_raises_before_any_gradient_changes() -> None:
    out, _ = _graph_with_sqrt_at_zero()
    before = [(node, node.grad) for node in topological_order(out)]
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        out.backward()
    assert [(node, node.grad) for node in topological_order(out)] == before
    assert all(g == 0.0 for _, g in before)


def test_an_infinite_derivative_in_a_second_backward_keeps_the_first_gradients() -> None:
    a = Value(2.0)
    y = a * 3
    y.backward()
    x = Value(0.0)
    out = y * x.sqrt() + y
    with pytest.raises(ZeroDivisionError):
        out.backward()
    assert (a.grad, y.grad, x.grad) == (3.0, 1.0, 0.0)


@pytest.mark.parametrize("exponent", [0.5, 0.25, 1 / 3 + 0.1])
def test_fractional_power_below_one_at_zero_raises_in_backward(exponent: float) -> None:
    x = Value(0.0)
    y = x**exponent
    assert y.data == 0.0
    raises_naming(ZeroDivisionError, y.backward, "**")
    assert x.grad == 0.0


def test_grad_raises_on_an_infinite_derivative_too_and_touches_nothing() -> None:
    out, leaves = _graph_with_sqrt_at_zero()
    with pytest.raises(ZeroDivisionError, match=re.escape("sqrt")):
        grad(out, leaves)
    assert all(node.grad == 0.0 for node in topological_order(out))


def test_a_second_derivative_that_is_infinite_raises_in_grad() -> None:
    x = Value(0.0)
    (first,) = grad(x**1.5, [x], create_graph=True)  # 1.5 * x ** 0.5: fine, 0 at 0
    assert first.data == 0.0
    with pytest.raises(ZeroDivisionError, match=re.escape("**")):
        grad(first, [x])  # 0.75 * x ** -0.5: infinite at 0


def test_an_overflowing_gradient_raises_and_leaves_every_gradient_as_it_was() -> None:
    # Finite values, infinite gradient: d log(u) / du = 1 / 1e-310 overflows.
    a = Value(2.0)
    x = Value(1e-310)
    u = x * 1.0
    out = u.log() + a * a
    out.backward(1e-300)  # fine: the gradient reaching u is 1e-300 / 1e-310 = 1e10
    before = [(node, node.grad) for node in topological_order(out)]
    with pytest.raises(OverflowError, match="backward"):
        out.backward()
    assert [(node, node.grad) for node in topological_order(out)] == before


def test_an_overflowing_gradient_of_a_leaf_raises_and_changes_nothing() -> None:
    # The infinite gradient lands on a leaf directly: d log(x) / dx = 1 / 1e-310.
    x = Value(1e-310, label="x")
    x.grad = 0.5
    out = x.log()
    with pytest.raises(OverflowError, match=r"leaf 'x' \(data 1e-310\) is inf"):
        out.backward()
    assert x.grad == 0.5
    assert out.grad == 0.0
