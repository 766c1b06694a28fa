"""nn.live: fit(record=True) keeps the run, History.save_html writes its page, the live view.

The live view is never opened here: its Jupyter display is replaced by a stand-in that keeps
what would have been shown (tests/test_training_page.py plays the pages in chromium).
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path
from typing import Any

import pytest

import nn.live
from autograd.files import OutputPathError
from nn import MLP, Neuron, TrainingView, data, fit, losses, optim
from nn.live import Recording, Snapshot

Data = tuple[list[list[float]], list[int]]


def moons() -> Data:
    X, y = data.moons(40, noise=0.1, seed=0)
    return X, y


def train(model: MLP, epochs: int, **options: Any) -> Any:
    X, y = moons()
    return fit(
        model,
        X,
        y,
        loss=losses.binary_cross_entropy,
        optimizer=optim.Adam(model.parameters(), lr=0.05),
        epochs=epochs,
        progress=False,
        **options,
    )


def page_data(text: str) -> dict[str, Any]:
    """The JSON the page's script reads, taken back out of the page."""
    found = re.search(
        r'<script type="application/json" class="ggt-data">(.*?)</script>', text, re.S
    )
    assert found is not None
    loaded: dict[str, Any] = json.loads(found.group(1))
    return loaded


def test_fit_records_nothing_unless_asked() -> None:
    history = train(MLP(2, [4, 1], seed=0), 2)
    assert history.recording is None and history.snapshots == []
    with pytest.raises(ValueError, match=r"record=True"):
        history.save_html("never.html")
    assert not Path("never.html").exists()


def test_record_keeps_the_model_before_training_and_after_each_epoch() -> None:
    X, y = moons()
    X_val, y_val = data.moons(20, noise=0.1, seed=1)
    model = MLP(2, [4, 1], seed=0)
    start = [p.data for p in model.parameters()]
    history = train(model, 5, record=True, validation=(X_val, y_val))
    snapshots = history.snapshots
    assert [s.epoch for s in snapshots] == [0, 1, 2, 3, 4, 5]
    assert list(snapshots[0].weights) == start  # neuron by neuron: weights, then bias
    assert list(snapshots[-1].weights) == [p.data for p in model.parameters()]
    assert snapshots[0].loss is None and snapshots[0].accuracy is None
    assert [s.loss for s in snapshots[1:]] == history.loss
    assert [s.accuracy for s in snapshots[1:]] == history.accuracy
    assert [s.val_loss for s in snapshots[1:]] == history.val_loss
    assert [s.val_accuracy for s in snapshots[1:]] == history.val_accuracy
    recording = history.recording
    assert recording is not None
    assert recording.names == [name for name, _ in model.named_parameters()]
    assert recording.layers == [(2, 4, "relu"), (4, 1, "linear")]
    assert recording.points == [[float(a), float(b)] for a, b in X]
    assert recording.labels == [float(label) for label in y]
    assert recording.epochs == 5 and recording.threshold == 0.0


def test_each_snapshot_is_the_model_after_its_epoch() -> None:
    """Full batches (no shuffling): five epochs at once, and one epoch five times on a twin
    model with its own optimizer, pass through the same weights."""
    X, y = moons()
    recorded = MLP(2, [3, 1], seed=4)
    twin = MLP(2, [3, 1], seed=4)
    history = fit(
        recorded,
        X,
        y,
        loss="bce",
        optimizer=optim.SGD(recorded.parameters(), lr=0.1),
        epochs=5,
        progress=False,
        record=True,
    )
    optimizer = optim.SGD(twin.parameters(), lr=0.1)
    for snapshot in history.snapshots[1:]:
        fit(twin, X, y, loss="bce", optimizer=optimizer, epochs=1, progress=False)
        assert list(snapshot.weights) == [p.data for p in twin.parameters()]


def test_recording_does_not_change_training() -> None:
    plain, recorded = MLP(2, [8, 1], seed=1), MLP(2, [8, 1], seed=1)
    a = train(plain, 4, batch_size=8, seed=3)
    b = train(recorded, 4, batch_size=8, seed=3, record=True)
    assert plain.state_dict() == recorded.state_dict()
    assert (a.loss, a.accuracy) == (b.loss, b.accuracy)


def test_live_outside_jupyter_records_and_says_how_to_see_the_run() -> None:
    with pytest.warns(UserWarning, match=r"only in Jupyter.*save_html") as caught:
        history = train(MLP(2, [4, 1], seed=0), 3, live=True)
    assert [s.epoch for s in history.snapshots] == [0, 1, 2, 3]
    assert caught[0].filename == __file__  # it points at the caller's fit(...), not into nn
    with pytest.warns(UserWarning, match=r"only in Jupyter") as caught:
        TrainingView(MLP(2, [1], seed=0), live=True)
    assert caught[0].filename == __file__


