"""The third audit's defects, each with the test that showed it (issue 21).

Threads sharing a graph, a Ctrl-C inside an optimizer step, graphs with a cycle, a sum whose
partial sums overflow, an op whose operand changed before backward(), the course's checkers
and a rule without g, and the file handling of ``save``, ``load_parameters`` and
``glassgrad train``.
"""

from __future__ import annotations

import copy
import json
import math
import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import nn.optim
from autograd import Value, define_op, grad, topological_order
from autograd import backward as reference
from autograd.files import write_atomically
from autograd.functions import exp
from nn import MLP, exercises, io
from nn.cli import main

ENGINES: dict[str, Callable[[Value, float], None]] = {
    "reference": reference.backward,
}

# -- backward() from two threads on one graph --------------------------------------------------


@pytest.fixture
def switch_often() -> Iterator[None]:
    """Make Python switch threads every microsecond, so that races show."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def wide_graph() -> tuple[Value, list[Value]]:
    leaves = [Value(0.001 * i, label=f"x{i}") for i in range(300)]
    total = leaves[0]
    for x in leaves[1:]:
        total = total + (x * x).tanh() * x
    return total, leaves


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.usefixtures("switch_often")
def test_two_threads_each_add_their_whole_pass(engine: str) -> None:
    run = ENGINES[engine]
    root, leaves = wide_graph()
    run(root, 1.0)
    once = [x.grad for x in leaves]
    for _ in range(5):
        for node in topological_order(root):
            node.grad = 0.0
        start = threading.Barrier(2)

        def one_pass(start: threading.Barrier) -> None:
            start.wait()
            run(root, 1.0)

        threads = [threading.Thread(target=one_pass, args=(start,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [x.grad for x in leaves] == [2 * g for g in once]


# -- a Ctrl-C at any moment of an optimizer step -----------------------------------------------


def interrupted_at(line: int, step: Callable[[], None]) -> bool:
    """Run ``step`` with a KeyboardInterrupt raised at its ``line``-th line in nn/optim.py;
    return whether it was interrupted (False: the step ended before that line)."""
    count = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
            if count == line:
                raise KeyboardInterrupt
        return local

    def calls(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename == nn.optim.__file__ else None

    sys.settrace(calls)
    try:
        step()
    except KeyboardInterrupt:
        return True
    finally:
        sys.settrace(None)
    return False


def optimizer_state(optimizer: nn.optim.Optimizer) -> tuple[Any, ...]:
    state = [getattr(optimizer, name, None) for name in ("velocity", "m", "v")]
    return ([p.data for p in optimizer.params], *[copy.copy(s) for s in state], optimizer.steps)


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: nn.optim.SGD(ps, lr=0.1),
        lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
        lambda ps: nn.optim.Adam(ps, lr=0.01, weight_decay=0.01),
    ],
    ids=["sgd", "momentum", "adam"],
)
def test_a_ctrl_c_anywhere_in_a_step_leaves_all_stepped_or_none(make: Any) -> None:
    def fresh() -> nn.optim.Optimizer:
        model = MLP(2, [3, 1], seed=0)
        optimizer = make(model.parameters())
        for k, p in enumerate(model.parameters()):
            p.grad = 0.1 * (k % 5) - 0.2
        optimizer.step()  # some state to keep
        for k, p in enumerate(model.parameters()):
            p.grad = 0.05 * (k % 3) + 0.01
        return optimizer

    whole = fresh()
    before = optimizer_state(whole)
    whole.step()
    after = optimizer_state(whole)
    assert before != after
    line, interrupted = 0, True
    while interrupted:
        line += 1
        optimizer = fresh()
        interrupted = interrupted_at(line, optimizer.step)
        assert optimizer_state(optimizer) in (before, after), f"interrupted at line {line}"
    assert line > 20  # the step really was interrupted at many places


# -- graphs with a cycle ----------------------------------------------------------------------


def cycles() -> dict[str, Value]:
    """Graphs whose .parents were edited into a cycle, by the cycle's length."""
    x = Value(1.0, label="x")
    itself = x + 1.0
    itself.parents = (itself,)
    a = x * 2.0
    b = a + x
    a.parents = (b,)
    c = (x.exp() * x).tanh() + x
    longer = c * c
    inner = c.parents[0]  # tanh
    inner.parents[0].parents = (longer, x)  # exp(x) * x now reads longer
    return {"itself": itself, "two": b, "longer": longer}


