"""`draw_network`: a model as the classic layered picture of a neural network.

Inputs form the first column and each layer of neurons the next; every weight is a line from
the neuron (or input) it reads to the neuron it belongs to. A line's width grows with the
weight's size and its colour gives the sign: blue for positive, orange for negative, grey for
zero. With ``show="grads"`` the lines show each weight's gradient (``.grad``) instead, which
is how vanishing gradients look: the lines fade layer by layer towards the inputs. In a small
network (no column taller than six neurons) each line also carries its number, on a white
tag where it does not cover a circle or another number; elsewhere the numbers are in the
lines' tooltips.

>>> from nn import MLP, draw_network
>>> model = MLP(2, [4, 4, 1], activation="tanh", seed=0)
>>> picture = draw_network(model)
>>> picture.svg.count('class="nn-neuron"'), picture.svg.count('class="nn-edge ')
(9, 28)

Given an input ``x``, each circle shows the neuron's activation (its output) for that input.
Given ``loss``, a Value computed from one sample's pass through the model (the output itself
or a loss built on it) after ``loss.backward()``, the picture reads the activations from that
graph and writes under each circle the gradient of ``loss`` with respect to that neuron's
output (and to each input).

The picture is plain SVG built here as text: neither graphviz nor matplotlib is needed. It
shows itself in Jupyter, and ``picture.save("net.svg")`` writes it to a file.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from autograd import Value, no_grad, topological_order
from autograd.files import write_atomically
from nn.module import MLP, Layer, Module, Neuron, Parameter

__all__ = [
    "COMPACT_ABOVE",
    "EDGE_FONT",
    "FONT",
    "INPUT_FILL",
    "MAX_WIDTH",
    "MIN_WIDTH",
    "MUTED",
    "NEGATIVE",
    "NEURON_FILL",
    "NUMBERED_UP_TO",
    "OUTLINE",
    "OUTPUT_FILL",
    "POSITIVE",
    "SHOW_MODES",
    "TEXT",
    "ZERO",
    "NetworkPicture",
    "Number",
    "draw_network",
]

SHOW_MODES = ("weights", "grads")

POSITIVE = "#2563eb"  # blue; blue and orange stay apart for colour-blind readers
NEGATIVE = "#ea580c"  # orange
ZERO = "#9ca3af"  # grey
INPUT_FILL = "#dbeafe"  # the leaf colour of draw_dot
OUTPUT_FILL = "#bbf7d0"  # the output colour of draw_dot
NEURON_FILL = "#ffffff"
OUTLINE = "#334155"
TEXT = "#0f172a"
MUTED = "#475569"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"

MIN_WIDTH = 0.6  # the thinnest line (a zero weight) still shows where a connection is
MAX_WIDTH = 7.0
EDGE_FONT = 11.0  # the numbers on the lines, where there is room for them
NUMBERED_UP_TO = 6  # lines get numbers only when no column has more neurons than this
COMPACT_ABOVE = 24  # more neurons in one column than this: small circles, numbers in tooltips

Number = int | float
_Box = tuple[float, float, float, float]  # left, top, right, bottom


@dataclass(frozen=True)
class _Size:
    """The measures of one picture, chosen from its tallest column."""

    radius: float
    font: float  # the numbers inside circles
    pitch: float  # from one circle's centre to the next in a column
    column_gap: float
    labelled: bool  # False in compact mode: numbers only in tooltips


def _size_for(tallest: int) -> _Size:
    if tallest > COMPACT_ABOVE:
        return _Size(radius=7.0, font=0.0, pitch=18.0, column_gap=260.0, labelled=False)
    if tallest <= 6:
        return _Size(radius=24.0, font=12.0, pitch=80.0, column_gap=180.0, labelled=True)
    if tallest <= 10:
        return _Size(radius=21.0, font=11.0, pitch=66.0, column_gap=210.0, labelled=True)
    return _Size(radius=19.0, font=10.0, pitch=60.0, column_gap=240.0, labelled=True)


@dataclass(frozen=True)
class _Unit:
    """One circle: an input or a neuron, with what it shows."""

    name: str  # "x0" or the neuron's module name, such as "layers.0.neurons.3"
    column: int
    row: int
    activation: str | None  # None for an input
    value: float | None
    grad: float | None
    bias: Parameter | None


@dataclass(frozen=True)
class _Edge:
    """One weight: a line from a unit of one column to a neuron of the next."""

    name: str  # the weight's parameter name, such as "layers.0.neurons.3.w.1"
    source: tuple[int, int]  # (column, row)
    target: tuple[int, int]
    weight: Parameter


@dataclass(frozen=True)
class NetworkPicture:
    """A drawing made by `draw_network`: SVG text that shows itself in Jupyter.

    ``svg`` is the drawing; ``save(path)`` writes it to a ``.svg`` file (or, for a path
    ending in ``.html``, to a page holding it).
    """

    svg: str

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_html_(self) -> str:
        # A scrolling box at full size: a notebook would otherwise shrink a wide picture to
        # the cell's width and make its numbers too small to read.
        return f'<div style="overflow:auto;max-width:100%">{self.svg}</div>'

    def save(self, path: str | Path) -> Path:
        """Write the drawing to ``path`` (``.svg``, or ``.html`` for a page), atomically."""
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix == ".svg":
            text = self.svg
        elif suffix in (".html", ".htm"):
            text = (
                '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                "<title>glassgrad network</title></head>\n<body>\n"
                f"{self.svg}\n</body></html>\n"
            )
        else:
            raise ValueError(
                f"NetworkPicture.save: {str(path)!r} must end in .svg or .html (the picture "
                "is SVG; a browser can print it to PDF or PNG)"
            )
        write_atomically(target, text.encode("utf-8"), "NetworkPicture.save")
        return target

    def __repr__(self) -> str:
        return f"<NetworkPicture: {len(self.svg)} characters of SVG>"


# --------------------------------------------------------------------------------------------
# Reading the model, the input and the graph
# --------------------------------------------------------------------------------------------


def _layers_of(model: object) -> list[list[Neuron]]:
    """The model's neurons, layer by layer."""
    if isinstance(model, MLP):
        return [list(layer.neurons) for layer in model.layers]
    if isinstance(model, Layer):
        return [list(model.neurons)]
    if isinstance(model, Neuron):
        return [[model]]
    raise TypeError(
        f"draw_network: model must be an nn MLP, Layer or Neuron, got {type(model).__name__}"
    )


