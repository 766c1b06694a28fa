"""What ``autograd.compile`` costs and buys beyond the demo step's time.

* `first_call`: the first call of the compiled demo step (trace on the engine, generate the
  source, compile it with CPython) and the size of the generated source.
* `large_graph`: a function of 10^5 nodes compiled (first call) and then called.
* `fit_digits`: ``nn.fit`` on the digits lesson's data (lesson 07: 300 images, MLP(64,
  [16, 10]), cross-entropy, Adam, 12 epochs of batches of 20), compiled (the default) and on
  the engine (``compile=False``), each timed whole, compile time included. Needs
  scikit-learn's digits (the ``notebooks`` extra); skipped without it.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

import autograd
from autograd import Value
from benchmarks import demo_step


@dataclass(frozen=True)
class FirstCall:
    """The compiled demo step's first call and its source."""

    seconds: float
    source_bytes: int
    source_lines: int


def first_call(points: int = 100) -> FirstCall:
    """Trace + generate + compile of the demo step, timed once from scratch."""
    problem = demo_step.make_problem(points)
    step = demo_step.GlassgradCompiledStep(problem)
    step.reset()
    step.step()
    assert step.first_call_s is not None
    source = step.compiled.source
    return FirstCall(step.first_call_s, len(source.encode()), source.count("\n"))


def large_graph(nodes: int = 100_000) -> dict[str, float]:
    """A chain of ``nodes`` op nodes (``v = v * 0.5 + w``, alternating), compiled."""
    w = Value(0.25, label="w")

    def chain(x: Value) -> Value:
        v = x
        for _ in range(nodes // 2):
            v = v * 0.5 + w
        return v

    step = autograd.compile(chain)
    start = time.perf_counter()
    step(1.0)
    first = time.perf_counter() - start
    start = time.perf_counter()
    step(2.0)
    again = time.perf_counter() - start
    return {"nodes": float(nodes), "first_call_s": first, "call_s": again}


def _digits() -> tuple[list[list[float]], list[int]] | None:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        return None
    digits = load_digits()
    pixels = [[value / 16 for value in row] for row in digits.data.tolist()]
    labels = [int(t) for t in digits.target.tolist()]
    order = list(range(len(pixels)))
    random.Random(0).shuffle(order)
    train = order[:300]
    return [pixels[i] for i in train], [labels[i] for i in train]


def fit_digits(repeats: int = 1) -> dict[str, Any] | None:
    """Lesson 07's fit, compiled and on the engine, interleaved; None without scikit-learn."""
    data = _digits()
    if data is None:
        return None
    from nn import MLP, fit, losses, optim

    X, y = data
    times: dict[bool, list[float]] = {True: [], False: []}
    finals: dict[bool, list[float]] = {}
    for _ in range(repeats):
        for compiled in (True, False):
            model = MLP(64, [16, 10], seed=0)
            optimizer = optim.Adam(model.parameters(), lr=0.02)
            start = time.perf_counter()
            fit(
                model,
                X,
                y,
                loss=losses.cross_entropy,
                optimizer=optimizer,
                epochs=12,
                batch_size=20,
                seed=0,
                progress=False,
                compile=compiled,
            )
            times[compiled].append(time.perf_counter() - start)
            finals[compiled] = [p.data for p in model.parameters()]
    if finals[True] != finals[False]:
        raise AssertionError("fit compiled and on the engine ended with different parameters")
    return {"compiled_s": sorted(times[True]), "engine_s": sorted(times[False])}
