"""The ops modern networks use (tan, atan, log1p, expm1, softplus, leaky_relu, elu, gelu,
silu, erf, erfc, maximum, minimum): values, first and second derivatives against PyTorch
float64 to 1e-12 relative, kinks, ties, saturation and large magnitudes included; and the
domain errors. Skipped without torch (the ``reference`` extra)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from autograd import Value, functions, grad
from autograd.functions import (
    INV_SQRT_2PI,
)
from nn.neuron import neuron

torch = pytest.importorskip("torch")
F = torch.nn.functional
F64 = torch.float64

# --------------------------------------------------------------------------------------------
# The cases: our function, torch's, and where to draw inputs
# --------------------------------------------------------------------------------------------


def _floats(low: float, high: float, **kwargs: Any) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False, **kwargs)


@dataclass(frozen=True)
class Unary:
    """One op of one operand: ours on Values or floats, torch's on tensors, its inputs.

    ``exact`` gives the value, first and second derivative in mpmath: where torch is not
    accurate to 1e-12 relative (the far tails), ours must be, against these.
    """

    ours: Callable[[Any], Any]
    theirs: Callable[[Any], Any]
    inputs: st.SearchStrategy[float]
    specials: tuple[float, ...]
    exact: Callable[[Any], tuple[Any, Any, Any]]


BIG = 1e300


def _sigmoid_pair(x: Any) -> tuple[Any, Any]:
    """sigmoid(x) and 1 - sigmoid(x), each without cancellation (even at 60 digits, 1 - s
    loses them all once s is within 1e-60 of 1)."""
    return 1 / (1 + mpmath.exp(-x)), 1 / (1 + mpmath.exp(x))


def _exact_silu(x: Any) -> tuple[Any, Any, Any]:
    s, t = _sigmoid_pair(x)
    return x * s, s * (1 + x * t), s * t * (2 + x * (t - s))


def _exact_gelu(x: Any) -> tuple[Any, Any, Any]:
    if abs(x) > 40:  # mpmath fails near 1e154; here every term below x is under 1e-340
        return (x, 1, 0) if x > 0 else (0, 0, 0)
    cdf, pdf = mpmath.ncdf(x), mpmath.npdf(x)
    return x * cdf, cdf + x * pdf, (2 - x * x) * pdf


def _exact_softplus(x: Any) -> tuple[Any, Any, Any]:
    s, t = _sigmoid_pair(x)
    return mpmath.log1p(mpmath.exp(x)), s, s * t


def _exact_erf(x: Any, sign: int) -> tuple[Any, Any, Any]:
    if abs(x) > 30:  # as for gelu: e^(-x²) is under 1e-390 here
        value = mpmath.sign(x) if sign > 0 else 1 - mpmath.sign(x)
        return value, 0, 0
    slope = 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-x * x)
    return (mpmath.erf(x) if sign > 0 else mpmath.erfc(x)), sign * slope, -2 * x * sign * slope


mpmath = pytest.importorskip("mpmath")

UNARY: dict[str, Unary] = {
    "tan": Unary(
        functions.tan,
        torch.tan,
        _floats(-1e6, 1e6),
        (0.0, 1.5707963267948966, -1.57),
        lambda x: (mpmath.tan(x), 1 + mpmath.tan(x) ** 2, 2 * mpmath.tan(x) * mpmath.sec(x) ** 2),
    ),
    "atan": Unary(
        functions.atan,
        torch.atan,
        _floats(-BIG, BIG),
        (0.0, 1e8, -1e8, 1e154, BIG),
        lambda x: (mpmath.atan(x), 1 / (1 + x * x), -2 * x / (1 + x * x) ** 2),
    ),
    "log1p": Unary(
        functions.log1p,
        torch.log1p,
        _floats(-1.0, BIG, exclude_min=True),
        (0.0, -0.9999999999999999, 1e-300, BIG),
        lambda x: (mpmath.log1p(x), 1 / (1 + x), -1 / (1 + x) ** 2),
    ),
    "expm1": Unary(
        functions.expm1,
        torch.expm1,
        _floats(-BIG, 709.0),
        (0.0, 1e-300, -745.0, 709.0),
        lambda x: (mpmath.expm1(x), mpmath.exp(x), mpmath.exp(x)),
    ),
    "softplus": Unary(
        functions.softplus,
        lambda t: F.softplus(t, threshold=1e300),  # no threshold shortcut
        _floats(-BIG, 700.0),
        (0.0, -745.0, -36.0, 20.0, 37.0, 700.0),
        _exact_softplus,
    ),
    "gelu": Unary(
        functions.gelu,
        F.gelu,
        _floats(-BIG, BIG),
        (0.0, -1.0, 1.0, -6.0, 6.0, -20.0, -37.0, -40.0, BIG),
        _exact_gelu,
    ),
    "silu": Unary(
        functions.silu,
        F.silu,
        _floats(-BIG, BIG),
        (0.0, -745.0, -36.0, 37.0, BIG),
        _exact_silu,
    ),
    "erf": Unary(
        functions.erf,
        torch.erf,
        _floats(-BIG, BIG),
        (0.0, 1e-300, 5.0, 27.0, -28.0),
        lambda x: _exact_erf(x, 1),
    ),
    "erfc": Unary(
        functions.erfc,
        torch.erfc,
        _floats(-BIG, BIG),
        (0.0, 5.0, 26.0, -28.0),
        lambda x: _exact_erf(x, -1),
    ),
}


def _ours(f: Callable[[Value], Value], x: float) -> tuple[float, float, float]:
    leaf = Value(x)
    y = f(leaf)
    (first,) = grad(y, [leaf], create_graph=True)
    (second,) = grad(first, [leaf])
    return y.data, first.data, second.data


def _theirs(f: Callable[[Any], Any], *xs: float) -> list[tuple[float, float, float]]:
    """torch's value, first and second derivative w.r.t. each of xs (float64)."""
    leaves = [torch.tensor(x, dtype=F64, requires_grad=True) for x in xs]
    y = f(*leaves)
    results = []
    for leaf in leaves:
        (first,) = torch.autograd.grad(y, leaf, create_graph=True, allow_unused=True)
        if first is None:
            first = torch.zeros((), dtype=F64)
        second = 0.0
        if first.requires_grad:
            (d2,) = torch.autograd.grad(first, leaf, retain_graph=True, allow_unused=True)
            second = 0.0 if d2 is None else d2.item()
        results.append((y.item(), first.item(), second))
    return results


