"""nn.plot: training curves and decision boundaries, returned as figures and saved as files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nn import MLP, History, data

pytest.importorskip("matplotlib")

from nn.plot import plot_decision_boundary, plot_history

PNG = b"\x89PNG\r\n\x1a\n"


def test_history_plot(tmp_path: Path) -> None:
    history = History(loss=[1.0, 0.5, 0.2], accuracy=[0.5, 0.8, 0.9])
    figure = plot_history(history)
    loss_axes, accuracy_axes = figure.axes
    assert len(loss_axes.lines) == 1 and list(loss_axes.lines[0].get_ydata()) == [1.0, 0.5, 0.2]
    assert accuracy_axes.get_ylabel() == "accuracy"
    history.val_loss[:] = [1.1, 0.7, 0.4]
    history.val_accuracy[:] = [0.4, 0.7, 0.8]
    path = tmp_path / "loss.png"
    figure = plot_history(history, path)
    assert [len(axes.lines) for axes in figure.axes] == [2, 2]
    assert path.read_bytes().startswith(PNG)
    with pytest.raises(ValueError, match="empty"):
        plot_history(History())


def test_decision_boundary_of_a_one_output_model(tmp_path: Path) -> None:
    X, y = data.moons(30, seed=0)
    model = MLP(2, [4, 1], seed=0)
    path = tmp_path / "boundary.svg"
    figure = plot_decision_boundary(model, X, y, path, resolution=12)
    assert path.read_text().lstrip().startswith("<?xml")
    (axes,) = figure.axes
    assert axes.get_title() == "decision boundary"
    points = axes.collections[-1]
    assert len(points.get_offsets()) == 30
    assert list(points.get_array()) == y  # coloured by label
    minus_plus = plot_decision_boundary(model, X, [2 * t - 1 for t in y], resolution=5)
    assert list(minus_plus.axes[0].collections[-1].get_array()) == y


def test_decision_boundary_of_a_multi_class_model(tmp_path: Path) -> None:
    X, y = data.blobs(30, centers=3, seed=0)
    path = tmp_path / "boundary.png"
    plot_decision_boundary(MLP(2, [4, 3], seed=0), X, y, path, resolution=10)
    assert path.read_bytes().startswith(PNG)


def test_decision_boundary_errors() -> None:
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match="2-D"):
        plot_decision_boundary(MLP(3, [1], seed=0), [[0.0, 0.0, 0.0]], [1])
    with pytest.raises(ValueError, match="resolution"):
        plot_decision_boundary(model, [[0.0, 0.0]], [1], resolution=1)
    with pytest.raises(ValueError, match="2 points and 1 labels"):
        plot_decision_boundary(model, [[0.0, 0.0]] * 2, [1])


def test_importing_nn_loads_no_plotting_or_progress_library() -> None:
    code = (
        "import sys, nn, nn.plot, nn.io, nn.train\n"
        "print(sorted({'matplotlib', 'tqdm', 'graphviz'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
