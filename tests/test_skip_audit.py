"""An adversarial audit of the sweep that skips what is off (``Op.off_at_zero``).

``autograd.backward.sweep`` sends nothing back from a node whose op is marked
``off_at_zero`` (relu, nn's relu neuron, a user's op so marked) when its result is 0, and
skips every node that nothing then reaches. These tests try to make that differ from running
every rule: on random expressions and networks, at the edges (0.0, -0.0, the smallest
float), in ``grad()`` (also with ``create_graph=True``), in the step-through
(``trace_backward``), in ``autograd.compile`` (the engine's bits, and how often it replays)
and ``nn.fit``, and from two threads at once.
"""

from __future__ import annotations

import json
import math
import random
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, compile, define_op, grad, gradcheck
from autograd.backward import contributions_of, sweep
from autograd.ops import OPS, DefinedOp
from autograd.order import topological_order
from autograd.testing import Expression, expressions
from autograd.viz.trace import trace_backward
from nn import MLP, fit, optim
from nn.losses import hinge
from nn.neuron import NEURON_OPS, neuron
from tests.test_browser import open_page
from tests.test_compile import bits, same_as_eager

# -- the reference: the chain rule with every rule run --------------------------------------


def every_rule(root: Value, seed: float = 1.0) -> dict[Value, float]:
    """The sweep as it was before skipping: every op node's rule runs, with whatever reached
    it (0.0 when nothing did), and every node it depends on gets a gradient."""
    grads: dict[Value, float] = {root: seed}
    for node in reversed(topological_order(root)):
        if node.op is None:
            continue
        g = grads.get(node, 0.0)
        contributions = contributions_of(node, g, node.data, node.rule_operands())
        for parent, c in zip(node.parents, contributions, strict=True):
            grads[parent] = grads[parent] + c if parent in grads else c
    return grads


def assert_same_as_every_rule(root: Value) -> dict[Value, float]:
    """The skipping sweep gives every gradient that running every rule gives (``==``, so
    -0.0 is 0.0), a node it leaves out having 0; ``backward()`` writes just those."""
    skipped, full = sweep(root), every_rule(root)
    assert set(skipped) <= set(full)
    for node, g in full.items():
        assert skipped.get(node, 0.0) == g, (node, skipped.get(node), g)
    nodes = topological_order(root)
    for node in nodes:
        node.grad = 0.0
    root.backward()
    for node in nodes:
        assert node.grad == full.get(node, 0.0)
    return skipped


def is_off(node: Value) -> bool:
    return node.op is not None and node.op.off_at_zero and node.data == 0.0


# -- 1. random graphs against the reference -------------------------------------------------

RELU_HEAVY = ["add", "sub", "mul", "relu", "tanh", "neg", "sin", "exp", "sum", "maximum"]


@settings(max_examples=40, deadline=None)
@given(expressions(variables=2, max_depth=5, ops=RELU_HEAVY))
def test_random_expressions_with_relus_give_what_every_rule_gives(expr: Expression) -> None:
    # Guards the skip itself: on random trees (relus off at about half the points), used
    # once off and once on, and reused (e is read by four nodes), no gradient may differ from
    # the one that running every rule gives.
    xs = [Value(v, label=f"x{i}") for i, v in enumerate(expr.values)]
    e = expr(*xs)
    root = e.relu() + (-e).relu() * 0.5 + e * xs[0].relu() + (e - 100.0).relu()
    assert_same_as_every_rule(root)


