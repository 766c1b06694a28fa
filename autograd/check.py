"""gradcheck: compare autograd's derivatives with central finite differences.

The central difference ``(f(x + eps) - f(x - eps)) / (2 * eps)`` approximates f'(x) with an
error of order eps^2, independently of any derivative rule, so agreement between the two is
strong evidence that the rules (and their use by the sweep) are right.

Higher orders work the same way one level up: each k-th derivative that autograd gives is
compared with a central difference of the (k-1)-th derivatives that autograd gives. ``fn`` is
always run with the graph recorded, so a function that differentiates inside (one that calls
``grad(..., create_graph=True)``) is checked like any other: that is how third derivatives
are tested (``gradcheck(dcube, [x], order=2)`` with ``dcube`` returning d(x³)/dx).

A finite difference sees only the seed 1 that ``grad`` starts from, and with g = 1 a rule
that forgot to multiply by the upstream gradient g gives the right number. So at every order
the check also pulls back the other upstream values of `UPSTREAM` (``sweep`` with that seed):
each must give that multiple of the derivatives, or the rule at fault is found and named.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from autograd.backward import contributions_of, sweep, topological_order
from autograd.gradients import grad
from autograd.mode import enable_grad
from autograd.rule_results import operand_name
from autograd.validate import finite_float
from autograd.value import Value

__all__ = ["UPSTREAM", "GradcheckError", "Partials", "gradcheck"]

Partials = dict[tuple[int, ...], Value]
"""The k-th partial derivatives of fn: (i_1, ..., i_k) -> d^k fn / d x_i1 ... d x_ik."""


UPSTREAM = (-2.0, 0.0)
"""The upstream gradients pulled back besides 1: a derivative rule must scale with g. (A power
of two, so that a right rule's results scale exactly.)"""


class GradcheckError(AssertionError):
    """An analytic derivative disagrees with its finite-difference estimate, or a derivative
    rule does not scale with the upstream gradient g."""


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

    Every first derivative d fn / d x_i is compared with a central difference of ``fn``.
    With ``order=2`` every second derivative d2 fn / d x_i d x_j (``grad`` of ``grad`` with
    ``create_graph=True``) is also compared with a central difference, along x_j, of the first
    derivatives d fn / d x_i; and so on for higher orders. A pair agrees when
    ``|analytic - numeric| <= atol + rtol * |numeric|``.

    The finite differences only test the seed 1, with which a rule that ignores the upstream
    gradient ``g`` (``lambda g, out, x: (2 * x,)``, the commonest mistake) looks right. So at
    every order the derivatives are also pulled back from the upstream gradients -2 and 0
    (`UPSTREAM`): they must come out -2 and 0 times the derivatives (within the same
    tolerances), or ``GradcheckError`` names the op whose rule is at fault: "the rule of
    'sq' does not scale with the upstream gradient g".

    ``fn`` may itself call ``grad(..., create_graph=True)``: it runs with the graph recorded
    (even inside ``no_grad()``), so checking a derivative function at ``order=2`` checks
    third derivatives::

        def dcube(x):
            return grad(x**3, [x], create_graph=True)[0]

        gradcheck(dcube, [1.5], order=2)

    Returns True, or raises ``GradcheckError`` naming the input(s), both values and the order.
    Raises ValueError for a setting that would make the check meaningless: ``eps`` not > 0,
    a nan, infinite or negative tolerance, an ``order`` that is not an int >= 1.
    """
    _check_settings(eps=eps, atol=atol, rtol=rtol, order=order)
    point = [finite_float(x, f"gradcheck: inputs[{i}]") for i, x in enumerate(inputs)]

    def shifted(j: int, delta: float) -> list[float]:
        xs = list(point)
        xs[j] += delta
        return xs

    with enable_grad():
        analytic = _partials(fn, point, order, (atol, rtol))
        for j in range(len(point)):
            below = _partials(fn, shifted(j, -eps), order - 1)
            above = _partials(fn, shifted(j, eps), order - 1)
            for k in range(1, order + 1):
                for index, derivative in analytic[k].items():
                    if index[-1] != j:
                        continue
                    lower = below[k - 1][index[:-1]].data
                    upper = above[k - 1][index[:-1]].data
                    numeric = (upper - lower) / (2 * eps)
                    _compare(derivative.data, numeric, atol, rtol, _name(index), point)
    return True


def _check_settings(*, eps: float, atol: float, rtol: float, order: int) -> None:
    """Refuse settings under which every check would pass or none could: naming each one."""
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise ValueError(f"gradcheck: order must be an int >= 1, got {order!r}")
    for name, setting in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if not isinstance(setting, int | float) or isinstance(setting, bool):
            raise ValueError(f"gradcheck: {name} must be a number, got {setting!r}")
        if not math.isfinite(setting):
            raise ValueError(f"gradcheck: {name} must be finite, got {setting!r}")
    if not eps > 0:
        raise ValueError(f"gradcheck: eps must be > 0, got {eps!r}")
    for name, tolerance in (("atol", atol), ("rtol", rtol)):
        if tolerance < 0:
            raise ValueError(f"gradcheck: {name} must be >= 0, got {tolerance!r}")


def _partials(
    fn: Callable[..., Value],
    xs: Sequence[float],
    order: int,
    tolerances: tuple[float, float] | None = None,
) -> list[Partials]:
    """fn at ``xs`` and its partial derivatives up to ``order``: item k holds the k-th ones.

    Each level is ``grad`` of the level below with ``create_graph=True`` (except the last
    level, which nothing differentiates again). With ``tolerances`` (atol, rtol) each level
    is also pulled back from the seeds of `UPSTREAM` (`_check_upstream`).
    """
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    out = fn(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: fn must return a Value, got {type(out).__name__}")
    levels: list[Partials] = [{(): out}]
    for k in range(1, order + 1):
        level: Partials = {}
        for index, value in levels[-1].items():
            derivatives = grad(value, leaves, create_graph=k < order)
            if tolerances is not None:
                _check_upstream(value, leaves, derivatives, k < order, tolerances)
            for i, derivative in enumerate(derivatives):
                level[(*index, i)] = derivative
        levels.append(level)
    return levels


def _name(index: tuple[int, ...]) -> str:
    """``d f/d x0`` for a first derivative, ``d2 f/d x0 d x1`` for a second, and so on."""
    power = "" if len(index) == 1 else str(len(index))
    return f"d{power} f/" + " ".join(f"d x{i}" for i in index)


def _compare(
    analytic: float, numeric: float, atol: float, rtol: float, what: str, point: list[float]
) -> None:
    allowed = atol + rtol * abs(numeric)
    # Written so that a nan on either side fails the check instead of passing it.
    if not abs(analytic - numeric) <= allowed:
        raise GradcheckError(  # (+ 0.0: a zero is shown as 0.0, whatever its sign)
            f"gradcheck: {what} at inputs {point}: analytic {analytic + 0.0!r} but numeric "
            f"{numeric!r} (difference {abs(analytic - numeric):.3g}, allowed {allowed:.3g})"
        )


def _check_upstream(
    value: Value,
    leaves: list[Value],
    derivatives: list[Value],
    create_graph: bool,
    tolerances: tuple[float, float],
) -> None:
    """Pull back each seed of `UPSTREAM` from ``value`` (as ``grad`` pulls back 1, with or
    without ``create_graph``): each leaf must get seed times its derivative."""
    for seed in UPSTREAM:
        grads = sweep(value, Value(seed) if create_graph else seed, create_graph=create_graph)
        for leaf, derivative in zip(leaves, derivatives, strict=True):
            got = _number(grads.get(leaf, 0.0))
            if not _scales(got, seed, derivative.data, tolerances):
                raise _unscaled_rule(value, tolerances) or GradcheckError(
                    f"gradcheck: pulling back the upstream gradient {seed} instead of 1 gives"
                    f" d/d {leaf.label} = {got!r}, not {seed} × {derivative.data!r}: some"
                    " derivative rule does not scale with the upstream gradient g"
                )


def _scales(got: float, seed: float, one: float, tolerances: tuple[float, float]) -> bool:
    """Whether ``got`` (pulled back from ``seed``) is ``seed`` times ``one`` (from 1)."""
    atol, rtol = tolerances
    expected = seed * one
    # Written so that a nan fails; an expected value that overflows is not judged.
    return not math.isfinite(expected) or abs(got - expected) <= atol + rtol * abs(expected)


def _unscaled_rule(root: Value, tolerances: tuple[float, float]) -> GradcheckError | None:
    """The error naming the first node of ``root``'s graph whose rule, given g = a seed of
    `UPSTREAM`, does not return that seed times what it returns for g = 1; None if none.

    Each rule is tried on numbers, then (as ``create_graph=True`` calls it) on Values."""
    for node in reversed(topological_order(root)):
        if node.op is None:
            continue
        for as_values in (False, True):
            unit = _pulled(node, 1.0, as_values)
            for seed in UPSTREAM:
                for i, (one, got) in enumerate(
                    zip(unit, _pulled(node, seed, as_values), strict=True)
                ):
                    if not _scales(got, seed, one, tolerances):
                        return _unscaled(node, i, seed, got, one)
    return None


def _unscaled(node: Value, i: int, seed: float, got: float, one: float) -> GradcheckError:
    """The error for ``node``'s rule, which gave ``got`` for operand i at g = ``seed`` and
    ``one`` at g = 1."""
    assert node.op is not None
    operands = tuple(_number(x) for x in node.rule_operands())
    return GradcheckError(
        f"gradcheck: the rule of {node.op.name!r} does not scale with the upstream gradient g:"
        f" at operands {operands} it returns {got!r} for operand {operand_name(node.op, i)}"
        f" when g = {seed}, but {one!r} when g = 1 (it must return g × d(out)/d(operand):"
        " did it forget to multiply by g?)"
    )


def _pulled(node: Value, g: float, as_values: bool) -> list[float]:
    """The numbers ``node``'s rule returns for the upstream gradient ``g``, called with
    numbers or (``as_values``) with Values as ``create_graph=True`` calls it."""
    out = node if as_values else node.data
    upstream = Value(g) if as_values else g
    operands = node.rule_operands(as_values)
    return [_number(c) for c in contributions_of(node, upstream, out, operands, as_values)]


def _number(x: Any) -> float:
    """A contribution's number: a float, or a Value's data."""
    return x.data if isinstance(x, Value) else float(x)