@pytest.mark.parametrize("name", ["itself", "two", "longer"])
@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_backward_refuses_a_cycle_naming_a_node_on_it(name: str, engine: str) -> None:
    root = cycles()[name]
    with pytest.raises(ValueError, match=r"the graph has a cycle: the '.' node .* depends on it"):
        ENGINES[engine](root, 1.0)


def test_a_cycle_through_a_neuron_is_refused() -> None:
    model = MLP(2, [2, 1], seed=0)
    x = Value(0.5, label="x")
    z = x * 1.0
    out = model([z, x])
    assert isinstance(out, Value)
    z.parents = (out,)  # the network's output feeds its own input
    for run in ENGINES.values():
        with pytest.raises(ValueError, match="the graph has a cycle"):
            run(out, 1.0)


@pytest.mark.parametrize("name", ["itself", "two", "longer"])
def test_grad_drawing_and_pickling_refuse_a_cycle(name: str) -> None:
    root = cycles()[name]
    for attempt in (
        lambda: grad(root, [root]),
        lambda: grad(root, [root], create_graph=True),
        lambda: pickle.dumps(root),
        lambda: copy.deepcopy(root),
        lambda: topological_order(root),
    ):
        with pytest.raises(ValueError, match="the graph has a cycle"):
            attempt()


def test_drawing_refuses_a_cycle() -> None:
    pytest.importorskip("graphviz")
    from autograd.viz import draw_dot

    with pytest.raises(ValueError, match="the graph has a cycle"):
        draw_dot(cycles()["two"])


# -- Value.sum whose partial sums overflow ----------------------------------------------------


def test_a_sum_is_the_same_in_any_order_of_its_terms() -> None:
    terms = [1e308, 1e308, -1e308]
    for order in ([0, 1, 2], [0, 2, 1], [2, 0, 1], [1, 2, 0]):
        assert Value.sum([terms[i] for i in order]).data == 1e308
    assert Value.sum([1e308, 1e308, -1e308, 2.5, -1e308]).data == 2.5
    with pytest.raises(OverflowError, match="sum: the result is too large"):
        Value.sum([1e308, 1e308])


# -- an operand changed between the forward pass and backward() -------------------------------


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_a_changed_operand_is_reported_naming_the_op(engine: str) -> None:
    x = Value(4.0, label="x")
    y = x**1.5 + x
    x.data = -1.0
    with pytest.raises(ValueError, match=r"\*\*: the derivative of the '\*\*' node .* changed"):
        ENGINES[engine](y, 1.0)
    assert x.grad == 0.0 and y.grad == 0.0
    with pytest.raises(ValueError, match=r"\*\*: .* not a real number"):
        grad(y, [x])


# -- both sweeps name the same node in an overflow error -------------------------------------


def test_both_sweeps_name_the_same_node_in_an_overflow_error() -> None:
    # v's gradient overflows (2e308), and so, below it, do u's and x's: each sweep names v,
    # the node nearest the root, where the overflow starts.
    messages = set()
    for run in ENGINES.values():
        x = Value(1.0, label="x")
        u = x * 2.0
        u.label = "u"
        v = u * 1e-300
        v.label = "v"
        y = v * 1e308 + v * 1e308
        with pytest.raises(OverflowError) as error:
            run(y, 1.0)
        messages.add(str(error.value))
    assert messages == {"backward: the gradient of '*' node 'v' (data 2e-300) is inf"}


# -- the course's checkers and a rule that forgets g -----------------------------------------


