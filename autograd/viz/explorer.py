"""`explore`: "what if" sliders on an expression's leaves, for Jupyter.

>>> from autograd.viz.explorer import explore
>>> def neuron(x1, w1, x2, w2, b):
...     return (x1 * w1 + x2 * w2 + b).tanh()
>>> explorer = explore(neuron, x1=2.0, w1=-3.0, x2=0.0, w2=1.0, b=(6.8813735870195432, 0, 10))
>>> explorer.text.split(" | ")[0]                     # the output, then each leaf's gradient
'out = 0.7071'
>>> {name: round(leaf.grad, 4) for name, leaf in explorer.leaves.items()}
{'x1': -1.5, 'w1': 1.0, 'x2': 0.5, 'w2': 0.0, 'b': 0.5}
>>> explorer.set(b=0.0)                                 # what moving b's slider does
>>> round(explorer.output.data, 4), round(explorer.leaves["b"].grad, 6)
(-1.0, 2.5e-05)

``fn`` builds the expression from leaf Values named like the keywords, and returns its
output. Each keyword gives a leaf's starting value, either a number (the slider then runs
over a range around it) or ``(value, min, max)``. Made the last expression of a notebook
cell, the explorer shows a slider per leaf above the drawing of the graph (``draw_dot``,
after ``backward()``: values and gradients); moving a slider rebuilds the expression with
the new value, runs ``backward()`` again and redraws. A value outside an op's domain (a
``log`` of a negative number) shows the error in place of the gradients and keeps the last
good drawing.

The sliders are ipywidgets (``pip install 'glassgrad[notebooks]'``), imported only when
they are shown. In a notebook exported to HTML, or without ipywidgets, the explorer shows
the drawing for its current values: a static picture of the same thing.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from autograd.value import Value
from autograd.viz.draw import draw_dot, render_svg
from autograd.viz.errors import GraphvizNotFoundError
from autograd.viz.graph import format_number

if TYPE_CHECKING:
    import ipywidgets

__all__ = ["SLIDER_STEPS", "Explorer", "Leaf", "LeafSpec", "explore", "slider_grid"]

Number = int | float
LeafSpec = Number | tuple[Number, Number, Number]
"""A leaf's starting value, or ``(value, min, max)`` for its slider."""

SLIDER_STEPS = 400  # positions along a slider: fine enough to move smoothly, coarse enough to type
WIDGET_HINT = "install ipywidgets for sliders: pip install 'glassgrad[notebooks]'"
ERROR_COLOUR = "#b91c1c"


@dataclass(frozen=True)
class Leaf:
    """One slider: a leaf's name, its current value and the slider's range."""

    name: str
    value: float
    low: float
    high: float


def _finite(number: object, what: str) -> float:
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise TypeError(f"explore: {what} must be a number, got {number!r}")
    if not math.isfinite(number):
        raise ValueError(f"explore: {what} must be finite, got {number!r}")
    return float(number)


def _default_range(value: float) -> tuple[float, float]:
    """A symmetric range around 0 that holds ``value`` with room to move either way."""
    reach = max(3.0, 2.0 * abs(value))
    return -reach, reach


def _leaf(name: str, spec: object) -> Leaf:
    """The slider for keyword ``name``: a number or ``(value, min, max)``, checked."""
    if isinstance(spec, tuple):
        if len(spec) != 3:
            raise ValueError(f"explore: {name} must be a number or (value, min, max), got {spec!r}")
        value = _finite(spec[0], f"{name}'s value")
        low = _finite(spec[1], f"{name}'s min")
        high = _finite(spec[2], f"{name}'s max")
        if not low < high:
            raise ValueError(f"explore: {name}'s min must be below its max, got {spec!r}")
        if not low <= value <= high:
            raise ValueError(f"explore: {name}'s value must lie in [min, max], got {spec!r}")
        return Leaf(name, value, low, high)
    value = _finite(spec, name)
    low, high = _default_range(value)
    return Leaf(name, value, low, high)


def slider_grid(value: float, low: float, high: float) -> tuple[float, float, float]:
    """A slider's (min, max, step) inside [low, high] whose positions include ``value``.

    A slider in the browser snaps its value to ``min + k * step`` and sends the snapped value
    back, which would quietly change a starting value such as micrograd's b = 6.8813...; so
    the grid is laid through the value itself, at most one step inside each end.
    """
    step = (high - low) / SLIDER_STEPS
    below = math.floor((value - low) / step)
    above = math.floor((high - value) / step)
    return value - below * step, value + above * step, step