def _module_names(model: Module) -> dict[int, str]:
    """Each module's dotted name by ``id()`` (the model itself is ``""``)."""
    return {id(module): name for name, module in model.named_modules()}


def _check_input(x: object, nin: int) -> list[float]:
    """``x`` as ``nin`` finite floats (numbers or Values), else a ValueError or TypeError."""
    if isinstance(x, str | bytes) or not isinstance(x, Sequence):
        raise TypeError(f"draw_network: x must be a list of {nin} numbers, got {x!r}")
    if len(x) != nin:
        raise ValueError(f"draw_network: x must have {nin} numbers (the model's inputs), got {x!r}")
    numbers = []
    for i, xi in enumerate(x):
        number = xi.data if isinstance(xi, Value) else xi
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise TypeError(f"draw_network: x[{i}] must be a number, got {xi!r}")
        if not math.isfinite(number):
            raise ValueError(f"draw_network: x[{i}] must be finite, got {number!r}")
        numbers.append(float(number))
    return numbers


def _forward(neurons: Sequence[Neuron], inputs: Sequence[float]) -> list[float]:
    """Each neuron's activation for ``inputs``, as numbers (no graph is recorded)."""
    with no_grad():
        return [neuron(list(inputs)).data for neuron in neurons]


def _neuron_nodes(loss: Value, layers: Sequence[Sequence[Neuron]]) -> dict[tuple[int, int], Value]:
    """The node of each neuron in ``loss``'s graph, by (layer, index); absent ones left out.

    A neuron's node has the parents (w_0..w_k-1, x_0..x_k-1, b), its own weights and bias;
    that is how it is recognised here (by identity), whatever its op is called.
    """
    by_bias = {
        id(neuron.b): (layer_index, index)
        for layer_index, neurons in enumerate(layers)
        for index, neuron in enumerate(neurons)
    }
    found: dict[tuple[int, int], Value] = {}
    for node in topological_order(loss):
        parents = node.parents
        if not parents:
            continue
        key = by_bias.get(id(parents[-1]))
        if key is None:
            continue
        neuron = layers[key[0]][key[1]]
        if len(parents) != 2 * neuron.nin + 1:
            continue
        if any(parent is not weight for parent, weight in zip(parents, neuron.w, strict=False)):
            continue
        if key in found:
            raise ValueError(
                "draw_network: loss uses the same neuron more than once (a loss over several "
                "samples?); the picture shows one sample: pass the loss of one sample"
            )
        found[key] = node
    return found