def test_save_html_writes_a_page_that_needs_nothing_else(tmp_path: Path) -> None:
    history = train(MLP(2, [4, 4, 1], seed=0), 3, record=True)
    path = history.save_html(tmp_path / "training.html")
    assert path == tmp_path / "training.html"
    text = path.read_text("utf-8")
    assert text.startswith("<!DOCTYPE html>")
    # Offline: nothing is fetched (no src/href to another file, no URL at all but the SVG's
    # namespace).
    assert not re.search(r"""(src|href)\s*=""", text)
    assert set(re.findall(r"https?://[^\s\"'<>]+", text)) == {"http://www.w3.org/2000/svg"}
    for hook in ("play", "slider", "epoch"):
        assert f'data-testid="{hook}"' in text
    shown = page_data(text)
    assert shown["epochs"] == [0, 1, 2, 3]
    assert len(shown["weights"][-1]) == len(history.recording.names) == 4 * 3 + 5 * 4 + 5
    # The weights are kept to 4 significant digits: enough for a picture.
    model_weights = history.snapshots[-1].weights
    for kept, exact in zip(shown["weights"][-1], model_weights, strict=True):
        assert kept == pytest.approx(exact, rel=1e-3, abs=1e-12)
    assert shown["loss"][1:] == [pytest.approx(v, rel=1e-5) for v in history.loss]
    assert "training_page" not in text  # the assets are inlined, not referenced


def test_save_html_is_atomic_and_refuses_a_directory(tmp_path: Path) -> None:
    history = train(MLP(2, [4, 1], seed=0), 1, record=True)
    target = tmp_path / "training.html"
    target.write_text("old page", "utf-8")
    folder = tmp_path / "a folder"
    folder.mkdir()
    with pytest.raises(OutputPathError, match="a folder"):
        history.save_html(folder)
    history.save_html(target)
    assert target.read_text("utf-8").startswith("<!DOCTYPE html>")
    assert sorted(os.listdir(tmp_path)) == ["a folder", "training.html"]  # no stray temp file


def test_a_model_without_two_inputs_gets_no_boundary_panel() -> None:
    X = [[random.Random(i).random() for _ in range(3)] for i in range(10)]
    y = [i % 2 for i in range(10)]
    model = Neuron(3, activation="sigmoid", seed=0)
    view = TrainingView(model, X, y, live=False)
    assert view.recording.points is None and view.recording.threshold == 0.5
    text = view.recording.to_html()
    assert 'class="ggt-panel ggt-boundary" hidden' in text
    assert page_data(text)["layers"] == [[3, 1, "sigmoid"]]


def test_a_big_training_set_is_thinned_for_the_page() -> None:
    X, y = data.moons(2500, noise=0.1, seed=0)
    view = TrainingView(MLP(2, [2, 1], seed=0), X, y, live=False)
    points = view.recording.points
    assert points is not None and len(points) <= nn.live.MAX_POINTS
    assert points[:2] == [X[0], X[3]]


def test_the_page_for_100_epochs_of_the_demo_network_is_under_2_mb(tmp_path: Path) -> None:
    """MLP(2, [16, 16, 1]) on 200 moons points, 100 recorded epochs. The size depends on the
    numbers, not on training: the weights are moved at random each epoch (as much as training
    moves them and more) to keep the test fast; benchmarks/live_view.py measures a real run."""
    X, y = data.moons(200, noise=0.15, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    view = TrainingView(model, X, y, epochs=100, live=False)
    rng = random.Random(0)
    for _ in range(100):
        for p in model.parameters():
            p.data += rng.gauss(0.0, 0.05)
        view.update(
            loss=rng.random(), accuracy=rng.random(), val_loss=rng.random(), val_accuracy=0.5
        )
    size = view.save_html(tmp_path / "training.html").stat().st_size
    assert len(view.snapshots) == 101
    assert size <= 2_000_000, size


def test_training_view_checks_its_arguments() -> None:
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match=r"refresh must be a number >= 0, got -1"):
        TrainingView(model, refresh=-1)
    with pytest.raises(ValueError, match=r"epochs must be an int"):
        TrainingView(model, epochs=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"threshold must be a finite number, got 'half'"):
        TrainingView(model, threshold="half")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"TrainingView .*MLP, Layer or Neuron, got str"):
        TrainingView("a model")  # type: ignore[arg-type]
    view = TrainingView(model, live=False)
    with pytest.raises(ValueError, match=r"update: loss must be a finite number, got nan"):
        view.update(loss=float("nan"), accuracy=0.5)
    with pytest.raises(ValueError, match=r"update: val_accuracy must be a finite number"):
        view.update(loss=0.1, accuracy=0.5, val_accuracy="high")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"loss and accuracy are needed"):
        view.update(loss=0.1, accuracy=None)  # type: ignore[arg-type]
    assert [s.epoch for s in view.snapshots] == [0]  # nothing recorded
    recording = Recording([], [(1, 1, "relu")], "<svg/>", None, None, 0.0, None)
    with pytest.raises(ValueError, match="no snapshot"):
        recording.save_html("never.html")


