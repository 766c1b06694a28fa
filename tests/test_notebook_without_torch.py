"""S4_pytorch runs without PyTorch: every cell does its glassgrad half and says what it skipped.

The notebook's code cells run in a fresh interpreter in which ``import torch`` fails, as on a
machine without the ``reference`` extra (nbmake runs the notebook with torch installed); and
in one where only ``import keras`` fails, so its Keras section says it is skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "S4_pytorch.ipynb"
WITHOUT_TORCH = "import sys\nsys.modules['torch'] = None  # `import torch` now raises ImportError\n"
WITHOUT_KERAS = "import sys\nsys.modules['keras'] = None  # `import keras` now raises ImportError\n"


def _script(notebook: Path) -> str:
    """The notebook's code cells as one script, IPython magics left out."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    parts = []
    for cell in cells:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            lines = [line for line in source.splitlines() if not line.lstrip().startswith("%")]
            parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _run_without(module_lines: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run the notebook's code cells after ``module_lines``, which make some imports fail."""
    script = tmp_path / "s4_without.py"
    script.write_text(module_lines + _script(NOTEBOOK), encoding="utf-8")
    environment = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
        cwd=NOTEBOOK.parent,
    )


def test_the_pytorch_lesson_runs_and_says_what_it_skips_without_torch(tmp_path: Path) -> None:
    result = _run_without(WITHOUT_TORCH, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "pip install torch==2.13.0" in result.stdout
    assert result.stdout.count("skipped: PyTorch is not installed") >= 5
    assert "glassgrad test accuracy" in result.stdout
    assert "the Keras section is skipped" in result.stdout  # Keras runs on PyTorch here


def test_the_keras_section_is_skipped_with_a_note_without_keras(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    result = _run_without(WITHOUT_KERAS, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "the Keras section is skipped" in result.stdout
    assert "pip install torch==2.13.0 keras==3.15.1" in result.stdout
    assert result.stdout.count("skipped: Keras is not available") == 2
    assert "skipped: PyTorch is not installed" not in result.stdout
