"""Writing output files safely: checked before any work starts, then written atomically.

Everything in glassgrad that writes a file goes through this module: step-through pages
(``Trace.save_html``), model files (``Module.save``), pictures (``nn.plot``, ``draw_network``,
``glassgrad graph``) and benchmark results. What it promises:

- **Atomic**: the bytes go to a temporary file beside the target, which is flushed, fsync'ed
  and then renamed over the target, so a reader sees the old file or the whole new one, never
  half of it; on any error the temporary file is removed and the target is untouched.
- **Only regular files are replaced.** A directory, a device (``/dev/null``), a FIFO or a
  socket at the path is refused with an `OutputPathError` naming the path, and left alone.
- **Symlinks are written through**: a path that is a symbolic link updates the file the link
  points to, as ``open(path, "w")`` would; the link itself stays a link.
- **Hard links are refused**: a file with more than one hard link is not replaced, because
  the atomic rename would give this name a new file and leave the other names with the old
  one (``open(path, "w")`` would change all of them, but not atomically).
- **An existing file keeps its permission bits** (a 0600 model stays 0600); a new file gets
  the ones a plain ``open()`` would give it (0666 minus the umask).
- **Errors name the path you gave**, never the temporary file.

`check_output_path` runs every one of these checks without writing anything, so a command
can refuse a bad ``--out`` before it trains for a minute; `write_files` writes several files
as a group: all checked, all staged, then all renamed into place.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "MissingDirectoryError",
    "OutputIsADirectoryError",
    "OutputPathError",
    "check_output_directory",
    "check_output_path",
    "write_atomically",
    "write_files",
]


class OutputPathError(OSError):
    """An output path that cannot or must not be written; the message names the path."""


class MissingDirectoryError(OutputPathError, FileNotFoundError):
    """The directory an output file would go into does not exist."""


class OutputIsADirectoryError(OutputPathError, IsADirectoryError):
    """The output path is a directory."""


def _kind(mode: int) -> str:
    """What a non-regular file is, in words, for an error message."""
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_output_path(path: str | os.PathLike[str], what: str = "write") -> Path:
    """Check that ``path`` can be written as a regular file; return the file to write.

    The returned path is the file a write will replace: ``path`` itself, or for a symbolic
    link the file it points to (resolved through every link). Raises `OutputPathError` (an
    ``OSError``) naming ``path`` when its directory is missing or not writable, or when
    ``path`` is a directory, a device, a FIFO, a socket, a file with several hard links or a
    read-only file. ``what`` (the caller, such as ``"save"`` or ``"glassgrad graph --out"``)
    starts the message. Nothing is written.
    """
    given = Path(path)
    target = Path(os.path.realpath(given)) if given.is_symlink() else given
    shown = f"{given} (a link to {target})" if target != given else str(given)
    try:
        status: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        status = None
    except OSError as error:  # a symlink loop, a path through a regular file, ...
        raise OutputPathError(f"{what}: cannot write {shown}: {error.strerror}") from None
    if status is not None:
        if stat.S_ISDIR(status.st_mode):
            raise OutputIsADirectoryError(f"{what}: {shown} is a directory, not a file")
        if not stat.S_ISREG(status.st_mode):
            raise OutputPathError(
                f"{what}: {shown} is {_kind(status.st_mode)}: refusing to replace it"
            )
        if status.st_nlink > 1:
            raise OutputPathError(
                f"{what}: {shown} has {status.st_nlink} hard links: refusing to replace it "
                "(the other names would keep the old file); write to another path"
            )
        if not os.access(target, os.W_OK):
            raise OutputPathError(f"{what}: {shown} is read-only")
    check_output_directory(target.parent, what, create=False)
    return target


def check_output_directory(
    directory: str | os.PathLike[str], what: str = "write", *, create: bool = True
) -> Path:
    """Check that files can be written in ``directory``; return it.

    With ``create=True`` a missing directory is fine when its nearest existing ancestor is a
    writable directory (``mkdir(parents=True)`` will work); with ``create=False`` it must
    exist. Raises `OutputPathError` naming the directory otherwise. Nothing is created.
    """
    folder = Path(directory)
    existing = folder
    while not existing.exists() and not existing.is_symlink():
        if not create:
            raise MissingDirectoryError(f"{what}: directory {folder} does not exist")
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        if existing == folder:
            raise OutputPathError(f"{what}: {folder} is not a directory")
        raise OutputPathError(f"{what}: cannot create directory {folder}: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputPathError(f"{what}: directory {existing} is not writable")
    return folder


def write_atomically(path: str | os.PathLike[str], data: bytes, what: str = "write") -> None:
    """Write ``data`` to ``path`` atomically, with every check of the module docstring.

    Raises `OutputPathError` (or another ``OSError`` such as a full disk) naming ``path``;
    ``path`` is then unchanged. ``what`` names the caller in the message.
    """
    write_files([(path, data)], what)


def write_files(files: Iterable[tuple[str | os.PathLike[str], bytes]], what: str = "write") -> None:
    """Write several ``(path, data)`` files as a group: every path is checked, then every
    file is staged in a temporary file, then all are renamed into place.

    Anything that can go wrong before the renames (a bad path, a full disk) leaves every
    target as it was. Two entries for the same file (a symlink and its target, say) are
    refused.
    """
    targets: dict[Path, tuple[str, bytes]] = {}
    for path, data in files:
        target = check_output_path(path, what)
        key = Path(os.path.realpath(target))
        if key in targets:
            raise OutputPathError(
                f"{what}: {targets[key][0]} and {path} are the same file: give each output "
                "its own path"
            )
        targets[key] = (str(path), data)
    staged: list[tuple[str, Path, str]] = []
    try:
        for target, (shown, data) in targets.items():
            staged.append((_stage(target, shown, data), target, shown))
        for temporary, target, shown in staged:
            try:
                os.replace(temporary, target)
            except OSError as error:
                raise _naming(error, shown) from None
    finally:
        for temporary, _, _ in staged:
            Path(temporary).unlink(missing_ok=True)
    for directory in {target.parent for _, target, _ in staged}:
        _sync_directory(directory)


def _stage(target: Path, shown: str, data: bytes) -> str:
    """Write ``data`` to a new temporary file beside ``target``; return its path."""
    try:
        existing_mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        existing_mode = None
    try:
        fd, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=_temporary_prefix(target), suffix=_SUFFIX
        )
    except OSError as error:
        raise _naming(error, shown) from None
    try:
        # mkstemp makes the file private (0600): give it the target's own permissions, or for
        # a new file the ones a plain open() would.
        mode = existing_mode if existing_mode is not None else 0o666 & ~_umask()
        if hasattr(os, "fchmod"):  # POSIX only
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _naming(error, shown) from None
        raise
    return temporary


_SUFFIX = ".tmp"
_RANDOM = 8  # the characters mkstemp puts between prefix and suffix


def _temporary_prefix(target: Path) -> str:
    """``.<name>.``, the start of the temporary file's name, cut short when needed so that the
    whole name fits the file system's limit as the target's own name does (a 250-byte name
    is fine for ``open()``, but it plus the temporary name's additions would not be)."""
    try:
        limit = os.pathconf(target.parent, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # no pathconf (Windows), or no answer
        limit = 255
    room = limit - len(".." + _SUFFIX) - _RANDOM
    name = target.name
    while len(os.fsencode(name)) > room:  # the limit counts bytes, not characters
        name = name[:-1]
    return f".{name}."


def _naming(error: OSError, shown: str) -> OSError:
    """The same error, naming the path the caller gave instead of the temporary file."""
    if error.errno is None:
        return OutputPathError(f"cannot write {shown}: {error}")
    return OSError(error.errno, error.strerror, shown)


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
