"""A `graphviz.Digraph` whose rendering says how to install graphviz when ``dot`` is missing.

This module imports graphviz at the top, so only the drawing functions import it, and only
when they run: ``import autograd`` stays light.
"""

from __future__ import annotations

from typing import Any

import graphviz

from autograd.viz.errors import GraphvizNotFoundError


class Drawing(graphviz.Digraph):  # type: ignore[misc]  # graphviz ships no type hints
    """A `graphviz.Digraph` (so everything graphviz offers works) with a clearer error.

    graphviz's own error for a missing ``dot`` only says to check PATH; this one says how to
    install it. It also covers Jupyter's display, which renders through ``pipe``.
    """

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        """Render and return the output (see `graphviz.Digraph.pipe`)."""
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise GraphvizNotFoundError() from error

    def render(self, *args: Any, **kwargs: Any) -> Any:
        """Render to a file and return its path (see `graphviz.Digraph.render`)."""
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise GraphvizNotFoundError() from error
