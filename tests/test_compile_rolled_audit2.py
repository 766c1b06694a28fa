"""A second audit of ``autograd.compile`` and its loop over samples, from new angles.

`nn.fit` end to end (compiled and on the engine: the same history and parameters, to the
bit), the `nn` modules' API inside the compiled function, per-sample structure that depends
on the sample's index, batches at the loop's edges, extra results, calls from threads and
inside ``no_grad()``, and the generated source itself. Each comparison with the engine is
``tests/test_compile.py``'s `same_as_eager`: the same bits, or the same error with no
``.grad`` changed.
"""

from __future__ import annotations

import builtins
import random
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest

from autograd import Value, compile, no_grad
from autograd.compiler import CompiledFunction
from autograd.compiler.codegen import MAX_LINE
from nn import MLP
from nn.losses import binary_cross_entropy, hinge, mse
from tests.test_compile import bits, eager, same_as_eager

LOOP = "as a loop"  # what the docstring of a looped function says


def points(rng: random.Random, n: int) -> list[float]:
    return [rng.uniform(-2, 2) for _ in range(n)]


def rows(rng: random.Random, n: int, width: int = 2) -> list[list[float]]:
    return [points(rng, width) for _ in range(n)]


def as_the_engine_runs(
    fn: Callable[..., Any],
    live: list[Value],
    arguments: Callable[[random.Random], list[Any]],
    seed: int = 0,
    calls: int = 3,
) -> CompiledFunction:
    """``calls`` calls of ``compile(fn)`` at new arguments, an SGD step between them, each
    with the engine's bits: the trace, then the generated code."""
    step = compile(fn)
    rng = random.Random(seed)
    for _ in range(calls):
        assert same_as_eager(step, fn, live, arguments(rng))
        for p in live:
            p.data -= 0.01 * p.grad
    assert (step.traces, step.replays) == (1, 0)
    builtins.compile(step.source, "<generated>", "exec")  # valid Python, as printed
    assert max(len(line) for line in step.source.splitlines()) <= MAX_LINE
    return step


def mse_of_a_relu_mlp(seed: int) -> tuple[MLP, Callable[..., Value]]:
    """A model and the mse of its outputs on a batch (X, y), as the function to compile."""
    model = MLP(2, [4, 4, 1], "relu", seed=seed)

    def fn(X: list[list[Value]], y: list[Value]) -> Value:
        return mse(model.batch(X), y)

    return model, fn


# -- calls inside no_grad() --------------------------------------------------------------------


def test_a_first_call_inside_no_grad_is_not_kept_as_a_constant() -> None:
    # Inside no_grad() fn builds no graph: its output is a leaf. Traced so, that number was a
    # constant of the code: every later call returned it and added no gradient.
    w = Value(0.5, label="w")

    def fn(x: Value) -> Value:
        return (w * x).tanh()

    step = compile(fn)
    with no_grad():
        assert step(1.0) == fn(Value(1.0)).data
    assert w.grad == 0.0  # the engine's backward() of a leaf adds nothing
    for x in (2.0, -0.5):
        assert same_as_eager(step, fn, [w], [x])
    assert step.replays == 0


def test_a_call_inside_no_grad_adds_no_gradient_as_the_engine() -> None:
    model, fn = mse_of_a_relu_mlp(seed=1)
    live = model.parameters()

    rng = random.Random(2)
    step = compile(fn)
    step(rows(rng, 60), points(rng, 60))
    assert LOOP in step.source
    X, y = rows(rng, 60), points(rng, 60)
    grads = [p.grad for p in live]
    with no_grad():
        assert bits(step(X, y)) == bits(mse(model.batch(X), y).data)
    assert [p.grad for p in live] == grads


# -- calls from two threads ----------------------------------------------------------------------


def in_two_threads(work: Callable[[int], None]) -> None:
    """``work(0)`` and ``work(1)`` in two threads at once, switching as often as possible;
    the first error either raised is raised here."""
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            work(k)
        except BaseException as error:
            errors.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    if errors:
        raise errors[0]


