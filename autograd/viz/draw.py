"""`draw_dot`: a computation graph as a graphviz drawing, one box per Value and one per op.

Every Value is a three-cell box ``label | data | grad``; every node made by an op also gets a
small rounded box holding the op (``+``, ``*``, ``tanh``, ``relu(w·x+b)``, ...) with an edge to
its result. Edges run from each operand into the op in operand order, so ``a * a`` shows two
edges from ``a``.

How the parts read:

* **Names.** A Value shows its label (control characters written as escapes, ``a\\x00b``);
  an unlabelled one shows ``#i``, its position in ``topological_order(root)``, and an
  unlabelled root shows ``out``. Step-throughs (``autograd.viz.trace``) use the same names
  in their words and pictures, except that an unlabelled root is ``root`` there (their rules
  call each op's own output ``out``).
* **Numbers** have 4 decimals (``0.5000``); below 0.001 or from a million on they switch to
  scientific notation (``1.2346e-05``), so a small gradient never shows as ``0.0000``.
* **Constants.** A plain number operand (``x * 2.5``, stored as ``.const``) is written into the
  op box with ``□`` standing for the Value that comes in on the edge: ``□ * 2.5``,
  ``1 - □``, ``2 ** □``. A separate box per number would double the boxes of a typical
  expression and look like a Value with a gradient, which a number never has.
* **Operand names on edges** only where order matters and nothing else shows it: the two edges
  of ``-``, ``/`` and ``**`` between two Values say ``1st`` and ``2nd``. A neuron's edges
  carry no names: its weights' boxes say ``w0``, ``w1``, ... and sit in order in the neuron's
  cluster, and the bundle from one layer to the next stays a plain bundle that can be
  followed (with a name on each of its edges it could not).
* **Gradient flow.** Once gradients exist, each edge carries ``grad of the result × local
  derivative``: its width grows with the size of that contribution and its colour tells the
  sign (blue positive, orange negative); the legend says so.
* **Colours** tell leaves (inputs), parameters (Values with a str ``owner``, i.e. nn's
  ``Parameter``), op results and the root apart; a legend above the graph says which is which.
* **Clusters** (``cluster=True``) box each module's parameters together with the neuron
  nodes that use them (an op node reading two or more parameters, all of one module), nested
  by the owner's dotted name (``layers.0`` holds ``layers.0.neurons.3``).

The DOT source is deterministic: node ids come from the traversal order (never ``id()``), so
the same graph gives the same source byte for byte and the frames of a step-through keep one
layout. graphviz is imported only when a drawing is made.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import count, pairwise
from typing import TYPE_CHECKING, Any

from autograd.value import Value
from autograd.viz.graph import (
    check_max_nodes,
    constant_side,
    format_number,
    local_derivatives,
    node_names,
    op_name,
    op_symbol,
    owner_of,
    walk,
)

if TYPE_CHECKING:
    import graphviz

__all__ = [
    "COLOURS",
    "EDGE",
    "FONT",
    "FONT_SIZE",
    "HIGHLIGHT",
    "LEGEND_NAMES",
    "NEGATIVE",
    "NOT_COMPUTED_NOTE",
    "POSITIVE",
    "RANKDIRS",
    "RECEIVED",
    "FrameMarks",
    "build_digraph",
    "draw_dot",
    "edge_flows",
    "fitting_rankdir",
    "flow_style",
    "flow_width",
    "grad_cell_width",
    "neuron_owner",
    "op_label",
    "operand_names",
    "render_svg",
]

NOT_COMPUTED_NOTE = "grads not computed yet: call backward()"

RANKDIRS = ("LR", "TB", "RL", "BT")

# Fill colours, one per kind of Value (the legend prints the same names).
COLOURS = {
    "leaf": "#dbeafe",  # inputs and other leaves: light blue
    "parameter": "#fde68a",  # weights and biases of nn modules: amber
    "result": "#ffffff",  # made by an op: white
    "root": "#bbf7d0",  # the output the drawing starts from: green
    "op": "#e2e8f0",  # op boxes: grey
}
LEGEND_NAMES = {"leaf": "leaf", "parameter": "parameter", "root": "output", "op": "op"}
HIGHLIGHT = "#7c3aed"  # the step-through's current node and the edges it feeds: violet
RECEIVED = "#ddd6fe"  # grad cells that just received a contribution: light violet
POSITIVE = "#2563eb"  # an edge carrying a positive contribution: blue
NEGATIVE = "#ea580c"  # an edge carrying a negative contribution: orange
EDGE = "#475569"  # an edge before any gradient flows: slate
FONT = "Helvetica,Arial,sans-serif"
FONT_SIZE = 11
_CHAR_WIDTH = 7  # points per character at FONT_SIZE, generous, for fixed-width grad cells
_THINNEST, _THICKEST = 0.8, 4.0  # edge widths in points for no flow and the largest flow
_PX_PER_INCH = 96  # browsers draw a CSS inch as 96 px; graphviz sizes are in inches

# --------------------------------------------------------------------------------------------
# How single parts are written
# --------------------------------------------------------------------------------------------


def operand_names(node: Value) -> list[str]:
    """The name written on each edge into ``node``'s op box, in operand order ("" for none)."""
    if op_name(node) in ("sub", "div", "pow"):
        return ["1st", "2nd"]
    return [""] * len(node.parents)


