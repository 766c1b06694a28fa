"""Plots: training curves from a `History` and the decision boundary of a 2-D classifier.

matplotlib is imported inside the functions, so ``import nn`` stays light. The functions build
a ``matplotlib.figure.Figure`` directly rather than through ``pyplot``: no global figure state,
no GUI backend needed (saving uses Agg), and nothing to close afterwards. In Jupyter the
returned figure displays itself; pass ``path`` to also save it (PNG, SVG or PDF, chosen by
the file's suffix), atomically.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from autograd import Value, no_grad
from autograd.files import write_atomically
from nn.module import Module
from nn.train import History, default_threshold, predict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_decision_boundary", "plot_history"]

Number = int | float

# The ends of matplotlib's "coolwarm" colour map, used for the two classes of a binary model.
_SHADES = ["#3b4cc0", "#b40426"]


def _output_value(output: Value | list[Value]) -> float:
    assert isinstance(output, Value)
    return output.data


def _save(figure: Figure, path: str | Path | None) -> None:
    if path is None:
        return
    suffix = Path(path).suffix.lower().lstrip(".") or "png"
    buffer = io.BytesIO()
    figure.savefig(buffer, format=suffix, dpi=120)
    write_atomically(path, buffer.getvalue())


def plot_history(history: History, path: str | Path | None = None) -> Figure:
    """Loss (left) and accuracy (right) per epoch, for training and, if any, validation."""
    from matplotlib.figure import Figure

    if not len(history):
        raise ValueError("plot_history: the history is empty (no epoch was recorded)")
    figure = Figure(figsize=(9, 3.5), layout="constrained")
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    epochs = range(1, len(history) + 1)
    for axes, train, validation, name in (
        (loss_axes, history.loss, history.val_loss, "loss"),
        (accuracy_axes, history.accuracy, history.val_accuracy, "accuracy"),
    ):
        axes.plot(epochs, train, label="training")
        if validation:
            axes.plot(epochs, validation, label="validation")
        axes.set_xlabel("epoch")
        axes.set_ylabel(name)
        axes.grid(alpha=0.3)
        axes.legend()
    accuracy_axes.set_ylim(-0.02, 1.02)
    _save(figure, path)
    return figure


def plot_decision_boundary(
    model: Module,
    X: Sequence[Sequence[Number]],
    y: Sequence[Number],
    path: str | Path | None = None,
    *,
    resolution: int = 60,
    threshold: float | None = None,
) -> Figure:
    """The regions a 2-input classifier assigns to each class, with the data points on top.

    The model is evaluated (under ``no_grad``) on a ``resolution`` x ``resolution`` grid
    covering the data with a margin; each grid point is coloured by its predicted class (see
    `nn.train` for how outputs become classes; ``threshold`` overrides the default for a
    one-output model). The points are coloured by their label, so misclassified points stand
    out against their region.
    """
    from matplotlib.figure import Figure

    if len(X) != len(y) or not X:
        raise ValueError(f"plot_decision_boundary: {len(X)} points and {len(y)} labels")
    if any(len(point) != 2 for point in X):
        raise ValueError("plot_decision_boundary: the points must be 2-D")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(
            f"plot_decision_boundary: resolution must be an int >= 2, got {resolution!r}"
        )
    cut = default_threshold(model) if threshold is None else threshold
    xs, ys = [p[0] for p in X], [p[1] for p in X]
    margin_x = 0.1 * (max(xs) - min(xs)) + 0.25
    margin_y = 0.1 * (max(ys) - min(ys)) + 0.25
    x0, x1 = min(xs) - margin_x, max(xs) + margin_x
    y0, y1 = min(ys) - margin_y, max(ys) + margin_y
    grid_x = [x0 + (x1 - x0) * i / (resolution - 1) for i in range(resolution)]
    grid_y = [y0 + (y1 - y0) * j / (resolution - 1) for j in range(resolution)]
    with no_grad():
        outputs = [[model([gx, gy]) for gx in grid_x] for gy in grid_y]
        first = model(X[0])
    figure = Figure(figsize=(5, 4.5), layout="constrained")
    axes = figure.subplots()
    if isinstance(first, Value):
        # One output: shade where it is above the threshold, with the boundary drawn as the
        # contour line output == threshold (interpolated, so it is smooth between grid points).
        # Labels may be 0/1 or -1/+1: a point is coloured as positive when its label is > 0.
        scores = [[_output_value(v) for v in row] for row in outputs]
        low, high = min(map(min, scores)), max(map(max, scores))
        levels = [min(low, cut) - 1.0, cut, max(high, cut) + 1.0]
        colours = [1 if label > 0 else 0 for label in y]
        count = 2
        axes.contourf(grid_x, grid_y, scores, levels=levels, colors=_SHADES[:2], alpha=0.35)
        axes.contour(grid_x, grid_y, scores, levels=[cut], colors="black", linewidths=1.0)
    else:
        classes = [[predict(v, cut) for v in row] for row in outputs]
        colours = [int(label) for label in y]
        count = max(len(first), max(colours) + 1)
        levels = [k - 0.5 for k in range(count + 1)]
        axes.contourf(
            grid_x,
            grid_y,
            classes,
            levels=levels,
            cmap="coolwarm",
            vmin=-0.5,
            vmax=count - 0.5,
            alpha=0.35,
        )
    axes.scatter(
        xs, ys, c=colours, cmap="coolwarm", vmin=-0.5, vmax=count - 0.5, s=24, edgecolors="black"
    )
    axes.set_xlim(x0, x1)
    axes.set_ylim(y0, y1)
    axes.set_xlabel("x1")
    axes.set_ylabel("x2")
    axes.set_title("decision boundary")
    _save(figure, path)
    return figure
