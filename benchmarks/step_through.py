"""The step-through page and the size guards: how long they take and how big the page is.

* The page of one sample's hinge loss through ``MLP(2, [16, 16, 1])`` (the demo's network):
  ``trace_backward`` plus ``save_html``, timed as a whole (wall clock), with the CPU time of
  this process and of graphviz's ``dot`` apart (on a shared machine the wall clock mostly
  measures waiting), and the size of the file.
* Refusing a 10^6-node chain: ``draw_dot`` and ``trace_backward`` with their default
  ``max_nodes``, which count while walking and stop at the limit.

Run it alone with ``.venv/bin/python -m benchmarks.step_through``; it prints one table.
"""

from __future__ import annotations

import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from autograd import Value


@dataclass(frozen=True)
class PageTiming:
    """Medians over the runs: wall seconds, CPU seconds (ours, dot's) and the page's bytes."""

    wall_s: float
    cpu_s: float
    dot_cpu_s: float
    page_bytes: int


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_page(hidden: tuple[int, ...] = (16, 16), runs: int = 5) -> PageTiming:
    """Build the step-through page of one sample through ``MLP(2, [*hidden, 1])``."""
    from autograd.viz import trace_backward
    from nn import MLP, losses

    walls, cpus, dots, size = [], [], [], 0
    with tempfile.TemporaryDirectory() as folder:
        for run in range(runs):
            model = MLP(2, [*hidden, 1], seed=run)
            score = model([0.5, -1.2])
            assert isinstance(score, Value)
            loss = losses.hinge([score], [1])
            wall, cpu, dot = time.perf_counter(), time.process_time(), _children_cpu()
            path = trace_backward(loss).save_html(Path(folder) / "steps.html")
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            dots.append(_children_cpu() - dot)
            size = path.stat().st_size
    return PageTiming(
        statistics.median(walls), statistics.median(cpus), statistics.median(dots), size
    )


def time_refusals(length: int = 1_000_000) -> dict[str, float]:
    """Seconds for ``draw_dot`` and ``trace_backward`` to refuse a chain of ``length`` nodes."""
    from autograd.viz import GraphTooLargeError, draw_dot, trace_backward

    x = Value(0.5)
    chain = x
    for _ in range(length - 1):
        chain = chain * 1.0000001
    seconds = {}
    for name, function in (("draw_dot", draw_dot), ("trace_backward", trace_backward)):
        start = time.perf_counter()
        try:
            function(chain)
        except GraphTooLargeError:
            seconds[name] = time.perf_counter() - start
        else:
            raise AssertionError(f"{name} drew a {length}-node chain")
    return seconds


def main() -> int:
    """Print the table."""
    page = time_page()
    refusals = time_refusals()
    print("| measure | value |")
    print("|---|---|")
    print(f"| MLP(2, [16, 16, 1]) step-through, wall (median of 5) | {page.wall_s:.3f} s |")
    print(f"| same, CPU: this process + dot | {page.cpu_s:.3f} s + {page.dot_cpu_s:.3f} s |")
    print(f"| same, page size | {page.page_bytes / 1e6:.3f} MB |")
    for name, seconds in refusals.items():
        print(f"| {name} refusing a 10^6-node chain | {seconds * 1000:.1f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
