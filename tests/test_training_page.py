"""The recorded training page (History.save_html) and the live view, in a real browser.

Debian's chromium driven by Playwright (never ``playwright install``), skipped when missing;
the page is opened from disk with the network unreachable. Screenshots of a few epochs go to
``test-artifacts/`` (git-ignored) for people to look at.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autograd import Value
from nn import MLP, TrainingView, data, fit, losses, optim

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
WIDTH, HEIGHT = 1280, 800

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def moons_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Notebook 05's moons run (MLP 2-16-16-1, Adam, batches of 32), 40 epochs, recorded."""
    X, y = data.moons(200, noise=0.15, seed=0)
    (X_train, y_train), validation = data.train_test_split(X, y, test_fraction=0.25, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    history = fit(
        model,
        X_train,
        y_train,
        loss=losses.binary_cross_entropy,
        optimizer=optim.Adam(model.parameters(), lr=0.03),
        epochs=40,
        batch_size=32,
        validation=validation,
        seed=0,
        progress=False,
        record=True,
    )
    return history.save_html(tmp_path_factory.mktemp("page") / "training.html")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A 1280x800 tab that cannot reach any network; its console errors fail the test."""
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    context.route("http://*/**", lambda route: route.abort())
    context.route("https://*/**", lambda route: route.abort())
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield tab
    context.close()
    assert errors == []


def epoch_shown(page: Any) -> int:
    text = page.get_by_test_id("epoch").inner_text()
    assert text.startswith("epoch ")
    return int(text.split()[1])


def boundary_digest(page: Any) -> str:
    """A hash of the boundary canvas's pixels."""
    pixels: list[int] = page.get_by_test_id("boundary").evaluate(
        "c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)"
    )
    return hashlib.sha256(bytes(pixels)).hexdigest()


def an_edge(page: Any, name: str = "layers.0.neurons.0.w.0") -> tuple[str, str]:
    """The stroke width and colour of one weight's line in the network picture."""
    edge = page.locator(f'line.nn-edge[data-param="{name}"]')
    return edge.get_attribute("stroke-width"), edge.get_attribute("stroke")


def go_to(page: Any, epoch: int) -> None:
    """Move the slider (as a person dragging it would: an input event)."""
    page.get_by_test_id("slider").evaluate(
        "(s, v) => { s.value = String(v); s.dispatchEvent(new Event('input')); }", epoch
    )
    assert epoch_shown(page) == epoch


def test_play_advances_the_epochs_and_the_pictures_change(page: Any, moons_page: Path) -> None:
    page.goto(moons_page.as_uri())
    assert epoch_shown(page) == 40  # it opens on the trained model
    assert page.get_by_test_id("epoch").inner_text() == "epoch 40 of 40"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "training_page_epoch_40.png"))
    last_boundary, last_edge = boundary_digest(page), an_edge(page)

    page.get_by_test_id("play").click()  # at the end, Play starts again from epoch 0
    page.wait_for_function(
        "() => parseInt(document.querySelector('.gg-training').dataset.epoch) >= 3"
    )
    page.get_by_test_id("play").click()  # pause
    paused = epoch_shown(page)
    assert 3 <= paused < 40
    page.wait_for_timeout(300)
    assert epoch_shown(page) == paused  # paused means paused

    go_to(page, 0)
    assert page.get_by_test_id("epoch").inner_text() == "epoch 0 of 40"
    assert "before training" in page.get_by_test_id("numbers").inner_text()
    page.screenshot(path=str(ARTIFACTS / "training_page_epoch_0.png"))
    first_boundary, first_edge = boundary_digest(page), an_edge(page)
    go_to(page, 5)
    page.screenshot(path=str(ARTIFACTS / "training_page_epoch_5.png"))
    assert boundary_digest(page) != first_boundary != last_boundary
    assert first_edge != last_edge
    # One weight's line: its width is |w| over the run's largest |w|, its colour its sign.
    recorded = json.loads(page.locator(".ggt-data").text_content())
    index = recorded["names"].index("layers.0.neurons.0.w.0")
    width, colour = an_edge(page)
    weight = recorded["weights"][5][index]
    assert colour == ("#2563eb" if weight > 0 else "#ea580c")
    assert float(width) > 0.6