def _svg_element(svg: str) -> str:
    """graphviz's SVG without its XML prolog and DOCTYPE, ready to put inside HTML."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


@dataclass(frozen=True)
class _State:
    """One evaluation: the leaves, the output (after backward) and the drawing."""

    values: Mapping[str, float]
    leaves: Mapping[str, Value]
    output: Value
    svg: str | None  # None when graphviz's dot is missing
    drawing_error: str | None


class Explorer:
    """Sliders on the leaves of ``fn``'s expression; made by `explore`.

    ``values`` holds the leaves' current numbers; ``output`` and ``leaves`` the Values of the
    last evaluation (after ``backward()``, so ``leaves["x"].grad`` is d(output)/d(x)); ``svg``
    its drawing; ``text`` the same numbers in a line; ``error`` what went wrong with the last
    values tried (None if they were fine). ``set(x=...)`` changes values as the sliders do;
    ``widget`` (and ``sliders``) are the ipywidgets, built on first use.
    """

    def __init__(
        self,
        fn: Callable[..., Value],
        leaves: Mapping[str, Leaf],
        draw_options: Mapping[str, Any] | None = None,
    ) -> None:
        """See `explore`; an error from the starting values is raised here."""
        self.fn = fn
        self.draw_options = dict(draw_options or {})
        self.ranges = dict(leaves)
        self.error: str | None = None
        self._state = self._evaluate({name: leaf.value for name, leaf in leaves.items()})
        self._widget: ipywidgets.VBox | None = None
        self._sliders: dict[str, ipywidgets.FloatSlider] = {}
        self._status: ipywidgets.HTML | None = None
        self._drawing: ipywidgets.HTML | None = None
        self._updating_sliders = False

    # -- evaluating ---------------------------------------------------------------------------

    def _evaluate(self, values: Mapping[str, float]) -> _State:
        """Build the expression for ``values``, run backward() and draw it."""
        leaves = {name: Value(value, label=name) for name, value in values.items()}
        output = self.fn(**leaves)
        if not isinstance(output, Value):
            raise TypeError(
                "explore: fn must return the Value it built from its arguments, got "
                f"{type(output).__name__}"
            )
        output.backward()
        try:
            svg: str | None = _svg_element(render_svg(draw_dot(output, **self.draw_options)))
            drawing_error = None
        except GraphvizNotFoundError as error:
            svg, drawing_error = None, str(error)
        return _State(dict(values), leaves, output, svg, drawing_error)

    def set(self, **values: float) -> None:
        """Give leaves new values (as moving their sliders does) and recompute.

        A value outside a slider's range widens the range. If ``fn`` fails for the new values
        (a domain error such as ``log`` of a negative number, or any other exception),
        ``error`` says why, and everything else keeps the last values that worked: in a
        notebook an exception raised by a slider would otherwise go to a log nobody reads.
        """
        unknown = sorted(set(values) - set(self.ranges))
        if unknown:
            raise ValueError(
                f"explore: no leaf named {', '.join(unknown)}; the leaves are "
                f"{', '.join(self.ranges)}"
            )
        checked = {name: _finite(value, name) for name, value in values.items()}
        for name, value in checked.items():
            leaf = self.ranges[name]
            self.ranges[name] = Leaf(name, value, min(leaf.low, value), max(leaf.high, value))
        self._recompute({**self._state.values, **checked})
        self._sync_sliders()

    def _recompute(self, values: Mapping[str, float]) -> None:
        try:
            self._state = self._evaluate(values)
            self.error = None
        except Exception as error:  # a domain error, an overflow, or a bug in fn: shown, not lost
            self.error = f"{type(error).__name__}: {error}"
        self._refresh_widget()

    # -- what it shows ------------------------------------------------------------------------

    @property
    def values(self) -> dict[str, float]:
        """The leaves' numbers of the drawing shown."""
        return dict(self._state.values)

    @property
    def output(self) -> Value:
        """The output Value of the drawing shown, after its backward()."""
        return self._state.output

    @property
    def leaves(self) -> dict[str, Value]:
        """The leaf Values of the drawing shown, by name; their ``.grad`` is d(output)/d(leaf)."""
        return dict(self._state.leaves)

    @property
    def svg(self) -> str | None:
        """The drawing shown (graphviz SVG), or None when graphviz's dot is missing."""
        return self._state.svg

    @property
    def text(self) -> str:
        """The output and each leaf's gradient in one line."""
        out = self.output.label or "out"
        grads = ", ".join(
            f"∂{out}/∂{name} = {format_number(leaf.grad)}" for name, leaf in self.leaves.items()
        )
        return f"{out} = {format_number(self.output.data)} | {grads}"

    def _status_html(self) -> str:
        parts = [f'<div style="font-family:monospace">{html.escape(self.text)}</div>']
        if self.error is not None:
            parts.append(
                f'<div style="color:{ERROR_COLOUR}">{html.escape(self.error)} '
                "(showing the last values that worked)</div>"
            )
        return "".join(parts)

    def _drawing_html(self) -> str:
        state = self._state
        if state.svg is None:
            return f"<p>{html.escape(state.drawing_error or '')}</p>"
        # At full size, scrolling: a notebook would otherwise shrink a wide graph to its cell.
        return f'<div style="overflow:auto;max-width:100%">{state.svg}</div>'

    def static_html(self) -> str:
        """The drawing and its numbers as HTML: what an exported notebook shows."""
        return f"<div>{self._status_html()}{self._drawing_html()}</div>"

    # -- the widget ---------------------------------------------------------------------------

    @property
    def widget(self) -> ipywidgets.VBox:
        """The sliders above the numbers and the drawing (an ipywidgets ``VBox``)."""
        if self._widget is None:
            self._widget = self._build_widget()
        return self._widget

    @property
    def sliders(self) -> dict[str, ipywidgets.FloatSlider]:
        """Each leaf's slider by name (builds the widget)."""
        self.widget  # noqa: B018  # built on first use
        return dict(self._sliders)

    def _build_widget(self) -> ipywidgets.VBox:
        try:
            import ipywidgets
        except ImportError as error:
            raise ImportError(f"explore: {WIDGET_HINT}") from error
        for name, leaf in self.ranges.items():
            value = self._state.values[name]
            low, high, step = slider_grid(value, leaf.low, leaf.high)
            slider = ipywidgets.FloatSlider(
                value=value,
                min=low,
                max=high,
                step=step,
                description=name,
                continuous_update=True,
                readout_format=".4f",
                style={"description_width": "initial"},
                layout=ipywidgets.Layout(width="420px"),
            )
            slider.observe(self._on_slider, names="value")
            self._sliders[name] = slider
        self._status = ipywidgets.HTML(self._status_html())
        self._drawing = ipywidgets.HTML(self._drawing_html())
        return ipywidgets.VBox([*self._sliders.values(), self._status, self._drawing])

    def _on_slider(self, change: Mapping[str, Any]) -> None:
        if self._updating_sliders:
            return
        values = {name: float(slider.value) for name, slider in self._sliders.items()}
        self._recompute(values)

    def _sync_sliders(self) -> None:
        """Move the sliders to the values set in code, without recomputing once per slider."""
        if not self._sliders:
            return
        self._updating_sliders = True
        try:
            for name, slider in self._sliders.items():
                leaf = self.ranges[name]
                value = self._state.values[name]
                low, high, step = slider_grid(value, leaf.low, leaf.high)
                with slider.hold_sync():
                    # Widen first, so that the value is never outside [min, max] on the way.
                    slider.min, slider.max = min(slider.min, low), max(slider.max, high)
                    slider.value = value
                    slider.min, slider.max, slider.step = low, high, step
        finally:
            self._updating_sliders = False

    def _refresh_widget(self) -> None:
        if self._status is not None and self._drawing is not None:
            self._status.value = self._status_html()
            self._drawing.value = self._drawing_html()

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, Any]:
        """The live widget for Jupyter, with the static drawing beside it for everything
        that cannot run widgets (an exported notebook, a viewer without a kernel)."""
        static = self.static_html()
        bundle: dict[str, Any] = {"text/plain": self.text, "text/html": static}
        if self.svg is not None:
            bundle["image/svg+xml"] = self.svg
        try:
            widget_bundle = self.widget._repr_mimebundle_()
        except ImportError:
            bundle["text/html"] = f"{static}<p><small>{html.escape(WIDGET_HINT)}</small></p>"
            return bundle
        if widget_bundle:
            bundle.update({k: v for k, v in widget_bundle.items() if k != "text/plain"})
        return bundle

    def __repr__(self) -> str:
        return f"<Explorer: {self.text}>"


