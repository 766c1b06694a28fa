"""``autograd.compile``: the compiled call does what ``fn(*args).backward()`` does, to the bit.

Every check here compares a compiled function with the engine run on the same arguments from
the same ``.grad`` numbers: the results and every live leaf's ``.grad`` as bytes (``-0.0`` and
``0.0`` count as equal), or, where the engine raises, the same error with no ``.grad`` changed.
The first call of a compiled function traces it on the engine; the second and third calls,
with new inputs (and, where there are parameters, new parameter values), run the generated
code, so ``step.traces == 1`` and ``step.replays == 0`` say it was the generated code that
gave the engine's bits.
"""

from __future__ import annotations

import doctest
import inspect
import math
import random
import re
import struct
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import autograd.compiler
from autograd import CompileError, Value, compile, define_op, grad, no_grad
from autograd.compiler.codegen import MAX_LINE
from autograd.functions import exp, sigmoid
from autograd.testing import Expression, expressions
from nn import MLP, Neuron
from nn.losses import binary_cross_entropy, cross_entropy, hinge, l2, mse, one_hot
from nn.module import ACTIVATIONS
from nn.optim import SGD, Adam

# -- users' ops ----------------------------------------------------------------------------------

compile_softclip = define_op(
    "compile_softclip",
    lambda x: x / math.sqrt(1.0 + x * x),
    lambda g, out, x: (g / (1.0 + x * x) ** 1.5,),
    formula="(1 + x²)^−1.5",
)
compile_logaddexp = define_op(  # two operands; the rule reads the op's own output
    "compile_logaddexp",
    lambda a, b: max(a, b) + math.log1p(math.exp(-abs(a - b))),
    lambda g, out, a, b: (g * exp(a - out), g * exp(b - out)),
)
compile_mean = define_op(  # any number of operands
    "compile_mean",
    lambda *xs: math.fsum(xs) / len(xs),
    lambda g, out, *xs: [g / len(xs)] * len(xs),
)
compile_smooth = define_op(  # a rule written with functions of a float or a Value
    "compile_smooth",
    lambda x: x * sigmoid(x),
    lambda g, out, x: (g * (sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x))),),
)
USER_OPS = [compile_softclip, compile_smooth, compile_logaddexp]

# -- comparing a compiled call with the engine's -------------------------------------------------


def bits(x: float) -> bytes:
    """The float's bytes, so that equality means the same number to the last bit."""
    return struct.pack("<d", x + 0.0)  # + 0.0: -0.0 and 0.0 are the same number here


def flat_bits(result: Any) -> list[bytes]:
    """Every number of a (nested) result, as bytes, in order."""
    if isinstance(result, list | tuple):
        return [b for part in result for b in flat_bits(part)]
    return [bits(result)]


def as_values(item: Any, name: str) -> Any:
    """An argument of the compiled function as the engine's function gets it: leaves,
    labelled by their place, as compile labels them (errors name them)."""
    if isinstance(item, list | tuple):
        return type(item)(as_values(part, f"{name}[{i}]") for i, part in enumerate(item))
    return Value(float(item), label=name)


def numbers(item: Any) -> Any:
    return item.data if isinstance(item, Value) else [numbers(part) for part in item]


def eager(fn: Callable[..., Any], args: Sequence[Any]) -> Any:
    """``fn`` on the engine: its output (and extras) as numbers, after ``backward()``."""
    names = list(inspect.signature(fn).parameters)
    result = fn(*[as_values(a, name) for a, name in zip(args, names, strict=True)])
    root, extras = (result[0], result[1:]) if isinstance(result, tuple) else (result, ())
    root.backward()
    return (root.data, *numbers(list(extras))) if extras else root.data


def same_as_eager(
    step: Callable[..., Any], fn: Callable[..., Any], live: Sequence[Value], args: Sequence[Any]
) -> bool:
    """One compiled call and one engine call from the same ``.grad`` numbers: the same bits,
    or the same error with every ``.grad`` as before. Whether the call succeeded."""
    before = [p.grad for p in live]
    try:
        expected = eager(fn, args)
        error: Exception | None = None
    except (ArithmeticError, ValueError, TypeError) as raised:
        error = raised
    expected_grads = [bits(p.grad) for p in live]
    for p, g in zip(live, before, strict=True):
        p.grad = g
    if error is not None:
        with pytest.raises(type(error)) as info:
            step(*args)
        assert str(info.value) == str(error)
        assert [bits(p.grad) for p in live] == [bits(g) for g in before]
        return False
    got = step(*args)
    assert flat_bits(got) == flat_bits(expected)
    assert [bits(p.grad) for p in live] == expected_grads
    return True


