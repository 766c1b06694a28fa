"""The two sweeps of ``backward()``: the reference (``autograd/backward.py``) and the fast one
(``autograd/fast.py``). The contract: on any graph both give every ``.grad`` the same to the
last bit, and visit the nodes in the same order. Then the promises both must keep: all or
nothing (errors, overflow, Ctrl-C), the program's garbage-collector setting left alone,
``grad()`` at the forward pass's point, and graphs that pickle and deep-copy.
"""

from __future__ import annotations

import copy
import gc
import math
import pickle
import random
import signal
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, fast, fused, grad, no_grad, topological_order
from autograd import backward as reference
from autograd.testing import Expression, expressions, finite_floats
from autograd.value import engine
from nn import MLP

ENGINES: dict[str, Callable[[Value, float], None]] = {
    "reference": reference.backward,
    "fast": fast.backward,
}


def bits(x: float) -> bytes:
    """The float's bytes, so that equality means the same number to the last bit."""
    return struct.pack("<d", x + 0.0)  # + 0.0: -0.0 and 0.0 are the same gradient


def run_both(root: Value, start: list[float], gradient: float = 1.0) -> dict[str, list[bytes]]:
    """Every node's .grad after each engine's pass from the same starting gradients."""
    nodes = topological_order(root)
    results = {}
    for name, run in ENGINES.items():
        for node, g in zip(nodes, start, strict=True):
            node.grad = g
        run(root, gradient)
        results[name] = [bits(node.grad) for node in nodes]
    return results


def random_starts(n: int, seed: int) -> list[float]:
    """Gradients left by earlier passes: zeros mostly, some not (a second pass)."""
    rng = random.Random(seed)
    return [rng.choice([0.0, 0.0, rng.uniform(-2, 2)]) for _ in range(n)]


@settings(max_examples=3 * settings.default.max_examples)
@given(expressions(variables=3), st.integers(0, 10**6), finite_floats(-3, 3))
def test_both_engines_give_the_same_grads_on_generated_expressions(
    expr: Expression, seed: int, gradient: float
) -> None:
    root = expr(*expr.leaves())
    start = random_starts(len(topological_order(root)), seed)
    results = run_both(root, start, gradient)
    assert results["fast"] == results["reference"], str(expr)


def random_network(seed: int) -> Value:
    """A random layered graph: batches, a layer read twice, op-node weights, dead relus."""
    rng = random.Random(seed)
    n_in = rng.randint(1, 3)
    sizes = [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]
    activations = [rng.choice(["relu", "tanh", "sigmoid", "linear"]) for _ in sizes]
    model = MLP(n_in, sizes, activations[0], activations[-1], seed=rng.randrange(1000))
    samples = [[rng.uniform(-2, 2) for _ in range(n_in)] for _ in range(rng.randint(1, 4))]
    terms: list[Value] = []
    outputs = model.batch(samples)
    for out in outputs:
        terms += out if isinstance(out, list) else [out]
    layer = model.layers[0]
    weights = [n.w for n in layer.neurons]
    if rng.random() < 0.5:  # weights that are op nodes, and a layer read by two layers
        weights = [tuple(w * 0.5 for w in row) for row in weights]
    biases = [n.b for n in layer.neurons]
    hidden = fused.layer_batch(weights, samples, biases, activations[0])
    for nodes in hidden:
        terms += list(fused.layer_batch([tuple(nodes)], [nodes, nodes], [biases[0]], "tanh")[1])
    if rng.random() < 0.5:  # a per-sample forward, as micrograd writes it
        x = [Value(v) for v in samples[0]]
        single = model(x)
        terms.append((single if isinstance(single, Value) else Value.sum(single)) ** 2)
    return Value.sum(terms) * 0.5 + terms[0].tanh()


@settings(max_examples=settings.default.max_examples)
@given(st.integers(0, 10**6))
def test_both_engines_give_the_same_grads_on_random_networks(seed: int) -> None:
    root = random_network(seed)
    nodes = topological_order(root)
    results = run_both(root, random_starts(len(nodes), seed))
    assert results["fast"] == results["reference"]
    # A second pass on top of the first: still the same.
    again = {name: [] for name in ENGINES}  # type: dict[str, list[bytes]]
    for name, run in ENGINES.items():
        for node in nodes:
            node.grad = 0.0
        run(root, 1.0)
        run(root, 1.0)
        again[name] = [bits(node.grad) for node in nodes]
    assert again["fast"] == again["reference"]


@settings(max_examples=settings.default.max_examples)
@given(st.integers(0, 10**6))
def test_both_engines_visit_the_nodes_in_the_same_order(seed: int) -> None:
    root = random_network(seed)
    order, leaves = fast.walk(root)
    plain = topological_order(root)
    assert order == [node for node in plain if node.op is not None]
    assert leaves == [node for node in plain if node.op is None]


