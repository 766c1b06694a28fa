"""Timing, statistics and result files shared by every benchmark.

Three rules make the numbers comparable on a noisy machine:

* **Interleaved.** Cases that are compared (glassgrad vs micrograd vs hand-written floats) run in
  rounds, one run of each per round, in a rotating order: if the machine slows down for a
  while, every case pays for it, and the ratios stay honest.
* **Medians** over the repeated runs, not means: one run disturbed by another process moves a
  mean a lot and a median hardly at all.
* **An untimed ``gc.collect()`` before each timed run**, so one run's garbage (micrograd's graph
  is full of reference cycles) is not collected on the next run's clock.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograd.files import write_atomically

RESULTS_DIR = Path(__file__).resolve().parent / "results"
"""Where each run writes its JSON (git-ignored; ``benchmarks/README.md`` has the table)."""


@dataclass
class Case:
    """One thing to time.

    Attributes:
        name: the row name in tables and JSON.
        run: the timed callable.
        prepare: an untimed callable run before each timed run (e.g. reset the parameters).
        repeats: how many timed runs; slow baselines get fewer.
    """

    name: str
    run: Callable[[], object]
    prepare: Callable[[], object] | None = None
    repeats: int = 5


@dataclass
class Timing:
    """The timed runs of one case, in seconds."""

    name: str
    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """The median run time in seconds."""
        return statistics.median(self.seconds)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: median, min, max and every sample."""
        return {
            "median_s": self.median,
            "min_s": min(self.seconds),
            "max_s": max(self.seconds),
            "runs": len(self.seconds),
            "samples_s": self.seconds,
        }


def time_once(run: Callable[[], object], prepare: Callable[[], object] | None = None) -> float:
    """Seconds taken by one call of ``run``, after an untimed ``prepare()`` and ``gc.collect()``."""
    if prepare is not None:
        prepare()
    gc.collect()
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def measure_interleaved(cases: list[Case], warmup: bool = True) -> dict[str, Timing]:
    """Time every case ``case.repeats`` times, in rounds that rotate the order of the cases.

    A case with fewer repeats than there are rounds runs in rounds spread evenly from the
    first to the last, so that its times and the others' come from the same stretch of the
    machine's drift (a slow case that ran only in the first rounds would be compared with
    times from later, differently loaded minutes). With ``warmup`` each case first runs once
    untimed (imports, caches and first-call costs are not what we measure).
    """
    if warmup:
        for case in cases:
            time_once(case.run, case.prepare)
    timings = {case.name: Timing(case.name) for case in cases}
    rounds = max((case.repeats for case in cases), default=0)
    schedule = {case.name: spread_rounds(case.repeats, rounds) for case in cases}
    for round_index in range(rounds):
        shift = round_index % len(cases)
        for case in cases[shift:] + cases[:shift]:
            if round_index in schedule[case.name]:
                timings[case.name].seconds.append(time_once(case.run, case.prepare))
    return timings


def spread_rounds(repeats: int, rounds: int) -> set[int]:
    """``repeats`` distinct round indices out of ``range(rounds)``, evenly spaced, first and
    last included (``spread_rounds(5, 21) == {0, 5, 10, 15, 20}``)."""
    if repeats >= rounds:
        return set(range(rounds))
    if repeats <= 1:
        return set(range(repeats))  # {0}, or nothing at all
    step = (rounds - 1) / (repeats - 1)  # >= 1, so no two rounded indices coincide
    return {int(j * step + 0.5) for j in range(repeats)}


def machine_info() -> dict[str, Any]:
    """Date, CPU model, core count and Python version: the context every number needs."""
    cpu_model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu_model": cpu_model,
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "git_commit": _git_commit(),
    }


def _git_commit() -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return None
    return result.stdout.strip() or None


def write_json(results: dict[str, Any], directory: Path = RESULTS_DIR) -> Path:
    """Write ``results`` as ``<directory>/bench-<timestamp>.json`` and ``latest.json``.

    Each file is written to a temporary name first and then renamed, so a reader never sees a
    half-written file.
    """
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2, sort_keys=True) + "\n"
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    path = directory / f"bench-{stamp}.json"
    for target in (path, directory / "latest.json"):
        write_atomically(target, text.encode("utf-8"), "benchmarks")
    return path


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (it reads fine in a terminal too)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return (
            "| "
            + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
            + " |"
        )

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def milliseconds(seconds: float) -> str:
    """Seconds shown as milliseconds with sensible precision."""
    ms = seconds * 1000.0
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.3g}"


def log(message: str) -> None:
    """Progress output, on stderr so the table on stdout stays clean."""
    print(message, file=sys.stderr, flush=True)
