"""The ``glassgrad`` command: ``demo``, ``train`` and ``graph``.

    glassgrad demo [--out DIR]             train on moons, write plots, a graph and a step-through
    glassgrad train --data moons ...       train any of the data sets; see glassgrad train --help
    glassgrad graph ...                    draw a computation graph (nn/graph_command.py)

Mistakes in the arguments (an unknown data set, ``--lr -1``, ``--hidden 16,x``) are one line on
stderr and exit code 2; a failure while running (training diverged, a file cannot be written,
graphviz's ``dot`` missing) is one line and exit code 1. No traceback either way.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from autograd import Value, no_grad
from autograd._files import write_atomically
from nn import data, losses, optim
from nn.module import MLP
from nn.train import LOSSES, DivergedError, accuracy, decision_threshold, fit

TWO_CLASS = ("xor", "moons", "circles")
MULTI_CLASS = ("spirals", "blobs")
DATA_SETS = TWO_CLASS + MULTI_CLASS
LOSS_NAMES = ("bce", "hinge", "mse", "cross_entropy")
ACTIVATION_NAMES = ("relu", "tanh", "sigmoid", "linear")


class ArgumentParser(argparse.ArgumentParser):
    """argparse, except that a usage mistake is one line (and exit code 2), not a usage dump."""

    def error(self, message: str) -> NoReturn:
        """Print ``<prog>: error: <message>`` and a pointer to --help; exit with code 2."""
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


# -- argument types: each raises ArgumentTypeError, which argparse turns into a usage error ----


def positive_int(text: str) -> int:
    """An int >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value - value != 0.0:
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0."""
    value = _float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def non_negative_float(text: str) -> float:
    """A finite number >= 0."""
    value = _float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def fraction(text: str) -> float:
    """A number strictly between 0 and 1."""
    value = _float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text!r}")
    return value


def layer_sizes(text: str) -> list[int]:
    """Comma-separated hidden layer sizes such as ``16,16``; an empty string means none."""
    if not text.strip():
        return []
    sizes = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise argparse.ArgumentTypeError(
                f"invalid layer sizes {text!r}: expected positive integers separated by commas, "
                "such as 16,16"
            )
        sizes.append(int(part))
    return sizes


# -- the parser -------------------------------------------------------------------------------


def build_parser() -> ArgumentParser:
    """The ``glassgrad`` parser with its ``demo`` and ``train`` subcommands (``graph`` is
    added by ``nn.graph_command.register``)."""
    parser = ArgumentParser(
        prog="glassgrad",
        description="Train and look inside small neural networks built on a glass-box autograd.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="train a classifier on the moons data set and write pictures of it",
        description=(
            "Train micrograd's demo network (MLP 2-16-16-1, hinge loss + L2, SGD) on 100 moons "
            "points with a progress bar, then write into DIR: loss.png (training curves), "
            "decision_boundary.png, graph.svg (the computation graph of one sample's loss) and "
            "backward_steps.html (a node-by-node step-through of its backward pass)."
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
    demo.set_defaults(func=run_demo)

    train = commands.add_parser(
        "train",
        help="train an MLP on one of the built-in data sets",
        description=(
            "Train an MLP on a built-in 2-D data set, report training and test accuracy, and "
            "optionally save the model and its plots. Two-class data sets default to the bce "
            "loss (one output), multi-class ones to cross_entropy (one output per class)."
        ),
    )
    train.add_argument(
        "--data", choices=DATA_SETS, default="moons", help="the data set (default: moons)"
    )
    train.add_argument(
        "--samples",
        type=positive_int,
        default=200,
        help="number of samples (ignored for xor, which has 4; default: 200)",
    )
    train.add_argument(
        "--noise",
        type=non_negative_float,
        default=None,
        help="data noise (default: the data set's own)",
    )
    train.add_argument(
        "--classes", type=positive_int, default=3, help="classes for spirals and blobs (default: 3)"
    )
    train.add_argument(
        "--hidden",
        type=layer_sizes,
        default=[16, 16],
        metavar="SIZES",
        help="hidden layer sizes, comma-separated (default: 16,16)",
    )
    train.add_argument(
        "--activation",
        choices=ACTIVATION_NAMES,
        default="relu",
        help="hidden activation (default: relu)",
    )
    train.add_argument(
        "--loss",
        choices=LOSS_NAMES,
        default=None,
        help="loss (default: bce for two classes, cross_entropy for more)",
    )
    train.add_argument(
        "--optimizer", choices=("sgd", "adam"), default="adam", help="optimizer (default: adam)"
    )
    train.add_argument(
        "--lr", type=positive_float, default=0.01, help="learning rate (default: 0.01)"
    )
    train.add_argument(
        "--momentum",
        type=non_negative_float,
        default=0.0,
        help="SGD momentum, below 1 (default: 0)",
    )
    train.add_argument(
        "--l2", type=non_negative_float, default=0.0, help="L2 penalty coefficient (default: 0)"
    )
    train.add_argument(
        "--epochs",
        type=positive_int,
        default=100,
        help="passes over the training data (default: 100)",
    )
    train.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help="minibatch size (default: the whole training set)",
    )
    train.add_argument(
        "--test-fraction",
        type=fraction,
        default=0.2,
        help="share held out for testing (not for xor; default: 0.2)",
    )
    train.add_argument(
        "--seed", type=int, default=0, help="seed for data, weights and shuffling (default: 0)"
    )
    train.add_argument(
        "--save",
        type=Path,
        default=None,
        metavar="PATH",
        help="write the trained model here (JSON)",
    )
    train.add_argument(
        "--plots",
        type=Path,
        default=None,
        metavar="DIR",
        help="write loss.png and decision_boundary.png into DIR",
    )
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    train.set_defaults(func=run_train)
    return parser


# -- running ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``glassgrad`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit
    code."""
    parser = build_parser()
    # Imported here, not at the top: the graph command lives in its own module, and if that
    # module is missing, this says so plainly instead of failing at import time of nn.cli.
    try:
        from nn import graph_command
    except ModuleNotFoundError as error:
        if error.name != "nn.graph_command":
            raise
        print("glassgrad: nn/graph_command.py is missing; reinstall glassgrad", file=sys.stderr)
        return 1
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    graph_command.register(commands)
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except KeyboardInterrupt:
        print(f"glassgrad {args.command}: interrupted", file=sys.stderr)
        return 130  # the shell's code for "stopped by Ctrl-C"
    except Exception as error:  # expected failures become one line, see below
        message = _runtime_error_message(error)
        if message is None:
            raise
        print(f"glassgrad {args.command}: error: {message}", file=sys.stderr)
        return 1


