"""What can go wrong when drawing: graphviz's ``dot`` missing, or a graph too big to draw.

The one home of the "install graphviz" message (`INSTALL_HINT`): the drawing code, the
command line and ``make`` all say the same thing.
"""

from __future__ import annotations

__all__ = ["INSTALL_HINT", "GraphTooLargeError", "GraphvizNotFoundError"]

INSTALL_HINT = (
    "Install graphviz: 'sudo apt-get install graphviz' (Debian/Ubuntu), "
    "'brew install graphviz' (macOS), 'conda install graphviz' (conda), "
    "or see https://graphviz.org/download/"
)


class GraphvizNotFoundError(RuntimeError):
    """graphviz's ``dot`` program is missing, so a drawing cannot be rendered.

    Building a drawing and reading its DOT source (``.source``) still work without it.
    """

    def __init__(self) -> None:
        super().__init__(
            "graphviz's 'dot' program was not found on PATH, so the graph cannot be rendered "
            f"(its DOT source, .source, still works). {INSTALL_HINT}"
        )


class GraphTooLargeError(ValueError):
    """A graph has more boxes than the ``max_nodes`` a drawing or a trace was given.

    Raised while walking the graph, as soon as the count passes the limit, so a graph of a
    million nodes is refused in about the time it takes to visit ``max_nodes`` of them.
    """

    def __init__(self, what: str, max_nodes: int) -> None:
        super().__init__(
            f"{what}: the graph has more than max_nodes={max_nodes} boxes to draw (one per "
            "value and one per op); drawing or stepping through it would take very long and "
            "could not be read. Use a smaller example (one sample instead of a batch, a "
            "smaller model), or pass a larger max_nodes if you are ready to wait"
        )
        self.max_nodes = max_nodes