def op_label(node: Value) -> str:
    """The text of ``node``'s op box: the op, with its plain-number operand written in place."""
    symbol = op_symbol(node)
    side = constant_side(node)
    if side is None or node.const is None:
        return symbol
    number = f"{node.const:.6g}"
    if symbol.isidentifier():  # a function with a parameter: leaky_relu(□, 0.01)
        return f"{symbol}(□, {number})"
    if side == "left":
        return f"{number} {symbol} □"
    return f"□ {symbol} {number}"


def _cluster_path(owner: str, nested: bool = True) -> tuple[str, ...]:
    """The nested clusters of a module name: one per list index on the way down, then itself.

    ``"layers.0.neurons.3"`` -> ``("layers.0", "layers.0.neurons.3")``: a layer's box holds
    its neurons' boxes. Not ``nested``: only the module's own box, ``("layers.0.neurons.3",)``.
    """
    if not nested:
        return (owner,)
    parts = owner.split(".")
    path = [".".join(parts[: i + 1]) for i, part in enumerate(parts) if part.isdigit()]
    if not path or path[-1] != owner:
        path.append(owner)
    return tuple(path)


def neuron_owner(node: Value) -> str | None:
    """The module a neuron node belongs to (``layers.1.neurons.3``), else None.

    Recognised by what it reads, whatever its op is called: two or more parameters (its
    weights and bias; ``p * p`` reads one), all of one module.
    """
    parameters = {id(p): owner_of(p) for p in node.parents if owner_of(p) is not None}
    owners = set(parameters.values())
    return owners.pop() if len(parameters) >= 2 and len(owners) == 1 else None


def edge_flows(nodes: Sequence[Value], grads: Sequence[float]) -> dict[tuple[int, int], float]:
    """What flows along each edge: the result's grad times the local derivative.

    Keyed by (index of the result, operand position), for nodes in topological order with
    ``grads`` their gradients.
    """
    flows: dict[tuple[int, int], float] = {}
    for i, node in enumerate(nodes):
        if node.parents and grads[i]:
            for position, local in enumerate(local_derivatives(node)):
                flows[(i, position)] = grads[i] * local
    return flows


def flow_width(flow: float, largest: float) -> float:
    """An edge's width in points: from thin for no flow to thick for the largest one."""
    share = min(1.0, abs(flow) / largest) if largest else 0.0
    return _THINNEST + (_THICKEST - _THINNEST) * share


def flow_style(flow: float, largest: float) -> dict[str, str]:
    """An edge's colour by the sign of what flows along it, and its width by the size."""
    if not flow or not largest:
        return {}
    width = flow_width(flow, largest)
    colour = POSITIVE if flow > 0 else NEGATIVE
    return {"color": colour, "penwidth": f"{width:.2f}"}


# --------------------------------------------------------------------------------------------
# Building the Digraph
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FrameMarks:
    """What a step-through frame highlights on top of the plain drawing.

    Attributes:
        current: index (in topological order) of the node whose backward step this is, or
            None for a frame that highlights nothing (the step-through page's base picture).
        received: indices of the nodes whose gradient changed in this step.
        grad_widths: a fixed width in points for each node's grad cell, the same in every
            frame, so that changing numbers never move the boxes between frames.
        products: the product ``upstream × local = contribution`` that goes along every edge,
            keyed by (node index, operand position), written in the edge's label so graphviz
            leaves room for it and no label covers a box. Every frame writes all of them (so
            all frames share one layout) and colours them by ``shown``.
        shown: how each product is written: "current" (this step's, in the highlight
            colour), "done" (an earlier step's, grey) or missing (a later step's: drawn
            transparent, keeping its room). The page (no ``shown``) hides all but the
            current step's with its script.
    """

    current: int | None
    received: frozenset[int]
    grad_widths: Sequence[int]
    products: Mapping[tuple[int, int], str] = field(default_factory=dict)
    shown: Mapping[tuple[int, int], str] | None = None