def cell(weights: list[float], bias: float, activation: str) -> Neuron:
    """An ``nn.Neuron`` holding these numbers: one neuron node per call, its parameters live."""
    unit = Neuron(len(weights), activation, seed=0)
    for p, x in zip([*unit.w, unit.b], [*weights, bias], strict=True):
        p.data = x
    return unit


def calls_at_moved_points(
    step: Callable[..., Any],
    fn: Callable[..., Any],
    live: Sequence[Value],
    expr: Expression,
    n_args: int,
    moves: list[list[float]],
) -> int:
    """``step`` and ``fn`` called at the expression's point (the first ``n_args`` variables
    as the argument, the others as the live leaves' numbers), then at each point moved by
    ``moves``, each call compared with the engine's. How many calls the engine refused."""
    assert same_as_eager(step, fn, live, [list(expr.values[:n_args])])
    failed = 0
    for move in moves:
        point = [x + d for x, d in zip(expr.values, move, strict=True)]
        for p, x in zip(live, point[n_args:], strict=True):
            p.data = x  # an optimizer step, as it were
        failed += not same_as_eager(step, fn, live, [point[:n_args]])
    return failed


# Moves of an input between calls: none, tiny (the same branches, almost surely), or large
# (a domain error or a flipped kink, as often as not).
SHIFTS = st.one_of(
    st.just(0.0), st.floats(-1e-3, 1e-3), st.floats(-2.0, 2.0), st.sampled_from([1.0, -1.0])
)


# -- generated programs ------------------------------------------------------------------------


PROGRAMS = (
    expressions(variables=3, extra_ops=USER_OPS),
    st.integers(0, 3),
    st.lists(st.lists(SHIFTS, min_size=3, max_size=3), min_size=2, max_size=2),
)
"""A generated program, how many of its variables are arguments, and moves between calls."""


def compiles_like_the_engine(
    expr: Expression,
    n_args: int,
    moves: list[list[float]],
    result: Callable[[Value, list[Value]], Value],
) -> None:
    """``result(expr(...), live)`` compiled: the engine's bits at every moved point, one trace,
    lines of at most MAX_LINE, and a replay exactly where the engine refused."""
    # The first n_args variables are arguments, the others parameters the function reads.
    live = [Value(x, label=f"p{i}") for i, x in enumerate(expr.values[n_args:])]

    def fn(xs: list[Value]) -> Value:
        return result(expr(*xs, *live), live)

    step = compile(fn)
    failed = calls_at_moved_points(step, fn, live, expr, n_args, moves)
    assert max(len(line) for line in step.source.splitlines()) <= MAX_LINE
    assert step.traces == 1, step.source
    assert step.replays == failed


@settings(max_examples=settings.default.max_examples)
@given(*PROGRAMS)
def test_generated_programs_give_the_engines_bits_at_new_inputs(
    expr: Expression, n_args: int, moves: list[list[float]]
) -> None:
    # y used three times; 1.5 a leaf the function makes (a constant of the code).
    compiles_like_the_engine(
        expr, n_args, moves, lambda y, live: y * y + (y * 0.5).tanh() - Value(1.5, label="c") * y
    )


@settings(max_examples=settings.default.max_examples)
@given(
    expressions(variables=2, max_depth=3, extra_ops=USER_OPS),
    st.integers(0, 2),
    st.lists(st.lists(SHIFTS, min_size=2, max_size=2), min_size=2, max_size=2),
)
def test_second_order_graphs_inside_the_function_give_the_engines_bits(
    expr: Expression, n_args: int, moves: list[list[float]]
) -> None:
    live = [Value(x, label=f"p{i}") for i, x in enumerate(expr.values[n_args:])]

    def fn(xs: list[Value]) -> tuple[Value, list[Value]]:
        leaves = [*xs, *live]
        y = expr(*leaves)
        slopes = grad(y, leaves, create_graph=True)  # a graph of its own, differentiated below
        return y + Value.sum([s * s for s in slopes]) * 0.125, slopes

    step = compile(fn)
    failed = calls_at_moved_points(step, fn, live, expr, n_args, moves)
    assert max(len(line) for line in step.source.splitlines()) <= MAX_LINE
    # A rule's branch (relu's step, maximum's tie) is a comparison of Values here: a guard,
    # which may retrace at a new point (and the engine then raises while tracing, if it
    # does); never a replay unless the engine raises.
    assert step.replays <= failed