@pytest.mark.parametrize("seed", range(4))
def test_relu_networks_with_hinge_losses_give_what_every_rule_gives(seed: int) -> None:
    # Guards: nn's relu neuron (off_at_zero through define_op), built-in relu on top of tanh
    # neurons, Value.maximum and leaky_relu (never skipped), hinge losses that are 0 for
    # some samples, and weights read by many neurons, some off and some on.
    rng = random.Random(seed)
    relu_net, tanh_net = MLP(3, [5, 5, 1], "relu", seed=seed), MLP(3, [4, 1], "tanh", seed=seed)
    losses = []
    for _ in range(10):
        x = [rng.uniform(-2, 2) for _ in range(3)]
        t = rng.choice([-1.0, 1.0])
        a, b = relu_net(x), tanh_net(x)
        losses.append(hinge([a + b.relu()], [t]))
        losses.append(Value.maximum(a - b, b * 0.0) + (b - 0.5).leaky_relu(0.1))
    root = Value.sum(losses)
    skipped = assert_same_as_every_rule(root)
    off = [n for n in topological_order(root) if is_off(n)]
    assert off and any(n.parents[0] not in skipped for n in off)  # something was skipped


def test_a_node_read_by_an_off_relu_and_by_an_on_path_gets_the_on_path_only() -> None:
    # Guards "nothing reached it" against a node that an off relu reaches AND another path
    # reaches: it is not skipped, and what the off relu would send (0) changes nothing.
    x = Value(-1.5, label="x")
    h = x * 2.0
    off, on = h.relu(), h.tanh()
    root = off * 5.0 + on + off
    grads = assert_same_as_every_rule(root)
    assert grads[x] == 2.0 * (1 - math.tanh(-3.0) ** 2)


# -- 2. edge cases ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "slope", "skipped"),
    [(0.0, 0.0, True), (-0.0, 0.0, True), (-5e-324, 0.0, True), (5e-324, 1.0, False)],
)
def test_relu_at_zero_minus_zero_and_the_smallest_floats(
    x: float, slope: float, skipped: bool
) -> None:
    # Guards the test of "off": data == 0.0 (so -0.0 too), never a tiny positive number.
    leaf = Value(x, label="x")
    root = leaf.relu() * 3.0
    grads = sweep(root)
    assert (leaf not in grads) is skipped
    root.backward()
    assert leaf.grad == 3.0 * slope


@pytest.mark.parametrize(
    ("make", "slope"),
    [
        (lambda x: x.leaky_relu(0.1), 0.1),
        (lambda x: x.leaky_relu(0.0), 0.0),
        (lambda x: x.elu(1.0), 1.0),
        (lambda x: x.gelu(), 0.5),
        (lambda x: x.silu(), 0.5),
        (lambda x: x.tanh(), 1.0),
        (lambda x: Value.maximum(x, Value(0.0)), 0.5),  # a tie splits as in PyTorch
    ],
)
def test_ops_that_are_0_at_0_but_not_off_still_send_their_slope(
    make: Callable[[Value], Value], slope: float
) -> None:
    # Guards against marking an op off_at_zero whose result is 0 at a point where its slope
    # is not (leaky_relu, elu, gelu, silu, tanh, a tie of maximum at 0).
    x = Value(0.0, label="x")
    root = make(x) * 2.0
    assert make(Value(0.0)).data == 0.0
    root.backward()
    assert x.grad == 2.0 * slope


def test_every_op_marked_off_at_zero_sends_only_zeros_where_its_result_is_0() -> None:
    # Guards the table: a built-in op or nn neuron op marked off_at_zero whose rule sends
    # something at a point where its result is 0 would make the skip wrong.
    rng = random.Random(3)
    built_in = [op for op in OPS.values() if not isinstance(op, DefinedOp)]
    marked = [op for op in [*built_in, *NEURON_OPS.values()] if op.off_at_zero]
    assert {op.name for op in marked} >= {"relu", "neuron_relu"}
    checked = 0
    for op in marked:
        for _ in range(200):
            if op.name.startswith("neuron_"):
                n = rng.randint(1, 4)
                operands = [rng.uniform(-2, 2) for _ in range(2 * n + 1)]
            else:
                operands = [rng.choice([-rng.uniform(0, 3), 0.0, -0.0, -5e-324])]
            out = op.forward(*operands)
            if out != 0.0:
                continue
            g = rng.choice([1.0, -2.5, 1e300, -0.0])
            assert all(c == 0.0 for c in op.derivative(g, out, *operands)), (op, operands)
            checked += 1
    assert checked > 100


