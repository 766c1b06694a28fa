"""autograd.files: only regular files are replaced, links are respected, modes are kept, and
errors name the path that was given (real FIFOs, sockets, symlinks and hard links in tmp_path;
real /dev files are never touched)."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from autograd.files import (
    OutputPathError,
    check_output_directory,
    check_output_path,
    write_atomically,
    write_files,
)

posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs and links")


def leftovers(directory: Path) -> list[str]:
    """Temporary files a write left behind (there must be none)."""
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_a_new_file_is_written_with_ordinary_permissions(tmp_path: Path) -> None:
    target = tmp_path / "new.txt"
    write_atomically(target, b"hello")
    assert target.read_bytes() == b"hello"
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert leftovers(tmp_path) == []


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "model.json"
    target.write_bytes(b"old")
    target.chmod(0o600)
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@posix_only
def test_a_fifo_is_refused_and_left_alone(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputPathError, match=f"{fifo} is a FIFO"):
        write_atomically(fifo, b"data", "glassgrad graph --out")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert leftovers(tmp_path) == []


@posix_only
def test_a_socket_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        with pytest.raises(OutputPathError, match="is a socket"):
            check_output_path(path)
        assert stat.S_ISSOCK(path.lstat().st_mode)
    finally:
        server.close()


def test_a_directory_is_refused_naming_it_not_a_temporary_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(OutputPathError) as raised:
        write_atomically(folder, b"data", "save")
    assert str(raised.value) == f"save: {folder} is a directory, not a file"
    assert ".tmp" not in str(raised.value)


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(OutputPathError, match=f"directory {tmp_path / 'missing'} does not exist"):
        check_output_path(tmp_path / "missing" / "x.json", "save")


def test_a_path_through_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputPathError, match="file"):
        check_output_path(tmp_path / "file" / "x.json")


@posix_only
def test_writing_through_a_symlink_updates_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.svg"
    real.write_bytes(b"old")
    real.chmod(0o640)
    link = tmp_path / "link.svg"
    link.symlink_to("real.svg")
    write_atomically(link, b"new")
    assert link.is_symlink() and os.readlink(link) == "real.svg"
    assert real.read_bytes() == b"new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


@posix_only
def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "target.json")
    write_atomically(link, b"{}")
    assert link.is_symlink() and (tmp_path / "target.json").read_bytes() == b"{}"


@posix_only
def test_a_symlink_to_a_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "out.svg"
    link.symlink_to(fifo)
    with pytest.raises(OutputPathError, match=r"out\.svg \(a link to .*pipe\) is a FIFO"):
        write_atomically(link, b"data")
    assert link.is_symlink() and stat.S_ISFIFO(fifo.lstat().st_mode)


@posix_only
def test_a_symlink_loop_is_refused(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(OutputPathError, match="cannot write"):
        write_atomically(loop, b"data")


@posix_only
def test_a_file_with_hard_links_is_refused_and_both_names_keep_it(tmp_path: Path) -> None:
    first = tmp_path / "a.json"
    first.write_bytes(b"shared")
    second = tmp_path / "b.json"
    os.link(first, second)
    with pytest.raises(OutputPathError, match="2 hard links"):
        write_atomically(second, b"new")
    assert first.read_bytes() == second.read_bytes() == b"shared"
    assert first.stat().st_ino == second.stat().st_ino


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write anyway")
def test_a_read_only_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    target.write_bytes(b"old")
    target.chmod(0o444)
    with pytest.raises(OutputPathError, match="read-only"):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old"


def test_a_group_is_checked_before_anything_is_written(tmp_path: Path) -> None:
    good = tmp_path / "graph.svg"
    with pytest.raises(OutputPathError, match="does not exist"):
        write_files([(good, b"svg"), (tmp_path / "missing" / "steps.html", b"html")])
    assert not good.exists()
    assert leftovers(tmp_path) == []


@posix_only
def test_a_group_refuses_the_same_file_twice(tmp_path: Path) -> None:
    path = tmp_path / "x.svg"
    link = tmp_path / "link.svg"
    link.symlink_to(path)
    with pytest.raises(OutputPathError, match="same file"):
        write_files([(path, b"1"), (link, b"2")])
    assert not path.exists()


def test_a_failed_rename_leaves_no_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_room(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device", src)

    monkeypatch.setattr(os, "replace", no_room)
    target = tmp_path / "x.json"
    with pytest.raises(OSError, match=r"No space left on device: '.*x\.json'") as raised:
        write_atomically(target, b"data")
    assert ".tmp" not in str(raised.value)
    assert not target.exists() and leftovers(tmp_path) == []


def test_a_directory_to_create_is_checked_up_to_an_existing_ancestor(tmp_path: Path) -> None:
    assert check_output_directory(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputPathError, match="is a file"):
        check_output_directory(tmp_path / "file" / "sub")
    with pytest.raises(OutputPathError, match="is not a directory"):
        check_output_directory(tmp_path / "file")
