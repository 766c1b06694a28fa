"""Grad mode: whether new ops record their parents (`no_grad` turns that off)."""

from __future__ import annotations

from contextlib import ContextDecorator
from contextvars import ContextVar, Token
from types import TracebackType

_grad_enabled: ContextVar[bool] = ContextVar("glassgrad_grad_enabled", default=True)
# A ContextVar rather than a global: each thread and each asyncio task sees its own setting,
# so `with no_grad():` in one thread never turns off graph building in another.


def is_grad_enabled() -> bool:
    """True when ops build graph nodes (the default); False inside ``no_grad()``."""
    return _grad_enabled.get()


class _GradMode(ContextDecorator):
    """Set grad mode for a ``with`` block (or a decorated function), then restore it."""

    enabled: bool

    def __init__(self) -> None:
        self._tokens: list[Token[bool]] = []

    def _recreate_cm(self) -> _GradMode:
        # ContextDecorator hook, called on every call of a decorated function: a fresh
        # instance per call, so threads running the same decorated function never pop each
        # other's tokens (a token can only be reset in the context that created it).
        return type(self)()

    def __enter__(self) -> None:
        self._tokens.append(_grad_enabled.set(self.enabled))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _grad_enabled.reset(self._tokens.pop())


class no_grad(_GradMode):  # lower case, like the PyTorch name users know
    """Inside ``with no_grad():`` ops make leaves: no parents, nothing to backpropagate.

    Use it for evaluation and for parameter updates, where a graph would only cost time and
    memory. Works as a decorator too. Per thread and per asyncio task.
    """

    enabled = False


class enable_grad(_GradMode):  # lower case, like no_grad
    """Turn graph building back on inside a ``no_grad`` block (used by ``create_graph``)."""

    enabled = True
