"""micrograd's demo training step, written six ways, timed side by side.

The step (micrograd's ``demo.ipynb``): an MLP 2-16-16-1 (ReLU hidden layers, linear output)
scores 100 "moons" points; the loss is the mean hinge loss ``relu(1 - y * score)`` plus
``1e-4 * sum(p * p)`` over the 337 parameters; then backward and one SGD update
``p -= lr * p.grad``. Implementations:

* ``glassgrad (nn)``: the public nn API, ``nn.MLP`` (scoring the points with
  ``model.batch(X)``), ``nn.losses.hinge``, ``nn.losses.l2`` and ``nn.optim.SGD``, as a user
  writes it.
* ``glassgrad (nn, micrograd style)``: micrograd's demo line for line on ``nn.MLP``:
  ``model(x)`` per point, Python's ``sum`` for the loss, ``p.data -= lr * p.grad``.
* ``glassgrad (compiled)``: the same loss, compiled by ``autograd.compile``: micrograd's loop
  with ``loss = step(X, y)``.
* ``glassgrad (binary * and +)``: the same engine with every neuron written out as ``*`` and
  ``+`` nodes (micrograd's graph shape). Shows what nn's neuron op (one node per neuron) saves.
* ``micrograd 0.1.0``: the PyPI package, used as its demo notebook uses it.
* ``hand-derived floats``: no graph at all. The forward and the backward written out by hand on
  lists of floats, in plain idiomatic Python (``zip``, ``sum``, ``map``; no numpy): the floor
  for a scalar engine in pure Python.

Every implementation starts each timed step from the same initial parameters (reset untimed),
so all of them do the same arithmetic; `check_agreement` verifies that their losses and
updated parameters agree.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from operator import mul
from typing import Any, Protocol

from autograd import Value

ALPHA = 1e-4
"""Weight of the L2 penalty, as in micrograd's demo."""

LEARNING_RATE = 0.1
"""SGD step size (the value does not change the work done)."""

NeuronParameters = tuple[list[float], float]
"""One neuron's initial weights and bias."""


@dataclass(frozen=True)
class DemoProblem:
    """The data and the initial parameters shared by every implementation.

    ``initial[layer][neuron]`` is that neuron's ``(weights, bias)``; ``sizes`` is e.g.
    ``(2, 16, 16, 1)``.
    """

    points: list[tuple[float, float]]
    labels: list[float]
    sizes: tuple[int, ...]
    initial: list[list[NeuronParameters]]

    def flat_initial(self) -> list[float]:
        """All initial parameters in micrograd's order: per neuron its weights, then its bias."""
        return [x for layer in self.initial for ws, b in layer for x in (*ws, b)]


def make_problem(
    n_points: int = 100, hidden: tuple[int, ...] = (16, 16), seed: int = 0
) -> DemoProblem:
    """The demo problem: ``nn.data.moons`` points and micrograd-style initial parameters.

    Labels are -1 and +1 (the hinge loss's convention, as in micrograd's demo); weights are
    drawn from U(-1, 1) and biases are 0, as micrograd initialises them.
    """
    from nn.data import moons

    raw_points, classes = moons(n_points, noise=0.1, seed=seed)
    points = [(float(x), float(y)) for x, y in raw_points]
    labels = [2.0 * c - 1.0 for c in classes]
    sizes = (2, *hidden, 1)
    rng = random.Random(seed + 1)
    initial = [
        [([rng.uniform(-1.0, 1.0) for _ in range(n_in)], 0.0) for _ in range(n_out)]
        for n_in, n_out in pairwise(sizes)
    ]
    return DemoProblem(points, labels, sizes, initial)


class DemoStep(Protocol):
    """One implementation of the demo step."""

    name: str

    def reset(self) -> None:
        """Put the initial parameters back (untimed, before every timed step)."""

    def step(self) -> float:
        """One training step: zero grads, forward, loss, backward, SGD update; returns the loss."""

    def parameters(self) -> list[float]:
        """The current parameters, flat, in micrograd's order."""


# --------------------------------------------------------------------------------------------
# glassgrad, engine only
# --------------------------------------------------------------------------------------------


