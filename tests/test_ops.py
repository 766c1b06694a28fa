"""Every op: its value, first and second derivatives against closed forms and central
differences, at hypothesis-drawn points inside its domain; its kinks; its stability."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad, gradcheck
from autograd.testing import finite_floats
from nn.neuron import neuron

# Tolerance between the engine and a closed form: a few roundings apart, nothing more.
REL, ABS = 1e-12, 1e-13


def close(actual: float, expected: float, rel: float = REL, abs_: float = ABS) -> bool:
    return math.isclose(actual, expected, rel_tol=rel, abs_tol=abs_)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def derivatives(build: Callable[[Value], Value], x: float) -> tuple[float, float, float, float]:
    """The engine's value, first derivative by backward() and by grad(), and second by grad."""
    leaf = Value(x)
    out = build(leaf)
    out.backward()
    by_backward = leaf.grad
    leaf2 = Value(x)
    (first,) = grad(build(leaf2), [leaf2], create_graph=True)
    (second,) = grad(first, [leaf2])
    assert close(first.data, by_backward, 1e-15, 0.0)
    return out.data, by_backward, first.data, second.data


@dataclass(frozen=True)
class Unary:
    """An op of one Value with its closed forms f, f', f'' and its domain [low, high]."""

    name: str
    build: Callable[[Value], Value]
    f: Callable[[float], float]
    df: Callable[[float], float]
    d2f: Callable[[float], float]
    low: float
    high: float
    min_magnitude: float = 0.0  # away from a kink at 0

    def domain(self) -> st.SearchStrategy[float]:
        return finite_floats(self.low, self.high, min_magnitude=self.min_magnitude)

    def inner_domain(self) -> st.SearchStrategy[float]:
        """Well inside the domain, so that x +- eps of a central difference stays in it."""
        low, high = max(self.low, -20.0), min(self.high, 20.0)
        return finite_floats(low, high, min_magnitude=max(self.min_magnitude, 0.05))


def _s(x: float) -> float:
    return sigmoid(x) * (1 - sigmoid(x))


UNARY = [
    Unary("neg", lambda v: -v, lambda x: -x, lambda x: -1.0, lambda x: 0.0, -50, 50),
    Unary("abs", abs, abs, lambda x: math.copysign(1.0, x), lambda x: 0.0, -50, 50, 1e-3),
    Unary("exp", Value.exp, math.exp, math.exp, math.exp, -30, 30),
    Unary("log", Value.log, math.log, lambda x: 1 / x, lambda x: -1 / x**2, 1e-3, 1e3),
    Unary(
        "tanh",
        Value.tanh,
        math.tanh,
        lambda x: 1 - math.tanh(x) ** 2,
        lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2),
        -20,
        20,
    ),
    Unary("sigmoid", Value.sigmoid, sigmoid, _s, lambda x: _s(x) * (1 - 2 * sigmoid(x)), -30, 30),
    Unary(
        "relu",
        Value.relu,
        lambda x: max(x, 0.0),
        lambda x: 1.0 if x > 0 else 0.0,
        lambda x: 0.0,
        -50,
        50,
        1e-3,
    ),
    Unary(
        "sqrt",
        Value.sqrt,
        math.sqrt,
        lambda x: 0.5 / math.sqrt(x),
        lambda x: -0.25 * x**-1.5,
        1e-3,
        1e3,
    ),
    Unary("sin", Value.sin, math.sin, math.cos, lambda x: -math.sin(x), -100, 100),
    Unary("cos", Value.cos, math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x), -100, 100),
]


@pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)
@given(data=st.data())
def test_unary_value_and_derivatives_match_closed_forms(op: Unary, data: st.DataObject) -> None:
    x = data.draw(op.domain(), label="x")
    value, by_backward, _, second = derivatives(op.build, x)
    assert close(value, op.f(x))
    assert close(by_backward, op.df(x))
    # The second derivative goes through the rule applied to Values: a few more roundings.
    assert close(second, op.d2f(x), 1e-10, 1e-12)


@pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)
@given(data=st.data())
def test_unary_derivatives_match_central_differences(op: Unary, data: st.DataObject) -> None:
    x = data.draw(op.inner_domain(), label="x")
    assert gradcheck(lambda v: op.build(v), [x], order=2)


@dataclass(frozen=True)
class WithNumber:
    """``x op c`` or ``c op x``: closed forms in x for a given number c."""

    name: str
    build: Callable[[Value, float], Value]
    f: Callable[[float, float], float]
    df: Callable[[float, float], float]
    d2f: Callable[[float, float], float]
    xs: st.SearchStrategy[float]
    cs: st.SearchStrategy[float]


ANY = finite_floats(-20, 20)
AWAY_FROM_ZERO = finite_floats(-20, 20, min_magnitude=0.05)
POSITIVE = finite_floats(0.05, 5)
WITH_NUMBER = [
    WithNumber(
        "x + c",
        lambda v, c: v + c,
        lambda x, c: x + c,
        lambda x, c: 1.0,
        lambda x, c: 0.0,
        ANY,
        ANY,
    ),
    WithNumber(
        "c + x",
        lambda v, c: c + v,
        lambda x, c: c + x,
        lambda x, c: 1.0,
        lambda x, c: 0.0,
        ANY,
        ANY,
    ),
    WithNumber(
        "x - c",
        lambda v, c: v - c,
        lambda x, c: x - c,
        lambda x, c: 1.0,
        lambda x, c: 0.0,
        ANY,
        ANY,
    ),
    WithNumber(
        "c - x",
        lambda v, c: c - v,
        lambda x, c: c - x,
        lambda x, c: -1.0,
        lambda x, c: 0.0,
        ANY,
        ANY,
    ),
    WithNumber(
        "x * c", lambda v, c: v * c, lambda x, c: x * c, lambda x, c: c, lambda x, c: 0.0, ANY, ANY
    ),
    WithNumber(
        "c * x", lambda v, c: c * v, lambda x, c: c * x, lambda x, c: c, lambda x, c: 0.0, ANY, ANY
    ),
    WithNumber(
        "x / c",
        lambda v, c: v / c,
        lambda x, c: x / c,
        lambda x, c: 1 / c,
        lambda x, c: 0.0,
        ANY,
        AWAY_FROM_ZERO,
    ),
    WithNumber(
        "c / x",
        lambda v, c: c / v,
        lambda x, c: c / x,
        lambda x, c: -c / x**2,
        lambda x, c: 2 * c / x**3,
        AWAY_FROM_ZERO,
        ANY,
    ),
    WithNumber(
        "x ** integer c",
        lambda v, c: v**c,
        lambda x, c: x**c,
        lambda x, c: c * x ** (c - 1),
        lambda x, c: c * (c - 1) * x ** (c - 2),
        finite_floats(-3, 3, min_magnitude=0.05),
        st.integers(-3, 4).map(float),
    ),
    WithNumber(
        "x ** real c",
        lambda v, c: v**c,
        lambda x, c: x**c,
        lambda x, c: c * x ** (c - 1),
        lambda x, c: c * (c - 1) * x ** (c - 2),
        POSITIVE,
        finite_floats(-3, 3),
    ),
    WithNumber(
        "c ** x",
        lambda v, c: c**v,
        lambda x, c: c**x,
        lambda x, c: c**x * math.log(c),
        lambda x, c: c**x * math.log(c) ** 2,
        finite_floats(-5, 5),
        POSITIVE,
    ),
]


@pytest.mark.parametrize("op", WITH_NUMBER, ids=lambda op: op.name)
@given(data=st.data())
def test_number_operand_ops_match_closed_forms(op: WithNumber, data: st.DataObject) -> None:
    x, c = data.draw(op.xs, label="x"), data.draw(op.cs, label="c")
    value, by_backward, _, second = derivatives(lambda v: op.build(v, c), x)
    assert close(value, op.f(x, c))
    assert close(by_backward, op.df(x, c), 1e-11, 1e-13)
    assert close(second, op.d2f(x, c), 1e-10, 1e-12)
    assert gradcheck(lambda v: op.build(v, c), [x], order=2, atol=1e-4)


