"""Drawings of computation graphs and step-throughs of forward and backward passes.

>>> from autograd import Value
>>> from autograd.viz import draw_dot, trace_backward
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> loss = (a * b).tanh()
>>> trace = trace_backward(loss)   # the backward pass, recorded step by step
>>> len(trace)
2
>>> dot = draw_dot(loss)           # a graphviz.Digraph; Jupyter shows it as SVG

In Jupyter, a trace as the last expression of a cell shows the step-through: the forward
pass, then the backward pass with the chain rule of every step, zoom, fit and follow;
``trace.save_html("backward.html")`` writes the same page to a file.

The parts: ``draw`` (`draw_dot`), ``trace`` (`trace_backward`, `BackwardTrace`), ``page``
(the step-through page), ``graph`` (names, op rules and the size guard they share),
``errors`` and ``explorer`` (`explore`: sliders on an expression's leaves, for Jupyter:
``from autograd.viz.explorer import explore``). graphviz is imported only when a drawing is
made; rendering without graphviz's ``dot`` program raises `GraphvizNotFoundError`, which says
how to install it.
"""

from autograd.viz.draw import draw_dot, render_svg
from autograd.viz.errors import INSTALL_HINT, GraphTooLargeError, GraphvizNotFoundError
from autograd.viz.graph import format_number
from autograd.viz.trace import (
    BackwardTrace,
    ForwardStep,
    Inset,
    ParentUpdate,
    TraceStep,
    trace_backward,
)

__all__ = [
    "INSTALL_HINT",
    "BackwardTrace",
    "ForwardStep",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "Inset",
    "ParentUpdate",
    "TraceStep",
    "draw_dot",
    "format_number",
    "render_svg",
    "trace_backward",
]
