"""The ``glassgrad`` command's argument parser and the argument types its subcommands share.

One home for every check of a command-line value: each type below raises
``argparse.ArgumentTypeError``, which argparse reports as ``argument --lr: ...``, so the
message names the flag. Numbers must be finite and inside a range that makes sense for a
scalar engine (no ``--lr 1e6``, no ``--noise 1e308``); sizes and counts have upper bounds, so
a typo such as ``--hidden 20000,20000`` is one line, not a ``MemoryError`` after a long wait.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NoReturn

from autograd.validate import finite_float

__all__ = [
    "MAX_HIDDEN_LAYERS",
    "MAX_WIDTH",
    "ArgumentParser",
    "finite_number",
    "integer_between",
    "layer_sizes",
    "number_in",
    "one_line",
    "version_text",
]

MAX_WIDTH = 1000
"""The widest hidden layer ``--hidden`` accepts."""
MAX_HIDDEN_LAYERS = 10
"""The most hidden layers ``--hidden`` accepts."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse, except that a usage mistake is one line (and exit code 2), not a usage dump.

    ``dash_hint`` (a sentence) is added to the message when an argument that starts with
    ``-`` was not recognised: ``glassgrad graph "-x" x=3`` reads ``-x`` as an option, and
    the fix is to put ``--`` before the expression.
    """

    def __init__(self, *args: object, dash_hint: str | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.dash_hint = dash_hint

    def error(self, message: str) -> NoReturn:
        """Print ``<prog>: error: <message>`` and a pointer to --help; exit with code 2."""
        hint = ""
        if message.startswith("unrecognized arguments:"):
            dashed = any(word.startswith("-") for word in message.split(":", 1)[1].split())
        else:
            dashed = "arguments are required" in message
        if self.dash_hint and dashed:
            hint = f". {self.dash_hint}"
        self.exit(2, f"{self.prog}: error: {message}{hint} (see '{self.prog} --help')\n")


def integer_between(low: int, high: int, what: str = "integer") -> Callable[[str], int]:
    """An argument type: an int from ``low`` to ``high``, both included."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"expected {what} from {low:,} to {high:,}, got {text}"
            )
        return value

    parse.__name__ = f"integer_between_{low}_{high}"  # argparse names the type in some errors
    return parse


def finite_number(text: str) -> float:
    """A finite float (``nan``, ``inf`` and numbers that overflow to inf are refused by
    `autograd.validate.finite_float`, the check every number entering glassgrad passes)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    try:
        return finite_float(value, repr(text))
    except (ValueError, OverflowError) as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def number_in(
    low: float, high: float, *, low_open: bool = False, high_open: bool = False
) -> Callable[[str], float]:
    """An argument type: a finite number in the interval from ``low`` to ``high``.

    ``low_open``/``high_open`` leave that end out (``number_in(0, 10, low_open=True)`` is
    ``0 < x <= 10``).
    """
    left, right = "(" if low_open else "[", ")" if high_open else "]"
    interval = f"{left}{low:g}, {high:g}{right}"

    def parse(text: str) -> float:
        value = finite_number(text)
        too_low = value <= low if low_open else value < low
        too_high = value >= high if high_open else value > high
        if too_low or too_high:
            raise argparse.ArgumentTypeError(f"must be in {interval}, got {text}")
        return value

    parse.__name__ = f"number_in_{low:g}_{high:g}"
    return parse


def layer_sizes(text: str) -> list[int]:
    """Comma-separated hidden layer sizes such as ``16,16``; an empty string means none.

    Each size is from 1 to `MAX_WIDTH`, and there are at most `MAX_HIDDEN_LAYERS`.
    """
    if not text.strip():
        return []
    sizes = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise argparse.ArgumentTypeError(
                f"invalid layer sizes {text!r}: expected positive integers separated by commas, "
                "such as 16,16"
            )
        if int(part) > MAX_WIDTH:
            raise argparse.ArgumentTypeError(
                f"a layer of {int(part):,} neurons is too wide: at most {MAX_WIDTH:,} "
                "(every weight is a Python object here)"
            )
        sizes.append(int(part))
    if len(sizes) > MAX_HIDDEN_LAYERS:
        raise argparse.ArgumentTypeError(f"{len(sizes)} hidden layers: at most {MAX_HIDDEN_LAYERS}")
    return sizes


def version_text() -> str:
    """``glassgrad <version>`` from the installed distribution's metadata."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"glassgrad {version('glassgrad')}"
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "glassgrad (not installed: version unknown)"


def one_line(message: str) -> str:
    """``message`` with every run of white space (newlines included) made one space."""
    return " ".join(message.split())