LOSS_FUNCTIONS: dict[str, Callable[[Any, Any], Value]] = {
    "mse": mse,
    "hinge": hinge,
    "binary_cross_entropy": binary_cross_entropy,
    "cross_entropy": cross_entropy,
}
LOSSES = list(LOSS_FUNCTIONS)


def loss_function(model: MLP, loss: str) -> Callable[..., Any]:
    """The training step's function: the batch's loss plus L2, and the outputs as extras."""

    def fn(X: list[list[Value]], Y: list[Any]) -> tuple[Value, list[Any]]:
        outputs = model.batch(X) if loss == "mse" else [model(x) for x in X]
        data = LOSS_FUNCTIONS[loss](outputs, Y)
        return data + 1e-3 * l2(model.parameters()), outputs

    return fn


def batch(rng: random.Random, n: int, loss: str) -> tuple[list[list[float]], list[Any]]:
    X = [[rng.uniform(-2, 2) for _ in range(2)] for _ in range(n)]
    labels = [rng.randrange(2) for _ in range(n)]
    if loss == "cross_entropy":
        return X, one_hot(labels, 2)
    if loss == "hinge":
        return X, [2.0 * t - 1.0 for t in labels]
    return X, [float(t) for t in labels]


@settings(max_examples=settings.default.max_examples)
@given(
    st.sampled_from(ACTIVATIONS),
    st.sampled_from(ACTIVATIONS),
    st.sampled_from(LOSSES),
    st.integers(1, 4),
    st.integers(0, 10**6),
)
def test_mlps_with_every_activation_and_loss_give_the_engines_bits(
    activation: str, output: str, loss: str, n: int, seed: int
) -> None:
    rng = random.Random(seed)
    outputs = 2 if loss == "cross_entropy" else 1
    model = MLP(2, [3, outputs], activation, output, seed=seed)
    live = model.parameters()
    fn = loss_function(model, loss)
    step = compile(fn)
    for _ in range(3):
        assert same_as_eager(step, fn, live, batch(rng, n, loss))
        for p in live:  # a step of some optimizer
            p.data -= 0.1 * p.grad
    assert (step.traces, step.replays) == (1, 0)


@settings(max_examples=4, deadline=None)
@given(st.sampled_from(LOSSES), st.integers(0, 10**6))
def test_a_large_relu_network_keeps_the_engines_bits(loss: str, seed: int) -> None:
    # Large enough (over COMMENTED_NODES) for the large graph's form: no formula comments,
    # gradients that are another node's taken by name.
    rng = random.Random(seed)
    outputs = 2 if loss == "cross_entropy" else 1
    model = MLP(2, [8, 8, outputs], "relu", seed=seed)
    live = model.parameters()
    fn = loss_function(model, loss)
    step = compile(fn)
    for _ in range(3):
        assert same_as_eager(step, fn, live, batch(rng, 24, loss))
        for p in live:
            p.data -= 0.1 * p.grad
    assert "# relu" not in step.source
    assert (step.traces, step.replays) == (1, 0)


# -- kinks, constants and reused nodes -----------------------------------------------------------


@given(st.floats(-3, 3), st.floats(-3, 3), st.booleans())
def test_kinks_at_ties_give_the_engines_slopes(a: float, b: float, tie: bool) -> None:
    w = Value(0.75, label="w")
    relu_cell, leaky_cell = cell([0.75], 0.0, "relu"), cell([0.75, 0.0], 0.0, "leaky_relu")
    live = [w, *relu_cell.parameters(), *leaky_cell.parameters()]

    def fn(x: Value, y: Value) -> Value:
        d = x - y
        return Value.sum(
            [
                d.relu(),
                abs(d) * w,
                Value.maximum(x, y) * 2.0,
                Value.minimum(x * w, y * w),
                d.leaky_relu(0.1),
                d.elu(),
                relu_cell([d]),  # z is exactly 0 when d is
                leaky_cell([d, y]) * w,
            ]
        )

    step = compile(fn)
    assert same_as_eager(step, fn, live, [1.0, -1.0])  # traced away from every kink
    assert same_as_eager(step, fn, live, [a, a if tie else b])
    assert same_as_eager(step, fn, live, [b, b if tie else a])
    assert (step.traces, step.replays) == (1, 0)


