"""Drawings of computation graphs and step-throughs of backward passes.

>>> from autograd import Value
>>> from autograd.viz import draw_dot, trace_backward
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> loss = (a * b).tanh()
>>> trace = trace_backward(loss)   # the backward pass, recorded step by step
>>> len(trace)
2
>>> dot = draw_dot(loss)           # a graphviz.Digraph; Jupyter shows it as SVG

In Jupyter, a trace as the last expression of a cell shows frames with a slider and
Prev / Next / Play; ``trace.save_html("backward.html")`` writes the same page to a file.

The parts live in their own modules: ``autograd.draw`` (`draw_dot`), ``autograd.trace``
(`trace_backward`, `BackwardTrace`) and ``autograd._html`` (the step-through page). graphviz
is imported only when a drawing is made; rendering without graphviz's ``dot`` program raises
`GraphvizNotFoundError`, which says how to install it.
"""

from autograd.draw import GraphvizNotFoundError, draw_dot, format_number, render_svg
from autograd.trace import BackwardTrace, ParentUpdate, TraceStep, trace_backward

__all__ = [
    "BackwardTrace",
    "GraphvizNotFoundError",
    "ParentUpdate",
    "TraceStep",
    "draw_dot",
    "format_number",
    "render_svg",
    "trace_backward",
]
