"""The notebooks as files: committed clean, public API only, and each asserts what it teaches.

Executing them is nbmake's job (`pytest --nbmake notebooks`); these checks read the JSON only,
so they are fast and say exactly which cell is wrong:

* no outputs and no execution counts are committed (saved outputs go stale, and Jupyter
  distrusts the scripts inside them), and the kernel is ``python3``, the one nbmake runs;
* cells import only public names from the public modules of ``autograd`` and ``nn`` and
  touch no ``_private`` attribute, so a lesson never teaches an internal that may change;
* every notebook states at least one result that a cell asserts, so a changed engine breaks
  the test instead of leaving the lesson wrong; and it starts with a title and ends with
  suggestions to try;
* the course is numbered in reading order (main path 01, 02, ...; side lessons S1, S2, ...)
  with no gap, and the README's tables list it in that order.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
# The course in its order: a main path (01, 02, ...) and optional side lessons (S1, S2, ...).
MAIN_PATH = [
    "01_values_and_graphs",
    "02_backward_step_by_step",
    "03_neuron_to_xor",
    "04_gradient_descent",
    "05_moons_classifier",
    "06_multiclass_spirals",
    "07_digits",
    "08_fine_tuning",
    "09_sentiment",
    "10_recommendation",
    "11_speech_tones",
]
SIDE_LESSONS = [
    "S1_property_based_testing",
    "S2_higher_order",
    "S3_vanishing_gradients",
    "S4_pytorch",
    "S5_backprop_written_out",
]
COURSE = MAIN_PATH + SIDE_LESSONS
OUR_PACKAGES = ("autograd", "nn")
PUBLIC_MODULES = {
    # The modules DESIGN.md and the packages' docstrings present to users.
    "autograd",
    # The engine is there to be read, and the course reads it.
    "autograd.value",
    "autograd.ops",
    "autograd.backward",
    "autograd.compiler",
    "autograd.viz.explorer",
    "autograd.functions",
    "autograd.testing",
    "autograd.viz",
    "nn",
    "nn.data",
    "nn.exercises",
    "nn.exercises_compile",
    "nn.neuron",
    "nn.io",
    "nn.losses",
    "nn.optim",
    "nn.plot",
}


def load(path: Path) -> dict[str, Any]:
    """The notebook's JSON."""
    notebook: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return notebook