@pytest.mark.parametrize("activation", ["linear", "gelu"])
def test_a_neurons_sum_is_added_as_the_engine_adds_it(activation: str) -> None:
    # Terms that cancel: a left-to-right sum gives 0.0 + b, a compensated one 1.0 + b
    # (Python's sum() compensates from 3.12 on): the code must do what the engine does.
    unit = cell([1.0, 1.0, 1.0], 0.5, activation)

    def fn(xs: list[Value]) -> Value:
        out = unit(xs)
        assert isinstance(out, Value)
        return out

    step = compile(fn)
    for xs in ([1.0, 2.0, 3.0], [1e16, 1.0, -1e16], [-1e16, 3.0, 1e16]):
        assert same_as_eager(step, fn, unit.parameters(), [xs])
    assert (step.traces, step.replays) == (1, 0)


def test_constants_reused_nodes_and_no_grad_inside_the_function() -> None:
    w = Value(0.5, label="w")

    def fn(x: Value) -> Value:
        c = Value(2.0, label="two")  # a leaf fn makes: a constant
        with no_grad():
            frozen = w * 3.0  # made without a graph: a constant too (its number at trace)
        h = (w * x).tanh()
        return h * h + h * c + frozen * x + Value.dot([h, h], [x, c]) + compile_mean(h, x, c)

    step = compile(fn)
    for x in (0.5, -1.25, 2.0):
        assert same_as_eager(step, fn, [w], [x])
    assert (step.traces, step.replays) == (1, 0)
    w.data = 0.25
    step(1.0)  # the no_grad number stays the one traced (0.5 * 3.0), as documented
    assert "1.5" in step.source


def test_gradients_accumulate_over_calls_as_two_backward_calls_do() -> None:
    w, b = Value(0.3, label="w"), Value(-0.2, label="b")

    def fn(x: Value) -> Value:
        return (w * x + b).sigmoid() * x

    step = compile(fn)
    for x in (1.5, 1.5, -0.5, 2.5):  # no zero_grad in between: the .grad totals grow
        assert same_as_eager(step, fn, [w, b], [x])
    assert w.grad != 0.0 and (step.traces, step.replays) == (1, 0)


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_parameters_are_read_live_after_an_optimizer_step(optimizer: str) -> None:
    compiled, eager_model = (MLP(2, [4, 1], "tanh", seed=3) for _ in range(2))
    fns = [loss_function(m, "mse") for m in (compiled, eager_model)]
    step = compile(fns[0])

    def make(model: MLP) -> SGD | Adam:
        params = model.parameters()
        return SGD(params, lr=0.1, momentum=0.9) if optimizer == "SGD" else Adam(params, lr=0.05)

    optimizers = [make(compiled), make(eager_model)]
    rng = random.Random(0)
    for _ in range(5):
        X, Y = batch(rng, 3, "mse")
        compiled.zero_grad()
        eager_model.zero_grad()
        got = step(X, Y)
        expected = eager(fns[1], [X, Y])
        assert flat_bits(got) == flat_bits(expected)
        for opt in optimizers:
            opt.step()
        pairs = zip(compiled.parameters(), eager_model.parameters(), strict=True)
        assert all(bits(p.data) == bits(q.data) for p, q in pairs)
    assert (step.traces, step.replays) == (1, 0)


# -- Python control flow -------------------------------------------------------------------------


def test_a_branch_on_a_comparison_is_a_guard_that_retraces_when_it_flips() -> None:
    w = Value(0.5, label="w")

    def fn(x: Value) -> Value:
        y = w * x
        if y > 0:  # a Python branch on a Value: the compiled code checks it at every call
            return y.tanh()
        return y * y

    step = compile(fn)
    for x, traces in [(1.0, 1), (2.0, 1), (-1.0, 2), (-3.0, 2), (1.5, 2), (0.0, 2), (-0.5, 2)]:
        assert same_as_eager(step, fn, [w], [x])
        assert step.traces == traces, x
    assert step.replays == 0
    assert "# traced with" in step.source and "raise Retrace" in step.source
    assert "test_compile.py" in step.source  # the comment names the line of the branch


def test_a_guard_is_checked_before_the_branch_it_chose_can_raise() -> None:
    w = Value(2.0, label="w")

    def fn(x: Value) -> Value:
        scale = w * 1.0
        if x > 0:
            return x.log() * scale  # log(x) would raise at x < 0: the guard comes first
        return (-x).log() * scale + Value.maximum(x, -w)

    step = compile(fn)
    for x in (1.0, -1.0, 2.0, -2.0, 3.0, -0.5):
        assert same_as_eager(step, fn, [w], [x])
    assert (step.traces, step.replays) == (2, 0)  # a retrace, never a replay
    source = step.source
    assert source.index("raise Retrace") < source.index("log(")