def _float(exact: Any) -> float:
    """An mpmath number as a float; beyond the float range, 0 or ±inf (not an error)."""
    try:
        return float(exact)
    except OverflowError:
        return 0.0 if abs(exact) < 1 else math.copysign(math.inf, exact)


def _close(ours: float, theirs: float, what: str, exact: Callable[[], Any] | None = None) -> None:
    """ours agrees with torch to 1e-12 relative; or torch is off and ours agrees with exact()."""
    assert math.isfinite(ours), f"{what}: ours {ours!r}"
    if math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-300):
        return
    assert exact is not None, f"{what}: ours {ours!r}, torch {theirs!r}"
    with mpmath.workdps(60):
        exact = exact()
    # torch's nan (an inf * 0 in its double backward) or its cancellation in a far tail.
    assert not math.isclose(_float(exact), theirs, rel_tol=1e-12, abs_tol=1e-300)
    assert math.isclose(ours, _float(exact), rel_tol=1e-12, abs_tol=1e-300), (
        f"{what}: ours {ours!r}, exact {_float(exact)!r}, torch {theirs!r}"
    )


def _check_unary(name: str, x: float) -> None:
    case = UNARY[name]
    assert case.ours(x) == _ours(case.ours, x)[0]  # the float path and the Value path agree
    ours = _ours(case.ours, x)
    (theirs,) = _theirs(case.theirs, x)
    for i, what in enumerate(("value", "first", "second")):
        exact = partial(lambda i: case.exact(mpmath.mpf(x))[i], i)
        _close(ours[i], theirs[i], f"{name}({x!r}) {what}", exact)