def test_backward_twice_and_a_skipped_node_keeps_what_it_had() -> None:
    # Guards: twice is exactly twice; a skipped node's .grad is left as it was (not reset).
    x, y = Value(-1.0, label="x"), Value(0.7, label="y")
    h = x * 3.0
    r = h.relu()
    root = r * y + y * y
    h.grad = 7.0
    root.backward()
    root.backward()
    assert (x.grad, h.grad, r.grad, y.grad) == (0.0, 7.0, 2 * 0.7, 2 * 1.4)


def test_backward_from_an_off_relu_in_the_middle() -> None:
    # Guards the seed: the root itself off is seeded (its .grad grows) and sends nothing.
    x = Value(-2.0, label="x")
    r = x.relu()
    _ = r * 4.0 + x
    r.grad = 1.5
    r.backward()
    assert (r.grad, x.grad) == (2.5, 0.0)


def test_grad_of_inputs_only_an_off_relu_reaches_is_a_zero_value() -> None:
    # Guards grad()'s `.get(x, 0.0)`: a Value 0.0 for a skipped input, the rest unchanged.
    x, y = Value(-1.0), Value(2.0)
    h = (x * y).sin()
    dx, dy, dh = grad(h.relu() + y * 3.0, [x, y, h])
    assert (dx.data, dy.data, dh.data) == (0.0, 3.0, 0.0)
    assert dx.op is None and not isinstance(dx.data, Value)


def _relu_function(x: Value, y: Value) -> Value:
    return (x * y - 1.0).relu() * x + (-x).relu() * y**2 + (y * y * x).relu().tanh()


@pytest.mark.parametrize("point", [(-0.8, 1.3), (1.1, 1.7), (0.4, -0.9), (-1.2, -0.7)])
def test_second_derivatives_through_relus_agree_with_gradcheck(
    point: tuple[float, float],
) -> None:
    # Guards create_graph=True: nothing is skipped, so the gradient's graph has the same
    # shape at every point, and its derivatives are right (relus off and on, none near 0).
    assert gradcheck(_relu_function, list(point), order=2)
    x, y = Value(point[0]), Value(point[1])
    dx, dy = grad(_relu_function(x, y), [x, y], create_graph=True)
    assert dx.op is not None and dy.op is not None  # a graph, even where every relu is off
    assert [d.data for d in (dx, dy)] == [every_rule(_relu_function(x, y))[v] for v in (x, y)]


def test_under_create_graph_the_gradients_graph_has_one_shape_at_every_point() -> None:
    # Guards "nothing is skipped under create_graph=True" (compile traces such a gradient
    # once): every relu off or every one on, the same number of nodes.
    sizes = set()
    for point in [(-2.0, 0.5), (1.1, 1.7), (0.4, -0.9), (-1.2, -0.7)]:
        x, y = Value(point[0]), Value(point[1])
        root = (x * y - 1.0).relu() * x + (x - 5.0).relu() * y + (-x - 5.0).relu()
        dx, dy = grad(root, [x, y], create_graph=True)
        sizes.add(len(topological_order(Value.sum([dx, dy]))))
    assert len(sizes) == 1


@pytest.mark.parametrize("x", [1e-3, -1e-3, 0.02, -0.02])
def test_gradcheck_with_relus_near_zero(x: float) -> None:
    # Guards the skip where relus sit close to their kink (finite differences stay on one
    # side at eps = 1e-6): on or off, analytic and numeric derivatives agree.
    assert gradcheck(lambda a: a.relu() * 3.0 + (a * -2.0).relu() + a.relu().relu(), [x])


def test_an_overflow_elsewhere_still_raises_and_changes_no_grad() -> None:
    # Guards all or nothing: skipping must not drop the check of what was computed.
    x, y = Value(-1.0, label="x"), Value(1e-300, label="y")
    root = (x.relu() * 2.0 + y * 1e200) * 1e200  # y's gradient is 1e400: inf
    nodes = topological_order(root)
    for n in nodes:
        n.grad = 0.5
    with pytest.raises(OverflowError, match="gradient of"):
        root.backward()
    assert all(n.grad == 0.5 for n in nodes)


