"""The step-through keeps its reader oriented: what each step is about stays in view, legibly.

In Debian's chromium (the ``browser`` fixture of conftest.py), on the graphs the course and
the demo show: at every step of the demo's graph (one sample's hinge loss through a 2-4-4-1
network trained as ``glassgrad demo`` trains it) and of notebook 02's (its long-hand tanh
neuron, and the same neuron as one node of ``nn.Neuron``), the current node and every operand
of the step lie inside the view, with node text between 10 and 14 px and the products on the
edges at least 11 px. Keys work on a page that has just opened, negative factors are written
in parentheses, and ``nn.trace_network`` marks each step's neuron in the network inset.
Screenshots of the demo's first, middle and last step go to ``test-artifacts/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from autograd import Value, no_grad
from autograd.viz import trace_backward
from nn import MLP, Neuron, data, losses, trace_network
from tests.test_browser import ARTIFACTS, open_page  # the page at 1280x800: a 780x670 px view

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is missing"),
]

# What the page's script reports about the step on screen: the view's rectangle, the boxes of
# the current node and of the step's operands, and the sizes of texts, in CSS pixels.
MEASURE = """() => {
    const root = document.querySelector('.gg-trace');
    const data = JSON.parse(root.querySelector('.gg-steps').textContent);
    const step = Number(root.dataset.step);
    const nF = data.forward.length;
    const k = step < nF ? data.forward[step].node : data.backward[step - nF].node;
    const view = root.querySelector('.gg-view').getBoundingClientRect();
    const svg = root.querySelector('.gg-view svg');
    const box = id => {
        const r = svg.querySelector('[id="' + id + '"]').getBoundingClientRect();
        return {id: id, left: r.left, top: r.top, right: r.right, bottom: r.bottom};
    };
    const operands = [...new Set((data.parents[k] || []).map(p => 'v' + p[0]))].map(box);
    const scale = svg.getScreenCTM().a;
    const products = [...svg.querySelectorAll('text.gg-product')].map(
        t => parseFloat(t.getAttribute('font-size')) * t.getScreenCTM().a);
    return {view: {left: view.left, top: view.top, right: view.right, bottom: view.bottom},
            node: box('v' + k), operands: operands, nodeTextPx: 11 * scale,
            products: products, current: root.querySelector('g.node.current').id,
            k: k, offView: Number(root.dataset.offView)};
}"""


def inside(box: dict[str, Any], view: dict[str, float]) -> bool:
    """Whether a box lies within the view's rectangle (to half a pixel)."""
    return (
        box["left"] >= view["left"] - 0.5
        and box["right"] <= view["right"] + 0.5
        and box["top"] >= view["top"] - 0.5
        and box["bottom"] <= view["bottom"] + 0.5
    )


def steps_of(page: Any) -> int:
    return int(page.get_by_test_id("slider").get_attribute("max")) + 1


def assert_oriented_at_every_step(page: Any) -> list[dict[str, Any]]:
    """Step through with the keyboard; at each step the node and its operands are in view."""
    seen = []
    for i in range(steps_of(page)):
        if i:
            page.keyboard.press("ArrowRight")
        assert page.locator(".gg-trace").get_attribute("data-step") == str(i)
        m = page.evaluate(MEASURE)
        assert m["current"] == m["node"]["id"], (i, m)
        assert inside(m["node"], m["view"]), (i, m["node"], m["view"])
        for operand in m["operands"]:
            assert inside(operand, m["view"]), (i, operand, m["view"])
        assert m["offView"] == 0, (i, m)
        assert 10 <= m["nodeTextPx"] <= 14 + 1e-6, (i, m["nodeTextPx"])
        assert all(px >= 11 for px in m["products"]), (i, m["products"])
        seen.append(m)
    return seen


def demo_loss() -> tuple[MLP, Value]:
    """The loss `glassgrad demo` steps through: the least sure sample of its trained 2-4-4-1."""
    from nn.cli.demo import train_like_micrograd

    X, labels = data.moons(100, noise=0.1, seed=0)
    y = [2 * t - 1 for t in labels]
    model = MLP(2, [4, 4, 1], seed=0)
    train_like_micrograd(model, X, y, progress=False)
    with no_grad():
        margins = []
        for x, t in zip(X, y, strict=True):
            score = model(x)
            assert isinstance(score, Value)
            margins.append(score.data * t)
    i = margins.index(min(margins))
    model.zero_grad()
    score = model(X[i])
    assert isinstance(score, Value)
    loss = losses.hinge([score], [y[i]])
    loss.label = "loss"
    return model, loss


