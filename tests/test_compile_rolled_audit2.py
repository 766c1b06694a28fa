"""A second audit of ``autograd.compile`` and its loop over samples, from new angles.

`nn.fit` end to end (compiled and on the engine: the same history and parameters, to the
bit), the `nn` modules' API inside the compiled function, per-sample structure that depends
on the sample's index, batches at the loop's edges, extra results, calls from threads and
inside ``no_grad()``, the generated source itself, and functions that do more than compute a
Value (``detach()``, ``backward()``, copies, ``zero_grad()``). Each comparison with the engine is
``tests/test_compile.py``'s `same_as_eager`: the same bits, or the same error with no
``.grad`` changed.
"""

from __future__ import annotations

import builtins
import copy
import random
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from autograd import CompileError, Value, compile, no_grad
from autograd.compiler import CompiledFunction
from autograd.compiler.codegen import COMMENTED_NODES, MAX_LINE
from nn import MLP, Layer, Neuron, fit, optim
from nn.losses import binary_cross_entropy, cross_entropy, hinge, l2, mse, one_hot
from nn.neuron import ACTIVATIONS
from nn.train import DivergedError
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


# -- calls inside no_grad() ------------------------------------------------------------------------


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


# -- calls from two threads ------------------------------------------------------------------------


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


# -- labels that the losses refuse -----------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 150])
@pytest.mark.parametrize("loss", ["hinge", "binary_cross_entropy"])
def test_a_label_the_loss_refuses_is_the_engines_error_in_compiled_code_too(
    loss: str, n: int
) -> None:
    # hinge refuses a label of 0, binary_cross_entropy one of 2. With labels as arguments
    # (Values) a check of their .data would happen once, at the trace, and the compiled code
    # would return a number where the engine raises. (fit checks its labels before
    # training.) So a Value label also goes through an op whose forward refuses it: the
    # compiled code runs it at every call, written out (n = 2) or in the loop (n = 150).
    model = MLP(2, [3, 1], seed=5)
    loss_fn = hinge if loss == "hinge" else binary_cross_entropy

    def fn(X: list[list[Value]], y: list[Value]) -> Value:
        return loss_fn(model.batch(X), y)

    rng = random.Random(n)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(n)]
    step = compile(fn)
    good = [rng.choice([-1.0, 1.0]) if loss == "hinge" else rng.random() for _ in range(n)]
    assert same_as_eager(step, fn, model.parameters(), [X, good])
    assert same_as_eager(step, fn, model.parameters(), [X, good[::-1]])
    assert (LOOP in step.source) == (n > 2)
    refused = [*good[:-1], 0.0 if loss == "hinge" else 2.0]
    assert not same_as_eager(step, fn, model.parameters(), [X, refused])  # the engine's error
    assert (step.traces, step.replays) == (1, 1)


# -- the nn modules inside the compiled function ---------------------------------------------------


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_layer_and_neuron_batches_give_the_engines_bits(activation: str) -> None:
    # Layer.batch gives lists, a Layer of one neuron and a Neuron give Values.
    layer, one, unit = (
        Layer(2, 3, activation, seed=9),
        Layer(2, 1, activation, seed=10),
        Neuron(2, activation, seed=11),
    )
    live = [*layer.parameters(), *one.parameters(), *unit.parameters()]

    def fn(X: list[list[Value]], Y: list[list[Value]], y: list[Value]) -> tuple[Value, Any]:
        rows_out, ones, units = layer.batch(X), one.batch(X), unit.batch(X)
        assert isinstance(ones[0], Value) and isinstance(units[0], Value)
        loss = cross_entropy(rows_out, Y) + hinge(ones, y) + mse(units, y)
        return loss + 1e-3 * l2(live), units

    def arguments(rng: random.Random) -> list[Any]:
        return [
            rows(rng, 30),
            one_hot([rng.randrange(3) for _ in range(30)], 3),
            [rng.choice([-1.0, 1.0]) for _ in range(30)],
        ]

    as_the_engine_runs(fn, live, arguments)  # (three losses' samples: written whole)


def test_two_models_and_one_model_applied_twice_per_sample() -> None:
    teacher, student = MLP(2, [4, 1], "tanh", seed=12), MLP(1, [3, 1], "gelu", seed=13)
    live = [*teacher.parameters(), *student.parameters()]

    def fn(X: list[list[Value]]) -> Value:
        return Value.sum([(student([student([teacher(x)])]) - x[0]) ** 2 for x in X])

    assert LOOP in as_the_engine_runs(fn, live, lambda rng: [rows(rng, 40)]).source


@pytest.mark.parametrize("structure", ["by index", "ragged"])
def test_samples_whose_nodes_differ_by_index_or_length_are_written_whole(structure: str) -> None:
    model = MLP(2, [4, 4, 1], "relu", seed=14)
    live = model.parameters()

    def fn(X: list[list[Value]], y: list[Value]) -> Value:
        losses = []
        for i, (x, t) in enumerate(zip(X, y, strict=True)):
            score = model(x[:2]) if structure == "by index" else model(x[:2]) * Value.sum(x)
            losses.append(((score.tanh() if i % 2 else score) - t) ** 2)
        return Value.sum(losses)

    def arguments(rng: random.Random) -> list[Any]:
        widths = [2] * 40 if structure == "by index" else [2 + i % 3 for i in range(40)]
        return [[points(rng, w) for w in widths], points(rng, 40)]

    assert LOOP not in as_the_engine_runs(fn, live, arguments).source


