"""What ``create_graph=True`` costs: the second derivative of the demo loss.

For one weight ``w`` of the demo network (first layer, first neuron, first weight) we time

* ``first``: ``grad(loss, [w])``, the plain float sweep (what ``backward()`` does);
* ``first, differentiable``: ``grad(loss, [w], create_graph=True)``: the same sweep run on
  Values, so every derivative rule records graph nodes;
* ``second``: ``grad(dloss_dw, [w])`` on that recorded graph: d2 loss / dw2.

Building the loss graph is not timed. `check_second_derivative` compares d2 loss / dw2 with a
central difference of the first derivative, so the timed numbers are known to be right.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass

from autograd import Value, grad
from benchmarks.demo_step import DemoProblem, GlassgradNNStep


@dataclass(frozen=True)
class HigherOrderTiming:
    """Seconds for the three gradient computations on one demo loss graph."""

    first_s: float
    first_differentiable_s: float
    second_s: float
    second_derivative: float

    @property
    def overhead(self) -> float:
        """(differentiable first + second) / plain first derivative."""
        return (self.first_differentiable_s + self.second_s) / self.first_s


def _weight(step: GlassgradNNStep) -> Value:
    return step.params[0]


def time_second_derivative(problem: DemoProblem) -> HigherOrderTiming:
    """Time first, differentiable-first and second derivatives w.r.t. one weight."""
    step = GlassgradNNStep(problem)
    step.reset()
    w = _weight(step)
    loss = step.loss()

    def timed(run: Callable[[], object]) -> float:
        gc.collect()
        start = time.perf_counter()
        run()
        return time.perf_counter() - start

    first_s = timed(lambda: grad(loss, [w]))
    results: list[Value] = []
    first_differentiable_s = timed(lambda: results.extend(grad(loss, [w], create_graph=True)))
    second: list[Value] = []
    second_s = timed(lambda: second.extend(grad(results[0], [w])))
    return HigherOrderTiming(first_s, first_differentiable_s, second_s, second[0].data)


def check_second_derivative(problem: DemoProblem, eps: float = 1e-5) -> tuple[float, float]:
    """d2 loss / dw2 from ``create_graph=True`` and from a central difference of d loss / dw."""
    step = GlassgradNNStep(problem)
    step.reset()
    w = _weight(step)
    (first,) = grad(step.loss(), [w], create_graph=True)
    (second,) = grad(first, [w])

    def first_derivative_at(value: float) -> float:
        w.data = value
        (d,) = grad(step.loss(), [w])
        return d.data

    centre = w.data
    try:
        estimate = (first_derivative_at(centre + eps) - first_derivative_at(centre - eps)) / (
            2 * eps
        )
    finally:
        w.data = centre
    return second.data, estimate
