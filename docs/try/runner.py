"""What the "Try it in the browser" page runs in Pyodide before the learner's program.

The browser has no graphviz ``dot`` program, so drawings are rendered by Graphviz compiled to
WebAssembly (npm ``@viz-js/viz``): graphviz's ``Digraph.pipe``, which would run ``dot``, hands
the DOT source to the page's ``glassgradRenderSvg`` instead. Everything else is glassgrad as
it is installed from PyPI.

The program gets `show`: ``show(value)`` draws value's graph with every data and grad as they
are at that moment, and a page stepping through its backward pass.
"""

from __future__ import annotations

from typing import Any

import graphviz
import js  # type: ignore[import-not-found]  # Pyodide's bridge to the page's JavaScript

from autograd import Value, topological_order
from autograd.viz import draw_dot, trace_backward


def _pipe(self: graphviz.Digraph, format: str | None = None, **options: Any) -> Any:
    """``Digraph.pipe`` rendered by the WebAssembly Graphviz; only SVG is available."""
    if format not in (None, "svg"):
        raise ValueError(f"in the browser graphs are drawn as svg only, not {format!r}")
    svg: str = js.glassgradRenderSvg(self.source)
    return svg if options.get("encoding") else svg.encode("utf-8")


graphviz.Digraph.pipe = _pipe
shown: list[tuple[str, str]] = []
"""The (graph SVG, step-through HTML) of each `show` call of the current run."""


def show(value: Value) -> None:
    """Draw ``value``'s graph (data and grad as they are now) and step through its backward
    pass below the program's output. The step-through runs a backward pass of its own and
    leaves every ``.grad`` as it found it."""
    if not isinstance(value, Value):
        raise TypeError(f"show: value must be a Value, got {type(value).__name__}")
    svg = draw_dot(value).pipe(format="svg", encoding="utf-8")
    nodes = topological_order(value)
    grads = [node.grad for node in nodes]
    try:
        steps = trace_backward(value).to_html() if value.parents else ""
    finally:
        for node, grad in zip(nodes, grads, strict=True):
            node.grad = grad
    shown.append((svg, steps))