@dataclass(frozen=True)
class Binary:
    """``a op b`` for two Values: closed-form gradient and Hessian."""

    name: str
    build: Callable[[Value, Value], Value]
    f: Callable[[float, float], float]
    gradient: Callable[[float, float], tuple[float, float]]
    hessian: Callable[[float, float], tuple[tuple[float, float], tuple[float, float]]]
    as_: st.SearchStrategy[float]
    bs: st.SearchStrategy[float]


BINARY = [
    Binary(
        "a + b",
        lambda a, b: a + b,
        lambda a, b: a + b,
        lambda a, b: (1.0, 1.0),
        lambda a, b: ((0.0, 0.0), (0.0, 0.0)),
        ANY,
        ANY,
    ),
    Binary(
        "a - b",
        lambda a, b: a - b,
        lambda a, b: a - b,
        lambda a, b: (1.0, -1.0),
        lambda a, b: ((0.0, 0.0), (0.0, 0.0)),
        ANY,
        ANY,
    ),
    Binary(
        "a * b",
        lambda a, b: a * b,
        lambda a, b: a * b,
        lambda a, b: (b, a),
        lambda a, b: ((0.0, 1.0), (1.0, 0.0)),
        ANY,
        ANY,
    ),
    Binary(
        "a / b",
        lambda a, b: a / b,
        lambda a, b: a / b,
        lambda a, b: (1 / b, -a / b**2),
        lambda a, b: ((0.0, -1 / b**2), (-1 / b**2, 2 * a / b**3)),
        ANY,
        AWAY_FROM_ZERO,
    ),
    Binary(
        "a ** b",
        lambda a, b: a**b,
        lambda a, b: a**b,
        lambda a, b: (b * a ** (b - 1), a**b * math.log(a)),
        lambda a, b: (
            (b * (b - 1) * a ** (b - 2), a ** (b - 1) * (1 + b * math.log(a))),
            (a ** (b - 1) * (1 + b * math.log(a)), a**b * math.log(a) ** 2),
        ),
        POSITIVE,
        finite_floats(-3, 3),
    ),
]


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.name)
@given(data=st.data())
def test_two_value_ops_match_closed_forms(op: Binary, data: st.DataObject) -> None:
    a, b = data.draw(op.as_, label="a"), data.draw(op.bs, label="b")
    leaves = [Value(a), Value(b)]
    out = op.build(*leaves)
    assert close(out.data, op.f(a, b))
    firsts = grad(out, leaves, create_graph=True)
    for first, expected in zip(firsts, op.gradient(a, b), strict=True):
        assert close(first.data, expected, 1e-11, 1e-13)
    for first, expected_row in zip(firsts, op.hessian(a, b), strict=True):
        row = grad(first, leaves)
        for second, expected in zip(row, expected_row, strict=True):
            assert close(second.data, expected, 1e-10, 1e-12)
    assert gradcheck(op.build, [a, b], order=2, atol=1e-4)


@given(finite_floats(-5, 5), finite_floats(-5, 5))
def test_a_value_used_twice_gets_both_contributions(a: float, b: float) -> None:
    x = Value(a)
    y = Value(b)
    (x * x + x * y).backward()
    assert close(x.grad, 2 * a + b)
    assert close(y.grad, a)