def source(cell: dict[str, Any]) -> str:
    """A cell's source as one string (nbformat allows a string or a list of lines)."""
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def code_cells(notebook: dict[str, Any]) -> list[tuple[int, str]]:
    """(index, source) of every code cell."""
    return [(i, source(c)) for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code"]


def parse(index: int, text: str, path: Path) -> ast.Module:
    """A code cell as a Python module; IPython magics and shell lines are left out."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError as error:
        pytest.fail(f"{path.name} cell {index}: not valid Python: {error}")


def is_private(name: str) -> bool:
    """`_x` and `_x_` are private; dunders such as `__name__` are not."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(tree: ast.Module) -> list[str]:
    """Every import from our packages that is private or from an internal module, and every
    `._private` attribute access."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in OUR_PACKAGES:
                if node.module not in PUBLIC_MODULES:
                    found.append(f"from {node.module}")
                found += [f"import {a.name}" for a in node.names if is_private(a.name)]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in OUR_PACKAGES and alias.name not in PUBLIC_MODULES:
                    found.append(f"import {alias.name}")
        elif isinstance(node, ast.Attribute) and is_private(node.attr):
            found.append(f".{node.attr}")
    return found


def test_the_whole_course_is_there() -> None:
    names = [path.stem for path in NOTEBOOKS]
    missing = [name for name in COURSE if name not in names]
    assert not missing, f"notebooks missing from notebooks/: {missing}"
    unlisted = [name for name in names if name not in COURSE]
    assert not unlisted, f"notebooks not in the course's list (MAIN_PATH, SIDE_LESSONS): {unlisted}"


def test_the_numbers_show_the_order() -> None:
    # Main-path notebooks are numbered 01, 02, ... and side lessons S1, S2, ..., with no gap
    # and no number used twice, so a file listing shows the order to read them in.
    main = sorted(p.stem for p in NOTEBOOKS if p.stem[:2].isdigit())
    side = sorted(
        (p.stem for p in NOTEBOOKS if p.stem.startswith("S")),
        key=lambda s: int(s[1:].split("_")[0]),
    )
    others = [p.stem for p in NOTEBOOKS if p.stem not in main and p.stem not in side]
    assert not others, f"notebooks outside the course's numbering: {others}"
    assert [int(name[:2]) for name in main] == list(range(1, len(main) + 1)), main
    assert [int(name[1:].split("_")[0]) for name in side] == list(range(1, len(side) + 1)), side
    assert (main, side) == (MAIN_PATH, SIDE_LESSONS), "the lists above are out of order"


def test_the_readme_lists_the_course_in_its_order() -> None:
    readme = (NOTEBOOKS_DIR.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Notebooks\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    listed = [row.split("`")[1] for row in rows]
    assert listed == COURSE, f"README's notebook tables: {listed}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path) -> None:
    notebook = load(path)
    assert notebook["nbformat"] == 4, f"{path.name}: nbformat {notebook['nbformat']}, not 4"
    assert notebook["metadata"]["kernelspec"]["name"] == "python3", path.name
    for i, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name} cell {i} has saved outputs"
            assert cell["execution_count"] is None, f"{path.name} cell {i} has a count"
        assert "attachments" not in cell or not cell["attachments"], f"{path.name} cell {i}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_uses_only_the_public_api(path: Path) -> None:
    problems = []
    for index, text in code_cells(load(path)):
        problems += [f"cell {index}: {use}" for use in private_uses(parse(index, text, path))]
    assert not problems, f"{path.name} reaches into private names: {problems}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_asserts_what_it_teaches(path: Path) -> None:
    asserts = sum(
        isinstance(node, ast.Assert)
        for index, text in code_cells(load(path))
        for node in ast.walk(parse(index, text, path))
    )
    assert asserts >= 1, f"{path.name} states no result that a cell asserts"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_is_a_lesson(path: Path) -> None:
    cells = load(path)["cells"]
    assert cells and cells[0]["cell_type"] == "markdown", f"{path.name}: starts without prose"
    assert source(cells[0]).startswith("# "), f"{path.name}: the first cell is not a title"
    markdown = "\n".join(source(c) for c in cells if c["cell_type"] == "markdown")
    assert "Try this" in markdown, f"{path.name}: no 'Try this' suggestions"
    assert code_cells(load(path)), f"{path.name}: no code to run"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_prose_is_markdown_not_commented_out_text(path: Path) -> None:
    # A generator that writes cells in a script's "# " comment style leaves every line of
    # prose a heading once in Jupyter: a whole paragraph in giant type.
    for index, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        lines = [line for line in source(cell).splitlines() if line.strip()]
        headings = [line for line in lines if line.startswith("#")]
        assert not any(line.startswith("# #") for line in lines), f"{path.name} cell {index}"
        assert len(lines) == 1 or len(headings) < len(lines), (
            f"{path.name} cell {index}: every line is a heading; is it prose with '# ' left in?"
        )


def test_the_checks_catch_private_access() -> None:
    # The checker itself: each of these must be flagged, and public use must not be.
    flagged = (
        "from autograd.value import _apply",
        "from autograd._internal import thing",
        "import nn._secret",
        "x = trace._repr_html_()",
        "v._apply_const(1)",
        "from autograd.backward import _sweep",
        "from autograd.fast import walk",  # an internal module, even if not _named
        "import autograd.mode",
    )
    for text in flagged:
        assert private_uses(ast.parse(text)), text
    clean = (
        "from autograd import Value\nfrom autograd.viz import draw_dot\nimport nn.losses\n"
        "from nn import MLP\nprint(Value.__name__)\n"
    )
    assert not private_uses(ast.parse(clean))