def notebook_02_neuron() -> Value:
    """Notebook 02's neuron written out long-hand, every intermediate labelled."""
    x1, x2 = Value(1.5, label="x1"), Value(-0.5, label="x2")
    w1, w2 = Value(0.8, label="w1"), Value(0.6, label="w2")
    b = Value(-0.4, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "s"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_the_demo_keeps_each_step_and_its_operands_in_view(browser: Any, tmp_path: Path) -> None:
    _, loss = demo_loss()
    page, errors = open_page(browser, trace_backward(loss).save_html(tmp_path / "demo.html"))
    screenshot(page, "step_through_demo_first")
    seen = assert_oriented_at_every_step(page)
    # A neuron of the second layer reads 9 operands (4 weights, 4 inputs, its bias).
    assert max(len(m["operands"]) for m in seen) == 9
    last = steps_of(page) - 1
    page.get_by_test_id("slider").fill(str(last // 2 + 2))
    screenshot(page, "step_through_demo_middle")
    page.get_by_test_id("slider").fill(str(last))
    screenshot(page, "step_through_demo_last")
    assert errors == []


def test_notebook_02s_neuron_shows_whole_at_every_step(browser: Any, tmp_path: Path) -> None:
    page, errors = open_page(
        browser, trace_backward(notebook_02_neuron()).save_html(tmp_path / "02.html")
    )
    scales = set()
    for m in assert_oriented_at_every_step(page):
        every = page.evaluate(
            """() => [...document.querySelectorAll('.gg-view g.node')].map(g => {
                const r = g.getBoundingClientRect();
                return {left: r.left, top: r.top, right: r.right, bottom: r.bottom};
            })"""
        )
        assert all(inside(box, m["view"]) for box in every)  # it fits: all of it shows
        scales.add(page.locator(".gg-trace").get_attribute("data-scale"))
    assert len(scales) == 1  # and the view holds still
    assert errors == []


def test_a_neuron_as_one_node_of_nn_keeps_its_operands_in_view(
    browser: Any, tmp_path: Path
) -> None:
    neuron = Neuron(2, activation="tanh", seed=0)
    for parameter, value in zip(neuron.parameters(), [0.8, 0.6, -0.4], strict=True):
        parameter.data = value
    out = neuron([1.5, -0.5])
    assert isinstance(out, Value)
    page, errors = open_page(browser, trace_backward(out).save_html(tmp_path / "neuron.html"))
    seen = assert_oriented_at_every_step(page)
    assert max(len(m["operands"]) for m in seen) == 5  # w1, w2, x1, x2, b
    assert errors == []


def test_keys_work_on_a_page_that_has_just_opened(browser: Any, tmp_path: Path) -> None:
    page, _ = open_page(
        browser, trace_backward(notebook_02_neuron()).save_html(tmp_path / "k.html")
    )
    root = page.locator(".gg-trace")
    assert page.evaluate("() => document.activeElement === document.body")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert root.get_attribute("data-step") == "2"
    page.keyboard.press("ArrowLeft")
    assert root.get_attribute("data-step") == "1"
    page.get_by_test_id("follow").uncheck()
    before = page.locator(".gg-view svg").get_attribute("viewBox")
    page.locator("body").press("+")  # nothing focused but the page: zoom still works
    assert page.locator(".gg-view svg").get_attribute("viewBox") != before


def test_negative_factors_are_in_parentheses_and_the_root_is_not_out(
    browser: Any, tmp_path: Path
) -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = (a * b).tanh()  # unlabelled root; tanh's rule names its own output "out"
    page, _ = open_page(browser, trace_backward(c).save_html(tmp_path / "neg.html"))
    page.get_by_test_id("slider").fill(str(steps_of(page) - 1))  # the * step: a gets b = -3
    table = page.get_by_test_id("rule").text_content()
    text = page.get_by_test_id("step-text").text_content()
    assert "× (-3.0000) = " in table and "× -" not in table
    assert "× (-3.0000) = " in text and "× -" not in text
    products = page.locator("text.gg-product").all_text_contents()
    assert any("× (-3.0000)" in p for p in products) and not any("× -" in p for p in products)
    assert "∂root/∂" in text and "∂out/∂#" not in text


def test_a_16_input_neuron_keeps_what_fits_and_the_table_lists_every_operand(
    browser: Any, tmp_path: Path
) -> None:
    neuron = Neuron(16, activation="tanh", seed=0)
    out = neuron([0.1 * i - 0.8 for i in range(16)])
    assert isinstance(out, Value)
    page, errors = open_page(browser, trace_backward(out).save_html(tmp_path / "wide.html"))
    page.keyboard.press("ArrowRight")  # the backward step of the neuron
    m = page.evaluate(MEASURE)
    assert inside(m["node"], m["view"])
    assert len(m["operands"]) == 33  # 16 weights, 16 inputs, the bias: not all fit legibly
    assert m["offView"] > 0
    shown = sum(inside(box, m["view"]) for box in m["operands"])
    assert shown >= len(m["operands"]) - m["offView"]  # (one left out may still show in part)
    assert 10 <= m["nodeTextPx"] <= 14 + 1e-6
    note = page.locator(".gg-off-view").text_content()
    assert f"{m['offView']} operands are out of view" in note
    assert page.get_by_test_id("rule").locator("tr").count() == 1 + 33
    assert errors == []


def test_trace_network_marks_each_steps_neuron_in_the_inset(browser: Any, tmp_path: Path) -> None:
    model, loss = demo_loss()
    trace = trace_network(model, loss=loss)
    names = {name for name, module in model.named_modules() if isinstance(module, Neuron)}
    assert set(trace.inset.names.values()) == names  # every neuron is in the picture
    page, errors = open_page(browser, trace.save_html(tmp_path / "net.html"))
    inset = page.get_by_test_id("inset")
    assert inset.is_visible()
    marked = set()
    for i in range(steps_of(page)):
        page.get_by_test_id("slider").fill(str(i))
        head = page.get_by_test_id("step-text").text_content()
        current = inset.locator(".gg-inset-current")
        if "(neuron " in head:
            neuron = head.split("(neuron ", 1)[1].split(")", 1)[0]
            assert current.count() == 1 and current.get_attribute("data-name") == neuron, i
            marked.add(neuron)
        elif page.locator(".gg-trace").get_attribute("data-phase") == "backward":
            assert current.count() == 0, i  # the loss's own ops are not neurons
    assert marked == names
    assert errors == []
    screenshot(page, "step_through_network_inset")


def test_trace_network_refuses_what_it_cannot_show() -> None:
    model = MLP(2, [3, 2], seed=0)
    with pytest.raises(ValueError, match="2 outputs"):
        trace_network(model, [0.5, -1.0])
    with pytest.raises(ValueError, match="not computed from this model"):
        trace_network(model, loss=Value(2.0) * Value(3.0))
    with pytest.raises(TypeError, match="MLP, Layer or Neuron"):
        trace_network("model", [0.5, -1.0])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pass x"):
        trace_network(model)


def test_the_demos_page_shows_the_network_beside_the_graph() -> None:
    from nn.cli.demo import draw_one_sample

    X, labels = data.moons(20, noise=0.1, seed=0)
    y = [2 * t - 1 for t in labels]
    _, _, _, page = draw_one_sample(MLP(2, [4, 4, 1], seed=0), X, y)
    assert page is not None  # dot is there
    text = page.decode("utf-8")
    assert 'data-testid="inset"' in text and 'class="nn-neuron"' in text


def test_trace_network_takes_a_layer_or_a_lone_neuron() -> None:
    from nn import Layer

    lone = trace_network(Neuron(3, seed=0), [1.0, 2.0, -1.0])
    assert list(lone.inset.parts) == [lone.root] and list(lone.inset.names.values()) == ["neuron"]
    layer = Layer(2, 3, seed=0)
    outputs = layer([1.0, 2.0])
    assert isinstance(outputs, list)
    trace = trace_network(layer, loss=Value.sum(outputs))
    assert sorted(trace.inset.names.values()) == ["neurons.0", "neurons.1", "neurons.2"]
    assert all(node in outputs for node in trace.inset.parts)
