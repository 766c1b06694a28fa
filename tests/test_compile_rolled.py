"""``autograd.compile`` writes a batch as a loop over its samples, with the engine's bits.

A function that computes the same nodes for every sample of a batch, then combines them, is
written with one sample's code inside a ``for`` loop (``autograd/compiler/rolled.py``). These
tests check that the loop form is chosen where it should be, that it gives the engine's
results and ``.grad`` numbers to the bit (as ``test_compile.py`` compares them), that its
errors are the engine's, and that a function whose samples differ is written out whole.
"""

from __future__ import annotations

import math
import random
import re
from functools import reduce
from operator import add
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from autograd import Value, compile
from autograd.testing import Expression, expressions
from nn import MLP
from nn.losses import l2
from nn.module import ACTIVATIONS
from tests.test_compile import LOSSES, USER_OPS, batch, loss_function, same_as_eager

LOOP = "as a loop"  # what the docstring of a looped function says


@settings(max_examples=8, deadline=None, phases=[Phase.explicit, Phase.generate])
@given(
    st.sampled_from(ACTIVATIONS),
    st.sampled_from(LOSSES),
    st.integers(40, 60),
    st.integers(0, 10**6),
)
def test_a_networks_batch_is_a_loop_with_the_engines_bits(
    activation: str, loss: str, n: int, seed: int
) -> None:
    rng = random.Random(seed)
    outputs = 2 if loss == "cross_entropy" else 1
    model = MLP(2, [6, 6, outputs], activation, seed=seed)
    live = model.parameters()
    fn = loss_function(model, loss)  # the per-sample outputs come back too
    step = compile(fn)
    for _ in range(3):
        assert same_as_eager(step, fn, live, batch(rng, n, loss))
        for p in live:
            p.data -= 0.1 * p.grad
    assert LOOP in step.source
    assert (step.traces, step.replays) == (1, 0)


def test_the_loop_reads_each_sample_once_and_its_size_does_not_grow_with_the_batch() -> None:
    model = MLP(2, [8, 8, 1], "relu", seed=1)
    rng = random.Random(1)
    sizes = []
    for n in (30, 90):
        step = compile(loss_function(model, "hinge"))
        step(*batch(rng, n, "hinge"))
        assert LOOP in step.source
        assert f"rows = list(zip(inputs[0:{2 * n - 1}:2]" in step.source
        assert "X_i_0, X_i_1, Y_i = rows[k]" in step.source
        sizes.append(len(step.source))
    # Only the outputs' lists (one name per sample) grow with the batch.
    assert sizes[1] < 1.3 * sizes[0]


@pytest.mark.parametrize(
    "combine",
    ["sum", "Value.sum", "reduce", "reversed", "mean of squares"],
)
def test_every_way_of_combining_the_samples_gives_the_engines_bits(combine: str) -> None:
    model = MLP(3, [5, 5, 1], "tanh", seed=3)
    live = model.parameters()

    def fn(X: list[list[Value]], y: list[Value]) -> Value:
        errors = [(model(x) - t) for x, t in zip(X, y, strict=True)]
        if combine == "sum":
            data = sum(e * e for e in errors)
        elif combine == "Value.sum":
            data = Value.sum([e * e for e in errors])
        elif combine == "reduce":
            data = reduce(add, [e * e for e in errors])
        elif combine == "reversed":
            data = reduce(lambda a, b: b + a, reversed([e * e for e in errors]))
        else:
            data = Value.sum([e**2 for e in errors]) / len(errors)
        return data * 0.5 + 1e-3 * l2(live)

    step = compile(fn)
    rng = random.Random(4)
    for _ in range(3):
        X = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(40)]
        y = [rng.uniform(-1, 1) for _ in range(40)]
        assert same_as_eager(step, fn, live, [X, y])
        for p in live:
            p.data -= 0.05 * p.grad
    assert LOOP in step.source
    assert (step.traces, step.replays) == (1, 0)