def test_an_overflowing_gradient_that_reaches_an_off_relu() -> None:
    # What the skip changed: a gradient of inf at an off relu no longer turns into inf * 0 =
    # nan below it. backward() still raises, naming the relu (its own gradient is inf), and
    # no .grad changes; grad() of the input below gives 0.0, the exact derivative (as
    # PyTorch's relu gives 0 there).
    u = Value(-1.0, label="u")
    r = u.relu()
    root = (r * 1e200) * 1e200
    assert grad(root, [u])[0].data == 0.0
    with pytest.raises(OverflowError, match="'relu' node"):
        root.backward()
    assert (u.grad, r.grad) == (0.0, 0.0)


def test_sqrt_at_zero_under_an_off_relu_is_skipped_and_reached_raises_naming_the_op() -> None:
    # Guards: the infinite slope of sqrt at 0 is an error only where a gradient reaches it.
    x = Value(0.0, label="x")
    (x.sqrt() - 1.0).relu().backward()  # sqrt(0) - 1 < 0: off, sqrt is never asked
    assert x.grad == 0.0
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        (x.sqrt() + 1.0).relu().backward()  # on: the gradient reaches sqrt at 0
    assert x.grad == 0.0


# -- 3. the step-through ----------------------------------------------------------------------


def _trace_case() -> Value:
    x, w = Value(-1.0, label="x"), Value(0.5, label="w")
    h = (x * w).tanh()
    off = h.relu()  # tanh(-0.5) < 0: off
    on = neuron([w], [x], Value(1.0), "relu")  # 0.5 * -1 + 1 > 0: on
    dead = neuron([w], [h], Value(-2.0), "relu")  # off
    return off * 3.0 + on * dead + on


def test_trace_lists_every_op_node_and_an_off_relu_shows_nothing_flowing() -> None:
    # Guards on_step for skipped nodes: a step per op node, an off node's step flows nothing,
    # a node that nothing reached shows upstream 0; the .grad equal backward()'s bits.
    root = _trace_case()
    nodes = topological_order(root)
    root.backward()
    expected = [bits(n.grad) for n in nodes]
    for n in nodes:
        n.grad = 0.0
    root = _trace_case()
    nodes = topological_order(root)
    steps = trace_backward(root)
    assert [s.node for s in steps] == [n for n in reversed(nodes) if n.op is not None]
    assert [bits(n.grad) for n in nodes] == expected
    reached = sweep(root)
    for s in steps:
        if is_off(s.node) or s.node not in reached:
            assert not s.flowed and all(u.contribution == 0.0 for u in s.updates)
        if s.node not in reached:
            assert s.upstream == 0.0
    assert any(is_off(s.node) and s.upstream != 0.0 for s in steps)


@settings(max_examples=20, deadline=None)
@given(expressions(variables=2, max_depth=4, ops=RELU_HEAVY))
def test_trace_of_random_expressions_writes_the_bits_backward_writes(expr: Expression) -> None:
    # Guards the step-through's commit against backward()'s on graphs with off relus: the
    # same nodes written, the same bits, and a step for every op node.
    def build() -> tuple[Value, list[Value]]:
        xs = [Value(v) for v in expr.values]
        e = expr(*xs)
        root = e.relu() + (-e).relu() * 0.5 + xs[0].relu() * e
        return root, topological_order(root)

    root, nodes = build()
    for n in nodes:
        n.grad = 0.25
    root.backward()
    expected = [bits(n.grad) for n in nodes]
    root, nodes = build()
    for n in nodes:
        n.grad = 0.25
    steps = trace_backward(root)
    assert [bits(n.grad) for n in nodes] == expected
    assert len(steps) == sum(n.op is not None for n in nodes)


