"""Where each op of the table may be applied: inside its domain, a margin away from its edges.

One line per op of ``autograd.ops.OPS``: a `Region`, which says whether the op's operands (as
its derivative rule receives them: the parents' numbers, then the constant) lie inside the
domain with room to spare, ``margin`` away from every point where the op is undefined
(``log`` at 0, a division by 0) or has a kink (``relu`` at 0, a tie of ``maximum``).

`expressions` draws with ``margin = MARGIN`` (so finite differences are accurate), the fuzzer
(``benchmarks/fuzz.py``) with ``margin = 0``: anywhere the op is defined and smooth, right up
to its kinks. Importing this module checks that every built-in op has a line here, and that
no line names an op the table no longer has: adding an op to ``ops.py`` without one fails at
once, naming it. (Your own ops, from ``define_op``, state their domain where you test them:
``expressions(extra_ops=[(op, domain)])``.)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autograd.define import DefinedOp
from autograd.ops import OPS, Op

__all__ = ["BOUND", "MARGIN", "REGIONS", "Region", "builtin_ops", "fits", "region_of"]

MARGIN = 0.1
"""Distance `expressions` keeps from every domain edge, kink and tie."""

BOUND = 10.0
"""Largest magnitude any subexpression of an `expressions` draw takes: keeps gradients tame."""


@dataclass(frozen=True)
class Region:
    """Where an op is defined and smooth.

    ``inside(margin, *operands)`` is True when the operands are there with ``margin`` to
    spare. ``kink``: the edge is a kink or a tie (the op is defined on both sides of it, as
    ``relu`` at 0), so the fuzzer also tries operands a hair from it; otherwise beyond the
    edge the op is undefined (``log``) and nothing is drawn there.
    """

    inside: Callable[..., bool]
    kink: bool = False


def _anywhere(margin: float, *operands: float) -> bool:
    return True


def _positive(margin: float, x: float, *rest: float) -> bool:
    return x > margin


def _away_from_zero(margin: float, x: float, *rest: float) -> bool:
    return abs(x) > margin


def _apart(margin: float, a: float, b: float) -> bool:
    return abs(a - b) > margin


def _power(margin: float, x: float, c: float) -> bool:
    # An integer power is defined for a negative base (and a negative one away from 0); a
    # fractional power of a negative base is a complex number.
    if c.is_integer():
        return c >= 0 or abs(x) > margin
    return x > margin


ANYWHERE = Region(_anywhere)
KINK_AT_ZERO = Region(_away_from_zero, kink=True)

# fmt: off
REGIONS: dict[str, Region | None] = {
    "add": ANYWHERE, "sub": ANYWHERE, "mul": ANYWHERE,
    "div": Region(lambda m, a, b: abs(b) > m),
    "pow": Region(_positive),  # a Value exponent: d/db a**b = a**b * log(a) needs a > 0
    "add_const": ANYWHERE, "sub_const": ANYWHERE, "rsub_const": ANYWHERE, "mul_const": ANYWHERE,
    "div_const": Region(lambda m, x, c: abs(c) > m),
    "rdiv_const": Region(_away_from_zero),
    "pow_const": Region(_power),
    "rpow_const": Region(lambda m, x, c: c > m),  # c ** x: a positive base
    "neg": ANYWHERE, "abs": KINK_AT_ZERO, "exp": ANYWHERE,
    "log": Region(_positive), "sqrt": Region(_positive),
    "tanh": ANYWHERE, "sigmoid": ANYWHERE, "relu": KINK_AT_ZERO,
    "sin": ANYWHERE, "cos": ANYWHERE,
    "tan": Region(lambda m, x: abs(math.cos(x)) > m),  # away from the poles
    "atan": ANYWHERE,
    "log1p": Region(lambda m, x: x > -1.0 + m),
    "expm1": ANYWHERE, "softplus": ANYWHERE, "gelu": ANYWHERE, "silu": ANYWHERE,
    "erf": ANYWHERE, "erfc": ANYWHERE,
    "leaky_relu": KINK_AT_ZERO, "elu": KINK_AT_ZERO,
    "maximum": Region(_apart, kink=True), "minimum": Region(_apart, kink=True),
    "sum": ANYWHERE, "logsumexp": ANYWHERE, "dot": ANYWHERE,
}
"""Each built-in op's region, by name; None for an op no expression is made of."""
# fmt: on


def builtin_ops() -> dict[str, Op]:
    """The table's own ops: ``OPS`` without those added by ``define_op``."""
    return {name: op for name, op in OPS.items() if not isinstance(op, DefinedOp)}


def region_of(op: Op) -> Region | None:
    """Where ``op`` (a built-in op) may be applied; None if no expression uses it."""
    return REGIONS[op.name]


def fits(op: Op, operands: Sequence[float], margin: float = MARGIN) -> bool:
    """Whether ``operands`` (as ``op``'s rule receives them) are ``margin`` inside its region."""
    region = region_of(op)
    return region is not None and bool(region.inside(margin, *operands))


def _check_every_op_has_a_region() -> None:
    ops = set(builtin_ops())
    missing, stale = sorted(ops - set(REGIONS)), sorted(set(REGIONS) - ops)
    if missing or stale:
        raise RuntimeError(
            "autograd/testing/domains.py: REGIONS must have one line per op of autograd.ops.OPS"
            + (f"; add one for {missing}" if missing else "")
            + (f"; remove those of {stale}, which the table no longer has" if stale else "")
        )


_check_every_op_has_a_region()
