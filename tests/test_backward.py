"""The backward sweep's semantics: accumulation, order, depth, grad mode, detach."""

from __future__ import annotations

import asyncio
import math
import random
import sys
import threading
from collections.abc import Iterator

import pytest
from hypothesis import given

from autograd import Value, enable_grad, grad, is_grad_enabled, no_grad, topological_order
from autograd.testing import Expression, expressions
from nn import MLP
from nn.neuron import neuron

# -- accumulation -----------------------------------------------------------------------------


def _example() -> tuple[Value, list[Value]]:
    """An output and its nodes: leaves a, b; intermediates m = a*b, t = tanh(m), out."""
    a, b = Value(0.5, label="a"), Value(-1.5, label="b")
    m = a * b
    t = m.tanh()
    out = t * a + b.exp() / 2
    return out, [a, b, m, t, out]


def test_backward_twice_gives_exactly_twice_every_gradient_intermediates_included() -> None:
    out, nodes = _example()
    out.backward()
    once = [n.grad for n in nodes]
    assert all(g != 0.0 for g in once)
    out.backward()
    assert [n.grad for n in nodes] == [2 * g for g in once]


@given(expressions(variables=3))
def test_backward_twice_doubles_every_node_of_any_expression(expr: Expression) -> None:
    leaves = expr.leaves()
    out = expr(*leaves)
    nodes = topological_order(out)
    out.backward()
    once = [n.grad for n in nodes]
    out.backward()
    assert [n.grad for n in nodes] == [2 * g for g in once]


def test_backward_from_an_intermediate_after_a_full_pass_seeds_only_one() -> None:
    # As in PyTorch: m.backward() pushes d m / d m = 1 down, not m's accumulated gradient.
    a, b = Value(2.0), Value(5.0)
    m = a * b
    out = m * 3
    out.backward()
    assert (m.grad, a.grad, b.grad) == (3.0, 15.0, 6.0)
    m.backward()
    assert (m.grad, a.grad, b.grad) == (4.0, 20.0, 8.0)
    assert out.grad == 1.0


def test_two_outputs_sharing_a_subgraph_add_up() -> None:
    a = Value(3.0)
    shared = a * a
    (shared + 1).backward()
    (shared * 2).backward()
    assert shared.grad == 3.0
    assert a.grad == 3.0 * 6.0


def test_the_seed_scales_every_gradient() -> None:
    out, nodes = _example()
    out.backward()
    unit = [n.grad for n in nodes]
    out2, nodes2 = _example()
    out2.backward(2.5)
    assert [n.grad for n in nodes2] == pytest.approx([2.5 * g for g in unit], rel=1e-15)


def test_backward_on_a_leaf_seeds_it() -> None:
    x = Value(4.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_a_value_used_many_times_adds_all_its_contributions() -> None:
    x = Value(3.0)
    (x + x + x * x).backward()  # 2x + x^2
    assert x.grad == 2.0 + 6.0


def test_a_dead_relu_stops_the_gradient() -> None:
    x = Value(-2.0)
    y = (x * 3).relu() * 5
    y.backward()
    assert x.grad == 0.0


# -- what the sweep skips: a node that is off, and what only it reaches ------------------------


def _sweep_without_skipping(root: Value) -> dict[Value, float]:
    """The chain rule node by node, every rule run: what the sweep would give if it skipped
    nothing (as it was before relu and nn's relu neuron were marked ``off_at_zero``)."""
    grads: dict[Value, float] = {root: 1.0}
    for node in reversed(topological_order(root)):
        if node.op is None:
            continue
        contributions = node.op.derivative(grads[node], node.data, *node.rule_operands())
        for parent, c in zip(node.parents, contributions, strict=True):
            grads[parent] = grads[parent] + c if parent in grads else c
    return grads


def _relu_network_loss(seed: int) -> tuple[Value, list[Value]]:
    model = MLP(3, [6, 6, 1], seed=seed)  # relu neurons, some of them off at these points
    rng = random.Random(seed)
    points = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(12)]
    losses = [(1 - rng.choice([-1, 1]) * model(x)).relu() for x in points]  # some are 0
    return sum(losses) * (1 / 12) + 1e-3 * sum(p * p for p in model.parameters()), [
        *model.parameters()
    ]