def test_trace_of_a_graph_with_sqrt_at_zero_under_an_off_relu() -> None:
    # The bug this audit found: backward() skips sqrt at 0 (nothing reaches it), but the
    # step-through asked its rule for the local derivative of every step and raised a bare
    # ZeroDivisionError. Now the step shows, flowing nothing, with the slope inf (0.5 / 0),
    # and the page's data is JSON.
    x = Value(0.0, label="x")
    root = (x.sqrt() - 1.0).relu() + x
    steps = trace_backward(root)
    assert x.grad == 1.0
    sqrt_step = next(s for s in steps if s.op == "sqrt")
    assert not sqrt_step.flowed and sqrt_step.upstream == 0.0
    assert [(u.local, u.contribution) for u in sqrt_step.updates] == [(math.inf, 0.0)]
    assert "nothing flows back" in steps.explain(sqrt_step.index)
    json.dumps(steps.page_data(), allow_nan=False)  # the page parses it with JSON.parse


# -- 4. autograd.compile ------------------------------------------------------------------------

forgets_g = define_op(
    "audit_skip_forgets_g",
    lambda x: 2.0 * x,
    lambda g, out, x: (2.0,),  # the commonest mistake: the upstream gradient left out
)
scales_g = define_op("audit_skip_scales_g", lambda x: 2.0 * x, lambda g, out, x: (g * 2.0,))
user_relu = define_op(
    "audit_skip_user_relu",
    lambda x: x if x > 0.0 else 0.0,
    lambda g, out, x: (g if out > 0.0 else 0.0,),
    off_at_zero=True,
)


def run_compiled(
    fn: Callable[..., Value], live: Sequence[Value], calls: Sequence[Sequence[Any]]
) -> tuple[int, int]:
    """Each call compiled and on the engine, from the same .grad: the same bits (or error);
    the compiled function's traces and replays."""
    step = compile(fn)
    for args in calls:
        same_as_eager(step, fn, list(live), list(args))
    return step.traces, step.replays


def test_compile_a_user_rule_that_forgets_g_under_a_relu_replays_only_when_off() -> None:
    # Guards compile's Replay: the engine skips the user's op when the relu above is off (w
    # then gets only 0.25), the compiled code would add 2.0 * x; on, both add it.
    w, b = Value(0.5, label="w"), Value(0.1, label="b")

    def fn(x: Value) -> Value:
        return (forgets_g(w * x) + b).relu() + w * 0.25

    xs = [1.0, -1.0, 2.0, -3.0, 0.5, 4.0]
    assert run_compiled(fn, [w, b], [[x] for x in xs]) == (1, 2)  # -1.0 and -3.0 replay


@pytest.mark.parametrize("where", ["hinge only", "under relus", "user relu"])
def test_compile_common_graphs_with_user_ops_never_replay(where: str) -> None:
    # Guards against needless replays in the common case: a user op whose rule multiplies by
    # g, in a graph whose relus flip on and off from call to call (the hinge the only one,
    # relus above the user op, the user's own op marked off_at_zero).
    w, b = Value(0.5, label="w"), Value(-0.2, label="b")

    def fn(X: list[float], y: list[float]) -> Value:
        total = Value(0.0)
        for x, t in zip(X, y, strict=True):
            s = scales_g(w * x + b)
            if where == "under relus":
                s = s.relu() - (b - s).relu() * 0.5
            elif where == "user relu":
                s = user_relu(s) + user_relu(-s) * 0.3
            total = total + (1.0 - s * t).relu()
        return total

    rng = random.Random(5)
    calls = []
    for _ in range(5):
        X = [rng.uniform(-2, 2) for _ in range(4)]
        calls.append([X, [rng.choice([-1.0, 1.0]) for _ in X]])
    traces, replays = run_compiled(fn, [w, b], calls)
    assert (traces, replays) == (1, 0)


