"""``glassgrad demo``: micrograd's demo, then pictures of what was learned and how.

Trains an MLP 2-16-16-1 on 100 moons points the way micrograd's demo does (mean hinge loss +
1e-4 L2, SGD with the learning rate falling from 1.0 to 0.1, 100 full-batch steps), then
writes into DIR: the training curves, the decision boundary, and for one sample's loss through
a smaller network trained the same way, its computation graph (as a picture and as DOT
source) and a page stepping through its backward pass. The files are checked before training
and written together at the end.

The graph's picture, ``graph.svg``, needs graphviz's ``dot`` program. Without it the demo
still writes every other file: the plots, the network picture, the graph's DOT source
(``graph.dot``) and the step-through page, which then draws the graph in the browser with
Graphviz compiled to WebAssembly (`autograd.viz.page`). That script, ``viz-global.js``, is
written beside the page when the package holds a copy of it (``make`` puts one there from
``node_modules``), so the page works offline; otherwise the page loads it from a CDN. The demo
then names the file it could not draw and says how to install graphviz.

Exit codes: 0 every file written; 3 every file but ``graph.svg`` (graphviz's ``dot`` is
missing, see above); 1 a failure (a file cannot be written, training diverged); 2 a mistake
in the arguments.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from autograd import Value, no_grad
from autograd.viz.page import VIZ_FILE, VIZ_URL, local_viz_script
from nn import data, draw_network, losses, optim, trace_network
from nn.cli.outputs import check_outputs, figure_bytes, write_outputs
from nn.module import MLP
from nn.train import History, accuracy, fit

__all__ = ["OUTPUT_NAMES", "draw_one_sample", "register", "run", "train_like_micrograd"]

OUTPUT_NAMES = (
    "loss.png",
    "decision_boundary.png",
    "network.svg",
    "graph.dot",
    "graph.svg",
    "backward_steps.html",
)
"""The files the demo writes into its directory, in the order it reports them."""
NEED_DOT = ("graph.svg",)
"""The files only graphviz's ``dot`` program renders: without it, the demo skips them (the
step-through page then draws its graph in the browser)."""
WITHOUT_DOT = 3
"""The exit code when every file but those that need ``dot`` was written."""


def register(subparsers: Any) -> None:
    """Add the ``demo`` subcommand to the parser ``subparsers`` belongs to."""
    demo = subparsers.add_parser(
        "demo",
        help="train a classifier on the moons data set and write pictures of it",
        description=(
            "Train micrograd's demo network (MLP 2-16-16-1, hinge loss + L2, SGD) on 100 moons "
            "points with a progress bar, then write into DIR: loss.png (training curves), "
            "decision_boundary.png, and for one sample through a 2-4-4-1 network trained the "
            "same way: network.svg (the network with that sample's activations and "
            "gradients), graph.svg and graph.dot (the computation graph of its loss, as a "
            "picture and as DOT source) and backward_steps.html (a node-by-node step-through "
            "of its backward pass). Only graph.svg needs graphviz's dot program: without it "
            "the demo writes the rest (the page then draws its graph in the browser, with "
            "viz-global.js beside it when this install has a copy, else from a CDN) and "
            "exits with status 3."
        ),
        epilog=(
            "exit status: 0 every file written; 3 every file but graph.svg (graphviz's dot is "
            "missing); 1 a failure (a file cannot be written, training diverged); 2 a mistake "
            "in the arguments."
        ),
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("out"),
        metavar="DIR",
        help="directory for the files (created if missing; default: out)",
    )
    demo.add_argument("--seed", type=int, default=0, help="seed for data and weights (default: 0)")
    demo.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Carry out ``glassgrad demo``; return the exit code."""
    import matplotlib  # noqa: F401  (missing matplotlib fails now, not after training)

    from nn.plot import plot_decision_boundary, plot_history

    out: Path = args.out
    viz_script = local_viz_script()  # written beside the page if it needs it (no dot)
    extra = [VIZ_FILE] if viz_script is not None else []
    check_outputs([out / name for name in (*OUTPUT_NAMES, *extra)], "--out", directory=out)

    X, labels = data.moons(100, noise=0.1, seed=args.seed)
    y = [2 * t - 1 for t in labels]  # the hinge loss wants -1/+1
    model = MLP(2, [16, 16, 1], seed=args.seed)
    print(f"training {model} on 100 moons points (hinge loss + 1e-4 L2, SGD)")
    start = time.perf_counter()
    history = train_like_micrograd(model, X, y, progress=True)
    seconds = time.perf_counter() - start
    print(f"training accuracy {accuracy(model, X, y):.1%} after 100 steps ({seconds:.1f} s)")
    pictures = [
        figure_bytes(plot_history(history)),
        figure_bytes(plot_decision_boundary(model, X, y)),
    ]

    # 16-16-1 draws as a column of 400 boxes: too tall to read. A 4-4-1 network trained the
    # same way shows every part (inputs, weights, neuron nodes, the loss) at a readable size.
    small = MLP(2, [4, 4, 1], seed=args.seed)
    train_like_micrograd(small, X, y, progress=False)
    drawings = draw_one_sample(small, X, y, viz_src=extra[0] if extra else None)
    contents = dict(zip(OUTPUT_NAMES, [*pictures, *drawings], strict=True))
    without_dot = contents["graph.svg"] is None
    if without_dot and viz_script is not None:  # the page draws its graph with it, offline
        contents[VIZ_FILE] = viz_script
    files = {out / name: content for name, content in contents.items() if content is not None}
    for path in write_outputs(files, "glassgrad demo"):
        print(f"wrote {path}")
    if not without_dot:
        return 0
    print(_without_dot_message(out, beside=viz_script is not None), file=sys.stderr)
    return WITHOUT_DOT