@pytest.mark.parametrize("seed", range(6))
def test_skipping_what_is_off_gives_every_gradient_running_every_rule_gives(seed: int) -> None:
    from autograd.backward import sweep

    loss, _ = _relu_network_loss(seed)
    skipped, full = sweep(loss), _sweep_without_skipping(loss)
    assert set(skipped) <= set(full)
    assert any(n.op and n.op.off_at_zero and n.data == 0.0 for n in full)  # some are off
    for node, g in full.items():
        assert skipped.get(node, 0.0) == g  # a node left out has gradient 0 (or -0.0)


def test_an_off_relu_neuron_is_skipped_and_what_only_it_reaches_too() -> None:
    from autograd.backward import sweep

    x = Value(0.5, label="x")
    h = x.tanh()  # reached only through the neuron
    out = neuron([Value(-1.0)], [h], Value(-3.0), "relu")  # off: -1 * tanh(0.5) - 3 < 0
    total = out * 2.0 + x
    grads = sweep(total)
    assert out in grads and h not in grads and grads[x] == 1.0
    total.backward()
    assert (x.grad, h.grad) == (1.0, 0.0)


def test_under_create_graph_nothing_is_skipped() -> None:
    # The gradient's graph has the same shape at every input (compile traces it once).
    x = Value(-2.0)
    (dx,) = grad(x.relu() * 3.0, [x], create_graph=True)
    assert dx.data == 0.0 and dx.op is not None  # g * step(out): a node, not a constant


# -- topological order --------------------------------------------------------------------


def _diamond() -> tuple[Value, list[Value]]:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    c.label = "c"
    d = c + a
    d.label = "d"
    e = c.tanh()
    e.label = "e"
    de = d * e
    de.label = "de"
    f = de + b
    f.label = "f"
    return f, [a, b, c, d, e, de, f]


def test_topological_order_has_every_node_once_parents_first() -> None:
    out, nodes = _diamond()
    order = topological_order(out)
    assert len(order) == len({id(n) for n in order}) == len(nodes)
    assert set(map(id, order)) == set(map(id, nodes))
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        assert all(position[id(p)] < position[id(node)] for p in node.parents)
    assert order[-1] is out


def test_topological_order_is_deterministic() -> None:
    out1, _ = _diamond()
    out2, _ = _diamond()
    labels = [n.label for n in topological_order(out1)]
    assert labels == [n.label for n in topological_order(out2)]
    assert labels == [n.label for n in topological_order(out1)]
    # Depth-first in operand order: the first operand's subtree comes first.
    assert labels == ["a", "b", "c", "d", "e", "de", "f"]


def test_a_times_a_lists_a_once_in_the_order() -> None:
    a = Value(2.0)
    sq = a * a
    assert sq.parents == (a, a)
    assert topological_order(sq) == [a, sq]


@given(expressions(variables=3))
def test_topological_order_of_any_expression_puts_parents_first(expr: Expression) -> None:
    out = expr(*expr.leaves())
    order = topological_order(out)
    position = {id(n): i for i, n in enumerate(order)}
    assert len(position) == len(order)
    for node in order:
        assert all(position[id(p)] < position[id(node)] for p in node.parents)
    assert [n.op for n in order] == [n.op for n in topological_order(expr(*expr.leaves()))]


# -- a chain of a million nodes ---------------------------------------------------------------

CHAIN = 10**6
STEP = 1.0 + 1e-7  # each node multiplies by STEP, so d out / d x = STEP ** CHAIN


@pytest.fixture(scope="module")
def chain() -> Iterator[tuple[Value, Value]]:
    """A million-node chain x -> x*STEP -> ... built once for the tests below."""
    x = Value(1.0, label="x")
    out = x
    for _ in range(CHAIN):
        out = out * STEP
    yield x, out