def test_compile_sqrt_at_zero_under_an_off_relu_matches_the_engine() -> None:
    # Guards the engine's bits where the generated code does not skip: its sqrt rule at 0
    # divides by zero, and the call is replayed (the engine gives a result, not an error).
    w = Value(0.5, label="w")

    def fn(x: Value) -> Value:
        return ((w * x).relu().sqrt() - 1.0).relu() + w

    traces, replays = run_compiled(fn, [w], [[4.0], [-1.0], [9.0], [-2.0]])
    assert (traces, replays) == (1, 2)
    assert w.grad != 0.0


def _positive_only_rule(g: float, out: float, x: float) -> tuple[float]:
    assert x > 0.0, "audit_skip_picky: defined for x > 0 only"  # a learner's guard
    return (g * 2.0,)


picky = define_op("audit_skip_picky", lambda x: 2.0 * x, _positive_only_rule)


def test_compile_a_user_rule_that_raises_where_the_engine_skips_it() -> None:
    # Found by this audit: at x = -1 the relu is off, the engine never asks picky's rule;
    # the generated code calls it at every call, and its AssertionError escaped. Any error
    # of the compiled code now replays the call on the engine.
    w = Value(0.5, label="w")

    def fn(x: Value) -> Value:
        return (picky(w * x) - 10.0).relu() + w

    run_compiled(fn, [w], [[30.0], [1.0], [-1.0]])


def test_compile_a_forgetful_rule_under_the_users_own_off_at_zero_op() -> None:
    # Guards compile's `skips`: a user's op marked off_at_zero counts as a relu does.
    w = Value(0.5, label="w")

    def fn(x: Value) -> Value:
        return user_relu(forgets_g(w * x) - 1.0) + w

    assert run_compiled(fn, [w], [[3.0], [-3.0], [2.0], [0.1]]) == (1, 2)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10**6))
def test_compile_relu_networks_flipping_from_call_to_call(seed: int) -> None:
    # Guards the compiled code against the engine's skipping on nn's relu neurons and on
    # relus of the loss, with user ops in the graph (so the loop skips nothing) or not.
    rng = random.Random(seed)
    model = MLP(2, [3, 1], "relu", seed=seed % 97)
    user = rng.random() < 0.5
    live = model.parameters()

    def fn(X: list[list[float]], y: list[float]) -> Value:
        losses = []
        for x, t in zip(X, y, strict=True):
            out = model(x)
            if user:  # (a forgetful rule that only a relu of a relu reaches)
                out = scales_g(out) + forgets_g(out).relu().relu() * 0.0
            losses.append((1.0 - out * t).relu())
        return Value.sum(losses)

    step = compile(fn)
    for _ in range(4):
        X = [[rng.uniform(-2, 2) for _ in range(2)] for _ in range(6)]
        same_as_eager(step, fn, live, [X, [rng.choice([-1.0, 1.0]) for _ in X]])
    assert step.traces == 1 and (user or step.replays == 0)


@settings(max_examples=25, deadline=None)
@given(
    expressions(variables=2, max_depth=4, ops=RELU_HEAVY, extra_ops=[scales_g]),
    st.lists(st.tuples(st.floats(-3, 3), st.floats(-3, 3)), min_size=2, max_size=4),
)
def test_compile_random_expressions_at_points_where_their_relus_flip(
    expr: Expression, points: list[tuple[float, float]]
) -> None:
    # Guards the generated code (which does not skip) against the skipping engine on random
    # trees, traced at one point and run at others, where other relus are off; a user's op
    # (a correct rule) in half the graphs must not make any call replay.
    w = Value(0.7, label="w")

    def fn(a: Value, b: Value) -> Value:
        e = expr(a * w, b)
        return e.relu() + (e * w - 0.5).relu() + (-e).relu() * w

    step = compile(fn)
    for point in [expr.values, *points]:
        same_as_eager(step, fn, [w], list(point))
    assert step.replays == 0 or any(  # a replay only for the engine's own error
        not _engine_succeeds(fn, p) for p in points
    )


def _engine_succeeds(fn: Callable[..., Value], point: Sequence[float]) -> bool:
    try:
        fn(*[Value(x) for x in point]).backward()
    except (ArithmeticError, ValueError):
        return False
    return True


