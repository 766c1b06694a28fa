"""The files a ``glassgrad`` command writes: checked before the work, written together after it.

A command first calls `check_outputs` with every path it will write (so a bad ``--save`` or
``--out`` fails in a second, not after a minute of training) and `check_separate` with its
outputs by flag (two outputs given one path would overwrite each other, or a file would stand
where a directory must go), then makes every file's bytes in memory, then `write_outputs`
writes them as a group through `autograd.files.write_files`: if one cannot be written, none of
them is left behind, nor a directory it created for them.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from autograd.files import OutputPathError, check_output_directory, check_output_path, write_files

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["PICTURE_DPI", "check_outputs", "figure_bytes", "write_outputs"]

PICTURE_DPI = 120
"""The resolution of the PNG pictures the commands write."""


def check_outputs(files: Iterable[Path], what: str, *, directory: Path | None = None) -> None:
    """Check that each of ``files`` can be written (see `autograd.files.check_output_path`).

    With ``directory``, the files live in that directory, which may not exist yet: then only
    the directory is checked (that it can be created), since its files cannot exist.
    Raises ``OSError`` naming the first path that cannot be written.
    """
    if directory is not None:
        check_output_directory(directory, what)
        if not directory.is_dir():
            return
    for path in files:
        check_output_path(path, what)


def check_separate(files: Mapping[str, Iterable[Path]], directories: Mapping[str, Path]) -> None:
    """Refuse outputs that share a path, before any work: ``files`` maps each flag (such as
    ``"--save"``) to the files it writes, ``directories`` each flag to the directory its
    files go into.

    Raises `OutputPathError` naming both flags when two files are one file (through ``..``
    and symlinks), or a file is a directory that a flag writes into or one above it
    (``--save out --plots out/pictures``: ``out`` cannot be both).
    """
    named = [(flag, path) for flag, paths in files.items() for path in paths]
    for (flag, path), (other_flag, other) in itertools.combinations(named, 2):
        if _real(path) == _real(other):
            raise OutputPathError(
                f"{flag} {path} and {other_flag} {other} are the same file: give each output"
                " its own path"
            )
    for flag, path in named:
        for directory_flag, directory in directories.items():
            real, folder = _real(path), _real(directory)
            if real == folder or real in folder.parents:
                raise OutputPathError(
                    f"{flag} {path} is a file, but {directory_flag} {directory} needs it to be"
                    " a directory: give each output its own path"
                )


def _real(path: Path) -> Path:
    """``path`` with ``..`` and symlinks resolved, as the file system will see it."""
    return Path(os.path.realpath(path))


def write_outputs(files: Mapping[Path, bytes], what: str) -> list[Path]:
    """Create the files' directories and write them as a group; return their paths.

    If the files cannot be written, the directories this call created are removed again.
    ``what`` starts the error messages (not the command's name: that is printed already).
    """
    created: list[Path] = []
    try:
        for directory in {path.parent for path in files}:
            missing = [d for d in (directory, *directory.parents) if not d.exists()]
            directory.mkdir(parents=True, exist_ok=True)
            created.extend(missing)  # deepest first
        write_files(files.items(), what)
    except BaseException:
        for directory in created:
            with contextlib.suppress(OSError):  # rmdir removes only an empty directory
                directory.rmdir()
        raise
    return list(files)


def figure_bytes(figure: Figure, picture_format: str = "png") -> bytes:
    """A matplotlib figure rendered to bytes in ``picture_format`` (png, svg or pdf)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format=picture_format, dpi=PICTURE_DPI)
    return buffer.getvalue()
