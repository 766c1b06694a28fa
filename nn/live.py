"""Watching a network learn: a recording of a training run, the page that plays it back, and
the live view in Jupyter.

``fit(..., record=True)`` keeps a `Snapshot` of the model before training and after each
epoch (its weights, and the loss and accuracy so far) in ``history.recording`` (which shows
itself in Jupyter), and ``history.save_html("training.html")`` writes a page that plays the
run back: a slider and
Play over the epochs, the network picture with each line's width and colour set from that
epoch's weights, the decision boundary for a model with two inputs (its output over the input
plane as a heatmap, the training points on top, as TensorFlow Playground shows it) and the
loss and accuracy curves with the epoch marked. The page needs nothing beside it and no
network: its HTML, CSS and JavaScript (the files in ``nn/training_page/``) are inlined.

The page draws from the recorded numbers: the boundary is the recorded network evaluated by
the page's script over a 64 x 64 grid (the activations written out in JavaScript), so a
snapshot is its weights, not a picture, and 100 epochs of ``MLP(2, [16, 16, 1])`` come to
about 0.4 MB (``tests/test_training_page.py`` holds it under 2 MB).

Live: in Jupyter, ``fit(..., live=True)`` (which records too) shows the same view in the
output cell as training starts and sends it each new epoch, at most every ``refresh``
seconds (`DEFAULT_REFRESH`), through a second, invisible output holding a small script.
While training runs the view follows the newest epoch; Pause stops it there and the slider,
Prev/Next and the arrow keys step through the epochs so far (training goes on: the kernel is
busy running ``fit``, so no button could reach it before the end); Play follows again. When
training ends, or stops on an error or Ctrl-C, the cell is replaced by the whole recording, so
a saved or exported notebook shows the run too. (A front end that runs each output in a
frame of its own, as Colab does, cannot feed the view: it shows epoch 0 until the end, then
the whole run.) Outside Jupyter ``live=True`` records only, with a warning saying so and how
to see the run (``history.save_html``).

A lesson can drive a `TrainingView` itself, for a loop of its own::

    view = TrainingView(model, X, y, epochs=50)   # shows itself in Jupyter
    for epoch in range(50):
        ...                                       # one epoch of training
        view.update(loss=epoch_loss, accuracy=epoch_accuracy)
    view.close()
    view.save_html("training.html")
"""

from __future__ import annotations

import functools
import hashlib
import html
import importlib
import json
import math
import re
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from autograd.files import write_atomically
from nn.data import as_lists, real
from nn.module import MLP, Layer, Module, Neuron, Parameter
from nn.network import _layers_of, draw_network

__all__ = ["DEFAULT_REFRESH", "MAX_POINTS", "Number", "Recording", "Snapshot", "TrainingView"]

DEFAULT_REFRESH = 0.5
"""Seconds between two updates of a live view, at most (the end of training always brings the
whole run). Recording itself happens every epoch whatever this is."""

MAX_POINTS = 1000
"""At most this many training points go into the page (evenly picked), to keep it small."""

Number = int | float


@dataclass(frozen=True)
class Snapshot:
    """The model after one epoch (epoch 0: before training) and its numbers at that point.

    ``weights`` are every parameter's value in the order of `Recording.names` (per neuron: its
    weights, then its bias). ``loss`` and ``accuracy`` are the epoch's, on the training data
    (None for epoch 0); ``val_loss`` and ``val_accuracy`` on the validation data, if any.
    """

    epoch: int
    weights: tuple[float, ...]
    loss: float | None = None
    accuracy: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None