@dataclass
class _Box:
    """One graphviz node waiting to be added, and the cluster it goes in (() for none)."""

    dot_id: str
    attrs: dict[str, str]
    cluster: tuple[str, ...] = ()
    leaf: bool = False


@dataclass
class _Layout:
    """Boxes in the order they are declared, grouped for the clusters."""

    top: list[_Box] = field(default_factory=list)
    clustered: dict[tuple[str, ...], list[_Box]] = field(default_factory=dict)

    def add(self, box: _Box) -> None:
        if box.cluster:
            self.clustered.setdefault(box.cluster, []).append(box)
        else:
            self.top.append(box)

    def children(self, path: tuple[str, ...]) -> Iterator[str]:
        """The clusters directly inside ``path``, in the order they first appear."""
        seen: set[str] = set()
        for cluster in self.clustered:
            if len(cluster) > len(path) and cluster[: len(path)] == path:
                child = cluster[len(path)]
                if child not in seen:
                    seen.add(child)
                    yield child


def grad_cell_width(text: str) -> int:
    """A width in points that fits ``text`` in a grad cell."""
    return len(text) * _CHAR_WIDTH + 10


def build_digraph(
    nodes: Sequence[Value],
    grads: Sequence[float],
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    cluster: bool = True,
    note: str | None = None,
    marks: FrameMarks | None = None,
    flows: Mapping[tuple[int, int], float] | None = None,
    max_width: float | None = None,
    legend: bool = True,
    names: Sequence[str] | None = None,
    edge_font_size: float = 9,
    compact: bool = False,
) -> graphviz.Digraph:
    """The drawing of ``nodes`` (a topological order, root last) showing ``grads``.

    `draw_dot` calls this with the live gradients; a step-through frame calls it with the
    gradients as they were after one step, plus `FrameMarks`. ``flows`` (see `edge_flows`)
    sets each edge's width and colour. ``legend=False`` leaves the legend out (the
    step-through page shows its own, which stays in view when the graph is zoomed).
    ``names`` replaces `node_names` (the step-through names the root ``root``, not ``out``);
    ``edge_font_size`` is the edge labels' size in points (the page's products are larger).
    ``compact`` is the step-through page's layout, where a neuron's operands must fit in
    one view: each neuron's box stands alone (not inside its layer's), and the edges from the
    values a neuron reads (not its own parameters) span two ranks, so that a layer sits beside
    the one before it instead of below it.
    """
    from autograd.viz._graphviz import Drawing

    names = list(names) if names is not None else node_names(nodes)
    root = len(nodes) - 1
    kinds = [_kind(node, i == root) for i, node in enumerate(nodes)]
    index = {node: i for i, node in enumerate(nodes)}  # identity-keyed: Value keeps id hashing

    layout = _Layout()
    for i, node in enumerate(nodes):
        owner = owner_of(node) if cluster else None
        neuron = neuron_owner(node) if cluster else None
        if node.parents:
            op_attrs = {"label": op_label(node), "shape": "box", "style": "rounded,filled"}
            op_attrs |= {"fillcolor": COLOURS["op"], "height": "0.3", "margin": "0.08,0.03"}
            if marks is not None and marks.current == i:
                op_attrs |= {"color": HIGHLIGHT, "penwidth": "2.5", "fontcolor": HIGHLIGHT}
            path = _cluster_path(neuron, not compact) if neuron is not None else ()
            layout.add(_Box(f"o{i}", op_attrs | {"id": f"o{i}"}, path))
        else:
            path = _cluster_path(owner, not compact) if owner is not None else ()
        label = _value_label(i, names[i], bool(node.label), node.data, grads[i], kinds[i],
                             show_grad, marks)  # fmt: skip
        box_attrs = {"label": label, "shape": "plain", "id": f"v{i}"}
        layout.add(_Box(f"v{i}", box_attrs, path, leaf=not node.parents))

    graph_attr = {"rankdir": rankdir, "fontname": FONT, "fontsize": str(FONT_SIZE),
                  "labelloc": "t", "labeljust": "l", "nodesep": "0.15",
                  "ranksep": "0.35", "remincross": "false"}  # fmt: skip
    if compact:
        graph_attr["nodesep"] = "0.1"
    if max_width is not None:
        # graphviz scales the whole drawing down (never up) to fit this many inches.
        graph_attr["size"] = f"{max_width / _PX_PER_INCH:.3f},10000"
    dot = Drawing(
        name="computation_graph",
        graph_attr=graph_attr,
        node_attr={"fontname": FONT, "fontsize": str(FONT_SIZE)},
        edge_attr={
            "fontname": FONT,
            "fontsize": f"{edge_font_size:g}",
            "arrowsize": "0.6",
            "color": EDGE,
        },
    )
    flows = flows or {}
    if legend:
        dot.attr(label=_graph_label(kinds, note, marks, bool(flows)))
    for box in layout.top:
        dot.node(box.dot_id, **box.attrs)
    _add_clusters(dot, layout, (), count(), rankdir)
    largest = max((abs(flow) for flow in flows.values()), default=0.0)
    for i, node in enumerate(nodes):
        if node.parents:
            parent_indices = [index[p] for p in node.parents]
            _add_edges(dot, node, i, parent_indices, marks, flows, largest, compact)
    return dot


