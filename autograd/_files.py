"""Writing a file atomically: readers see the old file or the whole new one, never half."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes, what: str) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory.

    ``what`` names the caller in the error raised when the directory does not exist.
    """
    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"{what}: directory {str(directory)!r} does not exist")
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private (0600); a page is for reading
        os.replace(temporary, path)  # atomic on POSIX and Windows within one file system
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
