"""`trace_backward`: a forward and a backward pass, one node at a time, with the chain rule.

The reverse sweep of ``backward()`` visits each op node once, after every node that uses it.
At each node it knows the upstream gradient ``g = d(root)/d(node)``, asks the op's rule for
the local derivatives ``d(node)/d(parent)`` and adds ``g * local`` into each parent's
``.grad``: the chain rule. `trace_backward` runs that sweep and records each step as a
`TraceStep`: the op's rule as a formula (from the op table), the same with the forward
pass's numbers, the upstream gradient, each contribution and each parent's gradient before
and after. It also records the forward pass, the values filling in, as `ForwardStep` s.

The result, a `BackwardTrace`, is a sequence of backward steps that can be read
(``trace[i]``, ``trace.explain(i)``), drawn (``trace.frame(i)``) and played: in Jupyter it
shows itself as a step-through page (``autograd.viz.page``); ``trace.save_html(path)`` writes
the same page to a file.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from autograd.backward import commit, gradient_overflow, sweep
from autograd.files import check_output_path, write_atomically
from autograd.value import Value
from autograd.viz.draw import (
    RANKDIRS,
    FrameMarks,
    build_digraph,
    fitting_rankdir,
    flow_width,
    grad_cell_width,
    neuron_owner,
    render_svg,
)
from autograd.viz.errors import GraphvizNotFoundError
from autograd.viz.graph import (
    check_max_nodes,
    format_number,
    formula,
    full_name,
    general_rules,
    local_derivatives,
    node_names,
    op_symbol,
    operand_labels,
    rule_with_numbers,
    walk,
)

if TYPE_CHECKING:
    import graphviz

__all__ = [
    "DEFAULT_MAX_NODES",
    "ROOT_NAME",
    "BackwardTrace",
    "ForwardStep",
    "Inset",
    "ParentUpdate",
    "TraceStep",
    "step_names",
    "trace_backward",
]

_PX_PER_PT = 96 / 72  # the page draws edge widths in CSS pixels, graphviz in points

DEFAULT_MAX_NODES = 2000
"""The most boxes (values plus ops) a trace takes unless told otherwise."""

ROOT_NAME = "root"
"""An unlabelled root's name in step-throughs: never ``out``, which every op's rule uses for
that op's own output (``tanh: ∂out/∂x = 1 − out²``)."""


def step_names(nodes: Sequence[Value]) -> list[str]:
    """Each node's name in a step-through: as in drawings, but an unlabelled root is ``root``."""
    names = node_names(nodes)
    if names and not nodes[-1].label:
        names[-1] = ROOT_NAME
    return names


@dataclass(frozen=True)
class Inset:
    """A small picture shown beside a step-through, its part for each step's node marked.

    nn hands one over for a network (``nn.trace_network``): its layered picture, and which
    node is which neuron. autograd knows nothing of what the picture shows.

    Attributes:
        svg: the picture, as SVG text.
        parts: for each node that is a part of the picture, the ``id`` of that part's element
            in ``svg``; at the node's step (forward and backward) that element is marked.
        names: what to call each part in words, by element id (``layers.1.neurons.2``).
        caption: a line above the picture.
    """

    svg: str
    parts: Mapping[Value, str]
    names: Mapping[str, str] = field(default_factory=dict)
    caption: str = ""


@dataclass(frozen=True)
class ParentUpdate:
    """What one step of the backward pass did to one parent (one operand) of its node.

    Attributes:
        parent: the parent Value.
        name: its name in drawings (its label, ``#i`` or ``out``).
        operand: the operand's name in the op's formula (``a``, ``x``, ``w3``, ``b`` ...).
        local: the local derivative d(node)/d(parent) at this point.
        contribution: what was added to ``parent.grad``: upstream gradient times ``local``
            (0.0 when nothing flowed).
        grad_before: the parent's gradient (of this pass) before this addition.
        grad_after: the same right after it.
        rule: the local derivative as a formula, ``∂out/∂x = 1 − out²`` ("" when the op
            table has no formula for the op).
        rule_numbers: the formula with this point's numbers, ``1 − 0.7071²`` (or "").
    """

    parent: Value
    name: str
    operand: str
    local: float
    contribution: float
    grad_before: float
    grad_after: float
    rule: str = ""
    rule_numbers: str = ""