def _kind(node: Value, is_root: bool) -> str:
    if is_root:
        return "root"
    if owner_of(node) is not None:
        return "parameter"
    return "result" if node.parents else "leaf"


def _value_label(
    i: int,
    name: str,
    labelled: bool,
    data: float,
    grad: float,
    kind: str,
    show_grad: bool,
    marks: FrameMarks | None,
) -> str:
    """The HTML-like label of a Value's box: a one-row table ``name | data | grad``."""
    shown_name = (
        f"<b>{html.escape(name)}</b>" if labelled else f'<font color="#64748b">{name}</font>'
    )
    cells = [f"<td>{shown_name}</td>", f"<td>data {format_number(data)}</td>"]
    if show_grad:
        grad_attrs = ""
        if marks is not None:
            grad_attrs = f' width="{marks.grad_widths[i]}"'
            if i in marks.received:
                grad_attrs += f' bgcolor="{RECEIVED}"'
        cells.append(f"<td{grad_attrs}>grad {format_number(grad)}</td>")
    border, colour = ("2", "#15803d") if kind == "root" else ("0", "#475569")
    if marks is not None and marks.current == i:
        border, colour = "3", HIGHLIGHT
    return (
        f'<<table border="{border}" color="{colour}" cellborder="1" cellspacing="0" '
        f'cellpadding="3" bgcolor="{COLOURS[kind]}"><tr>{"".join(cells)}</tr></table>>'
    )


def _graph_label(
    kinds: Sequence[str], note: str | None, marks: FrameMarks | None, flows: bool
) -> str:
    """The legend (only the kinds present) and, when there is one, a note above it."""
    present = {"op" if k == "result" else k for k in kinds}
    cells = []
    for kind in ("leaf", "parameter", "op", "root"):
        if kind in present:
            cells.append(f'<td bgcolor="{COLOURS[kind]}" border="1" width="12"> </td>')
            cells.append(f'<td align="left">{LEGEND_NAMES[kind]}</td>')
    if marks is not None:
        cells.append(f'<td border="2" color="{HIGHLIGHT}" width="12"> </td>')
        cells.append('<td align="left">this step</td>')
        cells.append(f'<td bgcolor="{RECEIVED}" border="1" width="12"> </td>')
        cells.append('<td align="left">grad just received</td>')
    if flows or marks is not None:
        cells.append(f'<td><font color="{POSITIVE}"><b>━━</b></font></td>')
        cells.append('<td align="left">adds to grad</td>')
        cells.append(f'<td><font color="{NEGATIVE}"><b>━━</b></font></td>')
        cells.append('<td align="left">subtracts (width: how much)</td>')
    rows = f"<tr>{''.join(cells)}</tr>"
    if note:
        rows = (
            f'<tr><td colspan="{len(cells)}" align="left"><font color="{HIGHLIGHT}">'
            f"<b>{html.escape(note)}</b></font></td></tr>{rows}"
        )
    return f'<<table border="0" cellspacing="2" cellpadding="1">{rows}</table>>'


