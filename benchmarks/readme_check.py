"""The README's speed table, checked against this run of the benchmarks.

The README quotes the demo step's ratios from one run of ``make bench`` (its "Speed" table:
each row's time against micrograd and against the hand-derived floats). Timings on a shared
machine move from run to run, so the bench does not fail on a difference: it prints the
README's ratio beside this run's and marks a row whose ratio moved by more than
`TOLERANCE` outside the README's range, so that a README gone stale shows at the next
``make bench``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent.parent / "README.md"
TOLERANCE = 0.25  # a ratio within 25% of the README's counts as the same on this machine

ROWS = {
    "micrograd 0.1.0": "micrograd 0.1.0",
    "every neuron written as": "glassgrad (binary * and +)",
    "micrograd's demo line for line": "glassgrad (nn, micrograd style)",
    "the engine with `model.batch(X)`": "glassgrad (nn)",
    "hand-derived pure-float Python": "hand-derived floats",
    "compiled": "glassgrad (compiled)",
}
"""A phrase of each README row, and the benchmark row it quotes."""

_RATIO = re.compile(r"([\d.]+)(?:–([\d.]+))?x")


@dataclass(frozen=True)
class QuotedRow:
    """One row of the README's table: the benchmark it quotes and its two ratios, each a
    range (``207–211x``; one number is a range of one)."""

    name: str
    vs_micrograd: tuple[float, float]
    vs_floats: tuple[float, float]


def quoted_rows(text: str | None = None) -> list[QuotedRow]:
    """The README's speed table, row by row; ValueError if a row matches no benchmark."""
    text = README.read_text(encoding="utf-8") if text is None else text
    start = text.index("| demo step (")
    lines = text[start:].split("\n\n", 1)[0].splitlines()[2:]  # past the header and rule
    rows = []
    for line in lines:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        matches = [name for phrase, name in ROWS.items() if phrase in cells[0]]
        if len(matches) != 1:
            raise ValueError(f"README speed table: no single benchmark for row {cells[0]!r}")
        found = [_RATIO.search(cell) for cell in cells[2:4]]
        if not all(found):
            raise ValueError(f"README speed table: no ratios in row {line!r}")
        ratios = [
            (float(match.group(1)), float(match.group(2) or match.group(1)))
            for match in found
            if match
        ]
        rows.append(QuotedRow(matches[0], ratios[0], ratios[1]))
    return rows


def compare(demo: dict[str, Any]) -> list[list[str]]:
    """Rows of README-vs-this-run: the benchmark, both ratios each way, and whether they agree.

    ``demo`` is the demo step's timings of this run (``results["demo_step"]["timings"]``).
    """
    micrograd = demo.get("micrograd 0.1.0", {}).get("median_s")
    floats = demo["hand-derived floats"]["median_s"]
    table = []
    for row in quoted_rows():
        timing = demo.get(row.name)
        says = ", ".join(_shown(quoted) for quoted in (row.vs_micrograd, row.vs_floats))
        if timing is None:
            table.append([row.name, says, "not run", "-"])
            continue
        median = timing["median_s"]
        measured = [micrograd / median if micrograd else None, median / floats]
        close = all(
            m is None or low * (1 - TOLERANCE) <= m <= high * (1 + TOLERANCE)
            for m, (low, high) in zip(measured, (row.vs_micrograd, row.vs_floats), strict=True)
        )
        shown = ", ".join("-" if m is None else f"{m:.3g}x" for m in measured)
        table.append([row.name, says, shown, "yes" if close else "NO"])
    return table


def _shown(quoted: tuple[float, float]) -> str:
    low, high = quoted
    return f"{low:g}x" if low == high else f"{low:g}–{high:g}x"
