"""`import autograd` is light, is ours (not the unrelated PyPI package named `autograd`), and
`autograd.testing` says clearly what it needs when hypothesis is missing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import autograd

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("graphviz", "hypothesis", "matplotlib", "tqdm", "torch", "numpy")
CLASH_HELP = (
    "`import autograd` did not load glassgrad's engine from {repo}. The unrelated PyPI "
    "package `autograd` may be shadowing it: use a virtual environment for glassgrad "
    "(`make test` makes .venv) or `pip uninstall autograd`."
)


def _run(code: str, cwd: Path) -> str:
    """Run code in a fresh interpreter (nothing imported yet) and return its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_autograd_imports_no_heavy_dependency(tmp_path: Path) -> None:
    code = (
        "import json, sys, autograd\n"
        "from autograd import Value, grad, gradcheck\n"
        "(Value(2.0) * 3).backward()\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    assert json.loads(_run(code, tmp_path)) == []


def test_autograd_is_this_repository_s_engine_from_anywhere(tmp_path: Path) -> None:
    # From another directory, so that only the installed package can be found.
    code = "import autograd; print(autograd.__file__); print(autograd.Value.__module__)"
    file, module = _run(code, tmp_path).split()
    assert Path(file).resolve().is_relative_to(REPO), CLASH_HELP.format(repo=REPO)
    assert module == "autograd.value", CLASH_HELP.format(repo=REPO)


def test_autograd_in_this_process_is_ours() -> None:
    assert Path(autograd.__file__).resolve().parent == REPO / "autograd", CLASH_HELP.format(
        repo=REPO
    )
    assert autograd.Value.__module__ == "autograd.value", CLASH_HELP.format(repo=REPO)
    assert hasattr(autograd, "gradcheck") and hasattr(autograd, "no_grad")


def test_autograd_testing_without_hypothesis_says_what_to_install(tmp_path: Path) -> None:
    # A None entry in sys.modules makes `import hypothesis` raise ImportError, as if it were
    # not installed.
    code = (
        "import sys\n"
        "sys.modules['hypothesis'] = None\n"
        "import autograd\n"
        "assert autograd.Value(1.0).data == 1.0  # the engine works without hypothesis\n"
        "try:\n"
        "    import autograd.testing\n"
        "except ImportError as error:\n"
        "    print(error)\n"
        "else:\n"
        "    print('imported')\n"
    )
    message = _run(code, tmp_path).strip()
    assert message.startswith("autograd.testing needs hypothesis: pip install hypothesis")
    assert "dev" in message  # and names the extra that brings it


def test_autograd_testing_imports_with_hypothesis(tmp_path: Path) -> None:
    out = _run("import autograd.testing, sys; print('hypothesis' in sys.modules)", tmp_path)
    assert out.strip() == "True"


def _public_modules() -> list[str]:
    """Every module of autograd and nn that is not private (no ``_`` name, no ``__main__``)."""
    names = []
    for package in ("autograd", "nn"):
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if any(part.startswith("_") and part != "__init__" for part in parts):
                continue
            names.append(".".join(parts))
    return names


def test_every_public_module_says_what_it_exports() -> None:
    import importlib

    modules = _public_modules()
    assert "autograd.value" in modules and "nn.cli.train" in modules
    for name in modules:
        module = importlib.import_module(name)
        exported = getattr(module, "__all__", None)
        assert isinstance(exported, list) and exported, f"{name} has no __all__"
        missing = [n for n in exported if not hasattr(module, n)]
        assert not missing, f"{name}.__all__ names what it does not define: {missing}"
