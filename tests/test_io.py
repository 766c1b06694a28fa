"""nn.io: exact round trips, refusal of broken files with nothing changed, atomic writes."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import nn.io
from nn import MLP, Layer, Module, Neuron
from nn.io import load, load_parameters, save


def trained_like(model: Module) -> Module:
    """Give the parameters awkward floats that only an exact format survives."""
    awkward = [0.1 + 0.2, 1e-300, 5e-324, -1.7976931348623157e308, 1 / 3, -0.0, 123456789.123456789]
    for i, p in enumerate(model.parameters()):
        p.data = awkward[i % len(awkward)] * (1 if i % 2 else -1)
    return model


@pytest.mark.parametrize(
    "make",
    [
        lambda: MLP(2, [16, 16, 1], seed=0),
        lambda: MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=1),
        lambda: Layer(3, 2, "sigmoid", seed=0),
        lambda: Neuron(4, "linear", seed=0),
    ],
)
def test_exact_round_trip(tmp_path: Path, make: Callable[[], Module]) -> None:
    model = trained_like(make())
    path = tmp_path / "model.json"
    save(model, path)
    loaded = load(path)
    assert type(loaded) is type(model)
    assert loaded.architecture() == model.architecture()
    original, restored = model.state_dict(), loaded.state_dict()
    assert list(restored) == list(original)
    assert all(restored[k].hex() == original[k].hex() for k in original)  # bit for bit, -0.0 too


def test_file_format(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    save(MLP(2, [3, 1], seed=0), path)
    document = json.loads(path.read_text())
    assert document["format"] == "glassgrad-model" and document["version"] == 1
    assert document["architecture"] == {
        "type": "MLP",
        "nin": 2,
        "nouts": [3, 1],
        "activation": "relu",
        "output_activation": "linear",
    }
    assert len(document["parameters"]) == 13
    assert "layers.1.neurons.0.w.2" in document["parameters"]


def test_load_builds_the_class_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "neuron.json"
    save(Neuron(2, seed=0), path)
    assert isinstance(load(path), Neuron)


def _valid_document() -> dict[str, Any]:
    model = MLP(2, [2, 1], seed=0)
    return {
        "format": "glassgrad-model",
        "version": 1,
        "architecture": model.architecture(),
        "parameters": model.state_dict(),
    }


def _edit(change: Callable[[dict[str, Any]], object]) -> str:
    document = _valid_document()
    change(document)
    return json.dumps(document)


BROKEN: list[tuple[str, bytes | str, str]] = [
    ("empty", "", "not valid JSON"),
    ("truncated", json.dumps(_valid_document())[:150], "may be truncated"),
    ("not utf-8", b"\xff\xfe{}", "not a UTF-8 text file"),
    ("a list", "[1, 2]", "expected a JSON object"),
    ("not ours", _edit(lambda d: d.update(format="keras")), "not a glassgrad model file"),
    ("newer", _edit(lambda d: d.update(version=2)), "newer glassgrad"),
    ("no version", _edit(lambda d: d.pop("version")), "unsupported version None"),
    ("no architecture", _edit(lambda d: d.pop("architecture")), "architecture must be an object"),
    (
        "unknown type",
        _edit(lambda d: d["architecture"].update(type="CNN")),
        "architecture.type must be one of .*, got 'CNN'",
    ),
    ("extra field", _edit(lambda d: d["architecture"].update(dropout=0.5)), "unexpected fields"),
    (
        "bad activation",
        _edit(lambda d: d["architecture"].update(activation="mish")),
        "unknown activation 'mish'",
    ),
    (
        "zero layer",
        _edit(lambda d: d["architecture"].update(nouts=[0, 1])),
        r"nouts\[0\] must be a positive integer",
    ),
    (
        "huge layer",
        _edit(lambda d: d["architecture"].update(nouts=[10**12, 1])),
        r"nouts\[0\] must be at most 1000000000, got 1000000000000",
    ),
    (
        "missing parameter",
        _edit(lambda d: d["parameters"].popitem()),
        "has 9 parameters, the file holds 8",
    ),
    (
        "renamed parameter",
        _edit(
            lambda d: d["parameters"].update(
                {"layers.9.b": d["parameters"].pop("layers.1.neurons.0.b")}
            )
        ),
        "missing layers.1.neurons.0.b; unexpected layers.9.b",
    ),
    (
        "string value",
        _edit(lambda d: d["parameters"].update({"layers.0.neurons.0.b": "0.5"})),
        "must be a number",
    ),
    ("NaN", json.dumps(_valid_document()).replace("0.0", "NaN", 1), "NaN is not a finite number"),
    ("1e999", json.dumps(_valid_document()).replace("0.0", "1e999", 1), "must be finite"),
]


@pytest.mark.parametrize(("name", "content", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_files_are_refused_with_nothing_changed(
    tmp_path: Path, name: str, content: bytes | str, message: str
) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ValueError, match=message) as error:
        load(path)
    assert str(path) in str(error.value)
    model = MLP(2, [2, 1], seed=5)
    before = model.state_dict()
    with pytest.raises(ValueError):
        load_parameters(model, path)
    assert model.state_dict() == before


def _deep(depth: int) -> list[Any]:
    nested: list[Any] = []
    for _ in range(depth):
        nested = [nested]
    return nested


def _huge_integer_parameter(document: dict[str, Any]) -> None:
    document["parameters"]["layers.0.neurons.1.w.0"] = 10**399


# Files an attacker (or a bug) could hand to load: each must be a ValueError naming the
# file and, where there is one, the field, with any model left as it was.
HOSTILE: list[tuple[str, bytes | str, str]] = [
    ("nested 100000 deep", "[" * 100000, "nested too deeply"),
    ("closed nesting", "[" * 50000 + "]" * 50000, "nested too deeply"),
    (
        "nested parameter",
        _edit(lambda d: d["parameters"].update({"layers.0.neurons.0.b": _deep(900)})),
        r"parameter layers\.0\.neurons\.0\.b must be a number, got \[\[",
    ),
    (
        "400-digit parameter",
        _edit(_huge_integer_parameter),
        r"parameter layers\.0\.neurons\.1\.w\.0 is too large for a float: 1000+\.\.\.0+",
    ),
    (
        "5000-digit integer",
        _edit(lambda d: d.update(version=1)).replace('"version": 1', '"version": ' + "9" * 5000),
        "integer of 5000 digits",
    ),
    (
        "400-digit layer size",
        _edit(lambda d: d["architecture"].update(nouts=[10**399, 1])),
        r"architecture\.nouts\[0\] must be at most",
    ),
    (
        "400-digit version",
        _edit(lambda d: d.update(version=10**399)),
        r"unsupported version 1000+\.\.\.0+, expected 1",
    ),
    (
        "type is a list",
        _edit(lambda d: d["architecture"].update(type=["MLP"])),
        r"architecture\.type must be one of .*, got \['MLP'\]",
    ),
    (
        "type is an object",
        _edit(lambda d: d["architecture"].update(type={"MLP": 1})),
        r"architecture\.type must be one of",
    ),
    (
        "activation is a list",
        _edit(lambda d: d["architecture"].update(activation=["relu"])),
        r"architecture\.activation: unknown activation \['relu'\]",
    ),
    (
        "a million layers",
        _edit(lambda d: d["architecture"].update(nouts=[1] * 10**6)),
        r"has 2000001 parameters, the file holds 9",
    ),
    (
        "a megabyte name",
        _edit(
            lambda d: d["parameters"].update(
                {"x" * 10**6: d["parameters"].pop("layers.1.neurons.0.b")}
            )
        ),
        r"parameter x+\.\.\. \(1000000 characters\) is not the name of any parameter",
    ),
    (
        "parameters is a list",
        _edit(lambda d: d.update(parameters=list(d["parameters"].values()))),
        "parameters must be an object, got list",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_files_are_clear_errors_with_nothing_changed(
    tmp_path: Path, name: str, content: bytes | str, message: str
) -> None:
    path = tmp_path / "hostile.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ValueError, match=message) as error:
        load(path)
    assert str(path) in str(error.value)
    assert len(str(error.value)) < 400  # a summary, never the hostile content itself
    model = MLP(2, [2, 1], seed=5)
    before = model.state_dict()
    with pytest.raises(ValueError, match=str(path)):
        load_parameters(model, path)
    assert model.state_dict() == before


def test_a_directory_is_a_clear_error_for_every_reader(tmp_path: Path) -> None:
    model = MLP(2, [2, 1], seed=5)
    before = model.state_dict()
    for read in (load, lambda path: load_parameters(model, path)):
        with pytest.raises(ValueError, match="is a directory, not a model file") as error:
            read(tmp_path)
        assert str(error.value).count(str(tmp_path)) == 1
    assert model.state_dict() == before


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX named pipes")
def test_a_pipe_or_a_device_is_refused_without_reading_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)  # reading it would wait forever for a writer
    model = MLP(2, [2, 1], seed=5)
    before = model.state_dict()
    for path in (fifo, Path("/dev/zero")):  # /dev/zero would fill the memory
        if not path.exists():
            continue
        for read in (load, lambda p: load_parameters(model, p)):
            with pytest.raises(ValueError, match="is not a regular file") as error:
                read(path)
            assert str(error.value).count(str(path)) == 1
    assert model.state_dict() == before


def test_a_file_larger_than_any_model_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nn.io, "LARGEST_FILE", 1000)
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 1001)
    with pytest.raises(ValueError, match=r"1001 bytes, more than the 1000 .*model file"):
        load(path)
    text = json.dumps(_valid_document()).encode()
    assert len(text) < 1000
    path.write_bytes(text.ljust(1000))  # exactly at the limit: read and loaded
    assert load(path).state_dict() == _valid_document()["parameters"]


def test_nn_io_imports_first_and_module_imports_it_only_when_saving() -> None:
    import ast
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import nn.io; import nn.module"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    source = Path(__file__).resolve().parent.parent / "nn" / "module.py"
    top_level = [
        node
        for node in ast.parse(source.read_text()).body
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    imported = {alias.name for node in top_level for alias in node.names} | {
        node.module for node in top_level if isinstance(node, ast.ImportFrom)
    }
    assert "nn.io" not in imported and "io" not in imported


def test_load_parameters_into_an_existing_model(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    source = trained_like(MLP(2, [3, 1], seed=0))
    save(source, path)
    target = MLP(2, [3, 1], seed=9)
    load_parameters(target, path)
    assert target.state_dict() == source.state_dict()
    other = MLP(2, [4, 1], seed=0)
    before = other.state_dict()
    with pytest.raises(ValueError, match=r"does not match this MLP\(nin=2, nouts=\[4, 1\]"):
        load_parameters(other, path)
    assert other.state_dict() == before


def test_a_failed_rename_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.json"
    save(MLP(2, [3, 1], seed=0), path)
    old = path.read_bytes()

    def crash(*args: object) -> None:
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated"):
        save(MLP(2, [3, 1], seed=1), path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]  # no temporary left


def test_a_failed_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.json"
    save(MLP(2, [3, 1], seed=0), path)
    old = path.read_bytes()

    def crash(fd: int) -> None:
        raise OSError("power cut (simulated)")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="simulated"):
        save(MLP(2, [3, 1], seed=1), path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]
    load(path)


def test_saved_files_get_ordinary_permissions(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        path = tmp_path / "m.json"
        save(Neuron(1, seed=0), path)
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"directory .*nowhere does not exist"):
        save(MLP(2, [1], seed=0), tmp_path / "nowhere" / "m.json")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.json")
    with pytest.raises(ValueError, match="is a directory"):
        load(tmp_path)
