"""The step-through page in a real browser: Debian's chromium driven by Playwright.

Never runs ``playwright install``: it uses the system chromium at /usr/bin/chromium (``make
test`` installs it as root) and is skipped, with the reason, when that is missing. Screenshots
go to ``test-artifacts/`` (git-ignored) for people to look at.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from autograd import Value, topological_order
from autograd.viz import trace_backward

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
WIDTH, HEIGHT = 1280, 800

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is missing"),
]


def the_classic_neuron() -> tuple[Value, dict[str, Value]]:
    """micrograd's neuron: o = tanh(x1*w1 + x2*w2 + b), every leaf labelled."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "n": n, "o": o}


def open_page(browser: Any, path: Path) -> tuple[Any, list[str]]:
    """The saved page at 1280x800, and a list that collects its console errors."""
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(path.as_uri())
    return page, errors


def current_node_in_view(page: Any) -> dict[str, float]:
    """Where the current value box is on screen and how tall its smallest text is, in px."""
    node = page.locator("g.node.current")
    assert node.count() == 1
    measured: dict[str, float] = node.evaluate(
        """g => {
            const r = g.getBoundingClientRect();
            const heights = Array.from(g.querySelectorAll("text"))
                .map(t => t.getBoundingClientRect().height);
            return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                    text: Math.min(...heights)};
        }"""
    )
    return measured


def assert_every_step_is_legible(page: Any) -> int:
    """Step through the whole page with Next; at each step the current box is in the window
    with text at least 10 px high. Returns the number of steps."""
    steps = int(page.get_by_test_id("slider").get_attribute("max")) + 1
    for i in range(steps):
        if i:
            page.get_by_test_id("next").click()
        assert page.locator(".gg-trace").get_attribute("data-step") == str(i)
        box = current_node_in_view(page)
        assert box["left"] >= 0 and box["top"] >= 0, (i, box)
        assert box["right"] <= WIDTH and box["bottom"] <= HEIGHT, (i, box)
        assert box["text"] >= 10, (i, box)
    assert page.get_by_test_id("next").is_disabled()
    return steps


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    page.screenshot(path=str(ARTIFACTS / f"{name}_{worker}.png"))


def test_the_classic_neuron_steps_forward_then_backward_with_its_rule(
    browser: Any, tmp_path: Path
) -> None:
    o, v = the_classic_neuron()
    trace = trace_backward(o)
    nodes = topological_order(o)
    page, errors = open_page(browser, trace.save_html(tmp_path / "steps.html"))
    root = page.locator(".gg-trace")
    assert root.get_attribute("data-gg-ready") == "1"
    assert page.locator(".gg-nojs").is_hidden()
    assert page.locator(".gg-legend").is_visible()

    # It opens with the whole graph in view (laid out top to bottom, it fits legibly).
    inside = page.evaluate(
        """() => {
            const view = document.querySelector('.gg-view').getBoundingClientRect();
            return Array.from(document.querySelectorAll('.gg-view g.node')).every(g => {
                const r = g.getBoundingClientRect();
                return r.left >= view.left && r.right <= view.right
                    && r.top >= view.top && r.bottom <= view.bottom;
            });
        }"""
    )
    assert inside
    assert float(root.get_attribute("data-scale")) >= 10 / 11  # node text >= 10 px

    # It opens on the forward pass: the first op's value is computed, later ones still "?".
    assert page.get_by_test_id("phase").text_content() == "Forward pass"
    assert page.get_by_test_id("prev").is_disabled()
    assert page.get_by_test_id("step-text").text_content().startswith("Forward step 1 of 5: ")
    o_box = page.locator(f'g.node[id="v{nodes.index(o)}"]')
    assert "data ?" in o_box.text_content()

    steps = assert_every_step_is_legible(page)
    assert steps == len(trace.forward) + len(trace) == 10
    assert page.get_by_test_id("phase").text_content() == "Backward pass"

    # The tanh step (the first of the backward pass) shows the rule and its numbers.
    page.get_by_test_id("slider").fill(str(len(trace.forward)))
    assert page.locator("g.node.current").get_attribute("id") == f"v{nodes.index(o)}"
    panel = page.locator(".gg-side").text_content()
    assert "tanh: ∂out/∂x = 1 − out²" in panel
    assert "1 − 0.7071² = 0.5000" in panel
    assert "n.grad += 1.0000 × 0.5000 = 0.5000" in page.get_by_test_id("step-text").text_content()
    n_box = page.locator(f'g.node[id="v{nodes.index(v["n"])}"]')
    assert "grad 0.5000" in n_box.text_content()
    # The step's product, beside its edge: "g × local" over "= contribution".
    shown = [t.all_text_contents() for t in page.locator("text.gg-product tspan").all()]
    assert shown == [["1.0000 × 0.5000"], ["= 0.5000"]]

    # The last step leaves every leaf with its gradient.
    page.get_by_test_id("slider").fill(str(steps - 1))
    x1_box = page.locator(f'g.node[id="v{nodes.index(v["x1"])}"]')
    assert "grad -1.5000" in x1_box.text_content()

    # Clicking x1 lists its one path to o, whose product is its gradient.
    paths = page.get_by_test_id("paths")
    assert paths.is_hidden()
    x1_box.click()
    assert paths.is_visible()
    text = paths.text_content()
    assert "Paths from x1 to o: 1 path" in text
    assert "(-3.0000) × 1.0000 × 1.0000 × 0.5000 = -1.5000" in text
    assert "sum over paths = -1.5000" in text
    # x1 → * → #2 → + → #6 → + → n → tanh → o: four edges into ops, four out of them
    assert page.locator("g.edge.gg-path").count() == 8
    screenshot(page, "neuron_paths")

    # Zoom in, zoom out and fit each change the view.
    svg = page.locator(".gg-view svg")
    views = [svg.get_attribute("viewBox")]
    for hook in ("zoom-in", "zoom-out", "zoom-out", "fit"):
        page.get_by_test_id(hook).click()
        views.append(svg.get_attribute("viewBox"))
        assert views[-1] != views[-2], hook
    page.keyboard.press("Escape")
    root.focus()
    page.keyboard.press("+")
    assert svg.get_attribute("viewBox") != views[-1]
    assert errors == []