def test_pythons_max_and_sorted_over_values_are_guarded() -> None:
    w = Value(1.0, label="w")

    def fn(xs: list[Value]) -> Value:
        scaled = [x * w for x in xs]
        return max(scaled) * 2.0 + sorted(scaled)[0]

    step = compile(fn)
    for xs in ([1.0, 2.0, 3.0], [1.5, 2.5, 3.5], [3.0, 2.0, 1.0], [2.0, 2.0, 2.0], [1.0, 2.0, 4.0]):
        assert same_as_eager(step, fn, [w], [xs])
    assert step.traces == 3 and step.replays == 0


def test_bool_and_comparisons_of_two_values_are_guards_too() -> None:
    w = Value(1.0, label="w")

    def fn(x: Value, y: Value) -> Value:
        if x:  # bool(x): x != 0
            return x * w if x >= y else y * w
        return w * 2.0

    step = compile(fn)
    for args in [(1.0, 0.5), (2.0, 1.0), (0.5, 1.0), (0.0, 3.0), (0.0, -1.0), (3.0, 3.0)]:
        assert same_as_eager(step, fn, [w], list(args))
    assert step.traces == 3 and step.replays == 0


def test_float_of_a_value_is_refused_naming_the_line() -> None:
    w = Value(0.5, label="w")

    def fn(x: Value) -> Value:
        scale = float(x)  # the number would be baked into the code
        return w * scale

    step = compile(fn)
    with pytest.raises(CompileError, match=r"test_compile\.py:\d+: scale = float\(x\)"):
        step(2.0)
    with pytest.raises(CompileError, match="float"):
        compile(lambda x: w * math.exp(x))(1.0)  # math functions call float() too
    assert w.grad == 0.0 and step.traces == 0


def test_reading_data_inside_the_function_gives_a_constant_as_documented() -> None:
    def fn(x: Value) -> Value:
        return x * x.data  # x.data is read once, when traced

    step = compile(fn)
    assert step(3.0) == 9.0
    assert step(2.0) == 6.0  # 2.0 * 3.0: the traced number, as the docstring warns
    assert "3.0" in step.source


# -- shapes --------------------------------------------------------------------------------------


def test_a_short_last_batch_compiles_twice_not_every_epoch() -> None:
    model = MLP(2, [3, 1], "relu", seed=1)
    fn = loss_function(model, "hinge")
    step = compile(fn)
    rng = random.Random(1)
    X, Y = batch(rng, 10, "hinge")
    for _ in range(3):  # three epochs of batches of 4, 4 and 2
        for start in range(0, 10, 4):
            args = [X[start : start + 4], Y[start : start + 4]]
            assert same_as_eager(step, fn, model.parameters(), args)
    assert (step.traces, step.replays) == (2, 0)


def test_at_most_max_traces_are_kept_the_least_recently_used_goes() -> None:
    w = Value(1.5, label="w")

    def fn(xs: list[Value]) -> Value:
        return Value.sum([w * x for x in xs])

    step = compile(fn, max_traces=2)
    expected_traces = [1, 2, 2, 3, 3, 4]  # lengths 1, 2, 1, 3 (2 goes), 1, 2 (again)
    for n, traces in zip([1, 2, 1, 3, 1, 2], expected_traces, strict=True):
        assert same_as_eager(step, fn, [w], [[0.5] * n])
        assert step.traces == traces, n
    assert repr(step) == "<compiled fn: 4 trace(s)>"


def test_lists_and_tuples_are_different_shapes_and_nesting_is_kept() -> None:
    def fn(pair: Any, rows: Any) -> Value:
        (a, b), [[c], [d]] = pair, rows
        return a * b + c / d

    step = compile(fn)
    assert same_as_eager(step, fn, [], [(1.0, 2.0), [[3.0], [4.0]]])
    assert same_as_eager(step, fn, [], [[1.0, 2.0], [[3.0], [4.0]]])
    assert same_as_eager(step, fn, [], [(5.0, 6.0), [[7.0], [8.0]]])
    assert step.traces == 2


# -- errors at new inputs ------------------------------------------------------------------------


W = Value(0.5, label="w")  # the parameter of the functions below

