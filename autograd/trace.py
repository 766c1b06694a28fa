"""`trace_backward`: run a backward pass one node at a time and keep a record of every step.

The reverse sweep of ``backward()`` visits each op node once, after every node that uses it.
At each node it knows the upstream gradient ``g = d(root)/d(node)``, asks the op's rule for
the local derivatives ``d(node)/d(parent)`` and adds ``g * local`` into each parent's
``.grad``: the chain rule. `trace_backward` runs ``backward()`` itself (so gradients follow
its rules exactly) and records each step as a `TraceStep`, by a sweep over the same order
(``autograd.backward``) with the same derivative rules (``autograd.ops``).

The result, a `BackwardTrace`, is a sequence of steps that can be read (``trace[i]``,
``trace.explain(i)``), drawn (``trace.frame(i)``) and played (in Jupyter it shows itself as a
step-through with a slider; ``trace.save_html(path)`` writes the same page to a file).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, overload

from autograd.backward import _op_nodes_in_order, topological_order
from autograd.draw import (
    FrameMarks,
    GraphvizNotFoundError,
    build_digraph,
    check_size,
    format_number,
    grad_cell_width,
    node_names,
    operand_names,
    render_svg,
)
from autograd.files import check_output_path, write_atomically
from autograd.value import Value, operand_data

if TYPE_CHECKING:
    import graphviz


@dataclass(frozen=True)
class ParentUpdate:
    """What one step of the backward pass did to one parent (one operand) of its node.

    Attributes:
        parent: the parent Value.
        name: its name in drawings (its label, ``#i`` or ``out``).
        operand: the operand's name on its edge (``w0``, ``x1``, ``b``, ``1st``, ...) or "".
        local: the local derivative d(node)/d(parent) at this point.
        contribution: what was added to ``parent.grad``: upstream gradient times ``local``
            (0.0 when nothing flowed).
        grad_after: ``parent.grad`` right after this addition.
    """

    parent: Value
    name: str
    operand: str
    local: float
    contribution: float
    grad_after: float


@dataclass(frozen=True)
class TraceStep:
    """One step of a backward pass: one op node handing its gradient to its parents.

    Attributes:
        index: the step's position, 0 for the root.
        node: the Value whose gradient is passed back in this step.
        name: its name in drawings.
        op: its op (``"*"``, ``"tanh"``, ``"relu(w·x+b)"``, ...).
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


def trace_backward(root: Value) -> BackwardTrace:
    """Run ``root.backward()`` and return a record of its steps, one per op node.

    The gradients are those of ``root.backward()`` itself, which this calls: they accumulate
    the same way, and an error (an infinite derivative, an overflowing gradient) leaves every
    ``.grad`` as backward() leaves it. The steps are recorded by a sweep over the same order
    with the same derivative rules and the same additions, so each step's numbers are the
    ones backward() computed, bit for bit.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b
    >>> trace = trace_backward(c)
    >>> len(trace), a.grad
    (1, -3.0)
    >>> trace.explain(0)
    'out = a * b: d(out)/d(a) += 1.0000 * -3.0000; d(out)/d(b) += 1.0000 * 2.0000'
    """
    if not isinstance(root, Value):
        raise TypeError(f"trace_backward: root must be a Value, got {type(root).__name__}")
    root.backward()
    nodes = topological_order(root)
    names = dict(zip(nodes, node_names(nodes), strict=True))
    # This pass's gradient of every node, as the sweep fills it in: the root is seeded with
    # 1, every other node starts at 0 and receives its contributions in the sweep's order.
    this_pass = {node: 0.0 for node in nodes}
    this_pass[root] = 1.0
    start_grads = tuple(this_pass[node] for node in nodes)
    order = _op_nodes_in_order(root)
    steps = [_step(i, node, names, this_pass) for i, node in enumerate(reversed(order))]
    return BackwardTrace(nodes, start_grads, steps)


def _step(index: int, node: Value, names: dict[Value, str], grads: dict[Value, float]) -> TraceStep:
    """Record one node's backward step (the arithmetic of backward()), updating ``grads``."""
    g = grads[node]
    parents = node.parents
    operands = operand_data(node)
    assert node.derivative is not None
    # Rules return g * local, linear in g: with g = 1 they give the local derivatives alone.
    # A rule may return fewer entries than parents (an inactive relu neuron returns none).
    locals_ = list(node.derivative(1.0, node.data, *operands))
    locals_ += [0.0] * (len(parents) - len(locals_))
    contributions = list(node.derivative(g, node.data, *operands)) if g else []
    flowed = bool(contributions)
    contributions += [0.0] * (len(parents) - len(contributions))

    updates = []
    for parent, operand, local, contribution in zip(
        parents, operand_names(node), locals_, contributions, strict=True
    ):
        if flowed:
            grads[parent] += contribution
        updates.append(
            ParentUpdate(parent, names[parent], operand, local, contribution, grads[parent])
        )
    return TraceStep(index, node, names[node], node.op, g, flowed, tuple(updates))


class BackwardTrace(Sequence[TraceStep]):
    """The record of one backward pass: a sequence of `TraceStep`, one per op node.

    ``len(trace)`` steps; ``trace[i]`` is step i; ``trace.explain(i)`` says it in one line;
    ``trace.frame(i)`` draws the graph after step i; in Jupyter the trace shows itself as a
    step-through (frames, slider, Prev / Next / Play); ``trace.save_html(path)`` writes it
    as a standalone page.

    Steps and frames show this pass's gradients: what this backward pass adds. On a fresh
    graph those are the final ``.grad``; after earlier passes, ``.grad`` also holds theirs.
    """

    def __init__(
        self, nodes: Sequence[Value], start_grads: Sequence[float], steps: Sequence[TraceStep]
    ) -> None:
        """Made by `trace_backward`: the graph's nodes, their grads after seeding, the steps."""
        self.nodes = tuple(nodes)
        self.root = self.nodes[-1]
        self.start_grads = tuple(start_grads)
        self.steps = tuple(steps)
        self._index = {node: i for i, node in enumerate(self.nodes)}
        self._root_name = node_names(self.nodes)[-1]

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

    def _check_step(self, i: object, what: str) -> int:
        if isinstance(i, bool) or not isinstance(i, int):
            raise TypeError(f"{what}: step must be an int, got {type(i).__name__}")
        if not -len(self) <= i < len(self):
            raise IndexError(f"{what}: step {i} out of range for a trace of {len(self)} steps")
        return i % len(self)

    # -- words --------------------------------------------------------------------------------

    def explain(self, i: int) -> str:
        """Step ``i`` in one line: ``d(out)/d(a) += upstream * local`` for each operand."""
        step = self.steps[self._check_step(i, "explain")]
        head = f"{step.name} = {self._formula(step)}: "
        if not step.upstream:
            return head + f"d({self._root_name})/d({step.name}) is 0, so nothing flows back"
        if not step.flowed:
            return head + "the unit is off (output 0), so nothing flows back"
        g = format_number(step.upstream)
        return head + "; ".join(
            f"d({self._root_name})/d({u.name}) += {g} * {format_number(u.local)}"
            for u in step.updates
        )

    @staticmethod
    def _formula(step: TraceStep) -> str:
        """How the node was computed, in names: ``a * b``, ``tanh(#3)``, ``□ * 2`` ..."""
        node, parents = step.node, [u.name for u in step.updates]
        spec = node.spec
        assert spec is not None
        if node.const is not None:
            number = f"{node.const:.6g}"
            pair = (number, parents[0]) if spec.constant == "left" else (parents[0], number)
            return f"{pair[0]} {node.op} {pair[1]}"
        if len(parents) == 2 and spec.name in ("add", "sub", "mul", "div", "pow"):
            return f"{parents[0]} {node.op} {parents[1]}"
        if spec.name == "dot":  # parents are (x..., y...)
            k = len(parents) // 2
            return " + ".join(f"{x}·{y}" for x, y in zip(parents[:k], parents[k:], strict=True))
        if spec.name.startswith("neuron_"):  # parents are (w..., x..., b)
            k = (len(parents) - 1) // 2
            terms = [f"{w}·{x}" for w, x in zip(parents[:k], parents[k : 2 * k], strict=True)]
            z = " + ".join([*terms, parents[-1]])
            activation = spec.name.removeprefix("neuron_")
            return z if activation == "linear" else f"{activation}({z})"
        return f"{node.op}({', '.join(parents)})"

    # -- pictures ---------------------------------------------------------------------------

    def grads_after(self, i: int) -> list[float]:
        """Every node's gradient (in topological order) as it stood after step ``i``."""
        i = self._check_step(i, "grads_after")
        grads = list(self.start_grads)
        for step in self.steps[: i + 1]:
            for update in step.updates:
                grads[self._index[update.parent]] = update.grad_after
        return grads

    def frame(self, i: int, *, rankdir: str = "LR", max_nodes: int = 500) -> graphviz.Digraph:
        """The graph after step ``i``: the step's node, its edges and the chain-rule products.

        The node being processed and the edges into its op are red, with ``upstream × local
        = contribution`` written on each edge; the parents whose gradient just changed have
        their grad cell shaded. All frames of a trace share one layout.
        """
        i = self._check_step(i, "frame")
        check_size(self.nodes, max_nodes, "BackwardTrace.frame")
        step = self.steps[i]
        notes = {position: _product(step, u) for position, u in enumerate(step.updates)}
        received = frozenset(self._index[u.parent] for u in step.updates if step.flowed)
        marks = FrameMarks(self._index[step.node], notes, received, self._grad_widths())
        return build_digraph(self.nodes, self.grads_after(i), rankdir=rankdir, marks=marks)

    def _grad_widths(self) -> list[int]:
        """One grad-cell width per node that fits every value it takes in any frame."""
        longest = [len(format_number(g)) for g in self.start_grads]
        for step in self.steps:
            for u in step.updates:
                k = self._index[u.parent]
                longest[k] = max(longest[k], len(format_number(u.grad_after)))
        return [grad_cell_width("grad " + "0" * n) for n in longest]

    # -- the step-through page ----------------------------------------------------------------

    def to_html(self, *, rankdir: str = "LR", max_nodes: int = 500) -> str:
        """The step-through as an HTML fragment: the graph, a slider, Prev / Next / Play.

        graphviz lays the graph out once, with every edge's chain-rule product in its label
        (so there is room for it); the page then shows frame i by marking the step's node and
        edges, showing only their products, and setting the gradients as they stood after
        step i. One render instead of one per step: for a 375-value graph the page takes
        under a second and a megabyte, where rendering every frame took 14 s and 26 MB.
        """
        from autograd._html import FrameData, step_through

        if not self.steps:
            raise ValueError("step-through: nothing to step through: the root is a leaf")
        check_size(self.nodes, max_nodes, "step-through")
        products = {}
        frames = []
        for i, step in enumerate(self.steps):
            node = self._index[step.node]
            for k, u in enumerate(step.updates):
                products[(node, k)] = _product(step, u)
            # dict.fromkeys: a * a updates a twice, and its final value is what counts
            received = dict.fromkeys(self._index[u.parent] for u in step.updates if step.flowed)
            frames.append(
                FrameData(
                    caption=f"step {i + 1} of {len(self)}: {self.explain(i)}",
                    node=node,
                    edges=[f"e{node}_{k}" for k in range(len(step.updates))],
                    grads=[(k, format_number(self._grad_after(step, k))) for k in received],
                )
            )
        base = FrameMarks(None, {}, frozenset(), self._grad_widths(), products)
        svg = render_svg(build_digraph(self.nodes, self.start_grads, rankdir=rankdir, marks=base))
        return step_through(svg, frames)

    def _grad_after(self, step: TraceStep, k: int) -> float:
        """Node k's gradient at the end of ``step`` (its last update there, for a * a)."""
        return [u.grad_after for u in step.updates if self._index[u.parent] == k][-1]

    def _repr_html_(self) -> str:
        """Jupyter's view: the step-through, or a one-line note when it cannot be drawn."""
        from autograd._html import message

        if not self.steps:
            return message("Nothing to step through: the root is a leaf (it has no op).")
        try:
            return self.to_html()
        except (GraphvizNotFoundError, ValueError) as error:
            return message(str(error))

    def to_page(self, *, title: str | None = None) -> str:
        """The step-through as a standalone HTML page (what `save_html` writes), as text.

        The page needs nothing beside it (no network, no other files): open it from disk.
        """
        from autograd._html import standalone_page

        if not self.steps:
            raise ValueError("save_html: nothing to step through: the root is a leaf")
        title = title if title is not None else f"Backward pass of {self._root_name}"
        return standalone_page(self.to_html(), title=title)

    def save_html(self, path: str | os.PathLike[str], *, title: str | None = None) -> Path:
        """Write the step-through as a standalone HTML page (atomically); return its path.

        ``path`` is checked first (`autograd.files.check_output_path`: a directory, device or
        FIFO is refused and left alone), so a bad path fails before the page is rendered.
        """
        target = Path(path)
        check_output_path(target, "save_html")
        page = self.to_page(title=title)
        write_atomically(target, page.encode("utf-8"), "save_html")
        return target


def _product(step: TraceStep, update: ParentUpdate) -> str:
    """The chain-rule product of one edge, as frames write it: ``g × local = contribution``."""
    upstream, local = format_number(step.upstream), format_number(update.local)
    return f"{upstream} × {local} = {format_number(update.contribution)}"
