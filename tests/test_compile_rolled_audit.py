"""An audit of compile's loop over samples (``autograd/compiler/rolled.py``): odd inputs.

Each test is a function whose traced graph is written as a loop over the samples of a batch
(its docstring says "as a loop") and that once broke the contract of ``autograd.compile``:
the engine's output and gradients to the bit, or the engine's own error with no ``.grad``
changed, compared as ``tests/test_compile.py`` compares them (`same_as_eager`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from functools import reduce
from operator import add
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, compile, define_op
from autograd.compiler import CompiledFunction
from autograd.compiler.codegen import MAX_LINE
from nn import MLP
from nn.neuron import neuron
from tests.test_compile import compile_logaddexp, compile_softclip, same_as_eager

LOOP = "as a loop"  # what the docstring of a looped function says


def points(rng: random.Random, n: int) -> list[float]:
    return [rng.uniform(-2, 2) for _ in range(n)]


def rows(rng: random.Random, n: int) -> list[list[float]]:
    return [points(rng, 2) for _ in range(n)]


def loops_as_the_engine_runs(
    fn: Callable[..., Any],
    live: list[Value],
    arguments: Callable[[random.Random], list[Any]],
    seed: int,
    rate: float = 0.0,
) -> CompiledFunction:
    """Three calls of ``compile(fn)`` at new arguments (with an optimizer step of ``rate``
    between them), each with the engine's bits: the trace, then twice the loop's code."""
    step = compile(fn)
    rng = random.Random(seed)
    for _ in range(3):
        assert same_as_eager(step, fn, live, arguments(rng))
        for p in live:
            p.data -= rate * p.grad
    assert LOOP in step.source
    assert (step.traces, step.replays) == (1, 0)
    return step


def test_a_label_outside_ascii_is_kept_for_the_backward_loop() -> None:
    # The backward loop reads back each sample's numbers that its lines name; a name such as
    # ``é`` (a valid identifier) was not seen as one, so the last sample's number was used.
    w, b = Value(0.3, label="w"), Value(-0.1, label="b")

    def fn(X: list[list[Value]], y: list[Value]) -> Value:
        losses = []
        for x, t in zip(X, y, strict=True):
            h = (w * x[0] + b * x[1]).tanh()
            h.label = "é"
            losses.append((h - t) ** 2)
        return Value.sum(losses)

    loops_as_the_engine_runs(fn, [w, b], lambda rng: [rows(rng, 100), points(rng, 100)], 1)


@pytest.mark.parametrize("kept", ["one number", "no number"])
def test_a_sample_that_keeps_one_number_or_none_runs_the_loop(kept: str) -> None:
    # w * x + b: the backward loop reads x alone (a tuple of one); x + w: nothing at all.
    # (Squared, the sum's gradient needs every sample's forward first: two loops, and the
    # forward one keeps what the backward one reads.)
    w, b = Value(0.3, label="w"), Value(-0.1, label="b")

    def fn(xs: list[Value]) -> Value:
        return Value.sum([w * x + b if kept == "one number" else x + w for x in xs]) ** 2

    step = loops_as_the_engine_runs(fn, [w, b], lambda rng: [points(rng, 450)], 2)
    assert FUSED not in step.source
    assert ("saved.append((xs_i,))" in step.source) == (kept == "one number")
    assert ("saved" in step.source) == ("numbers are kept" in step.source)


FUSED = "forward, then backward"  # the comment above one loop that does both


@pytest.mark.parametrize(
    "combine",
    ["sum", "mean", "sum plus a penalty", "squared sum", "product", "log of the sum"],
)
def test_one_loop_when_the_samples_gradients_read_nothing_that_combines_them(
    combine: str,
) -> None:
    # A sum or a mean of the losses sends each sample the same constant: each sample's
    # backward follows its forward in one loop. A square, a product or a log of the sum sends
    # each sample numbers known only once every sample has run forward.
    w, b = Value(0.3, label="w"), Value(-0.1, label="b")

    def fn(xs: list[Value]) -> Value:
        losses = [(w * x + b).tanh() ** 2 for x in xs]
        if combine == "sum":
            return Value.sum(losses)
        if combine == "mean":
            return sum(losses) * (1.0 / len(losses))
        if combine == "sum plus a penalty":
            return Value.sum(losses) + 0.01 * (w * w + b * b)
        if combine == "squared sum":
            return Value.sum(losses) ** 2
        if combine == "product":
            return reduce(lambda a, c: a * c, losses)
        return (Value.sum(losses) + 1.0).log()

    step = loops_as_the_engine_runs(fn, [w, b], lambda rng: [points(rng, 450)], 7, rate=0.05)
    one_loop = combine in ("sum", "mean", "sum plus a penalty")
    assert (FUSED in step.source) == one_loop
    assert ("saved" in step.source) == (not one_loop)
    assert step.source.count("    for ") == (1 if one_loop else 2)


@pytest.mark.parametrize("name", ["zip", "range"])
def test_labels_and_arguments_named_like_the_loops_builtins(name: str) -> None:
    # The loops call zip() and range(): a variable of that name must not hide them.
    w, b = Value(0.3, label=name), Value(-0.1, label="b")

    def fn(X: list[Value], y: list[Value], scale: Value) -> Value:
        losses = []
        for x, t in zip(X, y, strict=True):
            h = (w * x + b).tanh()
            h.label = name
            losses.append((h * scale - t) ** 2)
        return Value.sum(losses)

    loops_as_the_engine_runs(fn, [w, b], lambda rng: [points(rng, 100), points(rng, 100), 0.5], 3)


def test_rows_of_many_numbers_keep_the_loops_lines_short() -> None:
    # 40 numbers a sample (the digits lesson has 64): the loop's head names each of them.
    model = MLP(40, [3, 1], "tanh", seed=4)
    live = model.parameters()

    def fn(X: list[list[Value]], y: list[Value]) -> Value:
        return Value.sum([(model(x) - t) ** 2 for x, t in zip(X, y, strict=True)])

    def arguments(rng: random.Random) -> list[Any]:
        return [[points(rng, 40) for _ in range(80)], points(rng, 80)]

    step = loops_as_the_engine_runs(fn, live, arguments, 5)
    assert max(len(line) for line in step.source.splitlines()) <= MAX_LINE


@pytest.mark.parametrize("chain", ["total + loss", "loss + total", "discounted"])
def test_a_sum_that_starts_from_a_value_of_the_functions_own_is_a_loop(chain: str) -> None:
    # ``total = Value(0.0)``, then ``total = total + loss`` for each sample: the first add
    # reads a constant that no sample reads, between the samples in the sweep. Discounted,
    # each add reads a parameter that no sample reads, whose gradient then grows between the
    # samples, and after them (gamma * gamma), as in the engine's sweep.
    model = MLP(2, [6, 6, 1], "tanh", seed=6)
    gamma = Value(0.9, label="gamma")
    live = [*model.parameters(), gamma]

    def fn(X: list[list[Value]], y: list[Value]) -> Value:
        losses = [(model(x) - t) ** 2 for x, t in zip(X, y, strict=True)]
        total: Value = combine_samples(chain, losses, gamma)
        return total + 0.1 * gamma * gamma

    loops_as_the_engine_runs(fn, live, lambda rng: [rows(rng, 40), points(rng, 40)], 7, 0.01)


def test_a_list_argument_before_the_batch_is_read_as_shared() -> None:
    # The first list argument (3 weights, one per class) is not the batch: X and Y are.
    model = MLP(2, [6, 6, 3], "tanh", seed=8)
    live = model.parameters()

    def fn(weights: list[Value], X: list[list[Value]], Y: list[list[Value]]) -> Value:
        losses = []
        for x, y in zip(X, Y, strict=True):
            scores = model(x)
            assert isinstance(scores, list)
            terms = zip(weights, scores, y, strict=True)
            losses.append(Value.sum([w * t * (s - t) ** 2 for w, s, t in terms]))
        return Value.sum(losses)

    def arguments(rng: random.Random) -> list[Any]:
        Y = [[float(rng.randrange(2)) for _ in range(3)] for _ in range(40)]
        return [[0.5, 1.0, 2.0], rows(rng, 40), Y]

    loops_as_the_engine_runs(fn, live, arguments, 9)


@pytest.mark.parametrize("where", ["w + b first", "l2 first", "w + b last"])
def test_a_parameter_read_outside_the_loop_keeps_what_it_grew_in_the_loop(where: str) -> None:
    # (w + b) + the samples' sum: the sweep reaches w + b after every sample, so w's gradient
    # grows in the loop and then takes one more term, the gradient of w + b itself. That
    # term, being another node's gradient unchanged, used to replace the sum instead. The
    # samples' sum + (w + b): w + b comes first, and w and b began the loop with one
    # variable, the gradient of w + b, and both grew in it.
    w, b = Value(0.3, label="w"), Value(-0.2, label="b")

    def fn(X: list[Value], y: list[Value]) -> Value:
        data = Value.sum([((w * x + b).tanh() - t) ** 2 for x, t in zip(X, y, strict=True)])
        if where == "w + b last":
            return data + (w + b)
        return (w + b if where == "w + b first" else w * w + b * b) + data

    loops_as_the_engine_runs(fn, [w, b], lambda rng: [points(rng, 120), points(rng, 120)], 10)


def test_a_discounted_sum_of_samples_that_end_in_a_product_is_a_loop() -> None:
    # total * gamma + h * (h + x): the first sample's block also holds 0.0 * gamma, its sum
    # with the first product and that times gamma, a product like each sample's last node.
    w, b, gamma = Value(0.3, label="w"), Value(-0.2, label="b"), Value(0.9, label="gamma")

    def fn(xs: list[Value]) -> Value:
        total = Value(0.0)
        for x in xs:
            h = (w * x + b).tanh()
            total = total * gamma + h * (h + x)
        return total

    loops_as_the_engine_runs(fn, [w, b, gamma], lambda rng: [points(rng, 100)], 12, 0.01)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_a_penalty_on_a_hidden_layer_across_the_batch_is_a_loop(activation: str) -> None:
    # Each hidden number feeds the next layer and the penalty that sums them over the batch:
    # its gradient starts with the penalty's (the sweep meets the penalty first), then the
    # next layer's add to it in the loop (for relu neurons, only while they are on).
    model = MLP(2, [4, 4, 1], activation, seed=13)
    live = model.parameters()

    def fn(X: list[list[Value]], y: list[Value]) -> Value:
        hidden = [model.layers[0](x) for x in X]
        scores = [model.layers[2](model.layers[1](h)) for h in hidden]
        losses = [(score - t) ** 2 for score, t in zip(scores, y, strict=True)]
        return Value.sum(losses) + 1e-2 * Value.sum([a for h in hidden for a in h])

    loops_as_the_engine_runs(fn, live, lambda rng: [rows(rng, 50), points(rng, 50)], 14, 0.05)


@pytest.mark.parametrize("where", ["nowhere else", "after the samples", "on their sum"])
def test_a_number_made_once_from_a_parameter_and_read_by_every_sample_is_a_loop(
    where: str,
) -> None:
    # temperature = T.exp(), made once and read by every sample: the sweep meets it among the
    # first sample's nodes (where the depth-first order first reached it). What it sends
    # back goes to T alone, which no sample reads: its turn can come after the loop.
    model = MLP(2, [5, 5, 1], "tanh", seed=15)
    T = Value(0.2, label="T")
    live = [*model.parameters(), T]

    def fn(X: list[list[Value]], y: list[Value]) -> Value:
        temperature = T.exp()
        data = Value.sum([(model(x) / temperature - t) ** 2 for x, t in zip(X, y, strict=True)])
        if where == "after the samples":
            return data + T * T
        return data * T if where == "on their sum" else data

    loops_as_the_engine_runs(fn, live, lambda rng: [rows(rng, 40), points(rng, 40)], 15, 0.01)


sign_of_g = define_op(  # a rule that reads only the sign of its gradient, even of a zero
    "audit_sign_of_g", lambda x: x, lambda g, out, x: (math.copysign(1.0, g),)
)


@pytest.mark.parametrize("bias", [-100.0, 100.0])
def test_a_rule_that_reads_the_sign_of_a_zero_gradient(bias: float) -> None:
    # The engine skips a neuron that is off and sign_of_g below it, which nothing then
    # reaches: w gets nothing. Had sign_of_g's rule been called with g = -0.0, it would send
    # -1.0 on. The neuron is each sample's one way in, so the loop skips the whole sample
    # when it is off, as the engine does (without that, a zero g at a user's op whose rule
    # sends more than zeros replays the call). A neuron that is on sends its gradient.
    w, v, b = Value(0.5, label="w"), Value(-0.7, label="v"), Value(bias, label="b")

    def fn(xs: list[Value]) -> Value:
        return Value.sum([neuron([v], [sign_of_g(w * x)], b, "relu") for x in xs])

    step = compile(fn)
    rng = random.Random(11)
    for _ in range(3):
        assert same_as_eager(step, fn, [w, v, b], [[rng.uniform(0.1, 2) for _ in range(150)]])
    assert LOOP in step.source
    assert (step.traces, step.replays) == (1, 0)
    assert "if v" in step.source and "== 0.0:  # off: nothing of this sample" in step.source
    if bias < 0:
        assert w.grad == 0.0  # nothing reached sign_of_g


# -- programs of random structure: what each sample computes, and how the samples combine ---

STEPS = ["add", "sub", "mul", "tanh", "sigmoid", "relu", "square", "softclip", "neuron_relu"]
STEPS += ["neuron_tanh", "logaddexp", "affine"]
COMBINE = ["Value.sum", "sum", "reduce", "reversed", "mean", "total + loss", "loss + total"]
COMBINE += ["discounted", "returned"]
STEP = st.tuples(
    st.sampled_from(STEPS),
    st.integers(0, 40),  # the operands: picks from the sample's values so far
    st.integers(0, 40),
    st.sampled_from(["", "h", "é", "zip", "k", "saved"]),  # a label for the node
)


def apply_step(kind: str, a: Value, b: Value, p: list[Value]) -> Value:
    if kind in ("add", "sub", "mul"):
        return a + b if kind == "add" else a - b if kind == "sub" else a * b
    if kind in ("tanh", "sigmoid", "relu"):
        result: Value = getattr(a, kind)()
        return result
    if kind.startswith("neuron_"):
        return neuron(p[:2], [a, b], p[2], kind.removeprefix("neuron_"))
    if kind == "softclip":
        return compile_softclip(a)
    if kind == "logaddexp":
        return compile_logaddexp(a, b * 0.5)
    return a * 2.0 + 0.5 if kind == "affine" else a * a


def combine_samples(how: str, outputs: list[Value], gamma: Value) -> Any:
    if how == "Value.sum":
        return Value.sum(outputs)
    if how == "sum":
        return sum(outputs)
    if how == "reduce":
        return reduce(add, outputs)
    if how == "reversed":
        return reduce(lambda a, b: b + a, reversed(outputs))
    if how == "mean":
        return Value.sum(outputs) / len(outputs)
    if how == "returned":
        return Value.sum(outputs), outputs
    total = Value(0.0)
    for out in outputs:
        if how == "total + loss":
            total = total + out
        elif how == "loss + total":
            total = out + total
        else:
            total = total * gamma + out
    return total


@settings(max_examples=25, deadline=None)
@given(
    st.lists(STEP, min_size=3, max_size=8),
    st.sampled_from(COMBINE),
    st.booleans(),  # labels y (a second batch argument)
    st.booleans(),  # a number argument read by every sample
    st.booleans(),  # a node of the parameters alone, read by every sample
    st.booleans(),  # a constant of each sample's own
    st.booleans(),  # the penalty on the parameters first in the sum (the sweep's last)
    st.integers(0, 10**6),
)
def test_programs_of_random_structure_give_the_engines_bits(
    steps: list[tuple[str, int, int, str]],
    how: str,
    labels: bool,
    number: bool,
    shared: bool,
    own_constant: bool,
    penalty_first: bool,
    seed: int,
) -> None:
    p = [Value(x, label=f"p{i}") for i, x in enumerate([0.6, -0.4, 0.3])]
    gamma = Value(0.9, label="gamma")
    live = [*p, gamma]

    def program(X: list[list[Value]], y: list[Value], s: list[Value]) -> Any:
        common = (gamma * gamma).tanh() if shared else None  # (its turn: after the loop)
        outputs = []
        for i, x in enumerate(X):
            pool = [*x, *p]
            pool += [y[i]] if labels else []
            pool += [s[0]] if number else []
            pool += [common] if common is not None else []
            pool += [Value(0.75, label="c")] if own_constant else []
            for j, (kind, a, b, label) in enumerate(steps):
                first = x[0] if j == 0 else pool[a % len(pool)]  # every sample reads its x
                node = apply_step(kind, first, pool[b % len(pool)], p)
                node.label = label or node.label
                pool.append(node)
            outputs.append(pool[-1] * pool[-2])
        result = combine_samples(how, outputs, gamma)
        penalty = 1e-3 * p[0] * p[0] + (p[1] + p[2])  # p[1], p[2]: one term each
        if isinstance(result, tuple):
            result, *extras = result
            return (penalty + result if penalty_first else result + penalty), *extras
        return penalty + result if penalty_first else result + penalty

    step = compile(program)
    rng = random.Random(seed)
    failed = 0
    for call in range(3):
        X = [[rng.uniform(-1.5, 1.5) for _ in range(2)] for _ in range(110)]
        args = [X, [rng.uniform(-1, 1) for _ in range(110)], [rng.uniform(-1, 1)]]
        failed += not same_as_eager(step, program, live, args)
        for q in live:
            q.data -= 0.01 * max(-10.0, min(10.0, q.grad))
        if call == 0 and failed:
            return  # the engine refused the first call: nothing was traced
    assert step.traces == 1 and step.replays == failed
    assert max(len(line) for line in step.source.splitlines()) <= MAX_LINE
