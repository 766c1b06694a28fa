"""The Makefile: `make help` lists every target, and installing is quiet unless it fails.

The install recipes run against a stand-in `.venv/bin/python` (a shell script that prints a lot
and fails on request), so these tests need `make` only: nothing is downloaded or installed.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")

FAKE_PYTHON = """#!/bin/sh
i=0; while [ $i -lt 200 ]; do echo "pip says line $i"; i=$((i+1)); done
[ -n "$FAIL" ] && { echo "ERROR: no matching distribution for $*" >&2; exit 1; }
exit 0
"""


def make(cwd: Path, *args: str, fail: bool = False) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    if fail:
        env["FAIL"] = "1"
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the Makefile and pyproject.toml beside a stand-in venv."""
    shutil.copy(ROOT / "Makefile", tmp_path)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    return tmp_path


def test_help_lists_every_phony_target_with_one_line() -> None:
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")  # join continued lines
    phony = re.search(r"^\.PHONY:(.*)$", text, re.MULTILINE)
    assert phony is not None
    targets = set(phony.group(1).split())
    out = subprocess.run(
        ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    listed = {}
    for line in out.splitlines():
        match = re.fullmatch(r"  make (\S+) +(\S.*)", line)
        assert match, f"not a 'make TARGET  description' line: {line!r}"
        listed[match.group(1)] = match.group(2)
    assert set(listed) == targets


def test_install_prints_one_line_and_logs_pip(project: Path) -> None:
    done = make(project, "install", "EXTRAS=dev")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        "installing glassgrad[dev] into .venv/ (pip's output: build/make.log)"
    ]
    assert done.stderr == ""
    assert "pip says line 199" in (project / "build" / "make.log").read_text()
    # Installed: the package stamp is there too, so the demo's install does nothing, silently.
    again = make(project, "-s", "install", "EXTRAS=")
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")


def test_a_failed_install_prints_the_log_tail(project: Path) -> None:
    done = make(project, "install", "EXTRAS=dev", fail=True)
    assert done.returncode != 0
    assert "failed; the last lines of build/make.log:" in done.stdout
    assert "ERROR: no matching distribution" in done.stdout
    assert "pip says line 0\n" not in done.stdout  # the tail, not the whole log
    assert not (project / ".venv" / ".installed-dev").exists()
