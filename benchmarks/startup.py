"""Start-up and drawing: the time to ``import autograd``, and to draw a 1,000-node graph.

The import is timed in a fresh interpreter each time (a second import in the same process
costs nothing), from inside the child so that the interpreter's own start-up is not counted.
The child also reports which heavy libraries the import pulled in: there must be none
(graphviz, hypothesis, matplotlib, tqdm, numpy and torch load only where they are used).

The drawing is ``autograd.viz.draw_dot(root).source``: the DOT text, without running
graphviz's ``dot`` program (that is graphviz's time, not ours).
"""

from __future__ import annotations

import gc
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

from autograd import Value, topological_order

HEAVY_MODULES = ("graphviz", "hypothesis", "matplotlib", "tqdm", "numpy", "torch")
"""Libraries that ``import autograd`` must not load."""

_CHILD = """
import json, sys, time
start = time.perf_counter()
import autograd
seconds = time.perf_counter() - start
heavy = [name for name in {heavy!r} if name in sys.modules]
print(json.dumps({{"seconds": seconds, "heavy": heavy}}))
"""


@dataclass(frozen=True)
class ImportTiming:
    """Median seconds of ``import autograd`` in fresh interpreters, and heavy modules loaded."""

    median_s: float
    samples_s: list[float]
    heavy_modules: list[str]


def time_import(repeats: int = 7) -> ImportTiming:
    """Import ``autograd`` in ``repeats`` fresh interpreters (``-X frozen_modules`` default)."""
    samples: list[float] = []
    heavy: set[str] = set()
    code = _CHILD.format(heavy=HEAVY_MODULES)
    for _ in range(repeats):
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
        )
        report = json.loads(result.stdout.strip().splitlines()[-1])
        samples.append(float(report["seconds"]))
        heavy.update(report["heavy"])
    return ImportTiming(statistics.median(samples), samples, sorted(heavy))


def graph_of_size(n_nodes: int) -> Value:
    """A graph of exactly ``n_nodes`` nodes (n_nodes >= 6): tanh(a_i * b_i) terms, summed.

    Each term adds four nodes (two leaves, ``*`` and ``tanh``); the sum adds one, and a short
    chain of ``* 0.5`` nodes on top makes up the remainder.
    """
    if n_nodes < 6:
        raise ValueError(f"graph_of_size: n_nodes must be >= 6, got {n_nodes}")
    terms = (n_nodes - 2) // 4
    leaves = [
        (Value(0.1 * i, label=f"a{i}"), Value(-0.05 * i, label=f"b{i}")) for i in range(terms)
    ]
    root = Value.sum([(a * b).tanh() for a, b in leaves])
    for _ in range(n_nodes - (4 * terms + 1)):
        root = root * 0.5
    return root


def time_dot_source(n_nodes: int = 1000, repeats: int = 5) -> float | None:
    """Median seconds of ``draw_dot(root).source`` for an ``n_nodes`` graph after backward().

    None when ``autograd.viz`` is not available.
    """
    try:
        from autograd.viz import draw_dot
    except ImportError:
        return None
    root = graph_of_size(n_nodes)
    if len(topological_order(root)) != n_nodes:
        raise AssertionError("graph_of_size built the wrong number of nodes")
    root.backward()
    samples = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        source = draw_dot(root, max_nodes=4 * n_nodes).source
        samples.append(time.perf_counter() - start)
        if not source:
            raise AssertionError("draw_dot returned an empty drawing")
    return statistics.median(samples)