def test_the_course_checkers_reject_a_rule_without_g(capsys: pytest.CaptureFixture[str]) -> None:
    # Lesson 02, exercise 4 (exp) and S1, exercise 3 (sinh), as a learner who forgot g writes
    # them; the same rules with g are right.
    forgot = define_op("my_exp", math.exp, lambda g, out, x: (out,))
    assert not exercises.check_gradient(forgot, math.exp, [-1.0, 0.0, 2.5], what="exp's rule")
    assert "does not scale with the upstream gradient g" in capsys.readouterr().out
    right = define_op("my_exp", math.exp, lambda g, out, x: (g * out,))
    assert exercises.check_gradient(right, math.exp, [-1.0, 0.0, 2.5], what="exp's rule")

    def cosh(x: Any) -> Any:
        return (exp(x) + exp(-x)) / 2

    forgot = define_op("my_sinh", math.sinh, lambda g, out, x: (cosh(x),))
    assert not exercises.check_gradient(forgot, math.sinh, [-2.0, 0.0, 0.7, 3.0], what="sinh")
    assert "✗ sinh" in capsys.readouterr().out
    right = define_op("my_sinh", math.sinh, lambda g, out, x: (g * cosh(x),))
    assert exercises.check_gradient(right, math.sinh, [-2.0, 0.0, 0.7, 3.0], what="sinh")


# -- files ------------------------------------------------------------------------------------


def name_max(directory: Path) -> int:
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):
        return 255


def test_save_works_for_every_name_open_accepts(tmp_path: Path) -> None:
    longest = name_max(tmp_path)
    for name in ("m" * longest, "é" * (longest // 2)):  # é is two bytes in UTF-8
        path = tmp_path / name
        with open(path, "w"):  # open() accepts the name
            pass
        io.save(MLP(2, [1], seed=0), path)
        assert io.load(path).architecture() == MLP(2, [1], seed=0).architecture()
    write_atomically(tmp_path / ("n" * longest), b"new file")
    assert sorted(p.name[:1] for p in tmp_path.iterdir()) == ["m", "n", "é"]  # no leftovers


def test_a_model_file_over_the_limit_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.json"
    with open(path, "wb") as file:
        file.truncate(io.LARGEST_FILE + 1)  # sparse: no disk used
    opened: list[Any] = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda *a, **k: opened.append(a) or real_open(*a, **k))
    with pytest.raises(ValueError, match=f"{io.LARGEST_FILE + 1} bytes, more than"):
        io.load(path)
    assert opened == []


def test_load_parameters_names_the_path_once(tmp_path: Path) -> None:
    model = MLP(2, [1], seed=0)
    path = tmp_path / "model.json"
    io.save(model, path)
    document = json.loads(path.read_text())
    document["parameters"]["layers.0.neurons.0.b"] = "x"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="must be a number") as error:
        io.load_parameters(model, path)
    assert str(error.value).count(str(path)) == 1, str(error.value)


# -- glassgrad train with one path for two outputs --------------------------------------------

QUICK = ["train", "--data", "xor", "--epochs", "1", "--hidden", "2", "--no-progress"]


@pytest.mark.parametrize(
    ("save", "plots"),
    [("out.json", "out.json"), ("out", "out/pictures"), ("a/../out", "out")],
)
def test_train_refuses_one_path_for_two_outputs_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], save: str, plots: str
) -> None:
    pytest.importorskip("matplotlib")
    (tmp_path / "a").mkdir()
    with pytest.raises(SystemExit) as exit:
        main([*QUICK, "--save", str(tmp_path / save), "--plots", str(tmp_path / plots)])
    out, err = capsys.readouterr()
    assert exit.value.code == 2
    assert out == ""  # refused before training: nothing printed about it
    assert "give each output its own path" in err
    assert err.count("glassgrad train:") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]  # no directory left behind


def test_a_failed_write_leaves_no_directory_and_one_prefix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from autograd.files import OutputPathError
    from nn.cli import outputs

    blocker = tmp_path / "blocker"
    blocker.mkdir()  # a directory where a file must go: found only when writing
    with pytest.raises(OutputPathError, match="is a directory"):
        outputs.write_outputs({tmp_path / "new" / "deeper" / "a.txt": b"a", blocker: b"b"}, "w")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]

    def full_disk(files: Any, what: str) -> None:
        raise OutputPathError(f"{what}: no space left on the device")

    monkeypatch.setattr(outputs, "write_files", full_disk)
    code = main([*QUICK, "--save", str(tmp_path / "model.json")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("glassgrad train") == 1, err
    assert "writing the results: no space left" in err