def _add_clusters(
    graph: graphviz.Digraph,
    layout: _Layout,
    path: tuple[str, ...],
    numbers: Iterator[int],
    rankdir: str,
) -> None:
    """Add the clusters inside ``path`` (recursively), each holding its boxes."""
    for child in layout.children(path):
        inner = (*path, child)
        with graph.subgraph(name=f"cluster_{next(numbers)}") as sub:
            sub.attr(label=child or "(model)", style="rounded,dashed", color="#94a3b8",
                     fontcolor="#64748b", fontsize="9")  # fmt: skip
            boxes = layout.clustered.get(inner, [])
            for box in boxes:
                sub.node(box.dot_id, **box.attrs)
            _keep_in_order(sub, [box.dot_id for box in boxes if box.leaf], rankdir)
            _add_clusters(sub, layout, inner, numbers, rankdir)


def _keep_in_order(graph: graphviz.Digraph, dot_ids: Sequence[str], rankdir: str) -> None:
    """Stack a module's parameters in their order (w0, w1, ..., b) instead of graphviz's.

    Invisible edges between neighbours in one rank fix their order (across a rank an edge
    puts its head after its tail: above it in a left-to-right drawing, right of it in a
    top-to-bottom one);
    left alone, graphviz orders them to save crossings, which reads as a shuffle (``w3, b,
    w0, w1, w2``). The graph's ``remincross=false`` keeps the last pass over clusters from
    undoing it.
    """
    if len(dot_ids) < 2:
        return
    with graph.subgraph() as same_rank:
        same_rank.attr(rank="same")
        for first, then in pairwise(dot_ids):
            if rankdir in ("LR", "RL"):
                same_rank.edge(then, first, style="invis")
            else:
                same_rank.edge(first, then, style="invis")


_PRODUCT_COLOURS = {"current": HIGHLIGHT, "done": "#64748b"}


def _edge_label(name: str, product: str | None, shown: str | None) -> str | None:
    """An edge's label: its operand name and, in a step-through, its chain-rule product.

    The product takes two lines, ``g × local`` and ``= contribution``: half as wide, so the
    labels of edges that meet at one op stay apart.
    """
    if product is None:
        return name or None
    factors, equals, result = product.partition(" = ")
    lines = [factors, f"= {result}"] if equals else [product]
    if shown is None:  # the page: its script shows the current step's products
        return "\n".join([name, *lines] if name else lines)
    colour = _PRODUCT_COLOURS.get(shown, "#ffffff00")  # a later step's: room kept, not drawn
    weight = ("<b>", "</b>") if shown == "current" else ("", "")
    text = "<br/>".join(html.escape(line) for line in lines)
    shown_lines = f'<font color="{colour}">{weight[0]}{text}{weight[1]}</font>'
    return f"<{html.escape(name)}<br/>{shown_lines}>" if name else f"<{shown_lines}>"


def _add_edges(
    dot: graphviz.Digraph,
    node: Value,
    i: int,
    parent_indices: Sequence[int],
    marks: FrameMarks | None,
    flows: Mapping[tuple[int, int], float],
    largest: float,
    compact: bool = False,
) -> None:
    """Edges from each operand into node ``i``'s op box, then from the op box to the node."""
    current = marks is not None and marks.current == i
    # compact: a neuron's inputs (values made by ops, not its parameters) come from two ranks back
    data_minlen = "4" if compact and neuron_owner(node) is not None else None
    for position, (p, name) in enumerate(zip(parent_indices, operand_names(node), strict=True)):
        # Ids name each node and edge in the SVG, so the step-through page can mark them.
        attrs: dict[str, Any] = {"id": f"e{i}_{position}"}
        product = marks.products.get((i, position)) if marks is not None else None
        shown = None
        if marks is not None and marks.shown is not None:
            shown = marks.shown.get((i, position), "later")
        label = _edge_label(name, product, shown)
        if label:
            attrs["label"] = label
        attrs |= flow_style(flows.get((i, position), 0.0), largest)
        parent = node.parents[position]
        if data_minlen:  # room for the page's products between a neuron and its operands
            attrs["minlen"] = data_minlen if parent.parents and owner_of(parent) is None else "3"
        if current:
            attrs |= {"fontcolor": HIGHLIGHT}
        dot.edge(f"v{p}", f"o{i}", **attrs)
    highlight = {"color": HIGHLIGHT, "penwidth": "2"} if current else {}
    dot.edge(f"o{i}", f"v{i}", id=f"r{i}", **highlight)