@dataclass
class Recording:
    """A training run as a list of `Snapshot`s, with what is needed to draw it.

    Attributes:
        names: the parameters' dotted names, in the order of each snapshot's ``weights``.
        layers: ``(nin, nout, activation)`` of each layer, input side first.
        network_svg: the network picture (`draw_network`) whose lines the page re-colours.
        points, labels: the training data when the model has two inputs (else None), at most
            `MAX_POINTS` of it.
        threshold: how a one-output model's output is read as a class (``nn.train``).
        epochs: how many epochs the run was meant to have (None: unknown).
        snapshots: epoch 0 (before training), then one per epoch trained.
    """

    names: list[str]
    layers: list[tuple[int, int, str]]
    network_svg: str
    points: list[list[float]] | None
    labels: list[float] | None
    threshold: float
    epochs: int | None
    snapshots: list[Snapshot] = field(default_factory=list)
    _weights_texts: list[str] = field(default_factory=list, repr=False, compare=False)

    def page_data(self) -> dict[str, Any]:
        """What the page's script reads, JSON-ready (numbers rounded to what a picture needs:
        weights to 4 significant digits, losses and accuracies to 6)."""
        data = self._page_data()
        return data | {"weights": [json.loads(w) for w in data["weights"]]}

    def _page_data(self) -> dict[str, Any]:
        return {
            "names": self.names,
            "layers": [list(layer) for layer in self.layers],
            "threshold": self.threshold,
            "total": self.epochs,
            "points": self.points,
            "labels": self.labels,
            **self._columns(),
        }

    def _columns(self, start: int = 0) -> dict[str, Any]:
        """The snapshots from ``start`` on as the page keeps them: a list per field (each
        snapshot's weights formatted once, then kept: a live view sends them twice)."""
        snapshots = self.snapshots[start:]
        texts = self._weights_texts
        for snapshot in self.snapshots[len(texts) :]:
            texts.append(_weights_json(snapshot.weights))
        return {
            "epochs": [s.epoch for s in snapshots],
            "weights": _Weights(texts[start:]),
            "loss": [_short(s.loss, 6) for s in snapshots],
            "accuracy": [_short(s.accuracy, 6) for s in snapshots],
            "valLoss": [_short(s.val_loss, 6) for s in snapshots],
            "valAccuracy": [_short(s.val_accuracy, 6) for s in snapshots],
        }

    def to_html(self, *, live: bool = False, view_id: str | None = None) -> str:
        """The view as an HTML fragment (for Jupyter; `to_page` wraps it in a page)."""
        payload = _json_for_html(self._page_data() | {"live": live})
        if view_id is None:
            digest = hashlib.sha256((payload + self.network_svg).encode("utf-8")).hexdigest()
            view_id = f"gg-training-{digest[:12]}"
        last = self.snapshots[-1].epoch if self.snapshots else 0
        fills = {
            "ID": view_id,
            "STYLE": _asset("training.css"),
            "SCRIPT": _asset("training.js"),
            "SVG": self.network_svg,
            "DATA": payload,
            "LAST": str(len(self.snapshots) - 1),
            "EPOCH": f"epoch {last}",
            "HIDE_BOUNDARY": "" if self.points is not None else " hidden",
        }
        # One pass over the template: what is filled in is never searched for markers.
        return re.sub(r"@([A-Z_]+)@", lambda m: fills[m.group(1)], _asset("training.html"))

    def to_page(self, title: str | None = None) -> str:
        """The standalone page that `save_html` writes, as text."""
        shown = title or f"Training {self.describe()}"
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(shown)}</title>\n"
            "<style>body { margin: 10px 16px; font-family: DejaVu Sans, Helvetica, Arial, "
            "sans-serif; } h1 { font-size: 18px; margin: 4px 0 8px; }</style>\n</head>\n"
            f"<body>\n<h1>{html.escape(shown)}</h1>\n{self.to_html()}\n</body>\n</html>\n"
        )

    def save_html(self, path: str | Path, *, title: str | None = None) -> Path:
        """Write the page that plays the run back to ``path``, atomically; return the path."""
        if not self.snapshots:
            raise ValueError("save_html: the recording has no snapshot")
        target = Path(path)
        write_atomically(target, self.to_page(title).encode("utf-8"), "save_html")
        return target

    def _repr_html_(self) -> str:
        """Jupyter shows the recording as the page's player (``history.recording``)."""
        return self.to_html()

    def describe(self) -> str:
        """The run in words, such as ``2 inputs → 16 relu → 1 linear, 40 epochs``."""
        stages = " → ".join(f"{nout} {activation}" for _, nout, activation in self.layers)
        epochs = self.snapshots[-1].epoch if self.snapshots else 0
        return f"{self.layers[0][0]} inputs → {stages}, {epochs} epochs"


class _Curves(Protocol):
    """What `TrainingView.add_epoch` reads: a `History` (``nn.train``) or the like."""

    loss: list[float]
    accuracy: list[float]
    val_loss: list[float]
    val_accuracy: list[float]


