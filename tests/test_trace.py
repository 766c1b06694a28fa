"""trace_backward: the same gradients as backward(), one recorded step per op node."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings

from autograd import Value, topological_order
from autograd.testing import expressions
from autograd.viz import BackwardTrace, GraphTooLargeError, TraceStep, draw_dot, trace_backward
from autograd.viz.draw import HIGHLIGHT
from autograd.viz.graph import format_number
from nn.neuron import neuron

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is missing")


def a_bit_of_everything() -> Value:
    """A graph with constants, a * a, a sum, a live and a dead relu neuron, and a division."""
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(0.5, label="c")
    live = neuron([a, b], [c, 1.5], Value(4.0, label="bias"), "relu")
    dead = neuron([a, b], [c, 1.5], Value(-9.0, label="bias2"), "relu")
    mixed = (a * a + 2.5 * b - 1 / c) / (b**2 + live.tanh())
    return Value.sum([mixed, dead, c.exp(), abs(b), 2**c, (a - b).sigmoid()])


def grads(root: Value) -> list[float]:
    return [node.grad for node in topological_order(root)]


def test_one_step_per_op_node_root_first() -> None:
    root = a_bit_of_everything()
    trace = trace_backward(root)
    op_nodes = [node for node in topological_order(root) if node.parents]
    assert len(trace) == len(op_nodes)
    assert {id(step.node) for step in trace} == {id(node) for node in op_nodes}
    assert trace[0].node is root and trace[0].upstream == 1.0
    assert [step.index for step in trace] == list(range(len(trace)))
    for step in trace:  # a node's step comes after the steps of every node that uses it
        for later in trace[step.index + 1 :]:
            assert all(parent is not step.node for parent in later.node.parents)


def test_the_gradients_are_those_of_backward_bit_for_bit() -> None:
    by_backward, by_trace = a_bit_of_everything(), a_bit_of_everything()
    by_backward.backward()
    trace_backward(by_trace)
    assert grads(by_trace) == grads(by_backward)


def test_the_recorded_contributions_add_up_to_every_final_grad() -> None:
    root = a_bit_of_everything()
    trace = trace_backward(root)
    nodes = topological_order(root)
    total = {id(node): 0.0 for node in nodes}
    total[id(root)] = 1.0  # the seed
    for step in trace:
        for update in step.updates:
            total[id(update.parent)] += update.contribution
            assert update.grad_after == total[id(update.parent)]
    assert [total[id(node)] for node in nodes] == grads(root)


def test_each_contribution_is_the_upstream_gradient_times_the_local_derivative() -> None:
    trace = trace_backward(a_bit_of_everything())
    for step in trace:
        for update in step.updates:
            expected = step.upstream * update.local if step.flowed else 0.0
            assert update.contribution == pytest.approx(expected, rel=1e-12, abs=1e-300)


@settings(max_examples=40)
@given(expressions(variables=3, max_depth=4))
def test_for_any_expression_trace_and_backward_agree(expr) -> None:  # type: ignore[no-untyped-def]
    by_backward, by_trace = expr(*expr.leaves()), expr(*expr.leaves())
    by_backward.backward()
    trace = trace_backward(by_trace)
    assert grads(by_trace) == grads(by_backward)
    assert len(trace) == sum(1 for node in topological_order(by_trace) if node.parents)


@settings(max_examples=40)
@given(expressions(variables=3, max_depth=4))
def test_for_any_expression_every_step_has_its_rule_and_the_page_data_is_json(expr) -> None:  # type: ignore[no-untyped-def]
    trace = trace_backward(expr(*expr.leaves()))
    for step in trace:
        for update in step.updates:
            assert update.rule.startswith("∂out/∂") and update.rule_numbers
    data = json.loads(json.dumps(trace.page_data()))
    assert len(data["backward"]) == len(trace) and len(data["forward"]) == len(trace.forward)
    for entry, step in zip(data["backward"], trace, strict=True):
        assert len(entry["rows"]) == len(step.updates)


def test_gradients_accumulate_over_passes_as_with_backward() -> None:
    by_backward, by_trace = a_bit_of_everything(), a_bit_of_everything()
    for _ in range(3):
        by_backward.backward()
        trace_backward(by_trace)
    assert grads(by_trace) == grads(by_backward)


def test_a_dead_relu_neuron_passes_nothing_and_says_so() -> None:
    w, x = [Value(1.0, label="w")], [Value(-5.0, label="x")]
    dead = neuron(w, x, Value(0.0, label="b"), "relu")
    trace = trace_backward(dead * 3)
    step = trace[1]
    assert step.node is dead and not step.flowed
    assert [u.contribution for u in step.updates] == [0.0, 0.0, 0.0]
    assert w[0].grad == 0.0
    assert "nothing flows back" in trace.explain(1)


def test_explain_says_the_chain_rule_in_one_line() -> None:
    a, b = Value(0.5, label="a"), Value(-1.0, label="b")
    c = a * b
    c.label = "c"
    trace = trace_backward(c.tanh())
    # tanh'(-0.5) = 1 - tanh(-0.5)**2 = 0.78645...
    assert trace.explain(0) == (
        "root = tanh(c): c.grad += 1.0000 × 0.7864 = 0.7864 "
        "[tanh: ∂out/∂x = 1 − out² = 1 − (-0.4621)² = 0.7864]"
    )
    assert trace.explain(1) == (
        "c = a * b: a.grad += 0.7864 × (-1.0000) = -0.7864 [*: ∂out/∂a = b = -1.0000]; "
        "b.grad += 0.7864 × 0.5000 = 0.3932 [*: ∂out/∂b = a = 0.5000]"
    )
    assert trace.explain(-1) == trace.explain(1)
    square = trace_backward(a * a)
    assert square.explain(0).count("a.grad += 1.0000 × 0.5000 = 0.5000") == 2
    unit = neuron([a], [b], Value(1.0, label="bias"), "tanh")
    assert trace_backward(unit).explain(0).startswith("root = tanh(a·b + bias): ")
    for i in range(len(trace)):
        assert "\n" not in trace.explain(i)


def test_steps_are_plain_frozen_records() -> None:
    trace = trace_backward(Value(2.0, label="a") * 3)
    step = trace[0]
    assert isinstance(step, TraceStep) and dataclasses.is_dataclass(step)
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.upstream = 5.0  # type: ignore[misc]
    assert step.updates[0].local == 3.0 and step.updates[0].name == "a"


def test_bad_step_numbers_are_refused() -> None:
    trace = trace_backward(Value(2.0) * 3)
    with pytest.raises(IndexError, match="step 1 out of range"):
        trace.explain(1)
    with pytest.raises(IndexError):
        trace[1]
    with pytest.raises(TypeError, match="must be an int"):
        trace.frame("0")  # type: ignore[arg-type]


def test_an_infinite_derivative_raises_before_any_gradient_changes() -> None:
    x = Value(0.0, label="x")
    y = Value(3.0, label="y")
    out = x.sqrt() + y * 2
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        trace_backward(out)
    assert grads(out) == [0.0] * len(topological_order(out))


def test_a_leaf_has_nothing_to_step_through(tmp_path: Path) -> None:
    leaf = Value(1.0, label="x")
    trace = trace_backward(leaf)
    assert len(trace) == 0 and leaf.grad == 1.0  # as leaf.backward() would do
    assert "Nothing to step through" in trace._repr_html_()
    with pytest.raises(ValueError, match="nothing to step through"):
        trace.save_html(tmp_path / "x.html")


def test_the_root_must_be_a_value() -> None:
    with pytest.raises(TypeError, match="root must be a Value"):
        trace_backward(1.0)  # type: ignore[arg-type]


# -- frames ------------------------------------------------------------------------------------


def small_trace() -> tuple[BackwardTrace, Callable[[Value], int]]:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + a).relu() + b
    trace = trace_backward(out)
    nodes = topological_order(out)
    return trace, nodes.index


def test_a_frame_marks_its_node_and_writes_the_products_on_its_edges() -> None:
    trace, index = small_trace()
    for i, step in enumerate(trace):
        source = trace.frame(i).source
        k = index(step.node)
        assert re.search(rf"\to{k} \[.*color=\"{HIGHLIGHT}\"", source)
        for position, update in enumerate(step.updates):
            (line,) = [ln for ln in source.splitlines() if f"id=e{k}_{position}" in ln]
            assert f'<font color="{HIGHLIGHT}"><b>' in line and "×" in line
            assert f"= {format_number(update.contribution)}" in line
        # Labels, never external labels: graphviz keeps them off the boxes.
        assert "xlabel" not in source
        # Every edge keeps its product's room; earlier steps' are grey, later ones not drawn.
        products = [ln for ln in source.splitlines() if "×" in ln]
        assert len(products) == sum(len(s.updates) for s in trace)
        assert sum("#ffffff00" in ln for ln in products) == sum(
            len(s.updates) for s in trace[i + 1 :]
        )


def test_frames_show_the_gradients_as_they_stood_after_each_step() -> None:
    trace, index = small_trace()
    for i, step in enumerate(trace):
        grads_now = trace.grads_after(i)
        for update in step.updates:
            assert grads_now[index(update.parent)] == update.grad_after
        source = trace.frame(i).source
        for k, g in enumerate(grads_now):
            (line,) = [
                ln
                for ln in source.splitlines()
                if ln.startswith(f"\t\tv{k} [") or ln.startswith(f"\tv{k} [")
            ]
            assert f"grad {g:.4f}" in line
    assert trace.grads_after(len(trace) - 1) == [node.grad for node in trace.nodes]


def test_frames_keep_one_layout_and_are_deterministic() -> None:
    trace, _ = small_trace()
    again, _ = small_trace()
    widths = [re.findall(r'width="(\d+)"', trace.frame(i).source) for i in range(len(trace))]
    assert all(w == widths[0] for w in widths)  # grad cells keep their width in every frame
    assert [trace.frame(i).source for i in range(len(trace))] == [
        again.frame(i).source for i in range(len(again))
    ]


# -- the step-through page -----------------------------------------------------------------------


@needs_dot
def test_the_page_holds_the_graph_every_step_and_the_controls(tmp_path: Path) -> None:
    trace, _ = small_trace()
    path = trace.save_html(tmp_path / "steps.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    for hook in ("prev", "play", "next", "slider", "fit", "zoom-in", "zoom-out", "follow",
                 "phase", "step-text", "rule", "paths"):  # fmt: skip
        assert f'data-testid="{hook}"' in page
    steps = len(trace.forward) + len(trace)
    assert f'max="{steps - 1}"' in page  # the forward pass, then the backward pass
    assert page.count("<svg") == 1 and "<?xml" not in page and "<!--" not in page
    (data,) = re.findall(r'<script type="application/json" class="gg-steps">(.*?)</script>', page)
    steps_data = json.loads(data)
    assert [s["node"] for s in steps_data["backward"]] == [
        trace.nodes.index(step.node) for step in trace
    ]
    assert [s["node"] for s in steps_data["forward"]] == [
        trace.nodes.index(step.node) for step in trace.forward
    ]
    assert "src=" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert list(tmp_path.iterdir()) == [path]  # written atomically: no temporary file left
    assert trace._repr_html_().startswith('<div class="gg-trace"')
    assert trace.save_html(tmp_path / "again.html").read_text() == page  # deterministic


def test_saving_into_a_missing_directory_names_it(tmp_path: Path) -> None:
    trace, _ = small_trace()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        trace.save_html(tmp_path / "no" / "steps.html")


def test_a_too_large_graph_is_refused_in_frames_and_pages() -> None:
    x = Value(0.5)
    y = x
    for _ in range(300):
        y = y * 1.0001
    with pytest.raises(GraphTooLargeError, match=r"trace_backward: .*max_nodes=500"):
        trace_backward(y, max_nodes=500)
    assert x.grad == 0.0  # refused before anything ran
    trace = trace_backward(y)
    assert len(trace) == 300
    with pytest.raises(ValueError, match="max_nodes=600"):
        trace.frame(0, max_nodes=600)
    with pytest.raises(ValueError, match="max_nodes=600"):
        trace.to_html(max_nodes=600)


def test_a_dot_node_is_explained_as_its_products() -> None:
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    trace = trace_backward(Value.dot([a, b], [b, 4.0]))
    line = trace.explain(0)
    assert line.startswith("root = a·b + b·#2: ")  # the number 4.0 became leaf #2


def test_the_forward_pass_is_recorded_in_topological_order_with_formulas() -> None:
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    n = x1 * w1 + 1.5
    n.label = "n"
    trace = trace_backward(n.tanh())
    assert [step.node for step in trace.forward] == [
        node for node in topological_order(trace.root) if node.parents
    ]
    assert [trace.explain_forward(i) for i in range(len(trace.forward))] == [
        "#2 = x1 * w1 = 2.0000 * (-3.0000) = -6.0000",
        "n = □ + 1.5 = (-6.0000) + 1.5 = -4.5000".replace("□", "#2"),
        "root = tanh(n) = tanh(-4.5000) = -0.9998",
    ]


def test_every_update_carries_its_rule_and_the_rule_with_numbers() -> None:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    trace = trace_backward(o)
    (tanh_update,) = trace[0].updates
    assert tanh_update.rule == "∂out/∂x = 1 − out²"
    assert tanh_update.rule_numbers == "1 − 0.7071² = 0.5000".removesuffix(" = 0.5000")
    assert tanh_update.local == pytest.approx(0.5)
    mul = trace[-1]
    assert [(u.operand, u.rule, u.rule_numbers) for u in mul.updates] == [
        ("a", "∂out/∂a = b", "(-3.0000)"),
        ("b", "∂out/∂b = a", "2.0000"),
    ]
    assert [(u.grad_before, u.grad_after) for u in mul.updates] == [
        (0.0, pytest.approx(-1.5)),
        (0.0, pytest.approx(1.0)),
    ]


def test_a_neurons_rule_names_each_operand_and_fills_in_its_numbers() -> None:
    w = [Value(0.5, label="w0"), Value(-1.0, label="w1")]
    x = [Value(1.0, label="x0"), Value(2.0, label="x1")]
    y = neuron(w, x, Value(0.25, label="b"), "tanh")
    trace = trace_backward(y)
    updates = trace[0].updates
    assert [u.operand for u in updates] == ["w0", "w1", "x0", "x1", "b"]
    assert updates[1].rule == "∂out/∂w1 = (1 − out²)·x_i"
    out = f"({format_number(y.data)})" if y.data < 0 else format_number(y.data)
    assert updates[1].rule_numbers == f"(1 − {out}²)·2.0000"  # x1 = 2 pairs with w1
    assert updates[2].rule_numbers == f"(1 − {out}²)·0.5000"  # x0 pairs with w0 = 0.5
    assert updates[4].rule == "∂out/∂b = 1 − out²"
    slope = 1 - y.data**2
    expected = [slope * 1.0, slope * 2.0, slope * 0.5, slope * -1.0, slope]
    assert [u.local for u in updates] == pytest.approx(expected)


def test_parameters_are_named_by_their_module_in_words() -> None:
    from nn import MLP

    model = MLP(2, [2, 1], seed=0)
    out = model([0.5, -1.0])
    assert isinstance(out, Value)
    trace = trace_backward(out)
    w = model.layers[1].neurons[0].w[0]  # type: ignore[attr-defined]
    assert trace.full_name(w) == "layers.1.neurons.0.w0"
    assert "layers.1.neurons.0.w0.grad += " in trace.explain(0)


@needs_dot
def test_the_page_of_a_16_16_network_stays_under_a_megabyte(tmp_path: Path) -> None:
    from nn import MLP, losses

    model = MLP(2, [16, 16, 1], seed=0)
    score = model([0.5, -1.2])
    assert isinstance(score, Value)
    path = trace_backward(losses.hinge([score], [1])).save_html(tmp_path / "steps.html")
    assert path.stat().st_size <= 1_000_000


def test_the_steps_come_from_the_engines_one_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    import autograd.viz.trace
    from autograd.backward import sweep

    calls = []

    def spy(root: Value, seed: float = 1.0, **kwargs: object) -> object:
        calls.append(kwargs)
        return sweep(root, seed, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(autograd.viz.trace, "sweep", spy)
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    trace = trace_backward((a * b).tanh())
    assert len(calls) == 1 and callable(calls[0]["on_step"])
    assert len(trace) == 2 and a.grad == trace[1].updates[0].grad_after


def test_an_overflowing_gradient_leaves_every_grad_as_it_was() -> None:
    x = Value(1.0, label="x")
    y = x * 1e308
    y.backward()
    grads_before = [x.grad, y.grad]
    with pytest.raises(OverflowError, match="trace_backward"):
        trace_backward(y)
    assert [x.grad, y.grad] == grads_before


def test_a_users_op_is_drawn_with_its_symbol_and_traced_with_its_formula() -> None:
    from autograd import define_op

    cube = define_op(
        "viz_test_cube",
        lambda x: x**3,
        lambda g, out, x: (g * 3 * x**2,),
        symbol="cube",
        formula="3·x²",
    )
    spread = define_op(
        "viz_test_spread",
        lambda *xs: max(xs) - min(xs),
        lambda g, out, *xs: [g if x == max(xs) else -g if x == min(xs) else 0 * g for x in xs],
        symbol="range",
        formula="±1",
    )
    x, y = Value(-2.0, label="x"), Value(1.0, label="y")
    out = cube(x) + spread(x, y, Value(0.5, label="z"))
    assert "label=cube" in draw_dot(out).source and "label=range" in draw_dot(out).source
    trace = trace_backward(out)
    by_op = {step.op: step for step in trace}
    (cube_update,) = by_op["cube"].updates
    assert cube_update.rule == "∂out/∂x = 3·x²"
    assert cube_update.rule_numbers == "3·(-2.0000)²"
    assert cube_update.local == 12.0
    assert [u.operand for u in by_op["range"].updates] == ["xs0", "xs1", "xs2"]
    assert [u.contribution for u in by_op["range"].updates] == [-1.0, 1.0, 0.0]
    assert "cube(x)" in " ".join(trace.explain(i) for i in range(len(trace)))
    assert trace.forward[0].formula == "cube(x)"


def test_a_users_op_without_a_formula_shows_its_local_derivative_only() -> None:
    from autograd import define_op

    halve = define_op("viz_test_halve", lambda x: x / 2, lambda g, out, x: (g / 2,))
    trace = trace_backward(halve(Value(3.0, label="x")))
    (update,) = trace[0].updates
    assert update.local == 0.5 and update.rule_numbers == ""
    rule = "[viz_test_halve: ∂out/∂x = ∂viz_test_halve/∂x = 0.5000]"
    assert trace.explain(0).endswith(f"x.grad += 1.0000 × 0.5000 = 0.5000 {rule}")


@needs_dot
def test_labels_that_cannot_be_drawn_as_they_are_are_escaped_in_words_and_pages(
    tmp_path: Path,
) -> None:
    a = Value(1.0, label="half \ud800 pair")
    b = Value(2.0, label="a\x00b\x1b[31m")
    trace = trace_backward((a * b).tanh())
    assert "half \\ud800 pair.grad += " in trace.explain(1)
    assert "a\\x00b\\x1b[31m.grad += " in trace.explain(1)
    page = trace.save_html(tmp_path / "steps.html").read_text(encoding="utf-8")
    assert "a\\\\x00b" in page or "a\\x00b" in page  # in the JSON and in the SVG
    assert "\x00" not in page and "\x1b" not in page


def test_an_unlabelled_root_is_root_and_negative_factors_are_in_parentheses() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    trace = trace_backward((a * b).tanh())  # tanh's rule calls its own output "out"
    assert trace.names[-1] == "root" and trace[0].name == "root"
    assert trace.explain(0).startswith("root = tanh(#2): ")
    assert "a.grad += " in trace.explain(1) and " × (-3.0000) = " in trace.explain(1)
    assert trace.forward[0].numbers == "2.0000 * (-3.0000)"
    labelled = (a * b).tanh()
    labelled.label = "loss"
    assert trace_backward(labelled).names[-1] == "loss"
    # the frames write their products the same way
    source = trace.frame(1).source
    assert "× (-3.0000)" in source and "× -3.0000" not in source


@needs_dot
def test_the_page_carries_its_style_and_script_from_the_files_beside_it() -> None:
    from importlib import resources

    fragment = trace_backward(Value(2.0, label="a") * Value(-3.0, label="b")).to_html()
    viz = resources.files("autograd.viz")
    for name in ("page.css", "page.js"):
        text = viz.joinpath(name).read_text(encoding="utf-8")
        assert len(text) > 1000 and text in fragment
    assert 'data-testid="inset"' not in fragment  # no inset unless one is handed over


def test_an_inset_names_nodes_of_the_trace_and_elements_of_its_picture() -> None:
    from autograd.viz import Inset

    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    product = a * b
    trace = trace_backward(product + 1)
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><circle id="c1" r="3"/></svg>'
    with_inset = trace.with_inset(Inset(svg, {product: "c1"}, {"c1": "the product"}, "a picture"))
    assert with_inset.steps == trace.steps and trace.inset is None
    data = with_inset.page_data()["inset"]
    k = str(with_inset.nodes.index(product))
    assert data == {"parts": {k: "c1"}, "names": {k: "the product"}}
    with pytest.raises(ValueError, match="no element with id 'c2'"):
        trace.with_inset(Inset(svg, {product: "c2"}))
    with pytest.raises(ValueError, match="is not a node of this trace's graph"):
        trace.with_inset(Inset(svg, {Value(1.0): "c1"}))
    with pytest.raises(ValueError, match="SVG text"):
        trace.with_inset(Inset("<p>no</p>", {}))
    with pytest.raises(TypeError, match="must be an Inset"):
        trace.with_inset(svg)  # type: ignore[arg-type]


def test_a_neuron_is_recognised_by_the_parameters_it_reads_whatever_its_op_is_called() -> None:
    from autograd import define_op
    from autograd.viz.draw import neuron_owner
    from tests.test_viz import Param

    w0, w1 = Param(0.5, "w0", "layers.0.neurons.1"), Param(-1.0, "w1", "layers.0.neurons.1")
    b = Param(0.1, "b", "layers.0.neurons.1")
    x0, x1 = Value(2.0, label="x0"), Value(3.0, label="x1")
    affine = define_op(
        "viz_test_affine",
        lambda w0, w1, x0, x1, b: w0 * x0 + w1 * x1 + b,
        lambda g, out, w0, w1, x0, x1, b: (g * x0, g * x1, g * w0, g * w1, g),
    )
    node = affine(w0, w1, x0, x1, b)
    assert neuron_owner(node) == "layers.0.neurons.1"
    assert neuron_owner(w0 * x0) is None  # one parameter: a step of a neuron, not one
    assert neuron_owner(w0 * w0) is None  # an L2 term reads one parameter twice
    other = Param(1.0, "w0", "layers.0.neurons.2")
    assert neuron_owner(affine(w0, other, x0, x1, b)) is None  # two modules' parameters
    head = trace_backward(node).page_data()["backward"][0]["head"]
    assert head.endswith("(neuron layers.0.neurons.1)")