def _runtime_error_message(error: Exception) -> str | None:
    """The one-line message for an expected failure, or None for a bug (shown in full)."""
    from autograd.viz import GraphvizNotFoundError

    graphviz = sys.modules.get("graphviz")  # if it was never imported, it raised nothing
    if isinstance(error, GraphvizNotFoundError):
        message = str(error)
    elif graphviz is not None and isinstance(error, graphviz.ExecutableNotFound):
        from autograd.viz import INSTALL_HINT

        message = (
            f"graphviz's 'dot' program was not found, so nothing could be drawn. {INSTALL_HINT}"
        )
    elif isinstance(error, ModuleNotFoundError) and error.name in ("matplotlib", "graphviz"):
        message = f"{error.name} is needed for this command: pip install {error.name}"
    elif isinstance(error, DivergedError | OSError | ValueError):
        message = str(error)
    else:
        return None
    return " ".join(message.split())


def run_demo(args: argparse.Namespace) -> int:
    """``glassgrad demo``: micrograd's demo, then plots, the graph and the step-through."""
    from nn.plot import plot_decision_boundary, plot_history

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    X, labels = data.moons(100, noise=0.1, seed=args.seed)
    y = [2 * t - 1 for t in labels]  # the hinge loss wants -1/+1
    model = MLP(2, [16, 16, 1], seed=args.seed)
    print(f"training {model} on 100 moons points (hinge loss + 1e-4 L2, SGD)")
    start = time.perf_counter()
    history = _train_like_micrograd(model, X, y, progress=True)
    seconds = time.perf_counter() - start
    print(f"training accuracy {accuracy(model, X, y):.1%} after 100 steps ({seconds:.1f} s)")
    plot_history(history, out / "loss.png")
    plot_decision_boundary(model, X, y, out / "decision_boundary.png")

    # 16-16-1 draws as a column of 400 boxes: too tall to read. A 4-4-1 network trained the
    # same way shows every part (inputs, weights, neuron nodes, the loss) at a readable size.
    small = MLP(2, [4, 4, 1], seed=args.seed)
    _train_like_micrograd(small, X, y, progress=False)
    written = [out / "loss.png", out / "decision_boundary.png"]
    written += _draw_one_sample(small, X, y, out)
    for path in written:
        print(f"wrote {path}")
    return 0


def _train_like_micrograd(model: MLP, X: list[list[float]], y: list[int], progress: bool) -> Any:
    """micrograd's demo recipe: full batch, mean hinge + 1e-4 L2, SGD lr 1.0 -> 0.1, 100 steps."""
    optimizer = optim.SGD(model.parameters(), lr=lambda k: 1.0 - 0.9 * k / 100)
    return fit(
        model, X, y, loss=losses.hinge, optimizer=optimizer, epochs=100, l2=1e-4, progress=progress
    )