class TrainingView:
    """A training run, recorded as it goes and, in Jupyter, shown live (module docstring).

    Args:
        model: the MLP, Layer or Neuron being trained; its weights are read at each update.
        X: the training inputs; with two inputs the points are drawn on the boundary.
        y: the training labels.
        epochs: how many epochs are planned (the curves' x axis), if known.
        threshold: how a one-output model's output is read as a class; by default 0.5 for a
            sigmoid output, else 0 (as ``nn.train.default_threshold``).
        refresh: seconds between two live updates, at most (`DEFAULT_REFRESH` when None).
        live: True to show it live (in Jupyter; elsewhere it only records, with a warning),
            False to only record, None (the default) to show it when running in Jupyter.
    """

    def __init__(
        self,
        model: Module,
        X: Sequence[Sequence[Number]] | None = None,
        y: Sequence[Number] | None = None,
        *,
        epochs: int | None = None,
        threshold: float | None = None,
        refresh: float | None = None,
        live: bool | None = None,
    ) -> None:
        """See the class docstring."""
        try:
            layers = _layers_of(model)
        except TypeError:
            raise TypeError(
                "TrainingView (fit's record and live): the model must be an nn MLP, Layer or "
                f"Neuron, got {type(model).__name__}"
            ) from None
        refresh = DEFAULT_REFRESH if refresh is None else refresh
        if isinstance(refresh, bool) or not isinstance(refresh, int | float) or refresh < 0:
            raise ValueError(f"TrainingView: refresh must be a number >= 0, got {refresh!r}")
        if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int)):
            raise ValueError(f"TrainingView: epochs must be an int or None, got {epochs!r}")
        assert isinstance(model, MLP | Layer | Neuron)  # _layers_of checked it
        names = {id(p): name for name, p in model.named_parameters()}
        self._parameters: list[Parameter] = [
            p for neurons in layers for neuron in neurons for p in (*neuron.w, neuron.b)
        ]
        if threshold is None:
            threshold = 0.5 if layers[-1][0].activation == "sigmoid" else 0.0
        threshold = real(threshold, "TrainingView: threshold")
        self.recording = Recording(
            names=[names[id(p)] for p in self._parameters],
            layers=[(neurons[0].nin, len(neurons), neurons[0].activation) for neurons in layers],
            network_svg=draw_network(model).svg,
            points=None,
            labels=None,
            threshold=threshold,
            epochs=epochs,
        )
        if X is not None and y is not None:
            self.recording.points, self.recording.labels = _points(X, y, layers[0][0].nin)
        self.recording.snapshots.append(Snapshot(0, self._weights()))
        self._refresh = float(refresh)
        self._display = _LiveDisplay(self.recording) if _wants_live(live) else None

    @property
    def snapshots(self) -> list[Snapshot]:
        """The snapshots so far: epoch 0, then one per update."""
        return self.recording.snapshots

    def _weights(self) -> tuple[float, ...]:
        return tuple(p.data for p in self._parameters)

    def update(
        self,
        *,
        loss: float,
        accuracy: float,
        val_loss: float | None = None,
        val_accuracy: float | None = None,
    ) -> Snapshot:
        """Record the model as it is now as the next epoch, with that epoch's numbers
        (finite numbers; a ValueError naming the argument otherwise, and nothing recorded)."""
        numbers = [
            None if x is None else real(x, f"TrainingView.update: {name}")
            for name, x in (
                ("loss", loss),
                ("accuracy", accuracy),
                ("val_loss", val_loss),
                ("val_accuracy", val_accuracy),
            )
        ]
        if numbers[0] is None or numbers[1] is None:
            raise ValueError("TrainingView.update: loss and accuracy are needed")
        snapshot = Snapshot(self.snapshots[-1].epoch + 1, self._weights(), *numbers)
        self.snapshots.append(snapshot)
        if self._display is not None:
            self._display.send(self._refresh)
        return snapshot

    def add_epoch(self, history: _Curves) -> Snapshot:
        """`update` with the last epoch of ``history`` (a `History`): what ``fit`` calls."""
        return self.update(
            loss=history.loss[-1],
            accuracy=history.accuracy[-1],
            val_loss=history.val_loss[-1] if history.val_loss else None,
            val_accuracy=history.val_accuracy[-1] if history.val_accuracy else None,
        )

    def close(self) -> None:
        """Training is over: a live view becomes the whole recording (saved with the notebook)."""
        if self._display is not None:
            self._display.finish()
            self._display = None

    def save_html(self, path: str | Path, *, title: str | None = None) -> Path:
        """Write the recorded run as a standalone page (see `Recording.save_html`)."""
        return self.recording.save_html(path, title=title)

    def _repr_html_(self) -> str:
        return self.recording.to_html()

    def __repr__(self) -> str:
        return f"<TrainingView: {self.recording.describe()}>"


