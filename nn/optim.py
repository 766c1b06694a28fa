"""Optimizers: move each parameter a little against its gradient.

Updates work on plain floats (``p.data -= lr * p.grad``): an update is not part of any
computation to differentiate, so it builds no graph nodes. The rules are PyTorch's, so
``SGD`` and ``Adam`` here take the same steps as ``torch.optim.SGD`` and ``torch.optim.Adam``
given the same settings (checked in the tests).

The learning rate ``lr`` is a number or a function of the step index: ``lr(k)`` is called
before step ``k``, counting from 0 (``lr=lambda k: 1.0 - 0.9 * k / 100`` is micrograd's
decay over 100 steps).

Every step first computes all new values and state (momentum, moments), checks that they are
finite, and only then assigns them: a step that would overflow raises an OverflowError naming
the parameter and leaves every parameter and every piece of state as it was. The assignment
itself is all or nothing too: a Ctrl-C in the middle of it puts back every parameter, the
state and the step count, so a step is either taken whole or not at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from autograd import Value
from nn.data import real

__all__ = ["SGD", "Adam", "LearningRate", "Optimizer"]

LearningRate = float | Callable[[int], float]


def _check_rate(x: object, what: str, *, positive: bool = False, below_one: bool = False) -> float:
    number = real(x, what)  # any real number type, numpy's included
    if number < 0 or (positive and number == 0) or (below_one and number >= 1):
        bounds = "> 0" if positive else "in [0, 1)" if below_one else ">= 0"
        raise ValueError(f"{what} must be {bounds}, got {x!r}")
    return number


def _describe(p: Value) -> str:
    owner = getattr(p, "owner", "")
    return f"{owner}.{p.label}" if owner else p.label or "a parameter"


class Optimizer:
    """What every optimizer shares: the parameters, the learning rate and the step count."""

    def __init__(self, params: Iterable[Value], lr: LearningRate, weight_decay: float) -> None:
        """Check and keep the parameters (each once, in order) and the settings."""
        unique = list(dict.fromkeys(params))  # a parameter listed twice is still updated once
        for p in unique:
            if not isinstance(p, Value):
                raise TypeError(f"{type(self).__name__}: parameters must be Values, got {p!r}")
        if not unique:
            raise ValueError(f"{type(self).__name__}: no parameters to optimize")
        if not callable(lr):
            _check_rate(lr, f"{type(self).__name__}: lr", positive=True)
        self.params = unique
        self.lr = lr
        self.weight_decay = _check_rate(weight_decay, f"{type(self).__name__}: weight_decay")
        self.steps = 0
        """How many steps have been taken."""

    def current_lr(self) -> float:
        """The learning rate of the next step (``lr(self.steps)`` when lr is a function)."""
        if not callable(self.lr):
            return float(self.lr)
        return _check_rate(
            self.lr(self.steps), f"{type(self).__name__}: lr({self.steps})", positive=False
        )

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0 before the next ``backward()``."""
        for p in self.params:
            p.grad = 0.0

    def _gradients(self) -> list[float]:
        """Each parameter's gradient plus ``weight_decay * data`` (L2 decay, as in PyTorch)."""
        decay = self.weight_decay
        grads = [p.grad + decay * p.data if decay else p.grad for p in self.params]
        self._check_finite(grads, lambda p, g: f": the gradient of {_describe(p)} is {g}")
        return grads

    def _assign(self, new_values: list[float], **state: list[float]) -> None:
        """Set every parameter to its new value and each attribute named in ``state`` (the
        optimizer's state, such as ``velocity``) to its new list, and count the step; after
        checking the values are finite, and all or nothing even when interrupted."""
        self._check_finite(new_values, lambda p, value: f" would make {_describe(p)} {value}")
        old_values = [p.data for p in self.params]
        old_state = {name: getattr(self, name) for name in state}
        old_steps = self.steps
        try:
            for p, value in zip(self.params, new_values, strict=True):
                p.data = value
            for name, new in state.items():
                setattr(self, name, new)
            self.steps = old_steps + 1
        except BaseException:  # a Ctrl-C in the middle: put back what was there
            for p, value in zip(self.params, old_values, strict=True):
                p.data = value
            for name, old in old_state.items():
                setattr(self, name, old)
            self.steps = old_steps
            raise

    def _check_finite(self, numbers: list[float], problem: Callable[[Value, float], str]) -> None:
        """Raise an OverflowError naming the first parameter whose number is inf or nan, with
        ``problem(parameter, number)`` saying what is wrong with it."""
        if _all_finite(numbers):
            return
        for p, x in zip(self.params, numbers, strict=True):
            if not math.isfinite(x):
                raise OverflowError(f"{type(self).__name__}: step {self.steps}{problem(p, x)}")

    def step(self) -> None:
        """Update every parameter from its ``.grad``."""
        raise NotImplementedError