def test_a_shared_argument_and_a_samples_own_constants_are_read_right() -> None:
    model = MLP(2, [6, 6, 1], "relu", seed=5)
    live = model.parameters()

    def fn(X: list[list[Value]], y: list[Value], margin: Value) -> Value:
        losses = [(margin - t * model(x)).relu() for x, t in zip(X, y, strict=True)]
        bumps = [Value(0.5) * s for s in losses]  # a constant leaf made for each sample
        return Value.sum(bumps) + 1e-4 * l2(live)

    step = compile(fn)
    rng = random.Random(6)
    for margin in (1.0, 0.5, 2.0):
        X, y = batch(rng, 30, "hinge")
        assert same_as_eager(step, fn, live, [X, y, margin])
    assert LOOP in step.source and "margin = inputs[" in step.source
    assert (step.traces, step.replays) == (1, 0)


def test_samples_that_differ_are_written_out_whole() -> None:
    w = [Value(0.1 * (i + 1), label=f"w{i}") for i in range(4)]

    def fn(xs: list[Value]) -> Value:
        terms = []
        for i, x in enumerate(xs):  # every third sample takes another op
            z = x * w[i % 4] + w[(i + 1) % 4]
            terms.append(z.tanh() if i % 3 else z.sigmoid())
        return Value.sum(terms)

    step = compile(fn)
    rng = random.Random(7)
    for _ in range(3):
        assert same_as_eager(step, fn, w, [[rng.uniform(-2, 2) for _ in range(150)]])
    assert LOOP not in step.source


def test_a_guard_keeps_the_function_written_out_whole() -> None:
    model = MLP(2, [6, 6, 1], "relu", seed=8)
    live = model.parameters()

    def fn(X: list[list[Value]], y: list[Value]) -> Value:
        total = Value.sum([(model(x) - t) ** 2 for x, t in zip(X, y, strict=True)])
        return total if total > 1.0 else total * 2.0  # a Python branch: a guard

    step = compile(fn)
    X, y = batch(random.Random(9), 30, "mse")
    assert same_as_eager(step, fn, live, [X, y])
    assert LOOP not in step.source


def test_errors_inside_the_loop_are_the_engines_with_no_grad_changed() -> None:
    model = MLP(2, [6, 6, 1], "relu", seed=10)
    live = model.parameters()

    def fn(X: list[list[Value]], y: list[Value]) -> Value:
        losses = [((model(x) - t) ** 2 + 1.0).log() * t.log() for x, t in zip(X, y, strict=True)]
        return Value.sum(losses) + 1e-4 * l2(live)

    step = compile(fn)
    rng = random.Random(11)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(30)]
    good = [rng.uniform(0.5, 2.0) for _ in range(30)]
    assert same_as_eager(step, fn, live, [X, good])
    assert LOOP in step.source
    bad = list(good)
    bad[17] = -1.0  # log of a negative, in sample 17 only
    assert not same_as_eager(step, fn, live, [X, bad])
    huge = [list(row) for row in X]
    huge[3] = [1e300, 1e300]  # an overflow in sample 3's neurons
    assert not same_as_eager(step, fn, live, [huge, good])
    assert same_as_eager(step, fn, live, [X, good])
    assert (step.traces, step.replays) == (1, 2)


def test_explain_shows_the_loops_lines_for_a_parameter_and_a_samples_node() -> None:
    model = MLP(2, [6, 6, 1], "relu", seed=12)
    fn = loss_function(model, "hinge")
    step = compile(fn)
    step(*batch(random.Random(13), 30, "hinge"))
    w = model.layers[1].neurons[2].w[4]
    explained = step.explain(w)
    assert "g_layers_1_neurons_2_w4 += " in explained  # its gradient grows in the loop
    assert math.isfinite(w.grad)


def test_a_short_last_batch_is_a_second_loop(tmp_path: Any) -> None:
    model = MLP(2, [6, 6, 1], "relu", seed=14)
    live = model.parameters()
    fn = loss_function(model, "hinge")
    step = compile(fn)
    rng = random.Random(15)
    for n in (32, 32, 7, 32):
        assert same_as_eager(step, fn, live, batch(rng, n, "hinge"))
    assert step.traces == 2 and step.replays == 0


