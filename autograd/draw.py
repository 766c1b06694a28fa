"""`draw_dot`: a computation graph as a graphviz drawing, one box per Value and one per op.

Every Value is a three-cell box ``label | data | grad``; every node made by an op also gets a
small rounded box holding the op (``+``, ``*``, ``tanh``, ``relu(w·x+b)``, ...) with an edge to
its result. Edges run from each operand into the op in operand order, so ``a * a`` shows two
edges from ``a``.

How the parts read:

* **Names.** A Value shows its label; an unlabelled one shows ``#i``, its position in
  ``topological_order(root)``, and an unlabelled root shows ``out``. Step-through texts
  (``autograd.trace``) use the same names, so words and picture match.
* **Numbers** have 4 decimals (``0.5000``); below 0.001 or from a million on they switch to
  scientific notation (``1.2346e-05``), so a small gradient never shows as ``0.0000``.
* **Constants.** A plain number operand (``x * 2.5``, stored as ``.const``) is written into the
  op box with ``□`` standing for the Value that comes in on the edge: ``□ * 2.5``,
  ``1 - □``, ``2 ** □``. A separate box per number would double the boxes of a typical
  expression and look like a Value with a gradient, which a number never has.
* **Operand names on edges** where order or role matters: a fused neuron's edges say ``w0``,
  ``x0``, ..., ``b`` (matching nn's parameter labels), and the two edges of ``-``, ``/`` and
  ``**`` between two Values say ``1st`` and ``2nd``. A sum's edges carry no name: any order
  gives the same sum.
* **Colours** tell leaves (inputs), parameters (Values with a str ``owner``, i.e. nn's
  ``Parameter``), op results and the root apart; a legend above the graph says which is which.
* **Clusters** (``cluster=True``) box each module's parameters together with the fused neuron
  nodes that use them, nested by the owner's dotted name (``layers.0`` holds
  ``layers.0.neurons.3``).

The DOT source is deterministic: node ids come from the traversal order (never ``id()``), so
the same graph gives the same source byte for byte and the frames of a step-through keep one
layout. graphviz is imported only when a drawing is made.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import count
from typing import TYPE_CHECKING, Any

from autograd.backward import topological_order
from autograd.value import Value

if TYPE_CHECKING:
    import graphviz

INSTALL_HINT = (
    "Install graphviz: 'sudo apt-get install graphviz' (Debian/Ubuntu), "
    "'brew install graphviz' (macOS), 'conda install graphviz' (conda), "
    "or see https://graphviz.org/download/"
)

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
HIGHLIGHT = "#dc2626"  # the step-through's current node and the edges it just fed: red
RECEIVED = "#fecaca"  # grad cells that just received a contribution: light red
FONT = "Helvetica,Arial,sans-serif"
FONT_SIZE = 11
_CHAR_WIDTH = 7  # points per character at FONT_SIZE, generous, for fixed-width grad cells


class GraphvizNotFoundError(RuntimeError):
    """graphviz's ``dot`` program is missing, so a drawing cannot be rendered.

    Building a drawing and reading its DOT source (``.source``) still work without it.
    """

    def __init__(self) -> None:
        super().__init__(
            "graphviz's 'dot' program was not found on PATH, so the graph cannot be rendered "
            f"(its DOT source, .source, still works). {INSTALL_HINT}"
        )


# --------------------------------------------------------------------------------------------
# How single parts are written
# --------------------------------------------------------------------------------------------


def format_number(x: float) -> str:
    """A number as drawings show it: 4 decimals, or scientific notation when tiny or huge."""
    if x == 0.0:
        return "0.0000"  # also for -0.0, which is the same number to a learner
    if 1e-3 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.4e}"


def node_names(nodes: Sequence[Value]) -> list[str]:
    """Each node's name in drawings and explanations, for nodes in topological order.

    The label when there is one; else ``out`` for the root (the last node) and ``#i`` (the
    node's position) for the others.
    """
    last = len(nodes) - 1
    return [node.label or ("out" if i == last else f"#{i}") for i, node in enumerate(nodes)]


def operand_names(node: Value) -> list[str]:
    """The name written on each edge into ``node``'s op box, in operand order ("" for none)."""
    spec = node.op
    n = len(node.parents)
    if spec is None:
        return []
    if spec.name.startswith("neuron_"):  # parents are (w_0..w_k-1, x_0..x_k-1, b)
        k = (n - 1) // 2
        return [f"w{i}" for i in range(k)] + [f"x{i}" for i in range(k)] + ["b"]
    if spec.name == "dot":  # parents are (x_0..x_k-1, y_0..y_k-1)
        k = n // 2
        return [f"x{i}" for i in range(k)] + [f"y{i}" for i in range(k)]
    if spec.name in ("sub", "div", "pow"):
        return ["1st", "2nd"]
    return [""] * n