def test_the_engine_is_chosen_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    called = []
    monkeypatch.setitem(reference.BACKWARD_ENGINES, "reference", lambda r, g: called.append(g))
    monkeypatch.setenv("GLASSGRAD_ENGINE", "reference")
    assert engine() == "reference"
    Value(1.0).backward(2)
    assert called == [2.0]
    monkeypatch.setenv("GLASSGRAD_ENGINE", "turbo")
    with pytest.raises(ValueError, match=r"GLASSGRAD_ENGINE='turbo'.*fast.*reference"):
        Value(1.0).backward()
    monkeypatch.delenv("GLASSGRAD_ENGINE")
    assert engine() == "fast"


# -- all or nothing ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ENGINES)
def test_an_overflowing_accumulation_raises_and_changes_nothing(name: str) -> None:
    x = Value(1.0, label="x")
    y = x * 1e308
    ENGINES[name](y, 1.0)
    assert x.grad == 1e308
    with pytest.raises(OverflowError, match="gradient of leaf 'x'"):
        ENGINES[name](y, 1.0)
    assert (x.grad, y.grad) == (1e308, 1.0)


@pytest.mark.parametrize("name", ENGINES)
def test_a_domain_error_in_a_rule_names_the_op_and_changes_nothing(name: str) -> None:
    x = Value(0.0)
    y = x**0.5 + x * 3.0
    x.grad = 7.0
    with pytest.raises(ZeroDivisionError, match=r"\*\*"):
        ENGINES[name](y, 1.0)
    assert x.grad == 7.0 and y.grad == 0.0