def test_the_readmes_line_counts_of_the_demo_step_are_what_compile_writes() -> None:
    import re
    from pathlib import Path

    from autograd.compiler.codegen import generate
    from autograd.compiler.rolled import generate_rolled
    from autograd.compiler.trace import trace
    from benchmarks import demo_step

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    found = re.search(r"micrograd's demo step is ([\d,]+) lines, against ([\d,]+)", readme)
    assert found is not None
    looped, whole = (int(text.replace(",", "")) for text in found.groups())
    problem = demo_step.make_problem(100)
    step = demo_step.GlassgradCompiledStep(problem)
    traced = trace(step.total_loss, [problem.points, problem.labels], ["X", "y"])
    rolled = generate_rolled(traced)
    assert rolled is not None and LOOP in rolled.source
    assert rolled.source.count("\n") == looped
    assert generate(traced).source.count("\n") == whole


def test_a_samples_input_read_outside_the_loop_keeps_the_function_written_out_whole() -> None:
    model = MLP(2, [6, 6, 1], "tanh", seed=16)
    live = model.parameters()

    def fn(X: list[list[Value]], y: list[Value]) -> tuple[Value, Value]:
        total = Value.sum([(model(x) - t) ** 2 for x, t in zip(X, y, strict=True)])
        return total + X[5][0] * y[7], X[2][1]  # sample 5's and 7's inputs, outside a sample

    step = compile(fn)
    rng = random.Random(17)
    for _ in range(3):
        X, y = batch(rng, 40, "mse")
        assert same_as_eager(step, fn, live, [X, y])
    assert LOOP not in step.source


@settings(max_examples=40, deadline=None)
@given(
    expressions(variables=3, extra_ops=USER_OPS),
    st.lists(st.floats(-0.5, 0.5), min_size=2, max_size=2),
    st.sampled_from(["Value.sum", "sum", "returned", "shared part"]),
    st.integers(0, 10**6),
)
def test_generated_per_sample_programs_give_the_engines_bits(
    expr: Expression, spread: list[float], combine: str, seed: int
) -> None:
    # Every sample computes the expression at its own point (x0, x1) with one parameter p
    # shared by all; the samples are combined in one of a few ways. Points near the drawn
    # one, so most are in its domain; a sample outside it makes the engine raise, and then
    # the compiled call too.
    live = [Value(expr.values[2], label="p")]

    def fn(X: list[list[Value]]) -> Any:
        outputs = [expr(*x, *live) for x in X]
        if combine == "sum":  # a chain of + from 0
            return sum(y * y for y in outputs) * 0.5
        if combine == "returned":  # the outputs come back too
            return Value.sum([y * y for y in outputs]), outputs
        if combine == "shared part":  # a node of the parameter alone, used by every sample
            scale = (live[0] * live[0] + 1.0).log()
            return Value.sum([y * scale for y in outputs])
        return Value.sum([y * y for y in outputs]) * 0.5

    rng = random.Random(seed)

    def points() -> list[list[float]]:
        near = list(zip(expr.values[:2], spread, strict=True))
        return [[v + s * rng.uniform(-1, 1) for v, s in near] for _ in range(150)]

    step = compile(fn)
    for _ in range(3):
        same_as_eager(step, fn, live, [points()])


def test_a_part_each_sample_rebuilds_from_parameters_alone_is_in_the_loop() -> None:
    w, b = Value(0.3, label="w"), Value(-0.2, label="b")

    def fn(xs: list[Value]) -> Value:
        # (w * 2).tanh() reads no sample, but each sample builds its own: it is that sample's.
        return Value.sum([((w * 2.0).tanh() * x + b).sigmoid() for x in xs])

    step = compile(fn)
    rng = random.Random(18)
    for _ in range(3):
        assert same_as_eager(step, fn, [w, b], [[rng.uniform(-2, 2) for _ in range(120)]])
    assert LOOP in step.source
    loop = step.source[step.source.index("    rows = inputs[0:120]") :]
    assert "tanh(" in loop.split("\n    (")[0]  # computed inside the forward loop


def test_samples_that_are_only_returned_are_fine() -> None:
    w = Value(0.7, label="w")

    def fn(xs: list[Value]) -> tuple[Value, list[Value]]:
        return w * w, [(w * x).tanh() for x in xs]  # the output reads no sample

    step = compile(fn)
    for shift in (0.0, 0.5, -1.0):
        assert same_as_eager(step, fn, [w], [[0.01 * i + shift for i in range(250)]])


SKIPPED = "== 0.0:  # off: nothing of this sample's goes back"


