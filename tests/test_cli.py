"""The ``glassgrad`` command: demo writes its files, train runs on every data set, bad
arguments are one line and exit code 2."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import nn.cli.demo
import nn.io
from nn import MLP
from nn.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``glassgrad ARGS`` in this process; return (exit code, stdout, stderr)."""
    try:
        code = main(args)
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_writes_its_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    out_dir = tmp_path / "out"
    code, out, err = run(["demo", "--out", str(out_dir)], capsys)
    assert code == 0, err
    accuracy = float(out.split("training accuracy ")[1].split("%")[0])
    assert accuracy >= 95.0
    assert (out_dir / "loss.png").read_bytes().startswith(PNG)
    assert (out_dir / "decision_boundary.png").read_bytes().startswith(PNG)
    svg = (out_dir / "graph.svg").read_text()
    assert "<svg" in svg and "relu(w·x+b)" in svg and "layers.0.neurons.0" in svg
    page = (out_dir / "backward_steps.html").read_text()
    assert page.lstrip().lower().startswith("<!doctype html") and "<svg" in page
    # The README's sizes of the 2-4-4-1 network's drawings (the 2-16-16-1 network's page
    # would be 0.8 MB), within 15%.
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    page_kb = re.search(r"the neuron of each step outlined \(about (\d+) KB\)", readme)
    svg_kb = re.search(r"the computation graph of that loss \(about (\d+) KB\)", readme)
    assert page_kb is not None and svg_kb is not None
    assert abs(len(page.encode()) / 1000 / int(page_kb.group(1)) - 1) < 0.15
    assert abs(len(svg.encode()) / 1000 / int(svg_kb.group(1)) - 1) < 0.15
    assert "<svg" in (out_dir / "network.svg").read_text()
    assert (out_dir / "graph.dot").read_text().startswith("digraph")
    for name in (
        "loss.png",
        "decision_boundary.png",
        "network.svg",
        "graph.dot",
        "graph.svg",
        "backward_steps.html",
    ):
        assert f"wrote {out_dir / name}" in out
    assert not (out_dir / "viz-global.js").exists()  # with dot, dot draws the page's graph


def _quick_training(model: MLP, X: Any, y: Any, progress: bool) -> Any:
    from nn import fit, optim

    return fit(
        model,
        X,
        y,
        loss="hinge",
        optimizer=optim.SGD(model.parameters(), lr=0.1),
        epochs=2,
        progress=False,
    )