@dataclass(frozen=True)
class TraceStep:
    """One step of a backward pass: one op node handing its gradient to its parents.

    Attributes:
        index: the step's position, 0 for the root.
        node: the Value whose gradient is passed back in this step.
        name: its name in drawings.
        op: its op as drawings show it (``"*"``, ``"tanh"``, ``"tanh(w·x+b)"``, ...).
        upstream: its gradient d(root)/d(node), complete when its step comes.
        flowed: False when nothing reached the parents: a zero upstream gradient, or a
            relu neuron that is off (its output is 0).
        updates: one `ParentUpdate` per operand, in operand order (``a * a`` has two).
    """

    index: int
    node: Value
    name: str
    op: str
    upstream: float
    flowed: bool
    updates: tuple[ParentUpdate, ...]


@dataclass(frozen=True)
class ForwardStep:
    """One step of the forward pass: one op node's value computed from its operands.

    Attributes:
        node: the Value computed.
        name: its name in drawings.
        formula: how, in names: ``#4 = x1 * w1``.
        numbers: the same with the operands' numbers: ``2.0000 * (-3.0000)``.
        value: the result, ``node.data``.
    """

    node: Value
    name: str
    formula: str
    numbers: str
    value: float


def trace_backward(root: Value, *, max_nodes: int = DEFAULT_MAX_NODES) -> BackwardTrace:
    """Run the backward pass of ``root`` and return a record of its steps, one per op node.

    The steps come from the engine's one reverse sweep (``autograd.backward.sweep``), which
    reports each node as it passes the node's gradient back: the numbers recorded are the
    ones it computed, bit for bit. The gradients are then added into ``.grad`` as
    ``backward()`` adds them, all or nothing: they accumulate the same way, and an error (an
    infinite derivative, an overflowing gradient) leaves every ``.grad`` as it was.

    A graph of more than ``max_nodes`` boxes (values plus ops) raises `GraphTooLargeError`
    (a ValueError) before anything is computed; counting stops at the limit, so a huge graph
    is refused at once.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b
    >>> trace = trace_backward(c)
    >>> len(trace), a.grad
    (1, -3.0)
    >>> print(trace.explain(0).replace("; ", "\n"))
    root = a * b: a.grad += 1.0000 × (-3.0000) = -3.0000 [*: ∂out/∂a = b = -3.0000]
    b.grad += 1.0000 × 2.0000 = 2.0000 [*: ∂out/∂b = a = 2.0000]
    """
    if not isinstance(root, Value):
        raise TypeError(f"trace_backward: root must be a Value, got {type(root).__name__}")
    check_max_nodes(max_nodes, "trace_backward")
    nodes = walk(root, max_nodes, "trace_backward")
    names = dict(zip(nodes, step_names(nodes), strict=True))
    # This pass's gradient of every node, as the sweep fills it in: the root is seeded with
    # 1, every other node starts at 0 and receives its contributions in the sweep's order.
    this_pass = {node: 0.0 for node in nodes}
    this_pass[root] = 1.0
    start_grads = tuple(this_pass[node] for node in nodes)
    steps: list[TraceStep] = []

    def record(node: Value, g: float, contributions: Sequence[float]) -> None:
        steps.append(_step(len(steps), node, names, this_pass, g, contributions))

    gradients = sweep(root, 1.0, on_step=record)
    reached = list(gradients)
    totals = [node.grad + g for node, g in gradients.items()]
    for node, total in zip(reached, totals, strict=True):
        if not math.isfinite(total):
            raise gradient_overflow("trace_backward", node, total)
    commit(reached, totals)
    forward = [_forward_step(node, names) for node in nodes if node.parents]
    return BackwardTrace(nodes, start_grads, steps, forward)


def _step(
    index: int,
    node: Value,
    names: dict[Value, str],
    grads: dict[Value, float],
    g: float,
    contributions: Sequence[float],
) -> TraceStep:
    """Record one node's step of the sweep, adding its contributions into ``grads``."""
    locals_ = _locals(node)
    # Nothing flows back when the upstream gradient is 0 or every local derivative is (a
    # relu that is off): the contributions are all zeros then.
    flowed = bool(g) and any(locals_)
    rules = rule_with_numbers(node)
    updates = []
    for k, (parent, operand) in enumerate(zip(node.parents, operand_labels(node), strict=True)):
        before = grads[parent]
        contribution = contributions[k]
        if flowed:
            grads[parent] += contribution
        rule, numbers = rules[k]
        updates.append(
            ParentUpdate(
                parent,
                names[parent],
                operand,
                locals_[k],
                contribution,
                before,
                grads[parent],
                rule,
                numbers,
            )
        )
    return TraceStep(index, node, names[node], op_symbol(node), g, flowed, tuple(updates))