def _draw_one_sample(model: MLP, X: list[list[float]], y: list[int], out: Path) -> list[Path]:
    """graph.svg and backward_steps.html for the loss of the sample the model is least sure of.

    That sample is the one with the smallest margin ``y * score``: a sample classified with a
    margin of 1 or more has a hinge loss of 0 and every gradient 0, nothing to look at.
    """
    from autograd.viz import draw_dot, trace_backward

    with no_grad():
        margins = [_single(model(x)).data * t for x, t in zip(X, y, strict=True)]
    i = margins.index(min(margins))
    sample = _one_sample_loss(model, X[i], y[i])
    model.zero_grad()  # training left the last step's gradients in the parameters
    sample.backward()
    graph = out / "graph.svg"
    write_atomically(graph, draw_dot(sample).pipe(format="svg"))
    model.zero_grad()
    steps = out / "backward_steps.html"
    trace_backward(_one_sample_loss(model, X[i], y[i])).save_html(steps)
    model.zero_grad()
    return [graph, steps]


def _single(output: Value | list[Value]) -> Value:
    assert isinstance(output, Value), "the demo model has one output"
    return output


def _one_sample_loss(model: MLP, x: list[float], target: int) -> Value:
    loss = losses.hinge([_single(model(x))], [target])
    loss.label = "loss"
    return loss


def _load_data(args: argparse.Namespace) -> tuple[list[list[float]], list[int]]:
    noise: dict[str, Any] = {} if args.noise is None else {"noise": args.noise}
    if args.data == "xor":
        return data.xor()
    if args.data == "moons":
        return data.moons(args.samples, seed=args.seed, **noise)
    if args.data == "circles":
        return data.circles(args.samples, seed=args.seed, **noise)
    if args.data == "spirals":
        return data.spirals(args.samples, args.classes, seed=args.seed, **noise)
    std: dict[str, Any] = {} if args.noise is None else {"std": args.noise}
    return data.blobs(args.samples, args.classes, seed=args.seed, **std)


def run_train(args: argparse.Namespace) -> int:
    """``glassgrad train``: build, train, report, and optionally save and plot."""
    classes = 2 if args.data in TWO_CLASS else args.classes
    loss_name = args.loss or ("bce" if classes == 2 else "cross_entropy")
    if classes > 2 and loss_name != "cross_entropy":
        _usage_error(
            f"--loss {loss_name} needs two classes; {args.data} has {classes}: "
            "use --loss cross_entropy"
        )
    if args.momentum >= 1:
        _usage_error(f"--momentum must be below 1, got {args.momentum}")
    if args.data in MULTI_CLASS and args.classes < 2:
        _usage_error(f"--classes must be at least 2, got {args.classes}")
    if args.data in MULTI_CLASS and args.samples < args.classes:
        _usage_error(f"--samples {args.samples} is fewer than --classes {args.classes}")

    # What is left to go wrong with the data (too few samples to split, say) is still a
    # mistake in the arguments, so it exits with 2 like the others.
    try:
        X, labels = _load_data(args)
        y = [2 * t - 1 for t in labels] if loss_name == "hinge" else labels
        if args.data == "xor":
            train_set, validation = (X, y), None
        else:
            train_set, validation = data.train_test_split(X, y, args.test_fraction, seed=args.seed)
    except ValueError as error:
        _usage_error(str(error))
    outputs = classes if loss_name == "cross_entropy" else 1
    model = MLP(2, [*args.hidden, outputs], args.activation, seed=args.seed)
    optimizer: optim.Optimizer
    if args.optimizer == "sgd":
        optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    else:
        optimizer = optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = LOSSES[loss_name]
    print(f"training {model} on {args.data} ({len(train_set[0])} samples, {loss_name} loss)")
    history = fit(
        model,
        *train_set,
        loss=loss_fn,
        optimizer=optimizer,
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation=validation,
        progress=not args.no_progress,
        seed=args.seed,
        l2=args.l2,
    )
    threshold = decision_threshold(model, loss_fn, y)
    train_accuracy = accuracy(model, *train_set, threshold=threshold)
    report = f"final loss {history.loss[-1]:.4f}, training accuracy {train_accuracy:.1%}"
    if validation is not None:
        report += f", test accuracy {accuracy(model, *validation, threshold=threshold):.1%}"
    print(report)
    if args.save is not None:
        model.save(args.save)
        print(f"wrote {args.save}")
    if args.plots is not None:
        from nn.plot import plot_decision_boundary, plot_history

        args.plots.mkdir(parents=True, exist_ok=True)
        plot_history(history, args.plots / "loss.png")
        plot_decision_boundary(
            model, X, y, args.plots / "decision_boundary.png", threshold=threshold
        )
        print(f"wrote {args.plots / 'loss.png'} and {args.plots / 'decision_boundary.png'}")
    return 0


def _usage_error(message: str) -> NoReturn:
    """A mistake in the combination of arguments: one line, exit code 2, like argparse's."""
    print(f"glassgrad train: error: {message} (see 'glassgrad train --help')", file=sys.stderr)
    raise SystemExit(2)