def chain(n: int) -> tuple[Value, Value]:
    leaf = y = Value(0.5, label="x")
    for _ in range(n // 2):
        y = y * 1.0001 + 0.1
    return leaf, y


@pytest.mark.parametrize("name", ENGINES)
def test_a_ctrl_c_at_any_moment_leaves_every_grad_as_before_or_the_pass_done(name: str) -> None:
    # SIGALRM stands in for SIGINT (the same KeyboardInterrupt, delivered at a chosen time).
    _, root = chain(20_000)
    nodes = topological_order(root)
    for node in nodes:
        node.grad = 0.25
    before = [node.grad for node in nodes]
    started = time.perf_counter()
    ENGINES[name](root, 1.0)
    duration = time.perf_counter() - started
    after = [node.grad for node in nodes]
    assert after != before

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    # Python reports an exception raised inside a garbage-collector callback (hypothesis
    # installs one) as unraisable and drops it: without the callbacks, each timer lands.
    callbacks = gc.callbacks[:]
    gc.callbacks.clear()
    rng = random.Random(0)
    outcomes = {"interrupted": 0, "completed": 0}
    try:
        attempts = 0
        # Until five passes were interrupted (a busy machine stretches some passes past
        # their timer), at most 60 tries.
        while outcomes["interrupted"] < 5 and attempts < 60:
            attempts += 1
            for node, g in zip(nodes, before, strict=True):
                node.grad = g
            signal.setitimer(signal.ITIMER_REAL, rng.uniform(0.0, 0.8 * duration))
            try:
                ENGINES[name](root, 1.0)
                signal.setitimer(signal.ITIMER_REAL, 0)
                outcome = "completed"
            except KeyboardInterrupt:
                outcome = "interrupted"
            signal.setitimer(signal.ITIMER_REAL, 0)
            grads = [node.grad for node in nodes]
            # An interrupt that lands after the last gradient was written still propagates:
            # that pass is complete, which the promise allows. Half of one never is.
            assert grads == after or (outcome == "interrupted" and grads == before), outcome
            outcomes[outcome if grads == before else "completed"] += 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        gc.callbacks[:] = callbacks
    assert outcomes["interrupted"] >= 5  # the timer did land inside passes


@pytest.mark.parametrize("name", ENGINES)
def test_backward_leaves_the_garbage_collector_setting_alone(name: str) -> None:
    _, root = chain(200_000)
    was_enabled = gc.isenabled()
    try:
        for setting in (True, False):
            (gc.enable if setting else gc.disable)()
            ENGINES[name](root, 1.0)
            assert gc.isenabled() is setting
        # Another thread turns the collector off while a pass runs: it stays off.
        gc.enable()
        switched = threading.Event()

        def switch_off() -> None:
            time.sleep(0.005)
            gc.disable()
            switched.set()

        thread = threading.Thread(target=switch_off)
        thread.start()
        ENGINES[name](root, 1.0)
        thread.join()
        assert switched.is_set() and not gc.isenabled()
    finally:
        (gc.enable if was_enabled else gc.disable)()


# -- grad() at the forward pass's point ----------------------------------------------------------


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
def test_grad_through_a_neuron_whose_parents_changed_is_that_of_the_forward_point(
    activation: str,
) -> None:
    w = [Value(0.4, label="w0"), Value(-0.7, label="w1")]
    x = [Value(1.5, label="x0"), Value(0.25, label="x1")]
    b = Value(0.1, label="b")
    out = fused.neuron(w, x, b, activation)
    w[0].data, x[0].data, b.data = 3.0, -2.0, 5.0  # changed after the forward pass
    parameters = [*w, *x, b]
    out.backward()
    by_backward = [p.grad for p in parameters]
    first = grad(out, parameters, create_graph=True)
    assert [g.data for g in first] == by_backward
    assert [g.data for g in grad(out, parameters)] == by_backward
    # The second derivatives are those of the forward point too: d2 tanh(z)/dw0 dx0 with z's
    # parts as they were.
    if activation == "tanh":
        (mixed,) = grad(first[0], [x[0]])
        z = 0.4 * 1.5 + -0.7 * 0.25 + 0.1
        t = math.tanh(z)
        expected = (1 - t * t) + 1.5 * (-2 * t * (1 - t * t)) * 0.4
        assert math.isclose(mixed.data, expected, rel_tol=1e-12)


# -- pickle and deepcopy ------------------------------------------------------------------------


def graph_with_everything() -> tuple[Value, list[Value]]:
    a, b = Value(0.8, label="a"), Value(-1.3, label="b")
    model = MLP(2, [3, 1], "tanh", seed=4)
    batch = model.batch([[a, b], [0.5, 0.25]])
    y = (a * b + a.exp() / 3 - b**2 + 2**a).tanh() + Value.dot([a, b], [b, 1.0])
    root = Value.sum([y, *batch]) * abs(b)
    return root, [a, b, *model.parameters()]


@pytest.mark.parametrize("clone", [lambda v: pickle.loads(pickle.dumps(v)), copy.deepcopy])
def test_graphs_pickle_and_deepcopy_into_an_equal_graph(clone: Callable[[Any], Any]) -> None:
    root, leaves = graph_with_everything()
    order = topological_order(root)
    copied_root, copied_leaves = clone((root, leaves))
    copied = topological_order(copied_root)
    assert len(copied) == len(order)
    for original, twin in zip(order, copied, strict=True):
        assert twin is not original
        assert (twin.data, twin.label, twin.op, twin.const) == (
            original.data,
            original.label,
            original.op,
            original.const,
        )
    root.backward()
    copied_root.backward()
    assert [leaf.grad for leaf in copied_leaves] == [leaf.grad for leaf in leaves]


@pytest.mark.parametrize("clone", [lambda v: pickle.loads(pickle.dumps(v)), copy.deepcopy])
def test_graphs_of_any_depth_pickle_and_deepcopy(clone: Callable[[Any], Any]) -> None:
    # A chain as deep as Python's own `sum` of 5,000 losses makes it, and a deep network.
    xs = [Value(float(i % 7) - 3.0, label=f"x{i}") for i in range(5000)]
    model = MLP(1, [2] * 300 + [1], "tanh", seed=0)
    root = sum(v * v for v in xs) + model([0.5])
    copied_root, copied_xs, copied_model = clone((root, xs, model))
    assert len(topological_order(copied_root)) == len(topological_order(root))
    root.backward()
    copied_root.backward()
    assert [x.grad for x in copied_xs] == [x.grad for x in xs]
    assert [p.grad for p in copied_model.parameters()] == [p.grad for p in model.parameters()]


def test_nodes_pickled_together_stay_one_graph() -> None:
    a = Value(1.5, label="a")
    h = a * a
    loss = (h + 1.0) * h
    copied_h, copied_loss, copied_a = pickle.loads(pickle.dumps((h, loss, a)))
    assert copied_loss.parents[1] is copied_h and copied_h.parents == (copied_a, copied_a)
    both = pickle.loads(pickle.dumps([loss, loss]))
    assert both[0] is both[1]


def test_a_pickle_that_fails_half_way_leaves_the_next_one_whole() -> None:
    deep = sum(Value(float(i)) for i in range(3000))
    spoiled = Value(1.0, label="spoiled")
    root = spoiled * 1.0 + deep
    spoiled.data = lambda: 1.0  # type: ignore[assignment]  # cannot be pickled
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(root)  # fails at the first node listed before it
    copied = pickle.loads(pickle.dumps(deep * 2.0))
    assert copied.data == deep.data * 2.0
    assert len(topological_order(copied)) == len(topological_order(deep)) + 1


def test_copy_copy_makes_a_node_with_the_same_parents() -> None:
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    y = a * b
    twin = copy.copy(y)
    assert twin is not y and twin.parents == y.parents and (twin.data, twin.op) == (6.0, y.op)
    twin.backward()
    assert (a.grad, b.grad) == (3.0, 2.0)


def test_a_node_made_under_no_grad_pickles_as_a_leaf() -> None:
    with no_grad():
        y = Value(2.0) * 3
    twin = pickle.loads(pickle.dumps(y))
    assert (twin.data, twin.parents, twin.op) == (6.0, (), None)