def _without_dot_message(out: Path, beside: bool) -> str:
    from autograd.viz import INSTALL_HINT

    where = (
        f"{VIZ_FILE}, written beside it" if beside
        else f"a script from {VIZ_URL.split('/')[2]}: it needs a connection"
    )  # fmt: skip
    return (
        f"glassgrad demo: {' and '.join(NEED_DOT)} was not written: drawing it needs graphviz's "
        f"'dot' program, which is not on PATH (backward_steps.html draws its graph in the "
        f"browser instead, with {where}). {INSTALL_HINT}; then run glassgrad demo again, or "
        f"draw the graph from its DOT source with "
        f"'dot -Tsvg {out / 'graph.dot'} -o {out / 'graph.svg'}'."
    )


def train_like_micrograd(model: MLP, X: list[list[float]], y: list[int], progress: bool) -> History:
    """micrograd's demo recipe: full batch, mean hinge + 1e-4 L2, SGD lr 1.0 -> 0.1, 100 steps."""
    optimizer = optim.SGD(model.parameters(), lr=lambda k: 1.0 - 0.9 * k / 100)
    return fit(
        model, X, y, loss=losses.hinge, optimizer=optimizer, epochs=100, l2=1e-4, progress=progress
    )


def draw_one_sample(
    model: MLP, X: list[list[float]], y: list[int], *, viz_src: str | None = None
) -> tuple[bytes, bytes, bytes | None, bytes]:
    """The network picture (SVG), the graph's DOT source and picture (SVG) and the
    step-through page (HTML) of the loss of the sample the model is least sure of.

    That sample is the one with the smallest margin ``y * score``: a sample classified with a
    margin of 1 or more has a hinge loss of 0 and every gradient 0, nothing to look at. The
    picture is None when graphviz's ``dot`` program is missing; the page then draws the graph
    in the browser, with Graphviz in WebAssembly from ``viz_src`` (beside the page) or a CDN.
    """
    from autograd.viz import GraphvizNotFoundError, draw_dot

    with no_grad():
        margins = [_single(model(x)).data * t for x, t in zip(X, y, strict=True)]
    i = margins.index(min(margins))
    sample = _one_sample_loss(model, X[i], y[i])
    model.zero_grad()  # training left the last step's gradients in the parameters
    sample.backward()
    network = draw_network(model, X[i], loss=sample).svg
    drawing = draw_dot(sample)
    model.zero_grad()
    try:
        graph: bytes | None = drawing.pipe(format="svg")
    except GraphvizNotFoundError:
        graph = None
    trace = trace_network(model, loss=_one_sample_loss(model, X[i], y[i]))
    page = trace.to_page(viz_src=viz_src).encode("utf-8")
    model.zero_grad()
    return network.encode("utf-8"), drawing.source.encode("utf-8"), graph, page


def _single(output: Value | list[Value]) -> Value:
    assert isinstance(output, Value), "the demo model has one output"
    return output


def _one_sample_loss(model: MLP, x: list[float], target: int) -> Value:
    loss = losses.hinge([_single(model(x))], [target])
    loss.label = "loss"
    return loss