class GlassgradBinaryStep:
    """The long form: each neuron built from ``*`` and ``+``, one node per operation (the
    shape of micrograd's graph). Shows what nn's neuron op (one node per neuron) saves."""

    name = "glassgrad (binary * and +)"

    def __init__(self, problem: DemoProblem) -> None:
        """Make leaves for the parameters; the graph itself is built anew in every step."""
        self.problem = problem
        self.layers = [
            [(tuple(Value(w) for w in ws), Value(b)) for ws, b in layer]
            for layer in problem.initial
        ]
        self.params = [p for layer in self.layers for ws, b in layer for p in (*ws, b)]
        self.last = len(self.layers) - 1

    def reset(self) -> None:
        """Initial values back into the parameter leaves."""
        for p, value in zip(self.params, self.problem.flat_initial(), strict=True):
            p.data = value
            p.grad = 0.0

    def step(self) -> float:
        """One training step; returns the loss."""
        for p in self.params:
            p.grad = 0.0
        loss = self.loss()
        loss.backward()
        for p in self.params:
            p.data -= LEARNING_RATE * p.grad
        return loss.data

    def parameters(self) -> list[float]:
        """The current parameters, flat."""
        return [p.data for p in self.params]

    def score(self, point: tuple[float, float]) -> Value:
        """The network's output for one point, as a tree of binary nodes."""
        activations: list[Value] = [Value(x) for x in point]
        for index, layer in enumerate(self.layers):
            outputs = []
            for weights, bias in layer:
                z = bias
                for w, x in zip(weights, activations, strict=True):
                    z = z + w * x
                outputs.append(z if index == self.last else z.relu())
            activations = outputs
        return activations[0]

    def loss(self) -> Value:
        """The demo loss with sums as chains of ``+`` (as micrograd's ``sum()`` builds them)."""
        problem = self.problem
        scores = [self.score(point) for point in problem.points]
        data_loss: Value | float = 0.0
        for s, label in zip(scores, problem.labels, strict=True):
            data_loss = (1 - label * s).relu() + data_loss
        reg_loss: Value | float = 0.0
        for p in self.params:
            reg_loss = p * p + reg_loss
        assert isinstance(data_loss, Value) and isinstance(reg_loss, Value)
        return data_loss / len(scores) + ALPHA * reg_loss


# --------------------------------------------------------------------------------------------
# glassgrad, through the public nn API
# --------------------------------------------------------------------------------------------


class GlassgradNNStep:
    """The step as a user writes it with ``nn``: MLP, hinge and l2 losses, SGD."""

    name = "glassgrad (nn)"

    def __init__(self, problem: DemoProblem) -> None:
        """Build ``nn.MLP(2, [16, 16, 1])`` and load the shared initial parameters into it."""
        import nn

        self.problem = problem
        self.model = nn.MLP(problem.sizes[0], list(problem.sizes[1:]), seed=0)
        self.params = self.model.parameters()
        if len(self.params) != len(problem.flat_initial()):
            raise RuntimeError(
                f"nn.MLP has {len(self.params)} parameters, expected {len(problem.flat_initial())}"
            )
        self.optimizer = nn.optim.SGD(self.params, lr=LEARNING_RATE)
        self.hinge = nn.losses.hinge
        self.l2 = nn.losses.l2

    def reset(self) -> None:
        """Initial values back into the model's parameters."""
        for p, value in zip(self.params, self.problem.flat_initial(), strict=True):
            p.data = value
            p.grad = 0.0

    def scores(self) -> list[Any]:
        """The model's score for every point, as README.md shows it: ``model.batch(X)``."""
        return self.model.batch(self.problem.points)

    def step(self) -> float:
        """One training step; returns the loss."""
        problem = self.problem
        self.optimizer.zero_grad()
        scores = self.scores()
        loss = self.hinge(scores, problem.labels) + ALPHA * self.l2(self.params)
        self.backward(loss)
        self.optimizer.step()
        return float(loss.data)

    def backward(self, loss: Value) -> None:
        """``loss.backward()``: the engine."""
        loss.backward()

    def loss(self) -> Value:
        """The step's loss as a graph (for the create_graph benchmark)."""
        return self.hinge(self.scores(), self.problem.labels) + ALPHA * self.l2(self.params)

    def parameters(self) -> list[float]:
        """The current parameters, flat (nn's order is micrograd's order)."""
        return [p.data for p in self.params]