def test_compile_an_overflow_at_an_off_relu_gives_the_engines_error() -> None:
    # Guards: the generated code computes inf * 0 = nan where the engine skips; the call is
    # replayed and raises the engine's error (naming the relu), no .grad changed.
    w = Value(1.0, label="w")

    def fn(x: Value) -> Value:
        return (w * x).relu() * 1e200 * 1e200

    step = compile(fn)
    same_as_eager(step, fn, [w], [0.0])  # traced: raises on the engine
    same_as_eager(step, fn, [w], [-1.0])
    assert w.grad == 0.0


# -- 5. nn.fit --------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["hinge", "mse"])
def test_fit_compiled_and_on_the_engine_give_the_same_bits_on_a_relu_network(loss: str) -> None:
    # Guards the skipping engine against the compiled loop over a training run, where relu
    # neurons switch off and on between steps.
    rng = random.Random(8)
    X = [[rng.uniform(-2, 2) for _ in range(2)] for _ in range(24)]
    y = [1.0 if a * b > 0 else -1.0 for a, b in X]

    def run(compiled: bool) -> tuple[list[bytes], list[bytes]]:
        model = MLP(2, [6, 6, 1], "relu", seed=4)
        history = fit(model, X, y, loss=loss, optimizer=optim.SGD(model.parameters(), lr=0.05),
                      epochs=3, batch_size=8, seed=2, progress=False, compile=compiled)  # fmt: skip
        return [bits(x) for x in history.loss], [bits(p.data) for p in model.parameters()]

    assert run(True) == run(False)


# -- 6. threads ---------------------------------------------------------------------------------


def test_two_threads_backward_on_one_relu_network_give_twice_one_pass() -> None:
    # Guards the lock around commit: skipping changes which nodes each pass writes, never
    # what two passes add up to.
    model = MLP(3, [8, 8, 1], "relu", seed=1)
    rng = random.Random(1)
    points = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(20)]
    root = Value.sum([model(x).relu() for x in points])
    nodes = topological_order(root)
    for _ in range(10):
        root.backward()
    ten = [n.grad for n in nodes]  # ten passes, one after the other
    for n in nodes:
        n.grad = 0.0
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        for _ in range(5):
            root.backward()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [n.grad for n in nodes] == ten
    assert any(is_off(n) for n in nodes) and any(g != 0.0 for g in ten)


def test_the_page_of_sqrt_at_zero_under_an_off_relu_steps_and_shows_paths(
    browser: Any, tmp_path: Path
) -> None:
    # Guards the page side of the fix above: the local derivative that does not exist is
    # (an infinite slope) is null in the page's data, and the paths panel writes it as "inf"
    # instead of failing.
    x = Value(0.0, label="x")
    steps = trace_backward((x.sqrt() - 1.0).relu() + x)
    page, errors = open_page(browser, steps.save_html(tmp_path / "sqrt.html"))
    for _ in range(2 * len(steps) + 2):
        page.keyboard.press("ArrowRight")
    leaves = page.locator("g.gg-leaf")
    shown = []
    for i in range(leaves.count()):
        leaves.nth(i).click()
        shown.append(page.get_by_test_id("paths").text_content() or "")
    assert any("× inf" in text or "inf ×" in text for text in shown), shown
    assert errors == []


def test_a_zero_gradient_that_reached_a_node_still_runs_its_rule() -> None:
    # Guards the line between "reached by zeros" and "reached by nothing": only an off node
    # and what nothing else reaches are skipped. A user's rule that forgets g, reached by a
    # gradient of 0 through `* 0.0`, runs as it always did (its mistake shows, as gradcheck
    # would say), and compile gives the same.
    w = Value(0.5, label="w")

    def fn(x: Value) -> Value:
        return forgets_g(w * x) * 0.0 + w

    root = fn(Value(3.0))
    assert sweep(root)[w] == every_rule(root)[w] == 1.0 + 2.0 * 3.0
    assert run_compiled(fn, [w], [[3.0], [-1.0]])[0] == 1