@pytest.mark.parametrize("name", list(UNARY))
def test_special_points_match_torch(name: str) -> None:
    for x in UNARY[name].specials:
        _check_unary(name, x)
        _check_unary(name, -0.0 if x == 0.0 else x)


@pytest.mark.parametrize("name", list(UNARY))
def test_random_points_match_torch(name: str) -> None:
    @given(UNARY[name].inputs)
    def check(x: float) -> None:
        _check_unary(name, x)

    check()


def test_where_torch_is_off_ours_is_exact() -> None:
    # gelu far left: torch computes Φ(x) as (1 + erf(x/√2)) / 2, which is 1 - 1 there.
    for name, x in (("gelu", -6.0), ("gelu", -20.0)):
        case = UNARY[name]
        (theirs,) = _theirs(case.theirs, x)
        with mpmath.workdps(60):
            exact = [_float(e) for e in case.exact(mpmath.mpf(x))]
        ours = _ours(case.ours, x)
        assert any(
            not math.isclose(t, e, rel_tol=1e-12) for t, e in zip(theirs, exact, strict=True)
        ), (
            name,
            x,
            theirs,
            exact,
        )
        for a, e in zip(ours, exact, strict=True):
            assert math.isclose(a, e, rel_tol=1e-12, abs_tol=1e-300)


# -- ops with a parameter: leaky_relu(negative_slope), elu(alpha) -----------------------------

PARAMETERS = st.one_of(st.sampled_from([0.01, 1.0, 0.0, 0.2, -0.5]), _floats(-3.0, 3.0))
KINKED = st.one_of(st.sampled_from([0.0, -0.0, 1e-300, -1e-300]), _floats(-BIG, BIG))


def _check_parametrized(ours: Callable[[Any], Any], theirs: Callable[[Any], Any], x: float) -> None:
    assert ours(x) == _ours(ours, x)[0]
    (torch_results,) = _theirs(theirs, x)
    for what, a, b in zip(("value", "first", "second"), _ours(ours, x), torch_results, strict=True):
        _close(a, b, f"at {x!r}: {what}")


@given(KINKED, PARAMETERS)
@example(0.0, 0.01)  # the kink: PyTorch's slope there is negative_slope
@example(-0.0, 0.01)
def test_leaky_relu_matches_torch(x: float, slope: float) -> None:
    _check_parametrized(
        lambda v: functions.leaky_relu(v, slope), lambda t: F.leaky_relu(t, slope), x
    )


@given(KINKED, PARAMETERS)
@example(0.0, 1.0)  # the kink: PyTorch's slope there is alpha
@example(0.0, 2.5)
@example(-1e-10, 1.0)  # expm1, not exp - 1
@example(-800.0, 1.0)  # saturated
def test_elu_matches_torch(x: float, alpha: float) -> None:
    _check_parametrized(lambda v: functions.elu(v, alpha), lambda t: F.elu(t, alpha), x)


def test_default_parameters_are_pytorchs() -> None:
    assert functions.leaky_relu(-2.0) == -0.02
    assert functions.elu(-1.0) == math.expm1(-1.0)
    assert Value(-2.0).leaky_relu().data == -0.02
    assert Value(-1.0).elu().data == math.expm1(-1.0)


# -- maximum and minimum: a tie splits the gradient 0.5 / 0.5 --------------------------------

PAIRS = st.one_of(
    st.tuples(KINKED, KINKED),
    KINKED.map(lambda a: (a, a)),  # ties
)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(functions.maximum, torch.maximum), (functions.minimum, torch.minimum)],
    ids=["maximum", "minimum"],
)
def test_maximum_and_minimum_match_torch(ours: Any, theirs: Any) -> None:
    @given(PAIRS)
    @example((1.5, 1.5))
    @example((0.0, -0.0))
    def check(pair: tuple[float, float]) -> None:
        a, b = pair
        assert ours(a, b) == theirs(torch.tensor(a, dtype=F64), torch.tensor(b, dtype=F64))
        leaves = [Value(a), Value(b)]
        y = ours(*leaves)
        firsts = grad(y, leaves, create_graph=True)
        torch_results = _theirs(theirs, a, b)
        for i, (leaf_first, torch_result) in enumerate(zip(firsts, torch_results, strict=True)):
            _close(y.data, torch_result[0], f"value at {pair}")
            _close(leaf_first.data, torch_result[1], f"d/d operand {i} at {pair}")
            (second,) = grad(leaf_first, [leaves[i]])
            _close(second.data, torch_result[2], f"second derivative at {pair}")

    check()