ERROR_CASES: list[tuple[str, Callable[..., Value], list[Any], list[Any]]] = [
    ("log of a negative", lambda x: (W * x).log(), [1.0], [-1.0]),
    ("sqrt of a negative", lambda x: (x + W).sqrt() * W, [1.0], [-2.0]),
    ("division by zero", lambda x, y: W * x / y, [1.0, 2.0], [1.0, 0.0]),
    ("a number divided by zero", lambda x: 3.0 / (x - W), [1.0], [0.5]),
    ("overflow to inf", lambda x: (W * x) * x * 1e300, [1.0], [1e10]),
    ("exp overflow", lambda x: (W * x).exp(), [1.0], [2000.0]),
    ("overflow under a tanh", lambda x: (W * x * 1e300 * x).tanh(), [1.0], [1e10]),
    ("overflow under a relu", lambda x: (W * x * 1e300 * x).relu() + W, [1.0], [-1e10]),
    ("pow of a negative base", lambda x: (x - W) ** 0.5, [1.0], [0.0]),
    ("a zero to a negative power", lambda x: (x * W) ** -2, [1.0], [0.0]),
    ("sqrt's slope at 0", lambda x: (x * W).sqrt(), [1.0], [0.0]),
    ("an intermediate gradient overflows", lambda x, s: W * x * s * s, [1.0, 1.0],
     [1e-300, 1e200]),
    ("the gradient of an argument overflows", lambda x, s: x * s * s * W, [1.0, 1.0],
     [1e-300, 1e200]),
    ("a user op's domain", lambda x: (compile_softclip(x * W) / x) ** -1, [1.0], [0.0]),
]  # fmt: skip


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda case: case[0])
def test_errors_at_new_inputs_are_the_engines_with_no_grad_changed(
    case: tuple[str, Callable[..., Value], list[Any], list[Any]],
) -> None:
    _, fn, good, bad = case
    step = compile(fn)
    assert same_as_eager(step, fn, [W], good)
    assert step.traces == 1
    assert not same_as_eager(step, fn, [W], bad)  # the engine's error, no .grad changed
    assert same_as_eager(step, fn, [W], good)  # and the code is still used
    assert (step.traces, step.replays) == (1, 1)


def test_a_gradient_total_that_overflows_raises_and_changes_nothing() -> None:
    w = Value(1.0, label="w")
    step = compile(lambda x: w * x)
    step(1e308)  # traced: w.grad is 1e308
    w.grad = 1e308
    with pytest.raises(OverflowError, match="gradient of leaf 'w'"):
        step(1e308)
    assert w.grad == 1e308 and step.replays == 1


def test_a_user_rule_that_ignores_its_gradient_still_reports_an_overflow() -> None:
    ident = define_op("compile_ident", lambda x: x, lambda g, out, x: (1.0,))
    w = Value(0.5, label="w")

    def fn(x: Value, s: Value) -> Value:
        return ident(w * x) * s * s  # d(out)/d(ident) = s * s, inf for s = 1e200

    step = compile(fn)
    assert same_as_eager(step, fn, [w], [1.0, 1.0])
    assert not same_as_eager(step, fn, [w], [1e-300, 1e200])


# -- what the function returns -------------------------------------------------------------------


def test_extra_results_come_back_as_numbers_in_their_nesting() -> None:
    w = Value(-0.4, label="w")

    def fn(xs: list[Value]) -> tuple[Value, list[Value], Value, list[list[Value]]]:
        outs = [(w * x).tanh() for x in xs]
        data = Value.sum(outs)
        return data * data, outs, data, [[w], [outs[0], Value(2.0)]]

    step = compile(fn)
    for xs in ([1.0, 2.0], [0.5, -3.0], [0.0, 0.0]):
        assert same_as_eager(step, fn, [w], [xs])
    _, outs, data, nested = step([1.0, 2.0])
    assert isinstance(outs, list) and len(outs) == 2 and nested[0] == [w.data]
    assert nested[1][1] == 2.0 and data == sum(outs)


def test_a_constant_of_the_function_can_be_an_extra_result() -> None:
    def fn(x: Value) -> tuple[Value, Value, list[Value]]:
        two = Value(2.0, label="two")  # its gradient is computed (a division can raise)
        return two / x, two, [Value(3.0)]

    step = compile(fn)
    for x in (1.0, 4.0, -0.5):
        assert same_as_eager(step, fn, [], [x])
    assert (step.traces, step.replays) == (1, 0)