@pytest.mark.parametrize("activation", ["linear", "relu", "tanh", "sigmoid"])
@given(
    ws=st.lists(finite_floats(-3, 3), min_size=1, max_size=3),
    data=st.data(),
)
def test_neuron_matches_its_closed_form(
    activation: str, ws: list[float], data: st.DataObject
) -> None:
    xs = data.draw(st.lists(finite_floats(-3, 3), min_size=len(ws), max_size=len(ws)))
    b = data.draw(finite_floats(-3, 3))
    z = math.fsum([*(w * x for w, x in zip(ws, xs, strict=True)), b])
    if activation == "relu":
        from hypothesis import assume

        assume(abs(z) > 1e-3)
    act, slope = {
        "linear": (lambda z: z, lambda z: 1.0),
        "relu": (lambda z: max(z, 0.0), lambda z: 1.0 if z > 0 else 0.0),
        "tanh": (math.tanh, lambda z: 1 - math.tanh(z) ** 2),
        "sigmoid": (sigmoid, _s),
    }[activation]
    weights, inputs, bias = [Value(w) for w in ws], [Value(x) for x in xs], Value(b)
    out = neuron(weights, inputs, bias, activation)
    assert close(out.data, act(z), 1e-12, 1e-12)
    out.backward()
    for w, x, w_leaf, x_leaf in zip(ws, xs, weights, inputs, strict=True):
        assert close(w_leaf.grad, slope(z) * x, 1e-11, 1e-12)
        assert close(x_leaf.grad, slope(z) * w, 1e-11, 1e-12)
    assert close(bias.grad, slope(z), 1e-11, 1e-12)

    def as_graph(*vs: Value) -> Value:
        n = len(ws)
        return neuron(list(vs[:n]), list(vs[n : 2 * n]), vs[-1], activation)

    assert gradcheck(as_graph, [*ws, *xs, b], order=2, atol=1e-4)


# -- kinks and edges, as in PyTorch --------------------------------------------------------


@pytest.mark.parametrize("build", [Value.relu, abs], ids=["relu", "abs"])
def test_the_slope_at_the_kink_is_zero(build: Callable[[Value], Value]) -> None:
    assert derivatives(build, 0.0) == (0.0, 0.0, 0.0, 0.0)
    assert derivatives(build, -0.0)[1] == 0.0


def test_a_relu_neuron_at_its_kink_passes_no_gradient() -> None:
    w, x, b = Value(1.0), Value(2.0), Value(-2.0)
    neuron([w], [x], b, "relu").backward()
    assert (w.grad, x.grad, b.grad) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("exponent", [0.0, 1.0, 2.0, 3.0])
def test_integer_powers_at_zero_have_their_polynomial_derivatives(exponent: float) -> None:
    value, first, _, second = derivatives(lambda v: v**exponent, 0.0)
    assert value == 0.0**exponent
    assert first == (1.0 if exponent == 1.0 else 0.0)
    assert second == (2.0 if exponent == 2.0 else 0.0)


def test_x_to_the_zero_has_derivative_zero_everywhere() -> None:
    assert derivatives(lambda v: v**0, -3.0)[1:] == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("x", [-1000.0, -710.0, 710.0, 1000.0, -1e300, 1e300])
@pytest.mark.parametrize("build", [Value.sigmoid, Value.tanh], ids=["sigmoid", "tanh"])
def test_sigmoid_and_tanh_are_finite_with_finite_gradients_far_out(
    build: Callable[[Value], Value], x: float
) -> None:
    value, first, _, second = derivatives(build, x)
    assert all(math.isfinite(v) for v in (value, first, second))
    limit = (1.0 if x > 0 else 0.0) if build is Value.sigmoid else math.copysign(1.0, x)
    assert abs(value - limit) < 1e-300
    assert abs(first) < 1e-300


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_neuron_activations_are_stable_far_out(activation: str) -> None:
    for z in (-1000.0, 1000.0):
        w = Value(1.0)
        out = neuron([w], [z], Value(0.0), activation)
        out.backward()
        assert math.isfinite(out.data) and w.grad == 0.0


@given(finite_floats(-700, 700))
def test_sigmoid_is_in_the_unit_interval_and_symmetric(x: float) -> None:
    s, s_neg = Value(x).sigmoid().data, Value(-x).sigmoid().data
    assert 0.0 <= s <= 1.0
    assert close(s + s_neg, 1.0, 1e-15, 1e-15)