def _locals(node: Value) -> list[float]:
    """``node``'s local derivatives, or inf where its rule divides by zero or overflows (the
    infinite slope of sqrt at 0): a node the sweep skipped, as nothing reached it (at any
    other node the sweep raised first), so its step shows nothing flowing."""
    try:
        return local_derivatives(node)
    except ArithmeticError:
        return [math.inf] * len(node.parents)


def _forward_step(node: Value, names: dict[Value, str]) -> ForwardStep:
    """Record how one op node's value was computed, in names and in numbers."""
    parents = [names[p] for p in node.parents]
    numbers = [_factor(p.data) for p in node.parents]
    return ForwardStep(node, names[node], formula(node, parents), formula(node, numbers), node.data)


class BackwardTrace(Sequence[TraceStep]):
    """The record of one backward pass: a sequence of `TraceStep`, one per op node.

    ``len(trace)`` steps; ``trace[i]`` is step i; ``trace.explain(i)`` says it in one line;
    ``trace.frame(i)`` draws the graph after step i; ``trace.forward`` holds the forward
    pass's steps. In Jupyter the trace shows itself as a step-through (forward pass, then
    backward pass; zoom, fit, follow); ``trace.save_html(path)`` writes it as a page.
    ``trace.with_inset(Inset(svg, parts))`` adds a picture beside it whose part for each
    step's node is marked (``nn.trace_network`` hands over the network this way).

    Steps and frames show this pass's gradients: what this backward pass adds. On a fresh
    graph those are the final ``.grad``; after earlier passes, ``.grad`` also holds theirs.
    """

    def __init__(
        self,
        nodes: Sequence[Value],
        start_grads: Sequence[float],
        steps: Sequence[TraceStep],
        forward: Sequence[ForwardStep] = (),
        inset: Inset | None = None,
    ) -> None:
        """Made by `trace_backward`: the graph's nodes, their grads after seeding, the steps."""
        self.nodes = tuple(nodes)
        self.root = self.nodes[-1]
        self.start_grads = tuple(start_grads)
        self.steps = tuple(steps)
        self.forward = tuple(forward)
        self._index = {node: i for i, node in enumerate(self.nodes)}
        self.names = step_names(self.nodes)
        self.inset = inset

    # -- the sequence of steps --------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.steps)

    @overload
    def __getitem__(self, i: int) -> TraceStep: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[TraceStep]: ...

    def __getitem__(self, i: int | slice) -> TraceStep | Sequence[TraceStep]:
        return self.steps[i]

    def __repr__(self) -> str:
        return f"BackwardTrace({len(self)} steps, root={self.root!r})"

    def with_inset(self, inset: Inset) -> BackwardTrace:
        """This trace with a picture beside its step-through, marking each step's part of it.

        Raises ValueError when a node of ``inset.parts`` is not in this trace's graph or an
        element id is not in ``inset.svg``, and TypeError for a wrong type.
        """
        if not isinstance(inset, Inset):
            raise TypeError(f"with_inset: inset must be an Inset, got {type(inset).__name__}")
        if not isinstance(inset.svg, str) or "<svg" not in inset.svg:
            raise ValueError("with_inset: inset.svg must be SVG text (with an <svg> element)")
        for node, element in inset.parts.items():
            if node not in self._index:
                raise ValueError(f"with_inset: {node!r} is not a node of this trace's graph")
            if not isinstance(element, str) or f'id="{html.escape(element)}"' not in inset.svg:
                raise ValueError(f"with_inset: inset.svg has no element with id {element!r}")
        return BackwardTrace(self.nodes, self.start_grads, self.steps, self.forward, inset)

    def _check_step(self, i: object, what: str) -> int:
        if isinstance(i, bool) or not isinstance(i, int):
            raise TypeError(f"{what}: step must be an int, got {type(i).__name__}")
        if not -len(self) <= i < len(self):
            raise IndexError(f"{what}: step {i} out of range for a trace of {len(self)} steps")
        return i % len(self)

    def full_name(self, node: Value) -> str:
        """``node``'s name in words: unique in a model (``layers.1.neurons.0.w3``)."""
        return full_name(node, self.names[self._index[node]])

    # -- words --------------------------------------------------------------------------------

    def explain(self, i: int) -> str:
        """Step ``i`` in one line: ``x.grad += upstream × local = contribution [rule]``."""
        step = self.steps[self._check_step(i, "explain")]
        parents = [self.full_name(u.parent) for u in step.updates]
        head = f"{step.name} = {formula(step.node, parents)}: "
        if not step.upstream:
            return head + f"d({self.names[-1]})/d({step.name}) is 0, so nothing flows back"
        if not step.flowed:
            return head + "every local derivative is 0 here, so nothing flows back"
        parts = []
        for name, u in zip(parents, step.updates, strict=True):
            local = format_number(u.local)
            product = f"{_factor(step.upstream)} × {_factor(u.local)}"
            text = f"{name}.grad += {product} = {format_number(u.contribution)}"
            if u.rule:
                text += f" [{step.op}: {_rule_in_numbers(u.rule, u.rule_numbers, local)}]"
            parts.append(text)
        return head + "; ".join(parts)

    def explain_forward(self, i: int) -> str:
        """Forward step ``i`` in one line: ``n = x1·w1 + b = 2.0000·(-3.0000) + ... = 0.8814``."""
        step = self.forward[i]
        return f"{step.name} = {step.formula} = {step.numbers} = {format_number(step.value)}"

    # -- pictures ---------------------------------------------------------------------------

    def grads_after(self, i: int) -> list[float]:
        """Every node's gradient (in topological order) as it stood after step ``i``."""
        i = self._check_step(i, "grads_after")
        grads = list(self.start_grads)
        for step in self.steps[: i + 1]:
            for update in step.updates:
                grads[self._index[update.parent]] = update.grad_after
        return grads

    def _products(self) -> dict[tuple[int, int], str]:
        """Every edge's chain-rule product ``g × local = contribution``, by (node, operand)."""
        products = {}
        for step in self.steps:
            node = self._index[step.node]
            for k, u in enumerate(step.updates):
                products[(node, k)] = _product(step, u)
        return products

    def _flows_until(self, i: int) -> dict[tuple[int, int], float]:
        """What flowed along each edge in steps 0..i, by (node index, operand position)."""
        flows = {}
        for step in self.steps[: i + 1]:
            node = self._index[step.node]
            for k, u in enumerate(step.updates):
                flows[(node, k)] = u.contribution
        return flows

    def frame(
        self, i: int, *, rankdir: str = "LR", max_nodes: int = DEFAULT_MAX_NODES
    ) -> graphviz.Digraph:
        """The graph after step ``i``: the step's node, its edges and the chain-rule products.

        The node being processed and the edges into its op are highlighted, with ``upstream
        × local = contribution`` on each edge in the highlight colour; the products of
        earlier steps are grey, later ones keep their room (so all frames share one layout
        and no label ever covers a box) but are not drawn. The parents whose gradient just
        changed have their grad cell shaded; edges that carried a gradient are coloured by
        its sign, their width by its size.
        """
        i = self._check_step(i, "frame")
        check_max_nodes(max_nodes, "BackwardTrace.frame")
        walk(self.root, max_nodes, "BackwardTrace.frame")
        step = self.steps[i]
        received = frozenset(self._index[u.parent] for u in step.updates if step.flowed)
        node = self._index[step.node]
        shown: dict[tuple[int, int], str] = {}
        for earlier in self.steps[:i]:
            for k in range(len(earlier.updates)):
                shown[(self._index[earlier.node], k)] = "done"
        for k in range(len(step.updates)):
            shown[(node, k)] = "current"
        marks = FrameMarks(node, received, self._grad_widths(), self._products(), shown)
        return build_digraph(self.nodes, self.grads_after(i), rankdir=rankdir, marks=marks,
                             flows=self._flows_until(i), names=self.names)  # fmt: skip

    def _grad_widths(self) -> list[int]:
        """One grad-cell width per node that fits every value it takes in any frame."""
        longest = [len(format_number(g)) for g in self.start_grads]
        for step in self.steps:
            for u in step.updates:
                k = self._index[u.parent]
                longest[k] = max(longest[k], len(format_number(u.grad_after)))
        return [grad_cell_width("grad " + "0" * n) for n in longest]

    # -- the step-through page ----------------------------------------------------------------

    def to_html(
        self,
        *,
        rankdir: str | None = None,
        max_nodes: int = DEFAULT_MAX_NODES,
        viz_src: str | None = None,
    ) -> str:
        """The step-through as an HTML fragment: forward then backward, zoom, fit, follow.

        ``rankdir`` is graphviz's direction ("LR", "TB", ...); by default the one in which the
        graph fits the page best (an expression top to bottom, a network left to right).

        graphviz lays the graph out once; the page then shows each step by marking its node
        and edges, writing their chain-rule products beside them and setting the values and
        gradients as they stood. One render instead of one per step keeps the page small and
        quick to build.

        Without graphviz's ``dot`` program the fragment carries the graph's DOT source and
        the browser lays it out with Graphviz compiled to WebAssembly (`autograd.viz.page`),
        loaded from ``viz_src`` (an address relative to the page, such as
        ``"viz-global.js"`` beside it) when given, else from a CDN, which needs a connection.
        """
        from autograd.viz.page import EDGE_FONT_PT, step_through

        if not self.steps:
            raise ValueError("step-through: nothing to step through: the root is a leaf")
        check_max_nodes(max_nodes, "step-through")
        walk(self.root, max_nodes, "step-through")
        if rankdir is None:
            rankdir = fitting_rankdir(self.nodes)
        elif rankdir not in RANKDIRS:
            raise ValueError(f"step-through: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
        # The products are not in the layout: the page writes the current step's beside its
        # edges, so the layout stays compact enough to show a neuron's operands in one view.
        base = FrameMarks(None, frozenset(), self._grad_widths())
        dot = build_digraph(self.nodes, self.start_grads, rankdir=rankdir, marks=base,
                            legend=False, names=self.names, edge_font_size=EDGE_FONT_PT,
                            compact=True)  # fmt: skip
        try:
            svg: str | None = render_svg(dot)
        except GraphvizNotFoundError:
            svg = None  # the browser draws it
        source = dot.source if svg is None else None
        inset = self.inset
        return step_through(svg, self.page_data(), dot_source=source, viz_src=viz_src,
                            inset_svg=inset.svg if inset else None,
                            inset_caption=inset.caption if inset else "")  # fmt: skip

    def page_data(self) -> dict[str, Any]:
        """Everything the page's script needs, as plain JSON-able data.

        ``forward`` and ``backward`` hold one entry per step; ``parents`` each op node's operands
        with their local derivatives (for the paths panel); the texts are ready to show.
        """
        index = {node: k for k, node in enumerate(self.nodes)}
        names = [self.full_name(node) for node in self.nodes]
        parents: list[list[list[Any]] | None] = []
        for node in self.nodes:
            if node.parents:
                locals_ = [x if math.isfinite(x) else None for x in _locals(node)]  # JSON: no inf
                parents.append(
                    [[index[p], local] for p, local in zip(node.parents, locals_, strict=True)]
                )
            else:
                parents.append(None)
        forward = []
        for i, forward_step in enumerate(self.forward):
            k = index[forward_step.node]
            rows = [[names[index[p]], format_number(p.data)] for p in forward_step.node.parents]
            forward.append({"node": k, "text": self.explain_forward(i), "rows": rows,
                            "data": format_number(forward_step.value)})  # fmt: skip
        largest = max((abs(u.contribution) for step in self for u in step.updates), default=0.0)
        backward = []
        for step in self:
            k = index[step.node]
            rows = []
            flows = []
            for position, u in enumerate(step.updates):
                numbers = [u.local, u.contribution, u.grad_before, u.grad_after]
                rows.append([u.operand, names[index[u.parent]], u.rule, u.rule_numbers,
                             *(format_number(x) for x in numbers)])  # fmt: skip
                if u.contribution and largest:
                    width = round(flow_width(u.contribution, largest) * _PX_PER_PT, 2)
                    flows.append([position, 1 if u.contribution > 0 else -1, width])
            # dict.fromkeys: a * a updates a twice, and its final value is what counts
            received = dict.fromkeys(index[u.parent] for u in step.updates if step.flowed)
            grads = [[p, format_number(_last_grad(step, self.nodes[p]))] for p in received]
            head = f"{step.name} = {formula(step.node, [u.name for u in step.updates])}"
            neuron = neuron_owner(step.node)
            if neuron:
                head += f"  (neuron {neuron})"
            backward.append({"node": k, "head": head, "upstream": format_number(step.upstream),
                             "flowed": step.flowed, "rows": rows, "grads": grads, "flows": flows,
                             "op": step.op, "rules": general_rules(step.node)})  # fmt: skip
        inset = None
        if self.inset is not None:
            parts = {str(index[node]): element for node, element in self.inset.parts.items()}
            words = {k: self.inset.names.get(e, e) for k, e in parts.items()}
            inset = {"parts": parts, "names": words}
        return {
            "inset": inset,
            "names": names,
            "short": list(self.names),
            "parents": parents,
            "startGrads": [format_number(g) for g in self.start_grads],
            "finalGrads": [format_number(g) for g in self.grads_after(len(self) - 1)],
            "forward": forward,
            "backward": backward,
            "root": len(self.nodes) - 1,
        }

    def _repr_html_(self) -> str:
        """Jupyter's view: the step-through, or a one-line note when it cannot be drawn.

        Without graphviz's ``dot`` the notebook draws the graph itself (a trusted notebook,
        online: Graphviz in WebAssembly from a CDN; see `to_html`).
        """
        from autograd.viz.page import message

        if not self.steps:
            return message("Nothing to step through: the root is a leaf (it has no op).")
        try:
            return self.to_html()
        except ValueError as error:  # too large to draw
            return message(str(error))

    def to_page(
        self, *, title: str | None = None, rankdir: str | None = None, viz_src: str | None = None
    ) -> str:
        """The step-through as a standalone HTML page (what `save_html` writes), as text.

        Drawn by graphviz's ``dot``, the page needs nothing beside it (no network, no other
        files): open it from disk. Without ``dot`` the browser draws its graph (see `to_html`,
        which takes ``viz_src``), with a script from beside the page or from a CDN.
        """
        from autograd.viz.page import standalone_page

        if not self.steps:
            raise ValueError("save_html: nothing to step through: the root is a leaf")
        title = title if title is not None else f"Forward and backward pass of {self.names[-1]}"
        return standalone_page(self.to_html(rankdir=rankdir, viz_src=viz_src), title=title)

    def save_html(
        self,
        path: str | os.PathLike[str],
        *,
        title: str | None = None,
        rankdir: str | None = None,
    ) -> Path:
        """Write the step-through as a standalone HTML page (atomically); return its path.

        ``path`` is checked first (`autograd.files.check_output_path`: a directory, device or
        FIFO is refused and left alone), so a bad path fails before the page is rendered.
        Without graphviz's ``dot`` program the page still works: the browser draws its graph
        with Graphviz in WebAssembly, loaded from a CDN (see `to_html`).
        """
        target = Path(path)
        check_output_path(target, "save_html")
        page = self.to_page(title=title, rankdir=rankdir)
        write_atomically(target, page.encode("utf-8"), "save_html")
        return target


def _last_grad(step: Any, parent: Any) -> float:
    """``parent``'s gradient at the end of ``step`` (its last update there, for a * a)."""
    grad: float = [u.grad_after for u in step.updates if u.parent is parent][-1]
    return grad


def _rule_in_numbers(rule: str, numbers: str, local: str) -> str:
    """``∂out/∂x = 1 − out² = 1 − 0.7071² = 0.5000``, without repeating what is the same."""
    formula = rule.split(" = ", 1)[-1]
    parts = [rule]
    if numbers and numbers not in (formula, local, f"({local})"):
        parts.append(numbers)
    if not _same_number(formula, local):
        parts.append(local)
    return " = ".join(parts)


def _same_number(text: str, number: str) -> bool:
    """Whether a formula is just the number already shown (``1`` and ``1.0000``)."""
    try:
        return float(text) == float(number)
    except ValueError:
        return False


def _product(step: TraceStep, update: ParentUpdate) -> str:
    """The chain-rule product of one edge, as frames write it: ``g × local = contribution``."""
    factors = f"{_factor(step.upstream)} × {_factor(update.local)}"
    return f"{factors} = {format_number(update.contribution)}"


def _factor(x: float) -> str:
    """A number as a factor of a product: a negative one in parentheses, ``(-0.1397)``."""
    shown = format_number(x)
    return f"({shown})" if shown.startswith("-") else shown