Outputs = dict[str, list[str]]


@pytest.fixture
def jupyter(monkeypatch: pytest.MonkeyPatch) -> Outputs:
    """Pretend to run in Jupyter; return each display id's outputs, in order (an update
    adds to its id's list)."""
    pytest.importorskip("IPython")
    import IPython.display

    outputs: Outputs = {}

    def display(bundle: Any, *, raw: bool, display_id: str, update: bool) -> None:
        assert raw is True and set(bundle) == {"text/html"}
        assert update == (display_id in outputs)
        outputs.setdefault(display_id, []).append(bundle["text/html"])

    monkeypatch.setattr(nn.live, "_in_jupyter", lambda: True)
    monkeypatch.setattr(IPython.display, "display", display)
    return outputs


def pushed_epochs(script: str) -> list[int]:
    found = re.search(r"push\(\"[^\"]+\", (\{.*\})\);</script>", script)
    assert found is not None, script
    epochs: list[int] = json.loads(found.group(1))["epochs"]
    return epochs


def views_and_feeds(outputs: Outputs) -> tuple[list[list[str]], list[list[str]]]:
    views = [shown for name, shown in outputs.items() if name.endswith("-view")]
    feeds = [shown for name, shown in outputs.items() if name.endswith("-feed")]
    return views, feeds


def test_live_in_jupyter_shows_the_view_then_feeds_it_each_epoch(
    jupyter: Outputs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nn.live, "DEFAULT_REFRESH", 0.0)  # every epoch, however quick
    history = train(MLP(2, [4, 1], seed=0), 4, live=True, validation=moons())
    ((view,), (feed,)) = views_and_feeds(jupyter)
    first = view[0]
    view_id = re.search(r'class="gg-training" id="([^"]+)"', first)
    assert view_id is not None and page_data(first)["live"] is True
    assert page_data(first)["epochs"] == [0]
    assert feed[0] == ""
    for epoch, script in enumerate(feed[1:-1], start=1):
        assert view_id.group(1) in script
        assert pushed_epochs(script) == [epoch]
    assert len(feed) == 1 + 4 + 1
    assert feed[-1] == ""  # the feed is emptied at the end ...
    final = page_data(view[-1])  # ... and the view becomes the whole recording
    assert final["epochs"] == [0, 1, 2, 3, 4] and final["live"] is False
    assert len(history.snapshots) == 5


def test_refresh_sets_how_often_the_live_view_is_fed(jupyter: Outputs) -> None:
    model = MLP(2, [2, 1], seed=0)
    X, y = moons()
    often = TrainingView(model, X, y, refresh=0)
    for epoch in range(3):
        often.update(loss=1.0 / (epoch + 1), accuracy=0.5)
    rarely = TrainingView(model, X, y, refresh=3600)
    for _ in range(3):
        rarely.update(loss=1.0, accuracy=0.5)
    rarely.close()
    views, (often_feed, rarely_feed) = views_and_feeds(jupyter)
    assert [pushed_epochs(s) for s in often_feed[1:]] == [[1], [2], [3]]
    assert rarely_feed == ["", ""]  # nothing sent before the end ...
    assert page_data(views[1][-1])["epochs"] == [0, 1, 2, 3]  # ... which brings all of it


def test_an_interrupted_live_run_still_leaves_its_recording(
    jupyter: Outputs, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    original = TrainingView.add_epoch

    def interrupted(self: TrainingView, history: Any) -> Snapshot:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt
        return original(self, history)

    monkeypatch.setattr(TrainingView, "add_epoch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train(MLP(2, [2, 1], seed=0), 10, live=True)
    ((view,), _) = views_and_feeds(jupyter)
    assert page_data(view[-1])["epochs"] == [0, 1, 2]


def test_a_lesson_can_drive_a_view_and_save_it(tmp_path: Path) -> None:
    X, y = moons()
    model = MLP(2, [3, 1], seed=0)
    view = TrainingView(model, X, y, epochs=2, live=False)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    for _ in range(2):
        loss = losses.binary_cross_entropy(model.batch(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        view.update(loss=loss.data, accuracy=0.5)
    view.close()
    assert [s.epoch for s in view.snapshots] == [0, 1, 2]
    assert (
        view.save_html(tmp_path / "run.html", title="my run")
        .read_text("utf-8")
        .count("<title>my run</title>")
        == 1
    )
    assert "gg-training" in view._repr_html_()
    assert view.recording._repr_html_() == view.recording.to_html()
    assert "3 relu → 1 linear, 2 epochs" in repr(view)


def test_the_live_view_benchmark_runs_at_a_tiny_size() -> None:
    from benchmarks import live_view

    fits = live_view.time_fits(repeats=1, epochs=2, kernel=False)
    assert set(fits["median_s"]) == {"plain", "record", "live"}
    assert fits["where"].startswith("this process")
    assert fits["record_overhead"] >= 0 and fits["live_overhead"] >= 0
    assert live_view.page_size(epochs=2) > 10_000
