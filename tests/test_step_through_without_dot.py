"""The step-through page without graphviz's ``dot``: the browser draws its graph.

Such a page carries the graph's DOT source and lays it out with Graphviz compiled to
WebAssembly (npm ``@viz-js/viz``'s ``viz-global.js``), loaded from beside the page or from a
pinned CDN address checked by its hash (``autograd.viz.page``). Here, in chromium from disk
and offline: the demo's page with the script beside it draws the graph and steps through it
as a page drawn by ``dot`` does; without a copy beside it, the CDN's file is loaded (served
here by the test) only if its hash matches; when it cannot load, the page says so plainly in
the graph's place and the steps still work. ``dot`` is taken away by a PATH without it.

The tests that need the real ``viz-global.js`` take it from ``node_modules`` (``npm ci``,
which ``make test`` runs when npm is there) and are skipped with a reason without it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from autograd.viz import trace_backward
from autograd.viz.page import (
    GRAPH_UNAVAILABLE,
    VIZ_FILE,
    VIZ_INTEGRITY,
    VIZ_URL,
    VIZ_VERSION,
    local_viz_script,
)
from nn import MLP, data
from tests.test_browser import ARTIFACTS, the_classic_neuron

ROOT = Path(__file__).resolve().parent.parent
NPM_FILE = ROOT / "node_modules" / "@viz-js" / "viz" / "dist" / VIZ_FILE
needs_npm = pytest.mark.skipif(
    not NPM_FILE.is_file(), reason=f"the npm packages are missing (npm ci): no {NPM_FILE}"
)
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is missing")


@pytest.fixture
def no_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH without graphviz's ``dot`` (graphviz runs it through PATH)."""
    empty = tmp_path / "no-programs-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def page_data(page: str) -> dict[str, Any]:
    """The JSON the page's script reads."""
    found = re.search(r'<script type="application/json" class="gg-steps">(.*?)</script>', page)
    assert found is not None
    loaded: dict[str, Any] = json.loads(found.group(1))
    return loaded