def test_functions_of_no_arguments_or_returning_a_leaf() -> None:
    w = Value(1.25, label="w")
    step = compile(lambda: w)
    assert step() == 1.25 and step() == 1.25 and w.grad == 2.0
    step = compile(lambda x: x)
    assert step(4.0) == 4.0 and step(5.0) == 5.0
    assert (step.traces, step.replays) == (1, 0)


def test_what_cannot_be_compiled_is_a_clear_error() -> None:
    w = Value(1.0, label="w")
    with pytest.raises(TypeError, match="expected a function"):
        compile(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_traces"):
        compile(lambda x: x, max_traces=0)
    with pytest.raises(CompileError, match="must return a Value"):
        compile(lambda x: 2.0)(1.0)
    with pytest.raises(CompileError, match="extra results"):
        compile(lambda x: (x * w, 2.0))(1.0)
    step = compile(lambda x: x * w)
    with pytest.raises(ValueError, match="not been called"):
        step.source  # noqa: B018
    with pytest.raises(ValueError, match="not been called"):
        step.explain(w)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (["a"], TypeError, r"argument x: expected a real number, got str"),
        ([[1.0, None]], TypeError, r"argument x\[1\]: expected a real number, got NoneType"),
        ([{"a": 1.0}], TypeError, r"argument x: expected a real number, got dict"),
        ([math.nan], ValueError, r"argument x: expected a finite number, got nan"),
        ([[1.0, [math.inf]]], ValueError, r"argument x\[1\]\[0\]: expected a finite number"),
        ([Value(1.0)], TypeError, r"argument x is a Value; pass numbers"),
        ([1.0, 2.0], TypeError, r"positional argument"),
    ],
)
def test_arguments_of_bad_types_are_clear_errors(
    args: list[Any], error: type[Exception], message: str
) -> None:
    w = Value(1.0, label="w")
    step = compile(lambda x: w * Value.sum(x) if isinstance(x, list) else w * x)
    with pytest.raises(error, match=message):
        step(*args)
    assert w.grad == 0.0 and step.traces == 0


def test_rows_of_huge_numbers_are_arguments_too() -> None:
    w = Value(0.5, label="w")

    def fn(X: list[list[Value]]) -> Value:
        return Value.sum([w * (x * 1e-300) for row in X for x in row])

    step = compile(fn)
    for X in ([[1.0, 2.0]], [[1e308, 1e308]], [[-1e308, 1e308]], [[1e308, 1.5e308]]):
        assert same_as_eager(step, fn, [w], [X])
    assert (step.traces, step.replays) == (1, 0)
    with pytest.raises(ValueError, match=r"argument X\[0\]\[1\]: expected a finite number"):
        step([[1e308, math.inf]])


def test_numpy_arrays_and_numbers_are_arguments_like_lists() -> None:
    np = pytest.importorskip("numpy")
    w = Value(0.5, label="w")

    def fn(X: list[list[Value]], y: Value) -> Value:
        return Value.sum([w * x for row in X for x in row]) * y

    step = compile(fn)
    assert same_as_eager(step, fn, [w], [[[1.0, 2.0], [3.0, 4.0]], 2.0])
    for arrays in [
        (np.array([[1.0, 2.0], [3.0, 4.5]]), np.float64(2.0)),
        (np.array([[1, 2], [3, -4]], dtype=np.int64), np.float32(0.5)),
    ]:
        before = w.grad
        got = step(*arrays)
        compiled_grad, w.grad = w.grad, before
        expected = eager(fn, [a.tolist() for a in arrays])
        assert (bits(got), bits(compiled_grad)) == (bits(expected), bits(w.grad))
    assert (step.traces, step.replays) == (1, 0)  # an array is the list of its rows
    traced_from_an_array = compile(fn)
    assert traced_from_an_array(np.array([[1.0, 2.0]]), 1.0) == 1.5


# -- the source ----------------------------------------------------------------------------------


