"""Writing a file atomically: readers see the old file or the whole new one, never half.

Used by everything in glassgrad that writes a file: step-through pages (``autograd.trace``),
model files (``nn.io``), pictures (``nn.plot``, ``glassgrad graph``) and benchmark results.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: str | Path, data: bytes, what: str = "write") -> None:
    """Write ``data`` to ``path`` so that the file is either the old one or the new one.

    The bytes go to a temporary file next to ``path`` (same file system, so the rename is
    atomic), which is flushed and fsync'ed before ``os.replace`` puts it in place. On any
    error the temporary file is removed and ``path`` is untouched. ``what`` names the caller
    in the error raised when the directory does not exist.
    """
    target = Path(path)
    if not target.parent.is_dir():  # else mkstemp's error would name the temporary file
        raise FileNotFoundError(f"{what}: directory {target.parent} does not exist")
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); give it the permissions a plain open() would.
        if hasattr(os, "fchmod"):  # POSIX only
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_directory(target.parent)


def _umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