def _values_and_grads(
    layers: Sequence[Sequence[Neuron]], x: object, loss: object
) -> tuple[list[list[float]] | None, list[list[float]] | None]:
    """Every column's values (inputs first) and, from ``loss``'s graph, their gradients."""
    nin = layers[0][0].nin
    inputs = None if x is None else _check_input(x, nin)
    if loss is None:
        if inputs is None:
            return None, None
        values = [inputs]
        for neurons in layers:
            values.append(_forward(neurons, values[-1]))
        return values, None
    if not isinstance(loss, Value):
        raise TypeError(f"draw_network: loss must be a Value, got {type(loss).__name__}")
    nodes = _neuron_nodes(loss, layers)
    first = [nodes[(0, j)] for j in range(len(layers[0])) if (0, j) in nodes]
    if not first:
        raise ValueError(
            "draw_network: loss was not computed from this model's first layer; pass a Value "
            "made from model(x)"
        )
    input_nodes = first[0].parents[nin : 2 * nin]
    graph_inputs = [node.data for node in input_nodes]
    if inputs is not None and inputs != graph_inputs:
        raise ValueError(
            f"draw_network: x is {inputs}, but loss was computed from the input {graph_inputs}"
        )
    values = [graph_inputs]
    grads = [[node.grad for node in input_nodes]]
    for layer_index, neurons in enumerate(layers):
        layer_values, layer_grads = [], []
        for index, neuron in enumerate(neurons):
            node = nodes.get((layer_index, index))
            if node is None:  # loss does not depend on this neuron, so its gradient is 0
                layer_values.append(_forward([neuron], values[-1])[0])
                layer_grads.append(0.0)
            else:
                layer_values.append(node.data)
                layer_grads.append(node.grad)
        values.append(layer_values)
        grads.append(layer_grads)
    return values, grads


# --------------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------------


def _in_circle(x: float) -> str:
    """A number short enough to sit inside a circle (at most 6 characters)."""
    if x == 0.0:
        return "0"
    if 0.01 <= abs(x) < 100:
        return f"{x:.2f}"
    if 100 <= abs(x) < 10_000:
        return f"{x:.0f}"
    return f"{x:.0e}"


def _number(x: float) -> str:
    """A number as glassgrad's drawings write it: 4 decimals, or scientific when tiny or huge."""
    if x == 0.0:
        return "0.0000"
    if 1e-3 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.4e}"


def _colour(x: float) -> str:
    if x > 0:
        return POSITIVE
    if x < 0:
        return NEGATIVE
    return ZERO