def op_label(node: Value) -> str:
    """The text of ``node``'s op box: the op, with its plain-number operand written in place."""
    spec = node.op
    if spec is None:
        return ""
    if node.const is None:
        return spec.symbol
    number = f"{node.const:.6g}"
    if spec.constant == "left":
        return f"{number} {spec.symbol} □"
    return f"□ {spec.symbol} {number}"


def owner_of(node: Value) -> str | None:
    """The module name a parameter belongs to (nn's ``Parameter.owner``), else None."""
    owner = getattr(node, "owner", None)
    return owner if isinstance(owner, str) else None


def _cluster_path(owner: str) -> tuple[str, ...]:
    """The nested clusters of a module name: one per list index on the way down, then itself.

    ``"layers.0.neurons.3"`` -> ``("layers.0", "layers.0.neurons.3")``: a layer's box holds
    its neurons' boxes.
    """
    parts = owner.split(".")
    path = [".".join(parts[: i + 1]) for i, part in enumerate(parts) if part.isdigit()]
    if not path or path[-1] != owner:
        path.append(owner)
    return tuple(path)


def _neuron_owner(node: Value) -> str | None:
    """The one module whose parameters a fused neuron node uses, if there is exactly one."""
    spec = node.op
    if spec is None or not spec.name.startswith("neuron_"):
        return None
    owners = {owner_of(p) for p in node.parents} - {None}
    return owners.pop() if len(owners) == 1 else None


# --------------------------------------------------------------------------------------------
# Building the Digraph
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FrameMarks:
    """What a step-through frame highlights on top of the plain drawing.

    Attributes:
        current: index (in topological order) of the node whose backward step this is, or
            None for a frame that highlights nothing (the step-through page's base picture).
        edge_notes: text per operand position of ``current``: the chain-rule product that
            went along that edge. Written as an external label so the layout stays put.
        received: indices of the nodes whose gradient changed in this step.
        grad_widths: a fixed width in points for each node's grad cell, the same in every
            frame, so that changing numbers never move the boxes between frames.
        products: for the step-through page's one picture, the product that goes along every
            edge, keyed by (node index, operand position) and written under the operand's name
            in the edge's label, so graphviz leaves room for it; the page shows only the
            current step's.
    """

    current: int | None
    edge_notes: Mapping[int, str]
    received: frozenset[int]
    grad_widths: Sequence[int]
    products: Mapping[tuple[int, int], str] = field(default_factory=dict)


@dataclass
class _Box:
    """One graphviz node waiting to be added, and the cluster it goes in (() for none)."""

    dot_id: str
    attrs: dict[str, str]
    cluster: tuple[str, ...] = ()


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
) -> graphviz.Digraph:
    """The drawing of ``nodes`` (a topological order, root last) showing ``grads``.

    `draw_dot` calls this with the live gradients; a step-through frame calls it with the
    gradients as they were after one step, plus `FrameMarks`.
    """
    from autograd._graphviz import Drawing

    names = node_names(nodes)
    root = len(nodes) - 1
    kinds = [_kind(node, i == root) for i, node in enumerate(nodes)]
    index = {node: i for i, node in enumerate(nodes)}  # identity-keyed: Value keeps id hashing

    layout = _Layout()
    for i, node in enumerate(nodes):
        owner = owner_of(node) if cluster else None
        neuron_owner = _neuron_owner(node) if cluster else None
        if node.parents:
            op_attrs = {"label": op_label(node), "shape": "box", "style": "rounded,filled"}
            op_attrs |= {"fillcolor": COLOURS["op"], "height": "0.3", "margin": "0.08,0.03"}
            if marks is not None and marks.current == i:
                op_attrs |= {"color": HIGHLIGHT, "penwidth": "2.5", "fontcolor": HIGHLIGHT}
            path = _cluster_path(neuron_owner) if neuron_owner is not None else ()
            layout.add(_Box(f"o{i}", op_attrs | {"id": f"o{i}"}, path))
        else:
            path = _cluster_path(owner) if owner is not None else ()
        label = _value_label(i, names[i], bool(node.label), node.data, grads[i], kinds[i],
                             show_grad, marks)  # fmt: skip
        layout.add(_Box(f"v{i}", {"label": label, "shape": "plain", "id": f"v{i}"}, path))

    dot = Drawing(
        name="computation_graph",
        graph_attr={"rankdir": rankdir, "fontname": FONT, "fontsize": str(FONT_SIZE),
                    "labelloc": "t", "labeljust": "l", "nodesep": "0.15", "ranksep": "0.35",
                    "forcelabels": "true"},
        node_attr={"fontname": FONT, "fontsize": str(FONT_SIZE)},
        edge_attr={"fontname": FONT, "fontsize": "9", "arrowsize": "0.6", "color": "#475569"},
    )  # fmt: skip
    dot.attr(label=_graph_label(kinds, note, marks))
    for box in layout.top:
        dot.node(box.dot_id, **box.attrs)
    _add_clusters(dot, layout, (), count())
    for i, node in enumerate(nodes):
        if node.parents:
            _add_edges(dot, node, i, [index[p] for p in node.parents], marks)
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
        border, colour = "2", HIGHLIGHT
    return (
        f'<<table border="{border}" color="{colour}" cellborder="1" cellspacing="0" '
        f'cellpadding="3" bgcolor="{COLOURS[kind]}"><tr>{"".join(cells)}</tr></table>>'
    )