def _all_finite(numbers: list[float]) -> bool:
    """Whether no number is inf or nan, checked by one sum in C rather than one call each.

    An inf or nan makes the sum inf or nan; a false alarm (finite numbers whose sum
    overflows) only sends the caller to its slower check, number by number.
    """
    total = sum(numbers)
    return total - total == 0.0


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum and weight decay.

    With ``g = grad + weight_decay * p``: without momentum ``p -= lr * g``; with momentum a
    velocity ``v = momentum * v + g`` (0 before the first step) and ``p -= lr * v``.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: LearningRate,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        """See the class docstring; ``lr`` > 0, ``momentum`` in [0, 1), ``weight_decay`` >= 0."""
        super().__init__(params, lr, weight_decay)
        self.momentum = _check_rate(momentum, "SGD: momentum", below_one=True)
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        """One step: ``p -= lr * g`` (or ``lr * velocity`` with momentum)."""
        lr = self.current_lr()
        grads = self._gradients()
        if self.momentum:
            velocity = [self.momentum * v + g for v, g in zip(self.velocity, grads, strict=True)]
            new = [p.data - lr * v for p, v in zip(self.params, velocity, strict=True)]
            self._assign(new, velocity=velocity)
        else:
            self._assign([p.data - lr * g for p, g in zip(self.params, grads, strict=True)])


class Adam(Optimizer):
    """Adam: steps scaled by running averages of the gradient and of its square.

    With ``g = grad + weight_decay * p`` and step number ``t`` counting from 1::

        m = beta1 * m + (1 - beta1) * g          # first moment (momentum)
        v = beta2 * v + (1 - beta2) * g * g      # second moment
        p -= lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)

    The two divisions undo the bias of m and v towards their starting value 0.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: LearningRate = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        """See the class docstring; betas in [0, 1), ``eps`` > 0, ``weight_decay`` >= 0."""
        super().__init__(params, lr, weight_decay)
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair of numbers, got {betas!r}")
        self.beta1 = _check_rate(betas[0], "Adam: betas[0]", below_one=True)
        self.beta2 = _check_rate(betas[1], "Adam: betas[1]", below_one=True)
        self.eps = _check_rate(eps, "Adam: eps", positive=True)
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """One Adam step for every parameter."""
        lr = self.current_lr()
        grads = self._gradients()
        b1, b2, eps = self.beta1, self.beta2, self.eps
        t = self.steps + 1
        m = [b1 * mi + (1.0 - b1) * g for mi, g in zip(self.m, grads, strict=True)]
        v = [b2 * vi + (1.0 - b2) * g * g for vi, g in zip(self.v, grads, strict=True)]
        # m stays finite (an average of finite numbers), but a gradient above about 1.3e154
        # squares to inf: v would be inf and the parameter would never move again.
        self._check_finite(
            v,
            lambda p, moment: (
                f": the gradient of {_describe(p)} ({p.grad!r}) is too large to square; "
                f"its second moment would be {moment}"
            ),
        )
        # PyTorch's arrangement of the same formula (and so the same rounding).
        step_size = lr / (1.0 - b1**t)
        root_correction = math.sqrt(1.0 - b2**t)
        new = [
            p.data - step_size * mi / (math.sqrt(vi) / root_correction + eps)
            for p, mi, vi in zip(self.params, m, v, strict=True)
        ]
        self._assign(new, m=m, v=v)