def _tint(x: float | None, largest: float) -> str:
    """A circle's fill for a neuron's activation: a light tint of its sign's colour."""
    if x is None or x == 0.0 or largest == 0.0:
        return NEURON_FILL
    strength = 0.08 + 0.30 * min(abs(x) / largest, 1.0)
    base = POSITIVE if x > 0 else NEGATIVE
    channels = [int(base[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(255 + (c - 255) * strength) for c in channels]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: float,
    anchor: str = "middle",
    colour: str = TEXT,
    weight: str = "normal",
    halo: bool = False,
    css_class: str = "",
) -> str:
    """An SVG text element; ``halo`` paints a white outline under it so lines behind it
    do not cross the letters."""
    extra = ' stroke="#ffffff" stroke-width="3" paint-order="stroke"' if halo else ""
    klass = f' class="{css_class}"' if css_class else ""
    return (
        f'<text{klass} x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}" '
        f'fill="{colour}" font-weight="{weight}"{extra}>{html.escape(content)}</text>'
    )


def _title_of(model: object, layers: Sequence[Sequence[Neuron]], nin: int) -> str:
    stages = " → ".join(f"{len(neurons)} {neurons[0].activation}" for neurons in layers)
    return f"{type(model).__name__}: {nin} inputs → {stages}"


def draw_network(
    model: MLP | Layer | Neuron,
    x: Sequence[Number | Value] | None = None,
    *,
    loss: Value | None = None,
    show: str = "weights",
) -> NetworkPicture:
    """The classic layered picture of ``model``: circles by layer, a line per weight.

    >>> from nn import MLP, draw_network
    >>> model = MLP(2, [4, 4, 1], activation="tanh", seed=0)
    >>> x = [2.0, -1.0]
    >>> picture = draw_network(model, x)          # activations in the circles
    >>> loss = (model(x) - 1.0) ** 2
    >>> loss.backward()
    >>> picture = draw_network(model, loss=loss, show="grads")   # and gradients
    >>> "grad" in picture.svg                     # picture.save("net.svg") writes a file
    True

    Args:
        model: an ``nn`` MLP, Layer or Neuron.
        x: one input sample (``nin`` numbers); each circle then shows the neuron's
            activation for it, computed here without recording a graph.
        loss: a Value computed from one sample's pass through ``model`` (its output, or a
            loss built on it), after ``loss.backward()``. The circles show the activations of
            that pass and, under each, the gradient of ``loss`` with respect to the neuron's
            output (or the input). ``x`` may be left out; given, it must be that pass's input.
        show: what the lines show: ``"weights"`` (width by |weight|, colour by its sign) or
            ``"grads"`` (width by |weight.grad|, colour by its sign).

    Returns:
        A `NetworkPicture`: ``.svg`` text; shows itself in Jupyter; ``.save(path)``.
    """
    layers = _layers_of(model)
    if show not in SHOW_MODES:
        raise ValueError(f"draw_network: show must be one of {SHOW_MODES}, got {show!r}")
    assert isinstance(model, Module)
    nin = layers[0][0].nin
    values, grads = _values_and_grads(layers, x, loss)
    names = _module_names(model)
    parameter_names = {id(parameter): name for name, parameter in model.named_parameters()}

    units: list[list[_Unit]] = [
        [
            _Unit(
                name=f"x{i}",
                column=0,
                row=i,
                activation=None,
                value=None if values is None else values[0][i],
                grad=None if grads is None else grads[0][i],
                bias=None,
            )
            for i in range(nin)
        ]
    ]
    edges: list[_Edge] = []
    for layer_index, neurons in enumerate(layers):
        column = layer_index + 1
        column_units = []
        for index, neuron in enumerate(neurons):
            column_units.append(
                _Unit(
                    name=names.get(id(neuron)) or "neuron",
                    column=column,
                    row=index,
                    activation=neuron.activation,
                    value=None if values is None else values[column][index],
                    grad=None if grads is None else grads[column][index],
                    bias=neuron.b,
                )
            )
            for source_row, weight in enumerate(neuron.w):
                edges.append(
                    _Edge(
                        name=parameter_names.get(id(weight), weight.label),
                        source=(column - 1, source_row),
                        target=(column, index),
                        weight=weight,
                    )
                )
        units.append(column_units)
    svg = _render(
        title=_title_of(model, layers, nin),
        units=units,
        edges=edges,
        show=show,
        loss_name=None if loss is None else (loss.label or "loss"),
    )
    return NetworkPicture(svg)


def _render(
    *,
    title: str,
    units: Sequence[Sequence[_Unit]],
    edges: Sequence[_Edge],
    show: str,
    loss_name: str | None,
) -> str:
    """The SVG text of the picture."""
    tallest = max(len(column) for column in units)
    size = _size_for(tallest)
    has_values = units[0][0].value is not None
    has_grads = units[0][0].grad is not None

    margin = 40.0
    # Title, two legend lines, column headings (and, for grads, each layer's mean |grad|).
    header = 112.0 if show == "weights" else 128.0
    width = max(2 * margin + size.column_gap * (len(units) - 1) + 2 * size.radius + 80, 720.0)
    height = header + tallest * size.pitch + margin
    first_x = (width - size.column_gap * (len(units) - 1)) / 2
    body_top = header + size.pitch / 2

    def centre(column: int, row: int) -> tuple[float, float]:
        count = len(units[column])
        top = body_top + (tallest - count) * size.pitch / 2
        return first_x + column * size.column_gap, top + row * size.pitch

    strengths = [edge.weight.data if show == "weights" else edge.weight.grad for edge in edges]
    largest_edge = max((abs(s) for s in strengths), default=0.0)
    every_value = [u.value for column in units[1:] for u in column if u.value is not None]
    largest_value = max((abs(v) for v in every_value), default=0.0)

    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="nn-network" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}">',
        f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
        '<g class="nn-header">',  # title and legend (a page with its own may hide them)
        _text(margin, 28, title, size=15, anchor="start", weight="bold"),
    ]
    edge_labels: list[tuple[_Edge, float, tuple[float, float]]] = []
    if tallest <= NUMBERED_UP_TO:
        taken = []  # each circle, and the gradient written under it
        for unit in (u for column in units for u in column):
            (x, y), r = centre(unit.column, unit.row), size.radius + 2
            taken.append((x - r, y - r, x + r, y + r))
            if unit.grad is not None:
                taken.append((x - 40, y + r, x + 40, y + r + 16))
        edge_labels = _edge_label_places(
            list(zip(edges, strengths, strict=True)), centre, taken, width
        )
    parts.extend(
        _legend(margin, 52, show, has_values, has_grads, loss_name, largest_edge, bool(edge_labels))
    )
    parts.append("</g>")

    heading_y = header - 10 if show == "weights" else header - 26
    for column, column_units in enumerate(units):
        cx, _ = centre(column, 0)
        if column == 0:
            heading = "inputs"
        elif column == len(units) - 1:
            heading = f"output · {column_units[0].activation}"
        else:
            heading = f"layer {column - 1} · {column_units[0].activation}"
        parts.append(_text(cx, heading_y, heading, size=12, colour=MUTED, weight="bold"))
        if show == "grads" and column > 0:
            # A layer's typical gradient as a number: how vanishing gradients are measured.
            sizes = [abs(s) for e, s in zip(edges, strengths, strict=True) if e.target[0] == column]
            mean = sum(sizes) / len(sizes)
            parts.append(
                _text(
                    cx,
                    header - 10,
                    f"mean |w.grad| {mean:.3g}",
                    size=11,
                    colour=MUTED,
                    css_class="nn-layer-grad",
                )
            )

    # Thin lines first, so the strong ones are drawn on top of them.
    order = sorted(range(len(edges)), key=lambda i: abs(strengths[i]))
    for i in order:
        edge, strength = edges[i], strengths[i]
        share = abs(strength) / largest_edge if largest_edge > 0 else 0.0
        line_width = MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * share
        opacity = 0.45 + 0.55 * share
        sign = "positive" if strength > 0 else "negative" if strength < 0 else "zero"
        x1, y1 = centre(*edge.source)
        x2, y2 = centre(*edge.target)
        weight = edge.weight
        tooltip = f"{edge.name} = {_number(weight.data)}, grad {_number(weight.grad)}"
        parts.append(
            f'<line class="nn-edge {sign}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" '
            f'y2="{y2:.1f}" stroke="{_colour(strength)}" stroke-width="{line_width:.3f}" '
            f'stroke-opacity="{opacity:.2f}" stroke-linecap="round" '
            f'data-param="{_attr(edge.name)}" '
            f'data-weight="{weight.data!r}" data-grad="{weight.grad!r}">'
            f"<title>{_attr(tooltip)}</title></line>"
        )
    for edge, strength, (x, y) in edge_labels:
        # On a white tag, so the lines it sits on (and crosses) do not run through its digits.
        number = _in_circle(strength)
        half = 0.3 * EDGE_FONT * len(number) + 1
        parts.append(
            f'<g class="nn-edge-value" data-param="{_attr(edge.name)}">'
            f'<rect x="{x - half:.1f}" y="{y - EDGE_FONT * 0.6:.1f}" width="{2 * half:.1f}" '
            f'height="{EDGE_FONT * 1.2:.1f}" rx="3" fill="#ffffff" fill-opacity="0.9"/>'
            + _text(x, y + EDGE_FONT * 0.36, number, size=EDGE_FONT, colour=_colour(strength))
            + "</g>"
        )

    last_column = len(units) - 1
    for column_units in units:
        for unit in column_units:
            cx, cy = centre(unit.column, unit.row)
            parts.append(_unit_svg(unit, cx, cy, size, last_column, largest_value))
    parts.append("</svg>")
    return "\n".join(parts)