def test_the_source_of_a_small_graph_reads_like_a_hand_derivation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    w = Value(0.5, label="w")
    b = Value(0.1, label="layers.1.neurons.3.b")
    step = compile(lambda x: (w * x + b).tanh())
    step(2.0)
    source = step.source
    assert source.startswith("def forward_backward(inputs, live):")
    assert "# tanh: ∂out/∂x = 1 − out²" in source
    assert "layers_1_neurons_3_b" in source and re.search(r"\bx\b", source)
    assert re.search(r"^    w, layers_1_neurons_3_b = live$", source, re.M)
    print(step)
    assert capsys.readouterr().out.strip() == source.strip()
    lines = step.explain(w).splitlines()
    assert lines and all(re.search(r"\b(g_)?w\b", line) for line in lines)
    assert "    v1 = w * x" in lines
    assert any(line.startswith("    g_w = ") and line.endswith(" * x") for line in lines)
    assert step.explain("layers_1_neurons_3_b") == step.explain(b)
    with pytest.raises(ValueError, match="not a node"):
        step.explain(Value(1.0))
    unit = cell([0.5], 0.1, "gelu")
    step = compile(lambda x: unit([x]) * x)
    step(1.5)
    neuron_lines = step.explain("v1")  # a neuron node: its sum and local gradient too
    assert "g_v1" in neuron_lines
    for derived in ("z_v1 = ", "local_v1 = ", "c_v1 = "):  # those the code has
        assert (derived in neuron_lines) == (derived in step.source)
    with pytest.raises(ValueError, match="no variable"):
        step.explain("nowhere")


def test_the_source_of_a_large_graph_has_short_lines_and_explains_a_parameter() -> None:
    model = MLP(2, [16, 16, 1], "relu", seed=0)
    fn = loss_function(model, "hinge")
    step = compile(fn)
    rng = random.Random(2)
    X, Y = batch(rng, 40, "hinge")
    step(X, Y)
    step(X, Y)
    lines = step.source.splitlines()
    assert max(len(line) for line in lines) <= MAX_LINE
    assert len(lines) > 1000 and not any(line.strip().startswith("# tanh") for line in lines)
    bias = model.layers[1].neurons[3].b
    explained = step.explain(bias).splitlines()
    assert explained and all("layers_1_neurons_3_b" in line for line in explained)
    assert len(explained) < len(lines) / 10
    # A user-visible name for every input and parameter (a sample's: X[i][1] is X_i_1).
    assert "X_i_1" in step.source and "Y_i" in step.source


@given(st.lists(st.text(max_size=10), min_size=4, max_size=4), st.floats(-2, 2))
@example(["z_v1", "local_v1", "activation_gelu", "c_h"], 0.5)  # the code's own names
@example(["x²", "x2", "ﬁ", "fi"], 0.5)  # one identifier for Python (NFKC)
@example(["slope_gelu", "forward_compile_softclip", "rule_compile_softclip", "1 + x"], 0.5)
@example(["total", "check", "inputs", "g_x"], 0.5)
@example(["neuron_gelu_apply", "neuron_gelu_local", "sigmoid", "fsum"], 0.5)
def test_any_labels_become_distinct_valid_names(labels: list[str], x: float) -> None:
    w = [Value(0.25 * (i + 1), label=label) for i, label in enumerate(labels[:3])]
    unit = cell([0.5, -0.25], 0.125, "gelu")

    def fn(a: Value) -> Value:
        n = unit([a, w[2]])  # the first node (v1): its z_ and local_ names
        assert isinstance(n, Value)
        h = compile_softclip(n * w[0])  # forward_ and rule_ names, c_ for its contributions
        h.label = labels[3]
        return (h + n).tanh() * w[1]

    step = compile(fn)
    for point in (0.5, x, -x):
        assert same_as_eager(step, fn, [*w, *unit.parameters()], [point])
    assert (step.traces, step.replays) == (1, 0)


def test_a_compiled_function_called_while_another_is_traced_is_refused() -> None:
    w = Value(0.5, label="w")
    inner = compile(lambda x: w * x)

    def outer(x: Value) -> Value:
        return w * x * inner(2.0)  # would wait for the lock its caller holds

    with pytest.raises(CompileError, match="called inside a function being compiled"):
        compile(outer)(1.0)
    assert w.grad == 0.0
    assert inner(2.0) == 1.0 and w.grad == 2.0  # outside, it works


def test_a_user_op_is_called_by_name_in_the_source() -> None:
    w = Value(0.5, label="w")

    def fn(x: Value) -> Value:
        return compile_softclip(w * x) + compile_logaddexp(x, w)

    step = compile(fn)
    step(2.0)
    assert "forward_compile_softclip(" in step.source and "rule_compile_logaddexp(" in step.source
    assert same_as_eager(step, fn, [w], [3.0])


def test_the_docstring_examples_run() -> None:
    failed, attempted = doctest.testmod(autograd.compiler, verbose=False)
    assert attempted > 0 and failed == 0