def _graph_label(kinds: Sequence[str], note: str | None, marks: FrameMarks | None) -> str:
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
    rows = f"<tr>{''.join(cells)}</tr>"
    if note:
        rows = (
            f'<tr><td colspan="{len(cells)}" align="left"><font color="{HIGHLIGHT}">'
            f"<b>{html.escape(note)}</b></font></td></tr>{rows}"
        )
    return f'<<table border="0" cellspacing="2" cellpadding="1">{rows}</table>>'


def _add_clusters(
    graph: graphviz.Digraph, layout: _Layout, path: tuple[str, ...], numbers: Iterator[int]
) -> None:
    """Add the clusters inside ``path`` (recursively), each holding its boxes."""
    for child in layout.children(path):
        inner = (*path, child)
        with graph.subgraph(name=f"cluster_{next(numbers)}") as sub:
            sub.attr(label=child or "(model)", style="rounded,dashed", color="#94a3b8",
                     fontcolor="#64748b", fontsize="9")  # fmt: skip
            for box in layout.clustered.get(inner, []):
                sub.node(box.dot_id, **box.attrs)
            _add_clusters(sub, layout, inner, numbers)


def _add_edges(
    dot: graphviz.Digraph,
    node: Value,
    i: int,
    parent_indices: Sequence[int],
    marks: FrameMarks | None,
) -> None:
    """Edges from each operand into node ``i``'s op box, then from the op box to the node."""
    current = marks is not None and marks.current == i
    for position, (p, name) in enumerate(zip(parent_indices, operand_names(node), strict=True)):
        # Ids name each node and edge in the SVG, so the step-through page can mark them.
        product = marks.products.get((i, position)) if marks is not None else None
        label = "\n".join(text for text in (name, product) if text)
        attrs: dict[str, Any] = {"id": f"e{i}_{position}"} | ({"label": label} if label else {})
        if current:
            assert marks is not None
            attrs |= {"color": HIGHLIGHT, "fontcolor": HIGHLIGHT, "penwidth": "2"}
            note = marks.edge_notes.get(position)
            if note:
                attrs["xlabel"] = note
        dot.edge(f"v{p}", f"o{i}", **attrs)
    highlight = {"color": HIGHLIGHT, "penwidth": "2"} if current else {}
    dot.edge(f"o{i}", f"v{i}", id=f"r{i}", **highlight)


# --------------------------------------------------------------------------------------------
# The public function
# --------------------------------------------------------------------------------------------


def count_boxes(nodes: Sequence[Value]) -> int:
    """How many graphviz nodes a drawing of ``nodes`` has: one per Value and one per op."""
    return len(nodes) + sum(1 for node in nodes if node.parents)


def check_size(nodes: Sequence[Value], max_nodes: int, what: str) -> None:
    """Raise a ValueError when drawing ``nodes`` would take more than ``max_nodes`` boxes."""
    boxes = count_boxes(nodes)
    if boxes > max_nodes:
        raise ValueError(
            f"{what}: the graph has {boxes} boxes to draw ({len(nodes)} values and their ops), "
            f"more than max_nodes={max_nodes}; graphviz would take very long. Draw a smaller "
            "example (one sample instead of a batch, a smaller model), or pass a larger "
            "max_nodes if you are ready to wait"
        )


def draw_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    cluster: bool = True,
    max_nodes: int = 500,
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
        rankdir: graphviz's direction of flow: "LR" (left to right), "TB", "RL" or "BT".
        show_grad: show each Value's ``.grad``; before any ``backward()`` (all zero) a note
            above the graph says so.
        cluster: box the parameters of each nn module with the neuron nodes that use them.
        max_nodes: the most boxes (Values plus ops) to draw; a larger graph raises a
            ValueError rather than leaving graphviz running for minutes.

    Rendering needs graphviz's ``dot`` program; without it, rendering raises
    `GraphvizNotFoundError` saying how to install it, while ``.source`` still works.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a Value, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_dot: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_dot: max_nodes must be a positive int, got {max_nodes!r}")
    nodes = topological_order(root)
    check_size(nodes, max_nodes, "draw_dot")
    grads = [node.grad for node in nodes]
    note = NOT_COMPUTED_NOTE if show_grad and not any(grads) else None
    return build_digraph(
        nodes, grads, rankdir=rankdir, show_grad=show_grad, cluster=cluster, note=note
    )


def render_svg(dot: graphviz.Digraph) -> str:
    """Run ``dot`` on a drawing and return the SVG text (raises `GraphvizNotFoundError`)."""
    svg: str = dot.pipe(format="svg", encoding="utf-8")
    return svg