def _edge_label_places(
    edges: Sequence[tuple[_Edge, float]],
    centre: Callable[[int, int], tuple[float, float]],
    occupied: Sequence[_Box],
    width: float,
) -> list[tuple[_Edge, float, tuple[float, float]]]:
    """Where each edge's number goes, for the pairs of columns where they all fit.

    Each number sits on its line, a quarter to two fifths of the way from one end (where lines
    are still apart, rather than in the middle where they cross); the first such place where
    it overlaps nothing ``occupied`` (circles and their texts) and no number already placed
    wins. A pair of columns where some
    number finds no place gets no numbers at all (its weights stay in the tooltips), so a
    reader never has to guess which lines are numbered: that is "where there is room".
    """
    placed: list[tuple[_Edge, float, tuple[float, float]]] = []
    taken = list(occupied)
    for column in sorted({edge.source[0] for edge, _ in edges}):
        boxes: list[_Box] = []
        places: list[tuple[_Edge, float, tuple[float, float]]] = []
        for edge, strength in edges:
            if edge.source[0] != column:
                continue
            half = 0.3 * EDGE_FONT * len(_in_circle(strength)) + 1
            place = _free_place(centre(*edge.source), centre(*edge.target), half, taken + boxes)
            if place is None or not half <= place[0] <= width - half:
                break
            x, y = place
            boxes.append((x - half, y - EDGE_FONT * 0.6, x + half, y + EDGE_FONT * 0.6))
            places.append((edge, strength, place))
        else:
            taken.extend(boxes)
            placed.extend(places)
    return placed


