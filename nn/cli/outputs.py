"""The files a ``glassgrad`` command writes: checked before the work, written together after it.

A command first calls `check_outputs` with every path it will write (so a bad ``--save`` or
``--out`` fails in a second, not after a minute of training), then makes every file's bytes in
memory, then `write_outputs` writes them as a group through `autograd.files.write_files`: if
one cannot be written, none of them is left behind.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from autograd.files import check_output_directory, check_output_path, write_files

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


def write_outputs(files: Mapping[Path, bytes], what: str) -> list[Path]:
    """Create the files' directories and write them as a group; return their paths."""
    for directory in {path.parent for path in files}:
        directory.mkdir(parents=True, exist_ok=True)
    write_files(files.items(), what)
    return list(files)


def figure_bytes(figure: Figure, picture_format: str = "png") -> bytes:
    """A matplotlib figure rendered to bytes in ``picture_format`` (png, svg or pdf)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format=picture_format, dpi=PICTURE_DPI)
    return buffer.getvalue()
