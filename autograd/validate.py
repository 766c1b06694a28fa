"""Checks of the numbers, counts and labels users hand to glassgrad, each with a clear error.

This is the one home of these checks: the engine, ``nn`` and the ``glassgrad`` command all use
them, so a bad number is reported the same way wherever it comes in.
"""

from __future__ import annotations

import math
import numbers

__all__ = ["check_label", "finite_float", "positive_int", "shown"]


def shown(x: object, limit: int = 40) -> str:
    """``repr(x)``, shortened in the middle when it is long (a 400-digit integer, say)."""
    text = repr(x)
    if len(text) <= limit:
        return text
    half = (limit - 3) // 2
    return f"{text[:half]}...{text[-half:]} ({len(text)} characters)"


def finite_float(x: object, what: str) -> float:
    """``x`` as a float, or an error naming ``what`` when it is not a finite real number.

    Accepts any real number: int, float, bool, ``fractions.Fraction``, numpy's scalars
    (``np.float32(1.5)``, ``np.int64(2)``). Raises TypeError for anything else, OverflowError
    for a number too large for a float, ValueError for inf and nan.
    """
    # float and int (bool is one) first: the ABC check for other real types costs ten times more.
    if not isinstance(x, float | int) and not isinstance(x, numbers.Real):
        raise TypeError(f"{what}: expected a real number, got {type(x).__name__} {shown(x)}")
    try:
        value = float(x)
    except OverflowError:
        raise OverflowError(f"{what}: {shown(x)} is too large for a float") from None
    if not math.isfinite(value):
        raise ValueError(f"{what}: expected a finite number, got {value!r}")
    return value


def positive_int(n: object, what: str) -> int:
    """``n`` if it is an int >= 1 (not a bool), else a ValueError or TypeError naming ``what``."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{what}: expected a positive integer, got {type(n).__name__} {shown(n)}")
    if n < 1:
        raise ValueError(f"{what}: expected a positive integer, got {n}")
    return int(n)


def check_label(label: object) -> str:
    """``label`` if it is a str, else a TypeError naming what it got.

    Any str names a node: drawings show control characters and lone surrogates escaped.
    """
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {type(label).__name__} {shown(label)}")
    return label