def sri(content: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode("ascii")


# ---- what the page carries ----------------------------------------------------------------


def test_the_pinned_script_is_the_one_the_lockfile_installs() -> None:
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/@viz-js/viz"]["version"] == VIZ_VERSION
    assert f"https://cdn.jsdelivr.net/npm/@viz-js/viz@{VIZ_VERSION}/dist/{VIZ_FILE}" == VIZ_URL


@needs_npm
def test_the_integrity_hash_is_that_of_the_file_in_node_modules() -> None:
    assert sri(NPM_FILE.read_bytes()) == VIZ_INTEGRITY


def test_the_packages_copy_if_any_is_the_pinned_file() -> None:
    copy = local_viz_script()
    if copy is None:
        pytest.skip("no copy in autograd/viz/vendor/ (make npm puts it there)")
    assert sri(copy) == VIZ_INTEGRITY


def test_without_dot_the_page_carries_its_dot_source_and_where_to_load_graphviz(
    no_dot: None,
) -> None:
    o, _ = the_classic_neuron()
    trace = trace_backward(o)
    page = trace.to_page(viz_src=VIZ_FILE)
    found = page_data(page)
    assert found["dot"].startswith("digraph") and "id=v0" in found["dot"]
    assert found["viz"] == [{"src": VIZ_FILE}, {"src": VIZ_URL, "integrity": VIZ_INTEGRITY}]
    view = page.split('data-testid="view">')[1].split('<div class="gg-side">')[0]
    assert "<svg" not in view and 'data-testid="graph-note"' in view
    assert GRAPH_UNAVAILABLE in view and "sudo apt-get install graphviz" in view
    # Without viz_src (save_html, Jupyter) only the CDN; a saved page is written all the same.
    assert page_data(trace.to_page())["viz"] == [{"src": VIZ_URL, "integrity": VIZ_INTEGRITY}]
    assert '"dot":"digraph' in trace._repr_html_()  # Jupyter's view, too


@needs_dot
def test_its_dot_source_is_what_dot_lays_out_for_the_page_with_dot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dot, given the DOT source a dot-less page carries, draws the SVG of the page with dot."""
    o, _ = the_classic_neuron()
    trace = trace_backward(o)
    with_dot = trace.to_html()
    empty = tmp_path / "empty"
    empty.mkdir()
    with monkeypatch.context() as m:
        m.setenv("PATH", str(empty))
        source = page_data(trace.to_html())["dot"]
    svg = subprocess.run(
        ["dot", "-Tsvg"], input=source, capture_output=True, text=True, check=True
    ).stdout
    from autograd.viz.page import _inline_svg

    assert _inline_svg(svg) in with_dot
    # With dot nothing changes: no DOT source, no script to load, viz_src or not.
    assert not {"dot", "viz"} & page_data(trace.to_page(viz_src=VIZ_FILE)).keys()


def test_a_step_through_takes_its_graph_as_svg_or_as_dot_source() -> None:
    from autograd.viz.page import step_through

    o, _ = the_classic_neuron()
    data = trace_backward(o).page_data()
    with pytest.raises(ValueError, match="either the rendered svg or the dot_source"):
        step_through(None, data)
    with pytest.raises(ValueError, match="either the rendered svg or the dot_source"):
        step_through("<svg></svg>", data, dot_source="digraph {}")


# ---- in the browser -------------------------------------------------------------------------


def demo_page(folder: Path, viz_src: str | None) -> Path:
    """The page `glassgrad demo` writes without dot: one sample through its 2-4-4-1 network."""
    from nn.cli.demo import draw_one_sample, train_like_micrograd

    X, labels = data.moons(100, noise=0.1, seed=0)
    y = [2 * t - 1 for t in labels]
    model = MLP(2, [4, 4, 1], seed=0)
    train_like_micrograd(model, X, y, progress=False)
    _, _, graph, page = draw_one_sample(model, X, y, viz_src=viz_src)
    assert graph is None  # no dot
    folder.mkdir(exist_ok=True)
    path = folder / "backward_steps.html"
    path.write_bytes(page)
    return path


def offline(page: Any, cdn_body: bytes | None = None) -> list[str]:
    """Refuse every request that leaves the disk, except the CDN's file when ``cdn_body`` is
    given (served as jsDelivr serves it); return the list of refused addresses."""
    refused: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            request_route.continue_()
        elif url == VIZ_URL and cdn_body is not None:
            request_route.fulfill(
                status=200,
                body=cdn_body,
                headers={
                    "Content-Type": "application/javascript; charset=utf-8",
                    "Access-Control-Allow-Origin": "*",
                },
            )
        else:
            refused.append(url)
            request_route.abort()

    page.route("**/*", route)
    return refused


def open_offline(browser: Any, path: Path, cdn_body: bytes | None = None) -> tuple[Any, Any]:
    """The page from disk at 1280x800, offline, once its script has drawn the graph or given
    up; (the page, the step-through's root element)."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.refused = offline(page, cdn_body)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(path.as_uri())
    root = page.locator(".gg-trace")
    page.wait_for_selector(".gg-trace[data-drawn-by]", state="attached", timeout=60_000)
    return page, root


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


@pytest.mark.browser
@needs_npm
def test_the_demos_page_draws_its_graph_with_the_script_beside_it_and_steps(
    browser: Any, tmp_path: Path, no_dot: None
) -> None:
    from tests.test_step_through_view import MEASURE, inside, steps_of

    path = demo_page(tmp_path / "out", viz_src=VIZ_FILE)
    assert 90_000 < path.stat().st_size < 130_000  # the README: "about 110 KB"
    shutil.copyfile(NPM_FILE, path.parent / VIZ_FILE)
    page, root = open_offline(browser, path)
    assert root.get_attribute("data-drawn-by") == "viz"
    assert page.refused == []  # nothing but the disk
    assert page.locator('.gg-view svg g.node[id="v0"]').count() == 1
    assert page.get_by_test_id("graph-unavailable").count() == 0
    assert page.locator(".gg-view title").count() == 0  # no tooltips, as on dot's page
    screenshot(page, "step_through_without_dot_first")
    page.get_by_test_id("next").click()
    assert root.get_attribute("data-step") == "1"
    assert page.locator("g.node.current").count() == 1
    # The checks made on the page dot draws (tests/test_step_through_view.py), at every step:
    # the step's node in view, its text and the products legible. Graphviz 16's layout is not
    # the system dot's, so an operand may lie out of view at a legible zoom: then the page
    # counts it ("1 operand is out of view ...", data-off-view), as it does under dot.
    page.get_by_test_id("prev").click()
    seen = []
    for i in range(steps_of(page)):
        if i:
            page.keyboard.press("ArrowRight")
        m = page.evaluate(MEASURE)
        assert m["current"] == m["node"]["id"] and inside(m["node"], m["view"]), (i, m)
        away = [o["id"] for o in m["operands"] if not inside(o, m["view"])]
        assert len(away) == m["offView"], (i, away, m)
        assert 10 <= m["nodeTextPx"] <= 14.001, (i, m["nodeTextPx"])
        assert all(px >= 11 for px in m["products"]), (i, m["products"])
        seen.append(m)
    assert max(len(m["operands"]) for m in seen) == 9  # a second-layer neuron: 4 + 4 + 1
    assert sum(m["offView"] for m in seen) <= len(seen) // 4  # most steps show every operand
    # The node texts, sized by Graphviz's own letter widths, fit their cells in this font.
    overflow = page.evaluate(
        """() => [...document.querySelectorAll('.gg-view g.node text')].filter(t => {
            const cell = t.previousElementSibling;
            if (!cell || cell.tagName !== 'polygon') return false;
            return t.getBBox().x + t.getBBox().width > cell.getBBox().x + cell.getBBox().width;
        }).map(t => t.textContent)"""
    )
    assert overflow == []
    page.get_by_test_id("slider").fill(str(len(seen) // 2))
    screenshot(page, "step_through_without_dot_middle")
    assert page.errors == []


@pytest.mark.browser
@needs_npm
def test_without_a_copy_beside_it_the_cdn_file_is_used_only_if_its_hash_matches(
    browser: Any, tmp_path: Path, no_dot: None
) -> None:
    o, _ = the_classic_neuron()
    path = trace_backward(o).save_html(tmp_path / "steps.html")
    page, root = open_offline(browser, path, cdn_body=NPM_FILE.read_bytes())
    assert root.get_attribute("data-drawn-by") == "viz"
    assert page.locator('.gg-view svg g.node[id="v0"]').count() == 1
    page.close()
    tampered = NPM_FILE.read_bytes() + b"\n// changed\n"
    page, root = open_offline(browser, path, cdn_body=tampered)
    assert root.get_attribute("data-drawn-by") == "none"  # the browser refused to run it
    assert page.get_by_test_id("graph-unavailable").is_visible()


@pytest.mark.browser
def test_when_the_script_cannot_load_the_page_says_so_and_still_steps(
    browser: Any, tmp_path: Path, no_dot: None
) -> None:
    o, _ = the_classic_neuron()
    path = trace_backward(o).save_html(tmp_path / "steps.html")  # no copy beside it
    page, root = open_offline(browser, path)  # and the CDN refused
    assert root.get_attribute("data-drawn-by") == "none"
    assert page.refused == [VIZ_URL]
    message = page.get_by_test_id("graph-unavailable")
    assert message.is_visible() and page.get_by_test_id("graph-note").is_hidden()
    text = message.text_content()
    assert text.strip().startswith(GRAPH_UNAVAILABLE)
    assert "sudo apt-get install graphviz" in text and "brew install graphviz" in text
    assert "run the command that wrote this page again" in text
    assert "connection to the internet" in text
    # The steps' text and table still work.
    assert page.get_by_test_id("step-text").text_content().startswith("Forward step 1 of 5")
    page.get_by_test_id("next").click()
    assert page.get_by_test_id("step-text").text_content().startswith("Forward step 2 of 5")
    page.get_by_test_id("slider").fill("5")
    assert "tanh: ∂out/∂x = 1 − out²" in page.locator(".gg-side").text_content()
    screenshot(page, "step_through_without_dot_unavailable")
    assert page.errors == []