def explore(
    fn: Callable[..., Value],
    /,
    *,
    draw_options: Mapping[str, Any] | None = None,
    **leaves: LeafSpec,
) -> Explorer:
    """Sliders on the leaves of the expression ``fn`` builds; see the module docstring.

    Args:
        fn: called as ``fn(name=Value, ...)`` with a leaf Value (labelled with its name) per
            keyword below; returns the expression's output Value.
        **leaves: each leaf's starting value: a number (its slider then runs from
            ``-max(3, 2|v|)`` to ``max(3, 2|v|)``), or ``(value, min, max)``.
        draw_options: keyword arguments for ``draw_dot``, such as ``{"rankdir": "TB"}``
            (so no leaf can be called ``draw_options``).

    Returns:
        An `Explorer`: the last expression of a notebook cell, it shows sliders and drawing.
    """
    if not callable(fn):
        raise TypeError(f"explore: fn must be a function returning a Value, got {fn!r}")
    if not leaves:
        raise ValueError("explore: give at least one leaf, e.g. explore(fn, x=2.0)")
    if draw_options is not None and not isinstance(draw_options, Mapping):
        raise TypeError(f"explore: draw_options must be a dict, got {draw_options!r}")
    checked = {name: _leaf(name, spec) for name, spec in leaves.items()}
    return Explorer(fn, checked, draw_options)
