"""The docs site's build steps that need no browser and no mkdocs: docstring examples fenced
as code, README pictures linked at full size, progress-bar widgets dropped from executed
notebooks. (tests/test_site.py builds a site and looks at it in chromium.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from docs import build_site

sys.path.insert(0, str(Path(build_site.__file__).parent))  # mkdocs loads it from docs/ too
griffe_doctest = pytest.importorskip("griffe_doctest", reason="griffe (docs extra) is missing")


def test_doctest_lines_become_a_pycon_code_block() -> None:
    docstring = "Add them.\n>>> a = Value(2.0)\n>>> [a.data]\n[2.0]\n\nArgs:\n    a: a value."
    assert griffe_doctest.fence_doctests(docstring) == (
        "Add them.\n\n```pycon\n>>> a = Value(2.0)\n>>> [a.data]\n[2.0]\n```\n\n"
        "Args:\n    a: a value."
    )


def test_code_already_fenced_or_indented_is_left_alone() -> None:
    docstring = "Text.\n\n```python\n>>> x\n```\n\n    >>> indented\n    1"
    assert griffe_doctest.fence_doctests(docstring) == docstring


def test_a_line_starting_with_a_comparison_is_not_a_quotation() -> None:
    assert griffe_doctest.fence_doctests("positive when it is\n> 0, so") == (
        "positive when it is\n\\> 0, so"
    )


def test_readme_pictures_link_to_themselves_at_full_size() -> None:
    page = build_site._rewrite_links(
        "See ![the graph](docs/neuron.svg) and [code](docs/x.md).", "."
    )
    assert page == (
        "See [![the graph](neuron.svg)](neuron.svg){: .gg-full-size } and [code](x.md)."
    )


def test_widget_outputs_are_dropped_from_an_executed_notebook() -> None:
    nbformat = pytest.importorskip("nbformat")
    v4 = nbformat.v4
    bar = v4.new_output(
        "display_data",
        data={build_site.WIDGET: {"model_id": "1"}, "text/plain": "training:   0%|  | 0/40"},
    )
    printed = v4.new_output("stream", name="stdout", text="accuracy 98.0%\n")
    notebook = v4.new_notebook(cells=[v4.new_code_cell("fit(...)", outputs=[bar, printed])])
    notebook.metadata["widgets"] = {"state": {}}
    build_site.drop_widgets(notebook)
    assert notebook.cells[0].outputs == [printed]
    assert "widgets" not in notebook.metadata