_LABEL_FRACTIONS = (0.25, 0.75, 0.3, 0.7, 0.35, 0.65, 0.4, 0.6)


def _free_place(
    start: tuple[float, float], end: tuple[float, float], half: float, taken: Sequence[_Box]
) -> tuple[float, float] | None:
    """The first point of the line from ``start`` to ``end`` (at `_LABEL_FRACTIONS`) where a
    number ``2 * half`` wide overlaps none of ``taken``."""
    for fraction in _LABEL_FRACTIONS:
        x = start[0] + fraction * (end[0] - start[0])
        y = start[1] + fraction * (end[1] - start[1])
        box = (x - half, y - EDGE_FONT * 0.6, x + half, y + EDGE_FONT * 0.6)
        if not any(_overlap(box, other) for other in taken):
            return x, y
    return None


def _overlap(a: _Box, b: _Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _legend(
    left: float,
    top: float,
    show: str,
    has_values: bool,
    has_grads: bool,
    loss_name: str | None,
    largest_edge: float,
    numbered_edges: bool,
) -> list[str]:
    """Two lines: what a line's width and colour mean, and what the numbers are."""
    measured = "|weight|" if show == "weights" else "|weight.grad|"
    sample_y = top - 4
    parts = [
        f'<line x1="{left:.1f}" y1="{sample_y:.1f}" x2="{left + 28:.1f}" y2="{sample_y:.1f}" '
        f'stroke="{POSITIVE}" stroke-width="4" stroke-linecap="round"/>',
        _text(left + 34, top, "positive", size=12, anchor="start"),
        f'<line x1="{left + 100:.1f}" y1="{sample_y:.1f}" x2="{left + 128:.1f}" '
        f'y2="{sample_y:.1f}" stroke="{NEGATIVE}" stroke-width="4" stroke-linecap="round"/>',
        _text(left + 134, top, "negative", size=12, anchor="start"),
        _text(left + 206, top, f"line width ∝ {measured}", size=12, anchor="start"),
    ]
    notes = []
    if has_values:
        notes.append("in each circle: its output, shaded by sign and size")
    else:
        notes.append("in each circle: its activation function (pass x to see values)")
    if has_grads:
        notes.append(f"below: ∂{loss_name}/∂(output)")
    if numbered_edges:
        notes.append(f"on the lines: {'weights' if show == 'weights' else 'weight grads'}")
    if show == "grads" and largest_edge == 0.0:
        notes.append("all weight grads are 0: call backward() first")
    parts.append(_text(left, top + 22, "; ".join(notes), size=12, anchor="start", colour=MUTED))
    return parts


_SHORT_ACTIVATION = {"sigmoid": "σ", "linear": "lin", "leaky_relu": "lrelu", "softplus": "sp"}


def _unit_svg(
    unit: _Unit, cx: float, cy: float, size: _Size, last_column: int, largest_value: float
) -> str:
    """One circle with its number(s) and a tooltip, as an SVG group."""
    is_input = unit.activation is None
    if is_input:
        fill = INPUT_FILL
    elif unit.column == last_column and unit.value is None:
        fill = OUTPUT_FILL
    else:
        fill = _tint(unit.value, largest_value)
    stroke_width = 2.5 if unit.column == last_column else 1.5
    tooltip = [unit.name if is_input else f"{unit.name} ({unit.activation})"]
    if unit.value is not None:
        tooltip.append(f"{'value' if is_input else 'output'} {_number(unit.value)}")
    if unit.grad is not None:
        tooltip.append(f"grad {_number(unit.grad)}")
    if unit.bias is not None:
        tooltip.append(f"bias {_number(unit.bias.data)}, bias grad {_number(unit.bias.grad)}")
    css_class = "nn-input" if is_input else "nn-neuron"
    parts = [
        f'<g class="{css_class}" data-name="{_attr(unit.name)}">',
        f"<title>{_attr(chr(10).join(tooltip))}</title>",
        f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{size.radius:g}" fill="{fill}" '
        f'stroke="{OUTLINE}" stroke-width="{stroke_width:g}"/>',
    ]
    if size.labelled:
        if unit.value is not None:
            inside = _in_circle(unit.value)
        elif is_input:
            inside = unit.name
        else:
            assert unit.activation is not None
            inside = _SHORT_ACTIVATION.get(unit.activation, unit.activation)
        parts.append(_text(cx, cy + size.font * 0.35, inside, size=size.font, css_class="nn-value"))
        if is_input and unit.value is not None:
            parts.append(
                _text(cx - size.radius - 6, cy + 4, unit.name, size=11, anchor="end", colour=MUTED)
            )
        if unit.grad is not None:
            parts.append(
                _text(
                    cx,
                    cy + size.radius + 13,
                    f"grad {_number(unit.grad)}",
                    size=10,
                    colour=_colour(unit.grad) if unit.grad else MUTED,
                    halo=True,
                    css_class="nn-grad",
                )
            )
    parts.append("</g>")
    return "".join(parts)
