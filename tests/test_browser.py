"""The step-through page in a real browser: Debian's chromium driven by Playwright.

Never runs ``playwright install``: it uses the system chromium at /usr/bin/chromium (``make
test`` installs it as root) and is skipped, with the reason, when that is missing. A
screenshot of the page after stepping goes to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from autograd import Value, topological_order
from autograd.viz import trace_backward

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install chromium)"
    ),
    pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is missing"),
]


def test_stepping_through_a_saved_page_in_chromium(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    z = x1 * w1 + x2 * w2 + b
    out = z.tanh()
    trace = trace_backward(out)
    n = len(trace)
    nodes = topological_order(out)
    ids = {
        name: f"v{nodes.index(v)}" for name, v in [("x1", x1), ("w1", w1), ("z", z), ("out", out)]
    }
    page_path = trace.save_html(tmp_path / "steps.html")

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 700})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(page_path.as_uri())
            root = page.locator(".gg-trace")
            explain = page.locator(".gg-explain")
            counter = page.locator(".gg-counter")

            def current_ids() -> list[str]:
                ids: list[str] = page.locator(".gg-graph .gg-current").evaluate_all(
                    "els => els.map(e => e.id).sort()"
                )
                return ids

            def grad_of(node_id: str) -> str:
                texts: list[str] = page.locator(
                    f'.gg-graph [id="{node_id}"] text'
                ).all_text_contents()
                return next(t for t in texts if t.startswith("grad "))

            # Step 1: the root's node, op and edges are marked; the nojs note is hidden.
            assert root.get_attribute("data-gg-ready") == "1"
            assert page.locator(".gg-nojs").is_hidden()
            assert counter.text_content() == f"step 1 of {n}"
            assert explain.text_content() == f"step 1 of {n}: {trace.explain(0)}"
            first = current_ids()
            assert ids["out"] in first and "o" + ids["out"][1:] in first
            assert page.locator(".gg-prev").is_disabled()
            assert grad_of(ids["z"]) == "grad 0.5000"  # tanh handed 1 - tanh(z)^2 to z
            products = page.locator(".gg-graph text.gg-product")
            assert products.count() == sum(len(step.updates) for step in trace)
            shown = [t for t in products.all() if t.is_visible()]
            assert [t.text_content() for t in shown] == ["1.0000 × 0.5000 = 0.5000"]

            # Next: the step text, the marked node and the products on the edges change.
            page.locator(".gg-next").click()
            assert root.get_attribute("data-step") == "1"
            assert explain.text_content() == f"step 2 of {n}: {trace.explain(1)}"
            assert current_ids() != first
            shown = [t for t in products.all() if t.is_visible()]
            assert len(shown) == len(trace[1].updates)

            # The slider jumps to the last step: every leaf holds its final gradient.
            page.locator(".gg-slider").fill(str(n - 1))
            assert root.get_attribute("data-step") == str(n - 1)
            assert explain.text_content() == f"step {n} of {n}: {trace.explain(n - 1)}"
            assert page.locator(".gg-next").is_disabled()
            assert grad_of(ids["x1"]) == "grad -1.5000"
            assert grad_of(ids["w1"]) == "grad 1.0000"

            # Back to the start: grads written later are undone again.
            page.locator(".gg-slider").fill("0")
            assert grad_of(ids["x1"]) == "grad 0.0000"

            # Play walks through the steps on its own.
            page.locator(".gg-play").click()
            assert page.locator(".gg-play").text_content() == "Pause"
            page.wait_for_function(
                "() => document.querySelector('.gg-trace').dataset.step !== '0'", timeout=5000
            )
            page.locator(".gg-play").click()
            assert page.locator(".gg-play").text_content() == "Play"

            page.locator(".gg-slider").fill(str(n - 2))
            ARTIFACTS.mkdir(exist_ok=True)
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            page.screenshot(path=str(ARTIFACTS / f"step_through_{worker}.png"), full_page=True)
            assert errors == []
        finally:
            browser.close()