def test_a_value_against_itself_gets_the_whole_gradient() -> None:
    a = Value(0.7)
    for f in (functions.maximum, functions.minimum):
        (d,) = grad(f(a, a), [a])
        assert d.data == 1.0  # 0.5 through each operand, as torch.maximum(t, t)


def test_maximum_takes_numbers_on_either_side() -> None:
    a = Value(2.0)
    assert functions.maximum(a, 3).data == 3.0
    assert functions.minimum(1, a).data == 1.0
    assert functions.maximum(1, 2.5) == 2.5


# -- domains: errors name the op and the value ----------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: functions.log1p(-1.0), ValueError, r"log1p: input must be > -1 \(got -1.0\)"),
        (lambda: functions.log1p(-3), ValueError, r"log1p: .*\(got -3.0\)"),
        (lambda: functions.expm1(710.0), OverflowError, r"expm1: result too large.*710.0"),
        (lambda: functions.exp(710.0), OverflowError, r"exp: result too large.*710.0"),
        (lambda: functions.tan(math.inf), ValueError, r"tan: input must be finite \(got inf\)"),
        (lambda: functions.sin(math.nan), ValueError, r"sin: input must be finite"),
        (lambda: functions.log(0.0), ValueError, r"log: input must be > 0 \(got 0.0\)"),
        (lambda: functions.sqrt(-2.0), ValueError, r"sqrt: input must be >= 0 \(got -2.0\)"),
        (lambda: functions.log1p(Value(-1.0)), ValueError, "log1p"),
        (lambda: functions.expm1(Value(710.0)), OverflowError, "expm1"),
        (lambda: functions.tan("x"), TypeError, "tan: expected a number or a Value, got str"),
    ],
)
def test_domain_errors_name_the_op_and_the_value(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()


def test_tan_overflow_is_reported_naming_tan(monkeypatch: pytest.MonkeyPatch) -> None:
    # No float is close enough to a pole for tan to overflow; a tan that did is reported.
    monkeypatch.setattr(math, "tan", lambda x: math.inf)
    with pytest.raises(OverflowError, match=r"tan: result too large.*tan\(1.5\)"):
        functions.tan(1.5)


def test_the_largest_tangents_and_their_derivatives_stay_finite() -> None:
    for x in (math.pi / 2, -math.pi / 2, 3 * math.pi / 2):
        value, first, second = _ours(functions.tan, x)
        assert all(math.isfinite(v) for v in (value, first, second))
        assert abs(value) > 1e15


def test_softplus_is_stable_for_any_finite_input() -> None:
    for x in (1e300, -1e300, 800.0, -800.0):
        value, first, second = _ours(functions.softplus, x)
        assert value == max(x, 0.0)
        assert first == (1.0 if x > 0 else 0.0)
        assert second == 0.0


# -- the float functions take any real number; Values go through their methods ---------------


def test_functions_take_any_real_number() -> None:
    from fractions import Fraction

    assert functions.exp(1) == math.e
    assert functions.log1p(Fraction(1, 2)) == math.log1p(0.5)
    assert functions.sigmoid(True) == functions.sigmoid(1.0)
    assert isinstance(functions.gelu(Value(1.0)), Value)
    assert functions.step(Value(0.0)) == 0.0 and functions.sign(Value(-3.0)) == -1.0
    assert functions.normal_pdf(0.0) == INV_SQRT_2PI
    assert functions.normal_cdf(0.0) == 0.5


def test_the_examples_in_the_docstrings_run() -> None:
    import doctest

    failed, attempted = doctest.testmod(functions, verbose=False)
    assert attempted >= 3
    assert failed == 0


# -- the new activations of a neuron node: the same numbers as torch ------------------------

NEURON_ACTIVATIONS = {
    "leaky_relu": F.leaky_relu,
    "elu": F.elu,
    "gelu": F.gelu,
    "silu": F.silu,
    "softplus": lambda t: F.softplus(t, threshold=1e300),
}


@pytest.mark.parametrize("activation", list(NEURON_ACTIVATIONS))
def test_neuron_activations_match_torch_and_the_reference_sweep(activation: str) -> None:
    from autograd.backward import backward as reference_backward

    @given(st.one_of(st.sampled_from([0.0, -0.0, 1e-300, -1e-300]), _floats(-700.0, 700.0)))
    @example(0.0)
    @example(-40.0)
    def check(z: float) -> None:
        # w = 1, x = z, b = 0 make w · x + b exactly z.
        w, x, b = Value(1.0), Value(z), Value(0.0)
        out = neuron([w], [x], b, activation)
        (first,) = grad(out, [x], create_graph=True)
        (second,) = grad(first, [x])
        (theirs,) = _theirs(NEURON_ACTIVATIONS[activation], z)
        ours = (out.data, first.data, second.data)
        for i, what in enumerate(("value", "first", "second")):
            exact = None
            if activation in UNARY:  # where torch is off in a tail, mpmath decides
                exact = partial(lambda i: UNARY[activation].exact(mpmath.mpf(z))[i], i)
            _close(ours[i], theirs[i], f"neuron_{activation}({z!r}) {what}", exact)
        out.backward()
        fast = (w.grad, x.grad, b.grad)
        for leaf in (w, x, b):
            leaf.grad = 0.0
        reference_backward(out)
        assert (w.grad, x.grad, b.grad) == fast  # to the last bit

    check()


@pytest.mark.parametrize("activation", list(NEURON_ACTIVATIONS))
def test_a_network_of_each_new_activation_passes_gradcheck(activation: str) -> None:
    from autograd import gradcheck

    def network(*p: Value) -> Value:
        """Two inputs, three hidden neurons of ``activation``, one linear output."""
        hidden = [
            neuron(p[3 * i : 3 * i + 2], [0.3, -0.8], p[3 * i + 2], activation) for i in range(3)
        ]
        return neuron(p[9:12], hidden, p[12], "linear")

    point = [0.4, -0.7, 0.2, 1.1, 0.5, -0.3, -0.9, 0.8, 0.6, 0.7, -1.2, 0.9, 0.1]
    assert gradcheck(network, point, order=2, atol=1e-4)


@pytest.mark.parametrize("activation", list(NEURON_ACTIVATIONS))
def test_mlp_layer_and_neuron_take_each_new_activation(activation: str) -> None:
    from nn import MLP, Layer, Neuron

    model = MLP(2, [4, 1], activation=activation, seed=0)
    assert all(n.activation == activation for n in model.layers[0].neurons)
    loss = sum((y - 1.0) ** 2 for y in model.batch([[0.5, -1.0], [2.0, 0.25]]))
    loss.backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    assert Layer(2, 3, activation)([1.0, -2.0])[0].op.name == f"neuron_{activation}"
    assert Neuron(2, activation)([1.0, -2.0]).op.name == f"neuron_{activation}"


def test_an_op_with_a_parameter_is_drawn_and_traced_as_a_function_call() -> None:
    pytest.importorskip("graphviz")
    from autograd.viz import draw_dot, trace_backward
    from autograd.viz.draw import op_label

    x = Value(-0.5, label="x")
    y = x.leaky_relu(0.1) + x.elu()
    assert [op_label(p) for p in y.parents] == ["leaky_relu(□, 0.1)", "elu(□, 1)"]
    assert "leaky_relu(□, 0.1)" in draw_dot(y).source
    explained = [trace_backward(y).explain(i) for i in range(3)]
    assert any(line.startswith("#1 = leaky_relu(x, 0.1)") for line in explained), explained