class GlassgradMicrogradStyleStep(GlassgradNNStep):
    """micrograd's demo step line for line on glassgrad: ``model(x)`` per point, the losses
    summed with Python's ``sum`` (a chain of ``+`` nodes), ``p.data -= lr * p.grad``.

    What a learner porting micrograd's notebook writes first; no nn loss or optimizer.
    """

    name = "glassgrad (nn, micrograd style)"

    def step(self) -> float:
        """One training step as micrograd's demo writes it; returns the loss."""
        problem = self.problem
        self.model.zero_grad()
        scores: list[Any] = [self.model(point) for point in problem.points]  # Values
        losses = [(1 - label * s).relu() for label, s in zip(problem.labels, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in self.params)
        loss: Value = data_loss + reg_loss
        loss.backward()
        for p in self.params:
            p.data -= LEARNING_RATE * p.grad
        return float(loss.data)


class GlassgradCompiledStep(GlassgradNNStep):
    """micrograd's demo loop with one line changed: ``loss = step(X, y)``, where ``step =
    autograd.compile(total_loss)`` and ``total_loss`` is the loss as micrograd's demo writes
    it (``model(x)`` per point, Python's ``sum``). Its first call (trace, generate, compile)
    is made by `check_agreement`, before timing; `first_call_s` keeps how long it took."""

    name = "glassgrad (compiled)"

    def __init__(self, problem: DemoProblem) -> None:
        """The nn model, and the compiled loss (not traced yet)."""
        import autograd

        super().__init__(problem)
        self.compiled = autograd.compile(self.total_loss)
        self.first_call_s: float | None = None

    def total_loss(self, X: list[Any], y: list[Any]) -> Value:
        """micrograd's loss: mean hinge over the points plus ALPHA times the sum of squares."""
        scores: list[Any] = [self.model(x) for x in X]
        losses = [(1 - yi * s).relu() for yi, s in zip(y, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        total: Value = data_loss + ALPHA * sum(p * p for p in self.params)
        return total

    def step(self) -> float:
        """One training step: the compiled loss and gradients, then SGD."""
        import time

        self.model.zero_grad()
        start = time.perf_counter()
        loss: float = self.compiled(self.problem.points, self.problem.labels)
        if self.first_call_s is None:
            self.first_call_s = time.perf_counter() - start
        for p in self.params:
            p.data -= LEARNING_RATE * p.grad
        return loss


# --------------------------------------------------------------------------------------------
# micrograd 0.1.0
# --------------------------------------------------------------------------------------------


class MicrogradStep:
    """The step with micrograd 0.1.0 from PyPI, as in its demo notebook."""

    name = "micrograd 0.1.0"

    def __init__(self, problem: DemoProblem) -> None:
        """Build micrograd's MLP and load the shared initial parameters into it."""
        from micrograd.engine import Value as MicrogradValue
        from micrograd.nn import MLP as MicrogradMLP

        self.problem = problem
        self.value_class: Any = MicrogradValue
        self.model: Any = MicrogradMLP(problem.sizes[0], list(problem.sizes[1:]))
        self.params: list[Any] = self.model.parameters()
        if len(self.params) != len(problem.flat_initial()):
            raise RuntimeError("micrograd's MLP has an unexpected number of parameters")

    def reset(self) -> None:
        """Initial values back into micrograd's parameters."""
        for p, value in zip(self.params, self.problem.flat_initial(), strict=True):
            p.data = value
            p.grad = 0.0

    def step(self) -> float:
        """One training step, written as micrograd's demo writes it; returns the loss."""
        problem = self.problem
        value_class = self.value_class
        self.model.zero_grad()
        inputs = [list(map(value_class, point)) for point in problem.points]
        scores = list(map(self.model, inputs))
        losses = [(1 + -label * s).relu() for label, s in zip(problem.labels, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in self.params)
        loss = data_loss + reg_loss
        loss.backward()
        for p in self.params:
            p.data -= LEARNING_RATE * p.grad
        return float(loss.data)

    def parameters(self) -> list[float]:
        """The current parameters, flat."""
        return [float(p.data) for p in self.params]


# --------------------------------------------------------------------------------------------
# Hand-derived floats: the same step with the chain rule done by hand
# --------------------------------------------------------------------------------------------


class HandFloatStep:
    """The step on plain lists of floats, forward and backward derived by hand.

    Layer ``l`` is a weight matrix ``weights[l]`` (one row per neuron) and a bias list
    ``biases[l]``. The backward pass carries ``delta``, d(loss)/d(pre-activation) of each neuron
    in a layer, from the output back to the first layer.
    """

    name = "hand-derived floats"

    def __init__(self, problem: DemoProblem) -> None:
        """Copy the initial parameters into lists."""
        self.problem = problem
        self.weights: list[list[list[float]]] = []
        self.biases: list[list[float]] = []
        self.reset()

    def reset(self) -> None:
        """Fresh copies of the initial parameters."""
        self.weights = [[list(ws) for ws, _ in layer] for layer in self.problem.initial]
        self.biases = [[b for _, b in layer] for layer in self.problem.initial]

    def step(self) -> float:
        """One training step; returns the loss."""
        weights, biases = self.weights, self.biases
        n_layers = len(weights)
        grad_w = [[[0.0] * len(row) for row in matrix] for matrix in weights]
        grad_b = [[0.0] * len(bias) for bias in biases]
        points, labels = self.problem.points, self.problem.labels
        scale = 1.0 / len(points)
        data_loss = 0.0
        for point, label in zip(points, labels, strict=True):
            # Forward, keeping each layer's input for the backward pass.
            layer_inputs: list[list[float]] = []
            a: list[float] = list(point)
            for index in range(n_layers):
                layer_inputs.append(a)
                z = [
                    sum(map(mul, row, a), b)
                    for row, b in zip(weights[index], biases[index], strict=True)
                ]
                a = z if index == n_layers - 1 else [v if v > 0.0 else 0.0 for v in z]
            margin = 1.0 - label * a[0]
            if margin <= 0.0:  # relu(margin) = 0: no loss and no gradient from this point
                continue
            data_loss += margin
            # Backward. d(loss)/d(score) = -label / n for a point inside the margin.
            delta = [-label * scale]
            for index in range(n_layers - 1, -1, -1):
                a_in = layer_inputs[index]
                rows, row_grads, bias_grads = weights[index], grad_w[index], grad_b[index]
                back = [0.0] * len(a_in)  # d(loss)/d(a_in)
                for j, d in enumerate(delta):
                    if d:
                        row_grads[j] = [g + d * x for g, x in zip(row_grads[j], a_in, strict=True)]
                        bias_grads[j] += d
                        back = [s + d * w for s, w in zip(back, rows[j], strict=True)]
                if index:  # through the relu of the previous layer: slope 1 where it was > 0
                    delta = [s if x > 0.0 else 0.0 for s, x in zip(back, a_in, strict=True)]
        # The L2 penalty and its gradient 2 * ALPHA * p, then the SGD update.
        reg_loss = 0.0
        two_alpha, lr = 2.0 * ALPHA, LEARNING_RATE
        for index in range(n_layers):
            matrix, bias = weights[index], biases[index]
            reg_loss += sum(sum(map(mul, row, row)) for row in matrix) + sum(map(mul, bias, bias))
            weights[index] = [
                [w - lr * (g + two_alpha * w) for w, g in zip(row, row_grad, strict=True)]
                for row, row_grad in zip(matrix, grad_w[index], strict=True)
            ]
            biases[index] = [
                b - lr * (g + two_alpha * b) for b, g in zip(bias, grad_b[index], strict=True)
            ]
        return data_loss * scale + ALPHA * reg_loss

    def parameters(self) -> list[float]:
        """The current parameters, flat."""
        return [
            x
            for matrix, bias in zip(self.weights, self.biases, strict=True)
            for row, b in zip(matrix, bias, strict=True)
            for x in (*row, b)
        ]


# --------------------------------------------------------------------------------------------
# Running them
# --------------------------------------------------------------------------------------------

IMPLEMENTATIONS: dict[str, Callable[[DemoProblem], DemoStep]] = {
    GlassgradCompiledStep.name: GlassgradCompiledStep,
    GlassgradNNStep.name: GlassgradNNStep,
    GlassgradMicrogradStyleStep.name: GlassgradMicrogradStyleStep,
    GlassgradBinaryStep.name: GlassgradBinaryStep,
    MicrogradStep.name: MicrogradStep,
    HandFloatStep.name: HandFloatStep,
}
"""Every implementation by its row name."""


def available_implementations(problem: DemoProblem) -> tuple[list[DemoStep], dict[str, str]]:
    """The implementations that can run here, and why the others cannot (e.g. no micrograd)."""
    steps: list[DemoStep] = []
    missing: dict[str, str] = {}
    for name, make in IMPLEMENTATIONS.items():
        try:
            steps.append(make(problem))
        except ImportError as error:
            missing[name] = f"{type(error).__name__}: {error}"
    return steps, missing


def check_agreement(steps: list[DemoStep], tolerance: float = 1e-9) -> dict[str, float]:
    """Run one step of each from the initial parameters; raise if the results disagree.

    Returns each implementation's loss. The parameters after the step must match the first
    implementation's to ``tolerance`` (relative to the largest parameter).
    """
    losses: dict[str, float] = {}
    reference: list[float] | None = None
    for step in steps:
        step.reset()
        losses[step.name] = step.step()
        after = step.parameters()
        if reference is None:
            reference = after
            continue
        scale = max(1.0, max(abs(x) for x in reference))
        worst = max(abs(x - y) for x, y in zip(after, reference, strict=True))
        if len(after) != len(reference) or worst > tolerance * scale:
            raise AssertionError(
                f"{step.name} disagrees with {steps[0].name}: largest parameter difference "
                f"{worst:.3g} after one step"
            )
    first = next(iter(losses.values()))
    for name, loss in losses.items():
        if abs(loss - first) > tolerance * max(1.0, abs(first)):
            raise AssertionError(f"{name} loss {loss!r} differs from {first!r}")
    for step in steps:
        step.reset()
    return losses