@pytest.mark.parametrize("copy", [b"/* viz-global.js */", None], ids=["copy", "no-copy"])
def test_demo_without_dot_writes_the_rest_and_says_what_needs_graphviz(
    copy: bytes | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every file but graph.svg; the page draws its graph in the browser, with viz-global.js
    beside it when the package holds a copy (``copy``), else from the CDN."""
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(nn.cli.demo, "train_like_micrograd", _quick_training)  # keep it fast
    monkeypatch.setattr(nn.cli.demo, "local_viz_script", lambda: copy)
    empty = tmp_path / "no-programs-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # graphviz runs `dot` through PATH
    out_dir = tmp_path / "out"
    code, out, err = run(["demo", "--out", str(out_dir)], capsys)
    assert code == nn.cli.demo.WITHOUT_DOT == 3
    written = ["backward_steps.html", "decision_boundary.png", "graph.dot", "loss.png"]
    written += ["network.svg", *(["viz-global.js"] if copy else [])]
    assert sorted(path.name for path in out_dir.iterdir()) == written
    for path in out_dir.iterdir():
        assert f"wrote {path}" in out
    assert (out_dir / "loss.png").read_bytes().startswith(PNG)
    assert "<svg" in (out_dir / "network.svg").read_text()
    source = (out_dir / "graph.dot").read_text()
    assert source.startswith("digraph") and "relu(w·x+b)" in source
    page = (out_dir / "backward_steps.html").read_text()
    assert page.lstrip().lower().startswith("<!doctype html")
    assert '"dot":"digraph' in page and 'data-testid="graph-note"' in page
    assert ('{"src":"viz-global.js"}' in page) == bool(copy)
    if copy:
        assert (out_dir / "viz-global.js").read_bytes() == copy
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("glassgrad demo: graph.svg was not written: drawing it needs")
    where = "viz-global.js, written beside it" if copy else "a script from cdn.jsdelivr.net"
    assert f"backward_steps.html draws its graph in the browser instead, with {where}" in err
    assert "apt-get install graphviz" in err
    assert f"dot -Tsvg {out_dir / 'graph.dot'} -o {out_dir / 'graph.svg'}" in err


@pytest.mark.parametrize(
    ("data_set", "outputs"),
    [("xor", 1), ("moons", 1), ("circles", 1), ("spirals", 3), ("blobs", 3)],
)
def test_train_runs_on_every_data_set(
    data_set: str, outputs: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "model.json"
    code, out, err = run(
        [
            "train",
            "--data",
            data_set,
            "--samples",
            "40",
            "--hidden",
            "4",
            "--epochs",
            "2",
            "--seed",
            "1",
            "--no-progress",
            "--save",
            str(path),
        ],
        capsys,
    )
    assert code == 0, err
    assert "training accuracy" in out
    assert ("test accuracy" in out) == (data_set != "xor")
    model = nn.io.load(path)
    assert model.nouts == [4, outputs]


@pytest.mark.parametrize("loss", ["bce", "hinge", "mse"])
def test_train_with_each_binary_loss_and_sgd(
    loss: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        [
            "train",
            "--data",
            "moons",
            "--samples",
            "30",
            "--loss",
            loss,
            "--optimizer",
            "sgd",
            "--lr",
            "0.1",
            "--momentum",
            "0.5",
            "--l2",
            "0.001",
            "--batch-size",
            "8",
            "--epochs",
            "2",
            "--no-progress",
        ],
        capsys,
    )
    assert code == 0, err
    assert f"{loss} loss" in out


@pytest.mark.parametrize("activation", ["leaky_relu", "elu", "gelu", "silu", "softplus"])
def test_train_takes_every_activation(activation: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["train", "--data", "xor", "--hidden", "3", "--activation", activation]
    code, out, err = run([*argv, "--epochs", "2", "--no-progress"], capsys)
    assert code == 0, err
    assert "training accuracy" in out


def test_train_writes_plots(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    code, _, err = run(
        [
            "train",
            "--data",
            "blobs",
            "--samples",
            "30",
            "--epochs",
            "2",
            "--no-progress",
            "--plots",
            str(tmp_path / "plots"),
        ],
        capsys,
    )
    assert code == 0, err
    assert (tmp_path / "plots" / "loss.png").read_bytes().startswith(PNG)
    assert (tmp_path / "plots" / "decision_boundary.png").read_bytes().startswith(PNG)


BAD_ARGUMENTS = [
    (["train", "--lr", "-1"], "argument --lr: must be in (0, 10], got -1"),
    (["train", "--lr", "1e6"], "argument --lr: must be in (0, 10], got 1e6"),
    (["train", "--noise", "1e308"], "argument --noise: must be in [0, 10], got 1e308"),
    (["train", "--noise", "1e309"], "argument --noise: '1e309': expected a finite number, got inf"),
    (["train", "--hidden", "20000,20000"], "a layer of 20,000 neurons is too wide"),
    (["train", "--hidden", "1,1,1,1,1,1,1,1,1,1,1"], "11 hidden layers: at most 10"),
    (["train", "--hidden", "500,500"], "makes 252,501 parameters, more than 200,000"),
    (["train", "--samples", "100000000"], "--samples: expected a sample count from 1 to 20,000"),
    (["train", "--data", "spirals", "--classes", "1000"], "a class count from 2 to 10"),
    (
        ["train", "--samples", "20000", "--hidden", "100,100", "--test-fraction", "0.01"],
        "one training step would build 3,979,800 neuron nodes",
    ),
    (["train", "--lr", "abc"], "argument --lr: expected a number, got 'abc'"),
    (["train", "--lr", "nan"], "expected a finite number"),
    (["train", "--data", "mnist"], "argument --data: invalid choice: 'mnist'"),
    (["train", "--hidden", "16,x"], "invalid layer sizes '16,x'"),
    (["train", "--hidden", "16,0"], "invalid layer sizes '16,0'"),
    (["train", "--epochs", "0"], "argument --epochs: expected an epoch count from 1 to"),
    (["train", "--epochs", "x"], "argument --epochs: expected a whole number, got 'x'"),
    (["train", "--test-fraction", "1.5"], "must be in (0, 1), got 1.5"),
    (["train", "--optimizer", "rmsprop"], "invalid choice: 'rmsprop'"),
    (
        ["train", "--data", "spirals", "--loss", "hinge"],
        "--loss hinge needs two classes; spirals has 3",
    ),
    (["train", "--optimizer", "sgd", "--momentum", "1"], "--momentum: must be in [0, 1), got 1"),
    (["train", "--unknown"], "unrecognized arguments: --unknown"),
    (["train", "--data", "blobs", "--classes", "1"], "--classes: expected a class count from 2"),
    (["train", "--samples", "1"], "moons: n must be an int >= 2"),
    (["train", "--samples", "3", "--test-fraction", "0.1"], "leaves one part empty"),
    (["demo", "--out"], "argument --out: expected one argument"),
    ([], "the following arguments are required: COMMAND"),
    (["fly"], "invalid choice: 'fly'"),
]


@pytest.mark.parametrize(
    ("args", "message"), BAD_ARGUMENTS, ids=[" ".join(a[0]) or "none" for a in BAD_ARGUMENTS]
)
def test_bad_arguments_are_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(args, capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("glassgrad")
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", [[], ["demo"], ["train"], ["graph"]])
def test_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([*command, "--help"], capsys)
    assert code == 0
    assert out.startswith("usage: glassgrad")


def test_a_runtime_failure_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = run(
        [
            "train",
            "--data",
            "xor",
            "--epochs",
            "1",
            "--no-progress",
            "--save",
            str(blocker / "m.json"),
        ],
        capsys,
    )
    assert code == 1
    assert err.startswith("glassgrad train: error: ") and err.count("\n") == 1


def test_python_dash_m_nn(tmp_path: Path) -> None:
    path = tmp_path / "xor.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nn",
            "train",
            "--data",
            "xor",
            "--epochs",
            "3",
            "--save",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    assert json.loads(path.read_text())["architecture"]["nouts"] == [16, 16, 1]
    bad = subprocess.run(
        [sys.executable, "-m", "nn", "train", "--lr", "-1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


def test_demo_draws_the_gradients_of_one_sample_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import autograd.viz
    from autograd import Value
    from nn import data, losses

    X, labels = data.moons(20, seed=0)
    y = [2 * t - 1 for t in labels]
    model = MLP(2, [3, 1], seed=0)
    for p in model.parameters():
        p.grad = 123.0  # what training leaves behind
    drawn: list[float] = []
    real_draw_dot = autograd.viz.draw_dot

    def spy(root: Value, **options: Any) -> Any:
        drawn.extend(p.grad for p in model.parameters())
        return real_draw_dot(root, **options)

    monkeypatch.setattr(autograd.viz, "draw_dot", spy)
    nn.cli.demo.draw_one_sample(model, X, y)
    assert all(p.grad == 0.0 for p in model.parameters())  # cleaned up afterwards

    fresh = MLP(2, [3, 1], seed=0)
    margins = [fresh(x).data * t for x, t in zip(X, y, strict=True)]  # type: ignore[union-attr]
    i = margins.index(min(margins))
    losses.hinge([fresh(X[i])], [y[i]]).backward()  # type: ignore[list-item]
    assert drawn == [p.grad for p in fresh.parameters()]


# -- output paths: checked before the work, never anything but a regular file replaced --------

posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs and links")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is missing")
QUICK_TRAIN = ["train", "--data", "xor", "--epochs", "1", "--no-progress"]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and re.fullmatch(r"glassgrad \d+\.\d+\.\d+\S*\n", out)


def test_a_missing_save_directory_fails_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "nonexistent" / "m.json"
    code, out, err = run([*QUICK_TRAIN, "--save", str(target)], capsys)
    assert code == 1 and out == ""  # nothing printed: training never started
    assert err == f"glassgrad train: error: --save: directory {target.parent} does not exist\n"


@posix_only
def test_a_fifo_as_save_is_refused_before_training_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "null"  # stands in for /dev/null, which a test must never touch
    os.mkfifo(fifo)
    code, out, err = run([*QUICK_TRAIN, "--save", str(fifo)], capsys)
    assert code == 1 and out == ""
    assert err == (
        f"glassgrad train: error: --save: {fifo} is a FIFO (named pipe): refusing to replace it\n"
    )
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_plots_into_a_file_fail_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "plots"
    blocker.write_text("keep me")
    save = tmp_path / "m.json"
    code, out, err = run([*QUICK_TRAIN, "--save", str(save), "--plots", str(blocker)], capsys)
    assert code == 1 and out == "" and "--plots" in err and "not a directory" in err
    assert blocker.read_text() == "keep me" and not save.exists()


@posix_only
def test_save_through_a_symlink_updates_the_target_and_keeps_its_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    real.chmod(0o600)
    link = tmp_path / "model.json"
    link.symlink_to(real)
    code, _, err = run([*QUICK_TRAIN, "--save", str(link)], capsys)
    assert code == 0, err
    assert link.is_symlink() and json.loads(real.read_text())["format"] == "glassgrad-model"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


@posix_only
def test_a_hard_linked_save_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = tmp_path / "a.json"
    first.write_text("old")
    os.link(first, tmp_path / "b.json")
    code, _, err = run([*QUICK_TRAIN, "--save", str(first)], capsys)
    assert code == 1 and "2 hard links" in err
    assert (tmp_path / "b.json").read_text() == "old" == first.read_text()


@posix_only
def test_demo_refuses_a_fifo_in_its_directory_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    os.mkfifo(out_dir / "graph.svg")
    code, out, err = run(["demo", "--out", str(out_dir)], capsys)
    assert code == 1 and out == "" and "graph.svg is a FIFO" in err
    assert sorted(p.name for p in out_dir.iterdir()) == ["graph.svg"]


def test_losses_are_printed_with_four_significant_digits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run([*QUICK_TRAIN, "--lr", "10", "--optimizer", "sgd"], capsys)
    assert code == 0, err
    loss = out.split("final loss ")[1].split(",")[0]
    assert loss == f"{float(loss):.4g}"


def test_save_onto_a_plot_is_refused_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plots = tmp_path / "plots"
    code, out, err = run(
        [*QUICK_TRAIN, "--save", str(plots / "loss.png"), "--plots", str(plots)], capsys
    )
    assert code == 2 and out == "" and "is one of the pictures --plots writes" in err
    assert not plots.exists()