@pytest.mark.parametrize("n", [2000, COMMENTED_NODES // 2, COMMENTED_NODES // 2 + 1])
def test_a_tiny_sample_in_a_large_batch_and_at_the_threshold(n: int) -> None:
    # Two nodes a sample (w * x and its relu) and the sum: 2n + 1 nodes, a loop above
    # COMMENTED_NODES, the graph written whole at or below it.
    w = Value(0.3, label="w")

    def fn(xs: list[Value]) -> Value:
        return Value.sum([(w * x).relu() for x in xs])

    step = as_the_engine_runs(fn, [w], lambda rng: [points(rng, n)])
    assert (LOOP in step.source) == (2 * n + 1 > COMMENTED_NODES)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_two_samples_of_a_large_network_are_a_loop(activation: str) -> None:
    model = MLP(1, [200, 2, 1], activation, seed=15)  # 203 neurons a sample
    live = model.parameters()

    def fn(xs: list[Value], y: list[Value]) -> Value:
        return hinge([model([x]) for x in xs], y)

    def arguments(rng: random.Random) -> list[Any]:
        return [points(rng, 2), [rng.choice([-1.0, 1.0]) for _ in range(2)]]

    assert LOOP in as_the_engine_runs(fn, live, arguments).source


def test_extras_nested_in_tuples_the_batchs_inputs_and_one_samples_hidden_numbers() -> None:
    model = MLP(2, [4, 4, 1], "relu", seed=15)
    live = model.parameters()

    def fn(X: list[list[Value]], y: list[Value]) -> tuple[Value, Any, Any, Any, Any]:
        hidden = [model.layers[0](x) for x in X]
        outs = [model.layers[2](model.layers[1](h)) for h in hidden]
        losses = [(o - t) ** 2 for o, t in zip(outs, y, strict=True)]
        pairs = [(o, loss) for o, loss in zip(outs, losses, strict=True)]
        return Value.sum(losses), pairs, (hidden[3][1],), X, y

    as_the_engine_runs(fn, live, lambda rng: [rows(rng, 40), points(rng, 40)])


def test_numpy_float32_batches_and_every_name_the_source_explains() -> None:
    np = pytest.importorskip("numpy")
    model = MLP(3, [5, 1], "silu", seed=16)
    live = model.parameters()

    def fn(X: list[list[Value]], y: list[Value]) -> Value:
        return binary_cross_entropy(model.batch(X), y)

    step = compile(fn)
    rng = random.Random(17)
    for _ in range(3):
        X = np.array(rows(rng, 60, 3), dtype=np.float32)
        y = np.array([rng.randrange(2) for _ in range(60)], dtype=np.float32)
        assert same_as_eager(step, fn, live, [X.tolist(), y.tolist()])  # the engine's bits..
        for p in live:
            p.grad = 0.0
        expected = eager(fn, [X.tolist(), y.tolist()])
        grads = [bits(p.grad) for p in live]
        for p in live:
            p.grad = 0.0
        assert bits(step(X, y)) == bits(expected)  # ..from the arrays themselves
        assert [bits(p.grad) for p in live] == grads
    assert LOOP in step.source and (step.traces, step.replays) == (1, 0)
    for node, name in step._latest.generated.names.items():  # type: ignore[union-attr]
        assert name in step.explain(node)


# -- nn.fit, compiled and on the engine ------------------------------------------------------------

OPTIMIZERS: dict[str, Callable[[list[Value]], optim.Optimizer]] = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.05),
    "SGD with momentum and weight decay": lambda ps: optim.SGD(
        ps, lr=0.05, momentum=0.9, weight_decay=1e-3
    ),
    "Adam with weight decay": lambda ps: optim.Adam(ps, lr=0.02, weight_decay=1e-3),
}
SETUPS = [  # (loss, outputs, inputs, hidden layers, activation, batch size), samples: 37
    ("mse", 1, 2, [8, 8], "relu", 30),  # a loop of 30, then a short batch of 7 written whole
    ("hinge", 1, 64, [1], "leaky_relu", 3),
    ("bce", 1, 5, [2, 2, 2, 2], "elu", 2),
    ("cross_entropy", 10, 2, [8], "gelu", None),  # the whole data set: a loop of 37
    ("cross_entropy", 3, 2, [3], "silu", 1),
    ("bce", 1, 2, [6, 6], "softplus", 16),
]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("setup", SETUPS, ids=lambda s: f"{s[0]}-{s[4]}-{s[5]}")
def test_fit_compiled_gives_the_engines_history_and_parameters(
    setup: tuple[str, int, int, list[int], str, int | None], optimizer: str
) -> None:
    loss, outputs, inputs, hidden, activation, size = setup
    rng = random.Random(size)
    X = rows(rng, 37, inputs)
    y = [rng.randrange(outputs if outputs > 1 else 2) for _ in range(37)]
    y = [2 * t - 1 for t in y] if loss == "hinge" else y

    def run(compiled: bool) -> tuple[list[bytes], list[bytes]]:
        model = MLP(inputs, [*hidden, outputs], activation, seed=18)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no fall back to the engine
            history = fit(
                model,
                X,
                y,
                loss=loss,
                optimizer=OPTIMIZERS[optimizer](model.parameters()),
                epochs=2,
                batch_size=size,
                seed=19,
                l2=1e-3 * (size != 2),
                progress=False,
                compile=compiled,
                record=size == 3,
            )
        numbers = history.loss + history.accuracy
        numbers += [x for s in history.snapshots for x in s.weights]
        return [bits(x) for x in numbers], [bits(p.data) for p in model.parameters()]

    assert run(True) == run(False)


