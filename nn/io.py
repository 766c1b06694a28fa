"""Saving and loading models as JSON, safely.

A model file looks like this (parameters by their dotted names, see ``named_parameters``)::

    {"format": "glassgrad-model", "version": 1,
     "architecture": {"type": "MLP", "nin": 2, "nouts": [16, 16, 1],
                      "activation": "relu", "output_activation": "linear"},
     "parameters": {"layers.0.neurons.0.w.0": 0.7374..., ...}}

Floats are written with ``repr``, which reads back as exactly the same float.

Writes are atomic: the text goes to a temporary file in the same directory, is flushed to
disk, and then renamed over the target in one step (``os.replace``). A crash or an error
midway leaves the old file as it was, never half a model.

Loading checks everything (JSON syntax, format, version, architecture, the number, names and
values of the parameters) before building the model; any problem is a ValueError that names
the file and the field. That holds for hostile files too (JSON nested 100,000 deep, a
parameter written as a 400-digit integer, a list where a name belongs, a directory, a pipe
or a device, a file beyond `LARGEST_FILE`): the message shows an abbreviation of the
offending value, and no model is changed.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import reprlib
import stat
import sys
from pathlib import Path
from typing import Any

from autograd.files import write_atomically
from nn.module import MLP, Layer, Module, Neuron, check_activation

__all__ = [
    "FORMAT",
    "LARGEST_FILE",
    "MAX_SIZE",
    "VERSION",
    "from_json",
    "load",
    "load_parameters",
    "save",
    "to_json",
]

FORMAT = "glassgrad-model"
VERSION = 1


def to_json(module: Module) -> str:
    """The file contents for ``module``: format, version, architecture and parameters."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": module.architecture(),
        "parameters": module.state_dict(),
    }
    return json.dumps(document, indent=1, allow_nan=False) + "\n"


def save(module: Module, path: str | Path) -> None:
    """Write ``module`` to ``path`` as JSON, atomically (module docstring)."""
    write_atomically(path, to_json(module).encode("utf-8"), "save")


def load(path: str | Path) -> Module:
    """Read a model written by `save`: a Neuron, Layer or MLP with the saved parameters."""
    return from_json(_read(path), source=str(path))


def load_parameters(module: Module, path: str | Path) -> None:
    """Set the parameters of an existing ``module`` from a file written by `save`.

    The file's architecture must be ``module``'s; if anything is wrong, nothing changes.
    """
    document = _parse(_read(path), str(path))
    architecture = _architecture(document, str(path))
    if architecture != module.architecture():
        raise ValueError(
            f"{path}: the file holds {_describe(architecture)}, which does not match this "
            f"{_describe(module.architecture())}"
        )
    parameters = _parameters(document, architecture, str(path))  # its errors name the path
    try:
        module.load_state_dict(parameters)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None


def from_json(text: str | bytes, source: str = "model") -> Module:
    """Build a module from the contents of a model file; ``source`` names it in errors."""
    document = _parse(text, source)
    architecture = _architecture(document, source)
    parameters = _parameters(document, architecture, source)
    module = _build(architecture)
    try:
        module.load_state_dict(parameters)
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from None
    return module


# -- validation -------------------------------------------------------------------------------

# Error messages show what the file holds through this: a hostile file's value (a 400-digit
# number, a list nested 900 deep, a megabyte of text) is abbreviated, never printed whole.
_shown = reprlib.Repr()
_shown.maxlevel = 3
_shown.maxlist = _shown.maxdict = 6
_shown.maxstring = _shown.maxother = 60
_shown.maxlong = 40


def _show(value: object) -> str:
    """``repr(value)``, abbreviated to a few dozen characters."""
    return _shown.repr(value)


# Python refuses to read integers longer than this (sys.get_int_max_str_digits, a guard
# against quadratic-time conversion); the parser checks first so the error can say so.
_MAX_DIGITS = 4300

# Longer than any dotted parameter name of a model within MAX_SIZE ("layers.N.neurons.N.w.N").
_LONGEST_NAME = 100

# The largest layer size a file may declare: far beyond what a scalar engine can build, small
# enough that parameter counts stay readable numbers in error messages.
MAX_SIZE = 10**9


LARGEST_FILE = 256 * 2**20
"""The largest model file `load` reads, in bytes (256 MiB, some five million parameters):
anything bigger is refused before it is read into memory."""


def _read(path: str | Path) -> bytes:
    """The bytes of the model file at ``path``, which must be a regular file of at most
    `LARGEST_FILE` bytes: a directory, a device (``/dev/zero`` never ends) or a pipe (which
    waits for a writer) is a ValueError naming the path once, and nothing is read."""
    info = os.stat(path)  # FileNotFoundError and PermissionError stay as they are
    if stat.S_ISDIR(info.st_mode):
        raise ValueError(f"{path}: is a directory, not a model file")
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{path}: is not a regular file (a device, pipe or socket)")
    if info.st_size > LARGEST_FILE:  # refused from its size, before a byte is read
        raise _too_large(path, info.st_size)
    with open(path, "rb") as file:
        data = file.read(LARGEST_FILE + 1)  # + 1: a file that grew since stat is seen too
    if len(data) > LARGEST_FILE:
        raise _too_large(path, len(data))
    return data


def _too_large(path: str | Path, size: int) -> ValueError:
    return ValueError(
        f"{path}: {size} bytes, more than the {LARGEST_FILE} bytes of the largest model "
        "file glassgrad reads"
    )


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a finite number")


