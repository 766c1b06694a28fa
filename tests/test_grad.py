"""`grad()`: derivatives as new Values, no `.grad` touched, and any order via create_graph."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings

from autograd import Value, grad, no_grad, topological_order
from autograd.testing import Expression, expressions, finite_floats

MANY = settings(max_examples=3 * settings.default.max_examples)


def test_grad_returns_new_values_and_touches_no_grad() -> None:
    a, b = Value(2.0), Value(-3.0)
    out = (a * b).tanh() + a.exp() / b
    nodes = topological_order(out)
    da, db = grad(out, [a, b])
    assert all(node.grad == 0.0 for node in nodes)
    assert da is not a and db is not b
    assert (da.parents, db.parents) == ((), ())  # without create_graph: plain leaves
    out.backward()
    assert (da.data, db.data) == (a.grad, b.grad)


def test_grad_leaves_gradients_from_an_earlier_backward_alone() -> None:
    x = Value(1.5)
    y = x * x
    y.backward()
    grad(y * 3, [x], create_graph=True)
    grad(y * 3, [x, y])
    assert (x.grad, y.grad) == (3.0, 1.0)


@MANY
@given(expressions(variables=3))
def test_grad_agrees_with_backward_on_any_expression(expr: Expression) -> None:
    leaves = expr.leaves()
    out = expr(*leaves)
    by_grad = [g.data for g in grad(out, leaves)]
    with_graph = [g.data for g in grad(out, leaves, create_graph=True)]
    assert all(node.grad == 0.0 for node in topological_order(out))
    out.backward()
    for leaf, g, h in zip(leaves, by_grad, with_graph, strict=True):
        assert math.isclose(g, leaf.grad, rel_tol=1e-12, abs_tol=1e-12)
        assert math.isclose(h, leaf.grad, rel_tol=1e-9, abs_tol=1e-9)


def test_an_input_the_output_does_not_depend_on_gets_zero() -> None:
    x, unused = Value(2.0), Value(5.0)
    dx, du = grad(x * x, [x, unused], create_graph=True)
    assert (dx.data, du.data) == (4.0, 0.0)
    (d2u,) = grad(du, [unused])
    assert d2u.data == 0.0


def test_grad_with_respect_to_an_intermediate_node_and_the_output_itself() -> None:
    x = Value(2.0)
    m = x * 3
    out = m * m
    dm, dout, dx = grad(out, [m, out, x])
    assert (dm.data, dout.data, dx.data) == (12.0, 1.0, 36.0)


def test_the_same_input_twice_gets_its_gradient_twice() -> None:
    x = Value(2.0)
    g1, g2 = grad(x * x, [x, x])
    assert g1.data == g2.data == 4.0


@given(finite_floats(-2, 2))
def test_derivatives_of_any_order_of_sin(x: float) -> None:
    # d^n/dx^n sin(x) = sin(x + n * pi / 2)
    leaf = Value(x)
    derivative = leaf.sin()
    for n in range(1, 7):
        (derivative,) = grad(derivative, [leaf], create_graph=True)
        assert math.isclose(derivative.data, math.sin(x + n * math.pi / 2), abs_tol=1e-12)


@given(finite_floats(-2, 2))
def test_derivatives_of_any_order_of_exp_and_a_polynomial(x: float) -> None:
    leaf = Value(x)
    exp2 = (2 * leaf).exp()
    cubic = leaf**3 - 2 * leaf
    for n in range(1, 6):
        (exp2,) = grad(exp2, [leaf], create_graph=True)
        (cubic,) = grad(cubic, [leaf], create_graph=True)
        assert math.isclose(exp2.data, 2**n * math.exp(2 * x), rel_tol=1e-12)
        expected = {1: 3 * x**2 - 2, 2: 6 * x, 3: 6.0}.get(n, 0.0)
        assert math.isclose(cubic.data, expected, rel_tol=1e-12, abs_tol=1e-12)


@given(finite_floats(-3, 3), finite_floats(-3, 3))
def test_mixed_second_partials_are_symmetric(a: float, b: float) -> None:
    x, y = Value(a), Value(b)
    f = (x * y * y).sin() + x.exp() * y
    dx, dy = grad(f, [x, y], create_graph=True)
    (dxdy,) = grad(dx, [y])
    (dydx,) = grad(dy, [x])
    expected = 2 * b * math.cos(a * b * b) - 2 * a * b**3 * math.sin(a * b * b) + math.exp(a)
    assert math.isclose(dxdy.data, expected, rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(dydx.data, expected, rel_tol=1e-9, abs_tol=1e-9)


def test_create_graph_works_inside_no_grad() -> None:
    x = Value(3.0)
    with no_grad():
        y_leaf = x * x
    y = x * x
    with no_grad():
        (dy,) = grad(y, [x], create_graph=True)
    assert dy.parents != ()  # the derivative was recorded anyway
    (d2y,) = grad(dy, [x])
    assert d2y.data == 2.0
    assert grad(y_leaf, [x])[0].data == 0.0  # made under no_grad: no path back to x


def test_the_derivative_graph_can_be_backpropagated() -> None:
    x = Value(0.5)
    (dy,) = grad(x.tanh(), [x], create_graph=True)
    dy.backward()
    t = math.tanh(0.5)
    assert math.isclose(x.grad, -2 * t * (1 - t * t), rel_tol=1e-12)


@pytest.mark.parametrize(
    ("output", "inputs", "message"),
    [
        (2.0, [Value(1.0)], "output must be a Value, got float"),
        (Value(1.0), [Value(1.0), 3.0], r"inputs\[1\] must be a Value, got float"),
    ],
)
def test_grad_refuses_non_values(output: object, inputs: list[object], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        grad(output, inputs)  # type: ignore[arg-type]