class _LiveDisplay:
    """The view in a Jupyter output cell, kept up to date through a second output.

    The first output holds the view; each update replaces the second one with a script that
    hands the new epochs to the view (``glassgradTraining.push``), so the view keeps its own
    state (paused, the epoch shown) between updates. `finish` puts the whole recording in the
    first output and empties the second.
    """

    def __init__(self, recording: Recording) -> None:
        self._ipython: Any = importlib.import_module("IPython.display")  # only in Jupyter
        self._recording = recording
        self._id = f"gg-training-live-{id(self):x}-{time.monotonic_ns():x}"
        self._sent = len(recording.snapshots)
        self._last = time.monotonic()
        self._show(recording.to_html(live=True, view_id=self._id), "view", update=False)
        self._show("", "feed", update=False)

    def _show(self, html: str, which: str, *, update: bool) -> None:
        # A raw bundle: IPython's formatters (a dozen per object) are skipped, which halves
        # the cost of an update in a kernel.
        self._ipython.display(
            {"text/html": html}, raw=True, display_id=f"{self._id}-{which}", update=update
        )

    def send(self, refresh: float) -> None:
        """Send the epochs not sent yet, unless the last update was under ``refresh`` ago."""
        now = time.monotonic()
        if now - self._last < refresh:
            return
        self._last = now
        self._push()

    def _push(self) -> None:
        payload = _json_for_html(self._recording._columns(self._sent))
        self._sent = len(self._recording.snapshots)
        script = (
            f"<script>window.glassgradTraining && "
            f"window.glassgradTraining.push({json.dumps(self._id)}, {payload});</script>"
        )
        self._show(script, "feed", update=True)

    def finish(self) -> None:
        """The whole recording in the view's place; the feed emptied."""
        self._show(self._recording.to_html(), "view", update=True)
        self._show("", "feed", update=True)


def _wants_live(live: bool | None) -> bool:
    """Whether to show a live view: asked for (or by default) and inside Jupyter."""
    if live is False:
        return False
    if _in_jupyter():
        return True
    if live:
        warnings.warn(
            "live=True shows the training view only in Jupyter; here the run is recorded "
            "instead: write it with history.save_html('training.html') and open that page",
            stacklevel=_callers_level(),
        )
    return False


def _callers_level() -> int:
    """The ``stacklevel`` of the first frame outside nn (the user's ``fit`` call, say)."""
    level, frame = 2, sys._getframe(2)
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("nn."):
        frame, level = frame.f_back, level + 1
    return level


def _in_jupyter() -> bool:
    """True inside a Jupyter kernel (an IPython shell with a kernel attached)."""
    ipython: Any = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def _points(
    X: Sequence[Sequence[Number]], y: Sequence[Number], nin: int
) -> tuple[list[list[float]] | None, list[float] | None]:
    """The training points to draw (two inputs only), evenly thinned to `MAX_POINTS`."""
    X, y = as_lists(X), as_lists(y)
    if nin != 2 or not X or len(X) != len(y):
        return None, None
    step = max(1, math.ceil(len(X) / MAX_POINTS))
    points = [[float(a), float(b)] for a, b in X[::step]]
    return points, [float(label) for label in y[::step]]


def _short(x: float | None, digits: int) -> float | None:
    """``x`` to ``digits`` significant digits (None for a missing or non-finite number)."""
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


class _Weights(list[str]):
    """Each snapshot's weights as JSON text, to 4 significant digits: `_json_for_html` puts
    them in as they are (formatted once, as text: most of a live update's cost)."""


def _weights_json(weights: Sequence[float]) -> str:
    return "[" + ",".join([f"{w:.4g}" if math.isfinite(w) else "null" for w in weights]) + "]"


def _json_for_html(data: dict[str, Any]) -> str:
    """JSON that is safe inside a <script> element (no "</script>" can end it early)."""
    weights = data.get("weights")
    if isinstance(weights, _Weights):
        data = data | {"weights": "@WEIGHTS@"}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e")
    if isinstance(weights, _Weights):  # numbers only: nothing in them needs escaping
        text = text.replace('"@WEIGHTS@"', "[" + ",".join(weights) + "]", 1)
    return text


@functools.cache
def _asset(name: str) -> str:
    """One of the page's files (``nn/training_page/``), as text (read once)."""
    return resources.files("nn").joinpath("training_page", name).read_text("utf-8")