# --------------------------------------------------------------------------------------------
# The public function
# --------------------------------------------------------------------------------------------


def draw_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    cluster: bool = True,
    max_nodes: int = 500,
    max_width: float | None = None,
) -> graphviz.Digraph:
    """The computation graph that ``root`` was computed by, as a ``graphviz.Digraph``.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b
    >>> c.label = "c"
    >>> c.backward()
    >>> dot = draw_dot(c)            # shows itself in Jupyter; dot.render("c", format="svg")
    >>> "grad -3.0000" in dot.source
    True

    Args:
        root: the Value to draw the graph of (usually a loss or an output).
        rankdir: graphviz's direction of flow: "LR" (left to right), "TB" (top to bottom:
            narrower for long chains, good in a notebook), "RL" or "BT".
        show_grad: show each Value's ``.grad`` and, once there are gradients, what flows
            along each edge (width: how much; colour: the sign). Before any ``backward()``
            (all zero) a note above the graph says so.
        cluster: box the parameters of each nn module with the neuron nodes that use them.
        max_nodes: the most boxes (Values plus ops) to draw; a larger graph raises a
            `GraphTooLargeError` (a ValueError) rather than leaving graphviz running for
            minutes. Counting stops at the limit, so refusing a huge graph is quick.
        max_width: the widest the rendered picture may be, in CSS pixels (a notebook's cell
            is about 900); a wider drawing is scaled down to fit, a narrower one is left as
            it is. None (the default) keeps the natural size.

    Rendering needs graphviz's ``dot`` program; without it, rendering raises
    `GraphvizNotFoundError` saying how to install it, while ``.source`` still works.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a Value, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_dot: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    check_max_nodes(max_nodes, "draw_dot")
    if max_width is not None and (
        isinstance(max_width, bool)
        or not isinstance(max_width, int | float)
        or not 0 < max_width < float("inf")
    ):
        raise ValueError(
            f"draw_dot: max_width must be a positive number of pixels, got {max_width!r}"
        )
    nodes = walk(root, max_nodes, "draw_dot")
    grads = [node.grad for node in nodes]
    note = NOT_COMPUTED_NOTE if show_grad and not any(grads) else None
    flows = edge_flows(nodes, grads) if show_grad else None
    return build_digraph(nodes, grads, rankdir=rankdir, show_grad=show_grad, cluster=cluster,
                         note=note, flows=flows, max_width=max_width)  # fmt: skip


# Rough sizes in points of what graphviz draws, for choosing a direction before any layout:
# a value box and the gap after it, an op box and the gap after it, a box's height with the
# gap between neighbours.
_VALUE_ACROSS, _OP_ACROSS, _ROW = 200.0, 70.0, 30.0


def fitting_rankdir(nodes: Sequence[Value], width: float = 820, height: float = 620) -> str:
    """ "LR" or "TB": the direction in which ``nodes`` fit a ``width`` × ``height`` view best.

    A long expression is wide from left to right and fits better from top to bottom; a
    network, a few layers of many neurons, is the opposite. Estimated from the graph's depth
    and its widest rank, without a layout: a layout costs as much as the drawing itself.
    """
    index = {node: i for i, node in enumerate(nodes)}
    depth = [0] * len(nodes)
    for i, node in enumerate(nodes):  # topological order: parents come first
        for parent in node.parents:
            depth[i] = max(depth[i], depth[index[parent]] + 1)
    ranks = max(depth, default=0) + 1
    widest = max(Counter(depth).values(), default=1)
    along = ranks * _VALUE_ACROSS + (ranks - 1) * _OP_ACROSS  # value and op boxes alternate
    along_tall = ranks * _ROW * 2.5  # a rank is a value row and an op row
    across = widest * _ROW
    across_wide = widest * _VALUE_ACROSS
    left_to_right = min(width / along, height / across)
    top_to_bottom = min(width / across_wide, height / along_tall)
    return "TB" if top_to_bottom > left_to_right else "LR"


def render_svg(dot: graphviz.Digraph) -> str:
    """Run ``dot`` on a drawing and return the SVG text (raises `GraphvizNotFoundError`)."""
    svg: str = dot.pipe(format="svg", encoding="utf-8")
    return svg
