"""An audit of today's skips in compile's loop over samples (``autograd/compiler/rolled.py``).

The engine's sweep skips a node that is off (an ``off_at_zero`` op whose result is 0) and
what only it reaches. The loop skips a sample whose one way in is off, and the rule of a relu
op that is off; codegen replays a call when a user's rule could tell. Each test compares the
compiled calls with the engine's, to the bit, or the engine's own error with no ``.grad``
changed (`same_as_eager`). Also here: the batch of rows flattened in one go
(`_in_one_go`) against the walk number by number, and the labels of ``nn.losses`` as Values.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from functools import reduce
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd.compiler
from autograd import Value, compile, define_op, grad
from nn import MLP
from nn.losses import binary_cross_entropy, hinge
from tests.test_compile import same_as_eager
from tests.test_compile_rolled_audit import LOOP, loops_as_the_engine_runs

SKIPPED = "== 0.0:  # off: nothing of this sample's goes back"
N = 150  # samples: enough for the loop form (> 400 nodes)


def signed_rows(rng: random.Random, n: int = N) -> list[list[float]]:
    """``[x, y]`` per sample, y = ±1: about half the hinges are off at w = 0.7, b = -0.2."""
    return [[rng.uniform(-2, 2), rng.choice([-1.0, 1.0])] for _ in range(n)]


def wb() -> list[Value]:
    return [Value(0.7, label="w"), Value(-0.2, label="b")]


# -- the bug found: a user's op marked off_at_zero whose rule is not 0 where its result is ----

# Its rule's slope at 0 is 1 (a subgradient): the engine never calls it there (the op says it
# is off), the compiled code did, and sent g back.
_STEP_AT_ZERO = define_op(
    "audit_relu_slope_1_at_0",
    lambda x: x if x > 0.0 else 0.0,
    lambda g, out, x: (g * (1.0 if x >= 0.0 else 0.0),),
    off_at_zero=True,
)


@pytest.mark.parametrize("count", [3, N])
def test_a_users_off_op_whose_rule_is_not_0_at_0_gives_the_engines_bits(count: int) -> None:
    # Fixed in codegen.py (`_Writer.rule`): an untrusted off_at_zero op whose result is 0
    # and whose rule returned anything non-zero replays the call on the engine. count 3 is
    # written out whole, N as a loop (the op inside the sample, below a tanh).
    w = Value(1.0, label="w")

    def fn(xs: list[Value]) -> Value:
        return Value.sum([_STEP_AT_ZERO(w + x).tanh() for x in xs])

    step = compile(fn)
    rng = random.Random(5)
    for _ in range(4):
        xs = [rng.choice([-1.0, -2.0, 0.5]) for _ in range(count)]  # -1.0: exactly 0
        assert same_as_eager(step, fn, [w], [xs])
    assert (LOOP in step.source) == (count == N)
    assert step.traces == 1


# -- the sample skipped when its one way in is off ----------------------------------------------


def test_a_skipped_sample_that_also_returns_its_scores_and_hinges() -> None:
    # fn returns (loss, scores, hinges): outputs of the sample read outside it, not fed.
    w, b = wb()

    def fn(X: list[list[Value]]) -> tuple[Value, list[Value], list[Value]]:
        scores = [w * x[0] + b for x in X]
        hinges = [(1 - x[1] * s).relu() for x, s in zip(X, scores, strict=True)]
        return Value.sum(hinges), scores, hinges

    step = loops_as_the_engine_runs(fn, [w, b], lambda rng: [signed_rows(rng)], 1, rate=0.01)
    assert SKIPPED in step.source


@pytest.mark.parametrize("combine", ["read twice", "squared total", "reversed", "b + a"])
def test_a_relu_read_by_several_combining_nodes_or_in_either_order(combine: str) -> None:
    w, b = wb()

    def fn(X: list[list[Value]]) -> Value:
        hs = [(1 - x[1] * (w * x[0] + b)).relu() for x in X]
        if combine == "read twice":  # the relu's gradient is the sum of two contributions
            return sum(hs) + Value.sum(hs) * 0.5
        if combine == "squared total":  # the gradient into each relu depends on all of them
            total = Value.sum(hs)
            return total * total
        if combine == "reversed":  # the sweep meets the samples from the first on
            return reduce(lambda a, h: a + h, reversed(hs))
        return reduce(lambda a, h: h + a, hs)  # h + a: the sweep meets them last first

    step = loops_as_the_engine_runs(fn, [w, b], lambda rng: [signed_rows(rng)], 2, rate=0.01)
    assert SKIPPED in step.source


def test_a_hinge_at_exactly_0_and_at_minus_0() -> None:
    # 1 - y * (w * x + b) with w = 1, b = 0: x = y gives exactly 0.0, and relu(-0.0) is off.
    w, b = Value(1.0, label="w"), Value(0.0, label="b")

    def fn(X: list[list[Value]]) -> Value:
        return Value.sum([(x[1] - (w * x[0] + b)).relu() for x in X]) * 3.0

    def arguments(rng: random.Random) -> list[Any]:
        picks = [(1.0, 1.0), (-0.0, 0.0), (0.0, -0.0), (-0.0, -0.0), (0.5, 1.0), (2.0, 1.0)]
        return [[list(rng.choice(picks)) for _ in range(N)]]

    step = loops_as_the_engine_runs(fn, [w, b], arguments, 3)
    assert SKIPPED in step.source


@pytest.mark.parametrize("rule", ["forgets g", "reads g's sign"])
def test_a_users_op_inside_the_sample_below_the_hinge(rule: str) -> None:
    # Skipping the whole sample is what the engine does, whatever the user's rule: no replay.
    derivative = (
        (lambda g, out, x: (1.0,))
        if rule == "forgets g"
        else (lambda g, out, x: (math.copysign(1.0, g),))
    )
    name = "audit_identity_" + rule.replace(" ", "_").replace("'", "")
    user_op = define_op(name, lambda x: x * 1.0, derivative)
    w, b = wb()

    def fn(X: list[list[Value]]) -> Value:
        return Value.sum([(1 - x[1] * user_op(w * x[0] + b)).relu() for x in X])

    step = loops_as_the_engine_runs(fn, [w, b], lambda rng: [signed_rows(rng)], 4, rate=0.01)
    assert SKIPPED in step.source


@pytest.mark.parametrize("trusted", [False, True])
def test_a_users_off_op_as_the_samples_output(trusted: bool) -> None:
    relu_like = define_op(
        f"audit_hinge_{'trusted' if trusted else 'untrusted'}",
        lambda x: x if x > 0.0 else 0.0,
        lambda g, out, x: (g * (1.0 if x > 0.0 else 0.0),),
        off_at_zero=True,
        trusted=trusted,
    )
    w, b = wb()

    def fn(X: list[list[Value]]) -> Value:
        return Value.sum([relu_like(1 - x[1] * (w * x[0] + b)) for x in X])

    step = loops_as_the_engine_runs(fn, [w, b], lambda rng: [signed_rows(rng)], 5, rate=0.01)
    assert SKIPPED in step.source


def test_a_relu_neuron_as_the_samples_output() -> None:
    # nn's relu neuron (its op off_at_zero, with a writer) is the one way in.
    model = MLP(2, [4, 1], output_activation="relu", seed=3)

    def fn(X: list[list[Value]]) -> Value:
        return Value.sum([model(x) for x in X])

    step = loops_as_the_engine_runs(
        fn,
        model.parameters(),
        lambda rng: [[[x[0], rng.uniform(-3, 3)] for x in signed_rows(rng)]],
        6,
    )
    assert SKIPPED in step.source


def test_every_sample_off_then_an_inf_gradient_raises_the_engines_error() -> None:
    # The user's off op as the one way in: all off, and the gradient into each is inf.
    w = Value(5.0, label="w")

    def fn(xs: list[Value], s: list[Value]) -> Value:
        return Value.sum([_STEP_AT_ZERO(1 - w * x) for x in xs]) * s[0] * s[0]

    step = compile(fn)
    xs = [1.0 + 0.01 * i for i in range(150)]
    assert same_as_eager(step, fn, [w], [xs, [2.0]])
    assert SKIPPED in step.source
    assert not same_as_eager(step, fn, [w], [xs, [1e308]])
    assert (step.traces, step.replays) == (1, 1)


# -- relu ops inside the sample (their rules under ``if v != 0.0``) -----------------------------


@pytest.mark.parametrize("users_op", [False, True])
@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_relus_inside_the_sample_flipping_from_call_to_call(users_op: bool, seed: int) -> None:
    # Two relu ops per sample (one read twice), with or without a user's op elsewhere (then
    # nothing is skipped); an optimizer step between calls flips some of them.
    forgetful = define_op("audit_forgets_g", lambda x: x * 1.0, lambda g, out, x: (1.0,))
    w, b = wb()

    def fn(X: list[list[Value]]) -> Value:
        terms = []
        for x in X:
            h = (w * x[0] + b).relu()
            k = (b * x[1] - w).relu()
            terms.append((h * h - k + h * x[1]).tanh())
        total = Value.sum(terms)
        return total + forgetful(w) if users_op else total

    loops_as_the_engine_runs(fn, [w, b], lambda rng: [signed_rows(rng)], seed, rate=0.3)


@pytest.mark.parametrize("activation", ["leaky_relu", "relu"])
def test_second_order_inside_the_function(activation: str) -> None:
    # grad(create_graph=True) inside fn: the gradient's graph is part of the trace, and the
    # engine's backward through it (not under create_graph) skips what is off there too.
    w, b = wb()

    def fn(X: list[list[Value]]) -> Value:
        hinges = [getattr(1 - x[1] * (w * x[0] + b), activation)() for x in X]
        loss = Value.sum(hinges)
        gw, gb = grad(loss, [w, b], create_graph=True)
        return loss + gw * gw + gb * gb

    step = compile(fn)
    rng = random.Random(8)
    for _ in range(3):
        assert same_as_eager(step, fn, [w, b], [signed_rows(rng, 40)])


def test_a_leaky_relu_hinge_is_never_skipped() -> None:
    w, b = wb()

    def fn(X: list[list[Value]]) -> Value:
        return Value.sum([(1 - x[1] * (w * x[0] + b)).leaky_relu() for x in X])

    step = loops_as_the_engine_runs(fn, [w, b], lambda rng: [signed_rows(rng)], 9, rate=0.01)
    assert SKIPPED not in step.source


# -- nn.losses with labels as Values --------------------------------------------------------


@pytest.mark.parametrize("loss", ["hinge", "binary_cross_entropy"])
def test_losses_with_value_labels_in_the_loop_and_a_bad_label_later(loss: str) -> None:
    w, b = wb()
    labels = [-1.0, 1.0] if loss == "hinge" else [0.0, 1.0, 0.25]
    loss_function: Callable[..., Value] = hinge if loss == "hinge" else binary_cross_entropy

    def fn(xs: list[Value], y: list[Value]) -> Value:
        return loss_function([w * x + b for x in xs], y)

    def arguments(rng: random.Random) -> list[Any]:
        return [[rng.uniform(-2, 2) for _ in range(N)], [rng.choice(labels) for _ in range(N)]]

    step = loops_as_the_engine_runs(fn, [w, b], arguments, 10, rate=0.01)
    assert (SKIPPED in step.source) == (loss == "hinge")
    xs, y = arguments(random.Random(11))
    y[7] = 0.5 if loss == "hinge" else 1.5
    assert not same_as_eager(step, fn, [w, b], [xs, y])  # the engine's ValueError
    assert (step.traces, step.replays) == (1, 1)


@pytest.mark.parametrize("loss", ["hinge", "binary_cross_entropy"])
def test_plain_labels_make_no_label_nodes(loss: str) -> None:
    w = Value(0.5, label="w")
    scores = [w * 1.0, w * -2.0]
    total = hinge(scores, [1, -1]) if loss == "hinge" else binary_cross_entropy(scores, [1, 0])
    seen, stack = set(), [total]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(node.parents)
    ops = {node.op.name for node in seen if node.op is not None}
    assert not ops & {"hinge_label", "probability_label"}


# -- a batch of rows flattened in one go ------------------------------------------------------

_FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 0.0, -0.0, 5e-324]),
)
_NUMBERS = st.one_of(_FLOATS, st.integers(-3, 3), st.booleans(), st.just("x"))
_ROW = st.one_of(st.lists(_FLOATS, max_size=3), st.lists(_NUMBERS, max_size=3))
_MIXED_ROWS = st.lists(
    st.one_of(_ROW, _ROW.map(tuple), st.lists(st.lists(_FLOATS, max_size=2), max_size=2)),
    max_size=4,
)
_EVEN_ROWS = st.integers(0, 3).flatmap(  # rows of one length and kind: taken in one go
    lambda n: st.lists(st.lists(st.floats(-1e308, 1e308), min_size=n, max_size=n), max_size=4)
)
_ROWS = st.one_of(_MIXED_ROWS, _EVEN_ROWS, _EVEN_ROWS.map(lambda rows: [tuple(r) for r in rows]))


def _flatten_row_by_row(argument: Any) -> Any:
    """`_flatten` with nothing taken in one go (every number walked): its shape and
    numbers, or its error."""
    saved = autograd.compiler._in_one_go
    autograd.compiler._in_one_go = lambda item: None
    try:
        return autograd.compiler._flatten([argument], ["X"])
    except Exception as error:
        return type(error), str(error)
    finally:
        autograd.compiler._in_one_go = saved


@settings(max_examples=150, deadline=None)
@given(rows=_ROWS, outer_tuple=st.booleans())
def test_rows_in_one_go_give_the_walks_shape_numbers_and_errors(
    rows: list[Any], outer_tuple: bool
) -> None:
    argument = tuple(rows) if outer_tuple else rows
    try:
        got: Any = autograd.compiler._flatten([argument], ["X"])
    except Exception as error:
        got = type(error), str(error)
    expected = _flatten_row_by_row(argument)
    assert repr(got) == repr(expected)  # repr: nan == nan, and -0.0 apart from 0.0


def test_rows_of_numpy_floats_and_an_overflowing_sum() -> None:
    numpy = pytest.importorskip("numpy")
    for argument in (
        [[1e308, 1e308], [1e308, 1.0]],
        [[numpy.float64(0.5), 1.0], [2.0, 3.0]],
        numpy.array([[0.5, 1.0], [2.0, 3.0]]),
        [[1.0, 2.0], (3.0, 4.0)],
        [[1.0, 2.0], [3.0]],
    ):
        got = autograd.compiler._flatten([argument], ["X"])
        assert repr(got) == repr(_flatten_row_by_row(argument))