def test_play_runs_to_the_end_and_stops(page: Any, moons_page: Path) -> None:
    page.goto(moons_page.as_uri())
    go_to(page, 30)
    page.get_by_test_id("play").click()
    page.wait_for_function("() => document.querySelector('.gg-training').dataset.epoch === '40'")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=play]').textContent.includes('Play')"
    )
    assert page.get_by_test_id("next").is_disabled()


def test_keys_work_on_a_freshly_opened_page(page: Any, moons_page: Path) -> None:
    page.goto(moons_page.as_uri())
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert epoch_shown(page) == 38
    page.keyboard.press("Home")
    assert epoch_shown(page) == 0
    page.get_by_test_id("next").click()
    assert epoch_shown(page) == 1


def test_the_curves_mark_the_epoch_shown(page: Any, moons_page: Path) -> None:
    page.goto(moons_page.as_uri())

    def marker_x() -> float:
        line = page.locator("[data-testid=loss-chart] .ggt-now line")
        return float(line.get_attribute("x1"))

    end = marker_x()
    go_to(page, 20)
    middle = marker_x()
    go_to(page, 0)
    start = marker_x()
    assert start < middle < end
    assert math.isclose(middle - start, (end - start) / 2, rel_tol=0.01)


def test_the_pages_network_computes_what_the_model_computes(page: Any, tmp_path: Path) -> None:
    """The boundary is the page's own forward pass over the recorded weights: for every
    activation it must agree with nn's (on the weights as the page keeps them)."""
    for activation in ("relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu", "silu", "softplus"):
        model = MLP(2, [5, 3], activation=activation, output_activation="linear", seed=1)
        view = TrainingView(model, live=False)
        kept = json.loads(json.dumps(view.recording.page_data()["weights"][0]))
        for parameter, number in zip(model.parameters(), kept, strict=True):
            parameter.data = number  # the page keeps 4 digits; compare on those
        path = view.save_html(tmp_path / f"{activation}.html")
        page.goto(path.as_uri())
        points = [[0.3, -1.2], [-2.0, 0.7], [1.5, 1.5], [0.0, 0.0]]
        shown = page.evaluate(
            "([w, layers, points]) => points.map(x => glassgradTraining.forward(layers, w, x))",
            [kept, view.recording.page_data()["layers"], points],
        )
        for x, outputs in zip(points, shown, strict=True):
            expected = model(x)
            assert isinstance(expected, list)
            for got, want in zip(outputs, expected, strict=True):
                assert isinstance(want, Value)
                assert math.isclose(got, want.data, rel_tol=1e-6, abs_tol=1e-6), activation


def test_a_small_network_shows_its_weights_on_the_lines(page: Any, tmp_path: Path) -> None:
    X, y = data.moons(120, noise=0.1, seed=0)
    model = MLP(2, [4, 4, 1], activation="tanh", seed=0)
    history = fit(
        model,
        X,
        y,
        loss="bce",
        optimizer=optim.Adam(model.parameters(), lr=0.05),
        epochs=30,
        progress=False,
        record=True,
    )
    page.goto(history.save_html(tmp_path / "small.html").as_uri())
    tags = page.locator("g.nn-edge-value")
    assert tags.count() == 28
    final = tags.first.text_content()
    name = tags.first.get_attribute("data-param")
    assert final == nn_short(dict(model.named_parameters())[name].data)
    go_to(page, 15)
    page.screenshot(path=str(ARTIFACTS / "training_page_small_epoch_15.png"))
    assert tags.first.text_content() == nn_short(history.snapshots[15].weights[0])
    # Every number is at least 9 px tall on screen, and no two overlap.
    boxes = tags.evaluate_all("ts => ts.map(t => t.getBoundingClientRect().toJSON())")
    assert all(box["height"] >= 9 for box in boxes)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert (
                a["right"] <= b["left"]
                or b["right"] <= a["left"]
                or a["bottom"] <= b["top"]
                or b["bottom"] <= a["top"]
            )