def test_calls_from_two_threads_each_add_their_whole_pass() -> None:
    # backward() takes turns with other threads where it writes .grad (GRADIENTS_LOCK); the
    # compiled call read .grad, added its pass and wrote it back with no lock, so a call of
    # another thread in between was lost whole.
    w = Value(0.5, label="w")

    def fn(xs: list[Value]) -> Value:
        return Value.sum([(w * x).tanh() for x in xs])

    step = compile(fn)
    step([1.0, 2.0])
    w.grad = 0.0
    for _ in range(2 * 1500):  # one thread: the total both threads must reach
        step([1.0, 2.0])
    alone, w.grad = w.grad, 0.0
    results: list[float] = []

    def calls(_: int) -> None:
        results.extend(step([1.0, 2.0]) for _ in range(1500))

    in_two_threads(calls)
    assert {bits(r) for r in results} == {bits(fn([Value(1.0), Value(2.0)]).data)}
    assert bits(w.grad) == bits(alone)


def test_a_first_call_from_two_threads_at_once_traces_and_runs_right() -> None:
    model, fn = mse_of_a_relu_mlp(seed=3)
    live = model.parameters()

    rng = random.Random(4)
    batches = [(rows(rng, 60), points(rng, 60)) for _ in range(6)]
    expected = [bits(eager(fn, list(b))) for b in batches]
    for p in live:
        p.grad = 0.0
    step = compile(fn)
    got: dict[int, bytes] = {}

    def calls(first: int) -> None:
        for k in range(first, len(batches), 2):
            got[k] = bits(step(*batches[k]))

    in_two_threads(calls)
    assert [got[k] for k in range(len(batches))] == expected
    assert LOOP in step.source and step.replays == 0


# -- labels that the losses refuse ---------------------------------------------------------------


@pytest.mark.xfail(
    strict=True,
    reason="nn.losses checks a Value label's .data: inside compile, only at the trace; see "
    "the test's comment",
)
@pytest.mark.parametrize("loss", ["hinge", "binary_cross_entropy"])
def test_a_label_the_loss_refuses_is_the_engines_error_in_compiled_code_too(loss: str) -> None:
    # hinge refuses a label of 0, binary_cross_entropy one of 2; with labels as arguments
    # (Values) they read the label's .data to check it, which inside compile happens once,
    # at the trace: the compiled code then returns a number where the engine raises. (fit
    # checks its labels before training, so it is not affected.) A fix must keep the loop:
    # a guard per label would write the step out whole.
    model = MLP(2, [3, 1], seed=5)
    loss_fn = hinge if loss == "hinge" else binary_cross_entropy

    def fn(X: list[list[Value]], y: list[Value]) -> Value:
        return loss_fn(model.batch(X), y)

    X = [[0.1, 0.2], [0.3, -0.5]]
    step = compile(fn)
    step(X, [1.0, 1.0])
    refused = [1.0, 0.0] if loss == "hinge" else [1.0, 2.0]
    assert not same_as_eager(step, fn, model.parameters(), [X, refused])


def test_two_threads_that_trace_new_shapes_share_the_cache_safely() -> None:
    # 45 lengths of batch, 40 traces kept: calls trace and drop traces all the time. A thread
    # that dropped one while the other walked the cache raised "OrderedDict mutated during
    # iteration", after its call's gradients had been added.
    w = Value(0.5, label="w")

    def fn(xs: list[Value]) -> Value:
        return Value.sum([w * x for x in xs])

    step = compile(fn, max_traces=40)
    got: list[tuple[int, float]] = []

    def calls(k: int) -> None:
        for i in range(300):
            n = 1 + (7 * i + k) % 45
            got.append((n, step([1.0] * n)))

    in_two_threads(calls)
    assert len(got) == 600
    assert all(bits(result) == bits(fn([Value(1.0)] * n).data) for n, result in got)