def _parse_int(digits: str) -> int:
    count = len(digits.lstrip("-"))
    if count > _MAX_DIGITS:
        raise ValueError(f"an integer of {count} digits is too long to be a number in a model file")
    return int(digits)


def _parse(text: str | bytes, source: str) -> dict[str, Any]:
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")  # the format is UTF-8; json alone would guess
        document = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int)
    except RecursionError:
        # The decoder recurses once per open bracket: "[" * 100000 exhausts the stack.
        raise ValueError(f"{source}: not a model file: its JSON is nested too deeply") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{source}: not a UTF-8 text file ({error.reason})") from None
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{source}: not valid JSON, the file may be truncated or corrupted ({error})"
        ) from None
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from None
    if not isinstance(document, dict):
        raise ValueError(f"{source}: expected a JSON object, got {type(document).__name__}")
    if document.get("format") != FORMAT:
        raise ValueError(f'{source}: not a glassgrad model file (no "format": "{FORMAT}")')
    version = document.get("version")
    if version != VERSION or isinstance(version, bool):
        newer = isinstance(version, int) and not isinstance(version, bool) and version > VERSION
        hint = " (written by a newer glassgrad?)" if newer else ""
        raise ValueError(
            f"{source}: unsupported version {_show(version)}, expected {VERSION}{hint}"
        )
    return document


def _positive_int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{where} must be a positive integer, got {_show(value)}")
    if value > MAX_SIZE:
        raise ValueError(f"{where} must be at most {MAX_SIZE}, got {_show(value)}")
    return value


# The fields of each architecture, with a check for each: nothing else is accepted.
_FIELDS: dict[str, tuple[str, ...]] = {
    "Neuron": ("nin", "activation"),
    "Layer": ("nin", "nout", "activation"),
    "MLP": ("nin", "nouts", "activation", "output_activation"),
}


def _architecture(document: dict[str, Any], source: str) -> dict[str, Any]:
    architecture = document.get("architecture")
    where = f"{source}: architecture"
    if not isinstance(architecture, dict):
        raise ValueError(f"{where} must be an object, got {_show(architecture)}")
    kind = architecture.get("type")
    if not isinstance(kind, str) or kind not in _FIELDS:
        raise ValueError(f"{where}.type must be one of {sorted(_FIELDS)}, got {_show(kind)}")
    fields = _FIELDS[kind]
    extra = sorted(set(architecture) - {"type", *fields})
    missing = [name for name in fields if name not in architecture]
    if extra or missing:
        raise ValueError(f"{where}: missing fields {missing}, unexpected fields {_show(extra)}")
    for name in fields:
        value = architecture[name]
        if name in ("nin", "nout"):
            _positive_int(value, f"{where}.{name}")
        elif name == "nouts":
            if not isinstance(value, list) or not value:
                raise ValueError(f"{where}.nouts must be a non-empty list, got {_show(value)}")
            for i, n in enumerate(value):
                _positive_int(n, f"{where}.nouts[{i}]")
        elif not isinstance(value, str):
            raise ValueError(f"{where}.{name}: unknown activation {_show(value)}")
        else:
            check_activation(value, f"{where}.{name}")
    return architecture


def _parameter_count(architecture: dict[str, Any]) -> int:
    if architecture["type"] == "Neuron":
        return int(architecture["nin"]) + 1
    if architecture["type"] == "Layer":
        return (int(architecture["nin"]) + 1) * int(architecture["nout"])
    sizes = [architecture["nin"], *architecture["nouts"]]
    return sum((a + 1) * b for a, b in itertools.pairwise(sizes))


def _parameters(
    document: dict[str, Any], architecture: dict[str, Any], source: str
) -> dict[str, float]:
    parameters = document.get("parameters")
    if not isinstance(parameters, dict):
        raise ValueError(f"{source}: parameters must be an object, got {type(parameters).__name__}")
    # Counting first means a huge architecture in a damaged file is refused before anything
    # of that size is built.
    expected = _parameter_count(architecture)
    if len(parameters) != expected:
        raise ValueError(
            f"{source}: {_describe(architecture)} has {expected} parameters, "
            f"the file holds {len(parameters)}"
        )
    for name, value in parameters.items():
        if len(name) > _LONGEST_NAME:
            raise ValueError(
                f"{source}: parameter {name[:40]}... ({len(name)} characters) is not the name "
                "of any parameter"
            )
        where = f"{source}: parameter {name}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{where} must be a number, got {_show(value)}")
        if isinstance(value, int) and abs(value) > sys.float_info.max:
            raise ValueError(f"{where} is too large for a float: {_show(value)}")
        if not math.isfinite(value):
            raise ValueError(f"{where} must be finite, got {value!r}")
    return {name: float(value) for name, value in parameters.items()}


def _describe(architecture: dict[str, Any]) -> str:
    fields = ", ".join(f"{k}={_show(v)}" for k, v in architecture.items() if k != "type")
    return f"{architecture['type']}({fields})"


def _build(architecture: dict[str, Any]) -> Module:
    """A module of the given (validated) architecture; its weights are set afterwards."""
    kind = architecture["type"]
    if kind == "Neuron":
        return Neuron(architecture["nin"], architecture["activation"], seed=0)
    if kind == "Layer":
        return Layer(architecture["nin"], architecture["nout"], architecture["activation"], seed=0)
    return MLP(
        architecture["nin"],
        architecture["nouts"],
        architecture["activation"],
        architecture["output_activation"],
        seed=0,
    )