def test_fit_that_diverges_leaves_the_same_gradients_compiled_and_on_the_engine() -> None:
    # The compiled step zeroes the gradients before it runs; the engine's step zeroed them
    # after its forward pass, so a forward pass that overflowed left the previous step's
    # gradients there (and zeros when compiled).
    rng = random.Random(0)
    X, y = rows(rng, 12), [rng.randrange(2) for _ in range(12)]
    options: dict[str, Any] = {"epochs": 50, "batch_size": 4, "seed": 0, "progress": False}

    def run(compiled: bool) -> tuple[str, list[bytes]]:
        model = MLP(2, [3, 1], "linear", seed=1)
        optimizer = optim.SGD(model.parameters(), lr=3.0)
        with pytest.raises(DivergedError) as info:
            fit(model, X, y, loss="mse", optimizer=optimizer, **options, compile=compiled)
        numbers = [x for p in model.parameters() for x in (p.data, p.grad)]
        return str(info.value), [bits(x) for x in numbers]

    compiled, engine = run(True), run(False)
    assert "too large for a float" in compiled[0]
    assert compiled == engine


# -- what the function does besides computing a Value ----------------------------------------------


def test_detach_inside_the_function_is_refused_naming_the_line() -> None:
    # teacher(x).detach(): a leaf holding the teacher's number at the trace's sample, which
    # was a constant of the code, silently wrong at every other batch (as float() would be).
    teacher, student = MLP(2, [3, 1], "tanh", seed=6), MLP(2, [3, 1], "relu", seed=7)
    live = [*teacher.parameters(), *student.parameters()]

    def fn(X: list[list[Value]]) -> Value:
        return Value.sum([(student(x) - teacher(x).detach()) ** 2 for x in X])

    step = compile(fn)
    with pytest.raises(CompileError, match=r"detach\(\) of a Value at .*test_compile_rolled"):
        step(rows(random.Random(8), 3))
    assert all(p.grad == 0.0 for p in live)


@pytest.mark.parametrize("where", ["on the loss it returns", "on a part of it"])
def test_a_function_that_calls_backward_itself_is_refused(where: str) -> None:
    # A micrograd-style step that calls loss.backward() and returns the loss: the engine's
    # fn(x).backward() adds the gradients twice, the compiled code added them once (only the
    # returned Value's), at every call after the first: silently other gradients.
    w = Value(0.5, label="w")

    def fn(x: Value) -> Value:
        loss = (w * x).tanh()
        loss.backward()
        return loss if where == "on the loss it returns" else loss * 2.0

    step = compile(fn)
    with pytest.raises(CompileError, match=r"fn calls backward\(\) .*return the loss"):
        step(1.0)


@pytest.mark.parametrize("how", [copy.copy, copy.deepcopy])
def test_a_copy_of_a_value_inside_the_function_is_refused_naming_the_line(
    how: Callable[[Value], Value],
) -> None:
    # Value.__copy__ and pickling's __reduce_ex__ make a leaf without Value.__init__: the
    # trace would take the copy of x for a leaf read from outside, fixed at the trace's
    # number. So a copy made while a function is traced is refused, as detach() is.
    w = Value(0.5, label="w")

    def fn(x: Value) -> Value:
        return w * how(x)

    step = compile(fn)
    with pytest.raises(CompileError, match=r"a copy of a Value at .*return w \* how\(x\)"):
        step(1.0)
    assert how(w).data == 0.5  # outside a traced function, copies work as ever


def test_zero_grad_inside_the_function_is_refused_naming_the_line() -> None:
    # micrograd's loop zeroes the gradients before the forward pass; written inside fn, it
    # would run only at the trace (it sets .grad, not an op), and the compiled calls after it
    # would add to gradients nobody reset. So it is refused, as backward() inside fn is.
    model = MLP(2, [3, 1], seed=20)

    def fn(x: list[Value]) -> Value:
        model.zero_grad()
        return model(x)

    step = compile(fn)
    with pytest.raises(CompileError, match=r"zero_grad\(\) at .*model.zero_grad\(\)"):
        step([1.0, 2.0])
    model.zero_grad()  # outside a traced function it works as ever
    assert all(p.grad == 0.0 for p in model.parameters())
