"""gradcheck: compare autograd's derivatives with central finite differences.

The central difference ``(f(x + eps) - f(x - eps)) / (2 * eps)`` approximates f'(x) with an
error of order eps^2, independently of any derivative rule, so agreement between the two is
strong evidence that the rules (and their use by the sweep) are right.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from autograd.backward import grad
from autograd.mode import no_grad
from autograd.validate import finite_float
from autograd.value import Value


class GradcheckError(AssertionError):
    """An analytic derivative disagrees with its finite-difference estimate."""


def gradcheck(
    fn: Callable[..., Value],
    inputs: Sequence[float],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    order: int = 1,
) -> bool:
    """Check the derivatives of ``fn`` (scalars in, one Value out) at ``inputs``.

    Every first derivative d fn / d x_i is compared with a central difference. With
    ``order=2`` every second derivative d2 fn / d x_i d x_j (from ``grad`` with
    ``create_graph=True``) is compared with a central difference of the first derivatives.
    A pair agrees when ``|analytic - numeric| <= atol + rtol * |numeric|``.

    Returns True, or raises ``GradcheckError`` naming the input(s), both values and the order.
    """
    if order not in (1, 2):
        raise ValueError(f"gradcheck: order must be 1 or 2, got {order!r}")
    if not eps > 0:
        raise ValueError(f"gradcheck: eps must be > 0, got {eps!r}")
    point = [finite_float(x, f"gradcheck: inputs[{i}]") for i, x in enumerate(inputs)]

    def value_at(xs: Sequence[float]) -> float:
        with no_grad():
            return _call(fn, [Value(x) for x in xs]).data

    def gradient_at(xs: Sequence[float]) -> list[float]:
        leaves = [Value(x) for x in xs]
        return [g.data for g in grad(_call(fn, leaves), leaves)]

    def shifted(i: int, delta: float) -> list[float]:
        xs = list(point)
        xs[i] += delta
        return xs

    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(point)]
    first = grad(_call(fn, leaves), leaves, create_graph=order == 2)
    for i, analytic in enumerate(first):
        numeric = (value_at(shifted(i, eps)) - value_at(shifted(i, -eps))) / (2 * eps)
        _compare(analytic.data, numeric, atol, rtol, f"d f/d x{i}", point)

    if order == 2:
        for i, first_i in enumerate(first):
            second = grad(first_i, leaves)
            for j, analytic_ij in enumerate(second):
                plus, minus = gradient_at(shifted(j, eps)), gradient_at(shifted(j, -eps))
                numeric = (plus[i] - minus[i]) / (2 * eps)
                _compare(analytic_ij.data, numeric, atol, rtol, f"d2 f/d x{i} d x{j}", point)
    return True


def _call(fn: Callable[..., Value], leaves: list[Value]) -> Value:
    out = fn(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: fn must return a Value, got {type(out).__name__}")
    return out


def _compare(
    analytic: float, numeric: float, atol: float, rtol: float, what: str, point: list[float]
) -> None:
    if abs(analytic - numeric) > atol + rtol * abs(numeric):
        raise GradcheckError(
            f"gradcheck: {what} at inputs {point}: analytic {analytic!r} but numeric "
            f"{numeric!r} (difference {abs(analytic - numeric):.3g}, "
            f"allowed {atol + rtol * abs(numeric):.3g})"
        )