@pytest.fixture
def default_recursion_limit() -> Iterator[None]:
    """Python's default recursion limit (1000) for the test, whatever the runner set."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(before)


@pytest.mark.usefixtures("default_recursion_limit")
def test_a_million_deep_chain_backward_works_under_the_default_recursion_limit(
    chain: tuple[Value, Value],
) -> None:
    x, out = chain
    x.grad = 0.0
    out.backward()
    assert math.isclose(x.grad, STEP**CHAIN, rel_tol=1e-9)


@pytest.mark.usefixtures("default_recursion_limit")
def test_order_and_grad_of_a_chain_ten_times_deeper_than_the_recursion_limit() -> None:
    depth = 10_000
    x = Value(1.0, label="x")
    out = x
    for _ in range(depth):
        out = out * STEP
    order = topological_order(out)
    assert len(order) == depth + 1
    assert order[0] is x and order[-1] is out
    (dx,) = grad(out, [x], create_graph=True)
    assert math.isclose(dx.data, STEP**depth, rel_tol=1e-12)
    (d2x,) = grad(dx, [x])
    assert d2x.data == 0.0
    assert x.grad == 0.0


# -- no_grad and detach --------------------------------------------------------------------------


def test_no_grad_makes_leaves_and_restores_the_mode() -> None:
    x = Value(2.0)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = x * x + 1
        with enable_grad():
            z = x * 3
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert (y.data, y.parents, y.op) == (5.0, (), None)
    assert z.parents == (x,)
    assert (x * x).parents == (x, x)


def test_no_grad_restores_the_mode_after_an_exception() -> None:
    with pytest.raises(ValueError), no_grad():
        Value(-1.0).log()
    assert is_grad_enabled()


def test_no_grad_as_a_decorator() -> None:
    @no_grad()
    def double(v: Value) -> Value:
        return v * 2

    assert double(Value(1.0)).parents == ()
    assert is_grad_enabled()


def test_no_grad_is_per_thread() -> None:
    inside = threading.Event()
    built = threading.Event()
    results: dict[str, object] = {}

    def evaluating() -> None:
        with no_grad():
            inside.set()
            built.wait(timeout=10)  # stay in no_grad while the other thread builds
            results["evaluating"] = (Value(1.0) * 2).parents

    def training() -> None:
        inside.wait(timeout=10)
        x = Value(1.0)
        results["training"] = (x * 2).parents == (x,)
        results["training mode"] = is_grad_enabled()
        built.set()

    threads = [threading.Thread(target=evaluating), threading.Thread(target=training)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert results == {"evaluating": (), "training": True, "training mode": True}


def test_a_no_grad_decorated_function_can_run_in_many_threads_at_once() -> None:
    barrier = threading.Barrier(4, timeout=10)
    errors: list[BaseException] = []
    parents: list[tuple[Value, ...]] = []

    @no_grad()
    def evaluate() -> None:
        barrier.wait()  # all four threads are inside the decorated function together
        parents.append((Value(1.0) * 2).parents)
        barrier.wait()

    def run() -> None:
        try:
            evaluate()
        except BaseException as error:  # collected and re-checked in the main thread
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert errors == []
    assert parents == [(), (), (), ()]
    assert is_grad_enabled()


def test_no_grad_is_per_asyncio_task() -> None:
    async def evaluating(entered: asyncio.Event, done: asyncio.Event) -> tuple[Value, ...]:
        with no_grad():
            entered.set()
            await done.wait()  # the other task runs while this one is inside no_grad
            return (Value(1.0) * 2).parents

    async def training(entered: asyncio.Event, done: asyncio.Event) -> bool:
        await entered.wait()
        x = Value(1.0)
        recorded = (x * 2).parents == (x,) and is_grad_enabled()
        done.set()
        return recorded

    async def main() -> list[object]:
        entered, done = asyncio.Event(), asyncio.Event()
        return list(await asyncio.gather(evaluating(entered, done), training(entered, done)))

    assert asyncio.run(main()) == [(), True]


def test_detach_stops_the_gradient_and_keeps_the_data() -> None:
    x = Value(3.0)
    y = x * x
    d = y.detach()
    (d * x + y).backward()  # d counts as the constant 9
    assert x.grad == 9.0 + 6.0
    assert d.grad == 3.0  # a leaf still receives its own gradient
    assert d.parents == ()


@pytest.mark.parametrize("activation", ["linear", "relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("bias", [-1.0, 0.0, 2.0])
def test_a_neuron_without_inputs_is_its_activation_of_the_bias(
    activation: str, bias: float
) -> None:
    b = Value(bias)
    out = neuron([], [], b, activation)
    out.backward()
    (by_grad,) = grad(neuron([], [], b, activation), [b])
    slope = {
        "linear": 1.0,
        "relu": 1.0 if bias > 0 else 0.0,
        "tanh": 1 - math.tanh(bias) ** 2,
        "sigmoid": (1 / (1 + math.exp(-bias))) * (1 - 1 / (1 + math.exp(-bias))),
    }[activation]
    assert math.isclose(b.grad, slope, rel_tol=1e-12)
    assert math.isclose(by_grad.data, slope, rel_tol=1e-12)