def nn_short(x: float) -> str:
    from nn.network import _in_circle

    return _in_circle(float(f"{x:.4g}"))


def test_three_classes_colour_the_plane_by_class(page: Any, tmp_path: Path) -> None:
    X, y = data.blobs(60, centers=3, std=0.5, seed=0)
    model = MLP(2, [8, 3], seed=0)
    history = fit(
        model,
        X,
        y,
        loss="cross_entropy",
        optimizer=optim.Adam(model.parameters(), lr=0.05),
        epochs=10,
        progress=False,
        record=True,
    )
    page.goto(history.save_html(tmp_path / "classes.html").as_uri())
    caption = page.locator(".ggt-boundary figcaption").inner_text()
    assert "largest output" in caption
    colours = page.get_by_test_id("boundary").evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  const seen = new Set();
                  for (let i = 0; i < d.length; i += 4 * 97) {
                      const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
                      seen.add(r > g && r > b ? 'r' : g > r && g > b ? 'g'
                               : b > r && b > g ? 'b' : '?');
                  }
                  return Array.from(seen); }"""
    )
    assert {"r", "g", "b"} <= set(colours)  # orange, green and blue regions


JUPYTER_LIKE = """
<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<div id="view"></div><div id="feed"></div>
<script>
// As JupyterLab shows an HTML output: innerHTML, then each script run anew.
function output(id, html) {
  const box = document.getElementById(id);
  box.innerHTML = html;
  box.querySelectorAll("script").forEach((old) => {
    const fresh = document.createElement("script");
    for (const a of old.attributes) fresh.setAttribute(a.name, a.value);
    fresh.textContent = old.textContent;
    old.replaceWith(fresh);
  });
}
</script></body></html>
"""


def test_the_live_view_follows_the_epochs_it_is_sent(
    page: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The live protocol, with the outputs rendered as JupyterLab renders them: the view
    once, then the feed replaced by a small script per update."""
    pytest.importorskip("IPython")
    import IPython.display

    import nn.live

    shown: list[tuple[str, str]] = []  # (output, its HTML), in the order they were sent

    def display(bundle: Any, *, raw: bool, display_id: str, update: bool) -> None:
        shown.append(("view" if display_id.endswith("-view") else "feed", bundle["text/html"]))

    monkeypatch.setattr(nn.live, "_in_jupyter", lambda: True)
    monkeypatch.setattr(IPython.display, "display", display)
    X, y = data.moons(60, noise=0.1, seed=0)
    model = MLP(2, [6, 1], seed=0)
    view = TrainingView(model, X, y, epochs=6, refresh=0)
    path = tmp_path / "jupyter.html"
    path.write_text(JUPYTER_LIKE, "utf-8")
    page.goto(path.as_uri())

    def render(upto: int) -> None:
        for name, html in shown[upto:]:
            page.evaluate("([id, html]) => output(id, html)", [name, html])

    render(0)
    assert epoch_shown(page) == 0
    assert page.get_by_test_id("status").inner_text() == "training… (live)"
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    for epoch in range(1, 4):
        before = len(shown)
        loss = losses.binary_cross_entropy(model.batch(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        view.update(loss=loss.data, accuracy=0.5)
        render(before)
        page.wait_for_function(
            f"() => document.querySelector('.gg-training').dataset.epoch === '{epoch}'"
        )
    page.screenshot(path=str(ARTIFACTS / "training_live_epoch_3.png"))
    # Pause: the view stays on its epoch while more arrive; stepping back works.
    page.get_by_test_id("play").click()
    before = len(shown)
    view.update(loss=0.1, accuracy=0.9)
    render(before)
    page.wait_for_timeout(200)
    assert epoch_shown(page) == 3
    page.get_by_test_id("prev").click()
    assert epoch_shown(page) == 2
    before = len(shown)
    view.close()
    render(before)
    assert page.locator(".gg-training").count() == 1  # the view became the recording
    assert epoch_shown(page) == 4
    assert page.get_by_test_id("status").inner_text() == ""
