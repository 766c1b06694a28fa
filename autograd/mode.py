"""Grad mode: whether new ops record their parents (`no_grad` turns that off).

The mode lives in a ContextVar rather than a global: each thread and each asyncio task sees
its own setting, so ``with no_grad():`` in one thread never turns off graph building in
another.

One ``no_grad()`` object may be entered by many threads and tasks at once (``NG = no_grad()``
then ``with NG:`` everywhere), and re-entered inside itself. So an entry cannot keep what it
must restore on the object: each context keeps its own stack of open blocks, in a second
ContextVar, holding the object and the mode it found. A stack is an immutable tuple, so a
task that copies its parent's context at creation never changes the parent's stack.
"""

from __future__ import annotations

from contextlib import ContextDecorator
from contextvars import ContextVar
from types import TracebackType

__all__ = ["enable_grad", "is_grad_enabled", "no_grad"]

_grad_enabled: ContextVar[bool] = ContextVar("glassgrad_grad_enabled", default=True)

_OpenBlock = tuple["_GradMode", bool]
"""One entered block: the object entered and the grad mode it found on entry."""

_open_blocks: ContextVar[tuple[_OpenBlock, ...]] = ContextVar("glassgrad_open_blocks", default=())


def is_grad_enabled() -> bool:
    """True when ops build graph nodes (the default); False inside ``no_grad()``."""
    return _grad_enabled.get()


class _GradMode(ContextDecorator):
    """Set grad mode for a ``with`` block (or a decorated function), then restore it.

    Thread- and task-safe: the object holds no state of a block, see the module docstring.
    """

    enabled: bool

    def __enter__(self) -> None:
        _open_blocks.set((*_open_blocks.get(), (self, _grad_enabled.get())))
        _grad_enabled.set(self.enabled)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        blocks = _open_blocks.get()
        # The innermost open block of this object in this context.
        position = next((i for i in reversed(range(len(blocks))) if blocks[i][0] is self), None)
        if position is None:
            raise RuntimeError(
                f"{type(self).__name__}.__exit__ without a matching __enter__ in this thread or "
                "task (a block left twice?); grad mode is unchanged"
            )
        found = blocks[position][1]
        if position == len(blocks) - 1:
            remaining = blocks[:position]
            _grad_enabled.set(found)
        else:
            # Left before a block opened inside it: that block stays in force, and when it
            # ends it restores the mode this one found.
            inner_object, _ = blocks[position + 1]
            remaining = (*blocks[:position], (inner_object, found), *blocks[position + 2 :])
        _open_blocks.set(remaining)


class no_grad(_GradMode):  # lower case, like the PyTorch name users know
    """Inside ``with no_grad():`` ops make leaves: no parents, nothing to backpropagate.

    Use it for evaluation and for parameter updates, where a graph would only cost time and
    memory. Works as a decorator too. Per thread and per asyncio task; one object can be
    shared by many threads and tasks and entered inside itself.
    """

    enabled = False


class enable_grad(_GradMode):  # lower case, like no_grad
    """Turn graph building back on inside a ``no_grad`` block (used by ``create_graph``)."""

    enabled = True
