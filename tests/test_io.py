"""nn.io: exact round trips, refusal of broken files with nothing changed, atomic writes."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

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
    model.save(path)
    loaded = type(model).load(path)
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


def test_load_insists_on_the_class(tmp_path: Path) -> None:
    path = tmp_path / "neuron.json"
    Neuron(2, seed=0).save(path)
    with pytest.raises(ValueError, match="holds a Neuron, not a MLP"):
        MLP.load(path)
    assert isinstance(Module.load(path), Neuron)


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
    ("unknown type", _edit(lambda d: d["architecture"].update(type="CNN")), "unknown type 'CNN'"),
    ("extra field", _edit(lambda d: d["architecture"].update(dropout=0.5)), "unexpected fields"),
    (
        "bad activation",
        _edit(lambda d: d["architecture"].update(activation="gelu")),
        "unknown activation 'gelu'",
    ),
    (
        "zero layer",
        _edit(lambda d: d["architecture"].update(nouts=[0, 1])),
        r"nouts\[0\] must be a positive integer",
    ),
    (
        "huge layer",
        _edit(lambda d: d["architecture"].update(nouts=[10**12, 1])),
        "has 4000000000001 parameters, the file holds 9",
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


def test_load_parameters_into_an_existing_model(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    source = trained_like(MLP(2, [3, 1], seed=0))
    source.save(path)
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
    MLP(2, [3, 1], seed=0).save(path)
    old = path.read_bytes()

    def crash(*args: object) -> None:
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated"):
        MLP(2, [3, 1], seed=1).save(path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]  # no temporary left


def test_a_failed_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.json"
    MLP(2, [3, 1], seed=0).save(path)
    old = path.read_bytes()

    def crash(fd: int) -> None:
        raise OSError("power cut (simulated)")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="simulated"):
        MLP(2, [3, 1], seed=1).save(path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]
    MLP.load(path)


def test_saved_files_get_ordinary_permissions(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        path = tmp_path / "m.json"
        Neuron(1, seed=0).save(path)
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"directory .*nowhere does not exist"):
        MLP(2, [1], seed=0).save(tmp_path / "nowhere" / "m.json")
    with pytest.raises(FileNotFoundError):
        MLP.load(tmp_path / "nope.json")
    with pytest.raises(ValueError, match="is a directory"):
        MLP.load(tmp_path)