@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_a_sample_whose_hinge_is_off_is_skipped_with_the_engines_bits(scale: float) -> None:
    # micrograd's loss: a point outside the margin has a hinge of 0, its relu is off, and the
    # sample sends nothing back (the engine's sweep skips it too). Scaled by 3, the model puts
    # most points outside the margin: most samples are skipped.
    model = MLP(2, [8, 8, 1], seed=21)
    for p in model.parameters():
        p.data *= scale

    def fn(X: list[list[Value]], y: list[Value]) -> Value:
        losses = [(1 - yi * model(x)).relu() for x, yi in zip(X, y, strict=True)]
        return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())

    step = compile(fn)
    rng = random.Random(7)
    for _ in range(3):
        X = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(60)]
        y = [rng.choice([-1.0, 1.0]) for _ in range(60)]
        assert same_as_eager(step, fn, model.parameters(), [X, y])
    assert LOOP in step.source and SKIPPED in step.source
    assert (step.traces, step.replays) == (1, 0)


def test_a_skipped_samples_gradient_is_still_checked() -> None:
    # Every hinge is 0 (every sample skipped), and at the second call the gradient sent to
    # each is inf: the engine raises naming the node, and so must the compiled call, with no
    # .grad changed (the replay raises it).
    w = Value(5.0, label="w")

    def fn(xs: list[Value], s: list[Value]) -> Value:
        return Value.sum([(1 - w * x).relu() for x in xs]) * s[0] * s[0]

    step = compile(fn)
    xs = [1.0 + 0.01 * i for i in range(150)]
    assert same_as_eager(step, fn, [w], [xs, [2.0]])
    assert LOOP in step.source and SKIPPED in step.source
    with pytest.raises(OverflowError):
        fn([Value(x) for x in xs], [Value(1e308)]).backward()
    w.grad = 0.0
    assert not same_as_eager(step, fn, [w], [xs, [1e308]])  # the engine's error, w.grad as was
    assert (step.traces, step.replays) == (1, 1)


def test_the_demo_steps_loop_names_its_own_numbers_first_and_runs_each_sample_once() -> None:
    # micrograd's demo step: the mean of the hinge losses sends every sample the same constant
    # gradient, so one loop does each sample's forward and then its backward. The numbers the
    # loop sets are named before anything else, so CPython reaches each with one instruction
    # (the first 256 local names); an on relu's rule is written as its slope 1.
    import dis

    from benchmarks import demo_step

    problem = demo_step.make_problem(100)
    step = demo_step.GlassgradCompiledStep(problem)
    step.reset()
    step.step()
    compiled = step.compiled
    source = compiled.source
    assert source.count("\n    for ") == 1 and "forward, then backward" in source
    assert "saved" not in source
    on_line = r"if (v\d+) > 0\.0:\n +local_(v\d+) = g_(v\d+)  # on: relu's slope is 1"
    on = re.findall(on_line, source)
    assert len(on) == 32 and all(a == b == c for a, b, c in on)  # the 32 hidden neurons
    entry = compiled._latest
    assert entry is not None
    code = entry.function.__code__
    loop = source[source.index("\n    for k in") :]
    loop = loop[: loop.index("\n    (")]  # up to the samples' outputs, after the loop
    targets = [line.split(" = ")[0].strip() for line in loop.splitlines() if " = " in line]
    own = {name for text in targets for name in text.split(", ") if name.isidentifier()}
    own.add("k")
    assert {"X_i_0", "X_i_1", "y_i"} <= own
    assert {f"local_{v}" for v, _, _ in on} | {f"z_{v}" for v, _, _ in on} <= own
    assert [name for name in own if code.co_varnames.index(name) >= 256] == []
    # so the loop's lines reach them without an EXTENDED_ARG
    in_loop = [
        i
        for i in dis.get_instructions(code)
        if i.opname in ("LOAD_FAST", "STORE_FAST") and i.argval in own
    ]
    assert in_loop and all(i.arg < 256 for i in in_loop)
    # and the step is the engine's, to the bit
    engine = demo_step.GlassgradMicrogradStyleStep(problem)
    for s in (step, engine):
        s.reset()
    assert step.step() == engine.step()
    assert step.parameters() == engine.parameters()
