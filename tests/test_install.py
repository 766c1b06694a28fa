"""What a learner installs: a wheel in a fresh virtual environment runs the ``glassgrad``
command (``--version`` and the whole demo), and the sdist carries what its own tests need.

The wheel test makes a venv and installs matplotlib, tqdm and graphviz into it (from pip's
cache when they are there), then trains the demo: over a minute, so it runs only when asked:

    GLASSGRAD_INSTALL_TEST=1 .venv/bin/python -m pytest -q tests/test_install.py

The sdist test is quick and always runs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

slow = pytest.mark.skipif(
    os.environ.get("GLASSGRAD_INSTALL_TEST") != "1",
    reason="installs into a fresh venv and trains the demo (over a minute): "
    "set GLASSGRAD_INSTALL_TEST=1 to run it",
)


def run(*command: str | Path, cwd: Path | None = None) -> str:
    """Run a command; fail the test with its output if it fails; return its stdout."""
    result = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, cwd=cwd, check=False
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def build(kind: str, out: Path) -> Path:
    """Build the wheel or the sdist of this checkout into ``out``; return its path."""
    pytest.importorskip("setuptools", minversion="77")  # what pyproject.toml's license needs
    if kind == "wheel":
        run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
            "-w", out, ROOT)  # fmt: skip
        return next(out.glob("glassgrad-*.whl"))
    script = "from setuptools import build_meta as b; import sys; b.build_sdist(sys.argv[1])"
    run(sys.executable, "-c", script, out, cwd=ROOT)
    return next(out.glob("glassgrad-*.tar.gz"))


def test_the_sdist_carries_its_tests_notebooks_docs_and_license(tmp_path: Path) -> None:
    sdist = build("sdist", tmp_path)
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for needed in (
        "LICENSE",
        "README.md",
        "setup.py",
        "Makefile",
        "mkdocs.yml",
        "package-lock.json",
        "tools/codelines.py",
        "docs/try/index.html",
        "tests/conftest.py",
        "tests/test_cli.py",
        "notebooks/01_values_and_graphs.ipynb",
        "docs/build_site.py",
        "docs/neuron.svg",
        "benchmarks/__main__.py",
        "nn/cli/__init__.py",
        "autograd/files.py",
    ):
        assert needed in names, needed
    assert not any("__pycache__" in name or name.startswith("benchmarks/results") for name in names)


REPOSITORY = "https://github.com/glassgrad/glassgrad"
RAW = "https://raw.githubusercontent.com/glassgrad/glassgrad/main/"


def test_the_wheel_names_its_repository_and_its_pictures_resolve(tmp_path: Path) -> None:
    wheel = build("wheel", tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = HeaderParser().parsestr(archive.read(name).decode())
    urls = dict(value.split(", ", 1) for value in metadata.get_all("Project-URL") or [])
    assert urls["Source"] == REPOSITORY
    assert urls["Issues"] == REPOSITORY + "/issues"
    assert metadata["Author"] == "glassgrad developers"
    assert metadata["Description-Content-Type"] == "text/markdown"
    description = metadata.get_payload()
    assert description.startswith("# glassgrad\n")
    targets = re.findall(r"(!?)\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)\)", description)
    pictures = [target for bang, target in targets if bang]
    assert len(pictures) == (ROOT / "README.md").read_text().count("![")
    for target in pictures:  # each a raw file of the repository that this checkout has
        assert target.startswith(RAW), target
        assert (ROOT / target.removeprefix(RAW)).is_file(), target
    for _, target in targets:  # no link is left relative
        assert target.startswith(("https://", "http://", "#", "mailto:")), target


@slow
def test_a_wheel_in_a_fresh_venv_runs_the_command(tmp_path: Path) -> None:
    if shutil.which("dot") is None:
        pytest.skip("graphviz's dot is missing")
    wheel = build("wheel", tmp_path / "dist")
    run(sys.executable, "-m", "venv", tmp_path / "venv")
    bin_dir = tmp_path / "venv" / "bin"
    run(bin_dir / "python", "-m", "pip", "install", "-q", wheel)
    assert run(bin_dir / "glassgrad", "--version").strip() == "glassgrad 0.1.0"
    light = "import sys, autograd, nn; print(sorted({'matplotlib', 'tqdm'} & set(sys.modules)))"
    assert run(bin_dir / "python", "-c", light, cwd=tmp_path).strip() == "[]"
    out = tmp_path / "out"
    printed = run(bin_dir / "glassgrad", "demo", "--out", out, cwd=tmp_path)
    assert "training accuracy 100.0%" in printed
    for name in (
        "loss.png",
        "decision_boundary.png",
        "network.svg",
        "graph.svg",
        "backward_steps.html",
    ):
        assert (out / name).stat().st_size > 1000, name