def test_playing_and_the_slider_walk_the_steps(browser: Any, tmp_path: Path) -> None:
    o, _ = the_classic_neuron()
    trace = trace_backward(o)
    page, errors = open_page(browser, trace.save_html(tmp_path / "steps.html"))
    play = page.get_by_test_id("play")
    play.click()
    assert play.text_content() == "Pause"
    page.wait_for_function(
        "() => document.querySelector('.gg-trace').dataset.step !== '0'", timeout=5000
    )
    play.click()
    assert play.text_content() == "Play"
    page.get_by_test_id("slider").fill("0")
    page.locator(".gg-trace").focus()
    page.keyboard.press("ArrowRight")
    assert page.locator(".gg-trace").get_attribute("data-step") == "1"
    assert errors == []


def a_demo_like_page(tmp_path: Path) -> Path:
    """Like the page `glassgrad demo` writes: one sample's hinge loss through a 2-4-4-1 MLP."""
    from nn import MLP, losses

    model = MLP(2, [4, 4, 1], seed=0)
    score = model([0.3, -0.4])
    assert isinstance(score, Value)
    loss = losses.hinge([score], [1])
    loss.label = "loss"
    return trace_backward(loss).save_html(tmp_path / "backward_steps.html")


def test_a_network_is_legible_at_every_step_and_screenshots_go_to_artifacts(
    browser: Any, tmp_path: Path
) -> None:
    page, errors = open_page(browser, a_demo_like_page(tmp_path))
    screenshot(page, "demo_step_first")
    steps = assert_every_step_is_legible(page)
    page.get_by_test_id("slider").fill(str(steps // 2 + 2))
    screenshot(page, "demo_step_middle")
    assert page.get_by_test_id("phase").text_content() == "Backward pass"
    # Hovering a first-layer neuron's output marks the 4 edges into the next layer's neurons.
    first_op_nodes = page.evaluate(
        """() => {
            const data = JSON.parse(document.querySelector('.gg-steps').textContent);
            return data.forward.map(f => f.node);
        }"""
    )
    page.get_by_test_id("fit").click()
    page.locator(f'g.node[id="v{first_op_nodes[0]}"]').hover(force=True)
    assert page.locator("g.edge.gg-out").count() == 4
    # A neuron's step lists the rule of its op and one row per operand.
    assert "∂out/∂w_i" in page.get_by_test_id("rule-head").text_content()
    assert page.get_by_test_id("rule").locator("tr").count() > 3
    assert errors == []


def test_the_step_through_works_in_an_exported_notebook(browser: Any, tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nbconvert = pytest.importorskip("nbconvert")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "from autograd import Value\n"
            "from autograd.viz import trace_backward\n"
            "x1, w1 = Value(2.0, label='x1'), Value(-3.0, label='w1')\n"
            "x2, w2 = Value(0.0, label='x2'), Value(1.0, label='w2')\n"
            "b = Value(6.8813735870195432, label='b')\n"
            "trace_backward((x1 * w1 + x2 * w2 + b).tanh())"
        )
    ]
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    exported, _ = nbconvert.HTMLExporter().from_notebook_node(notebook)
    path = tmp_path / "exported.html"
    path.write_text(exported, encoding="utf-8")
    page, _ = open_page(browser, path)  # the template's CDN scripts fail offline: not ours
    scripts: list[str] = []
    page.on("pageerror", lambda error: scripts.append(str(error)))
    page.reload()
    assert page.locator(".gg-trace").get_attribute("data-gg-ready") == "1"
    assert assert_every_step_is_legible(page) == 10
    screenshot(page, "exported_notebook_last_step")
    assert scripts == []
