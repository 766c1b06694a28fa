"""``glassgrad train``: build an MLP, train it on a built-in data set, report, save, plot.

Every value is checked when the arguments are parsed (`nn.cli.arguments`); the combinations
(a loss that needs two classes, a model too big for a scalar engine) and the output paths
(``--save``, ``--plots``) are checked next, all before the first training step.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from nn import data, optim
from nn.cli.arguments import integer_between, layer_sizes, number_in
from nn.cli.outputs import check_outputs, check_separate, figure_bytes, write_outputs
from nn.io import to_json
from nn.module import MLP
from nn.neuron import ACTIVATIONS
from nn.train import LOSSES, accuracy, decision_threshold, fit

__all__ = [
    "ACTIVATION_NAMES",
    "DATA_SETS",
    "LOSS_NAMES",
    "MAX_CLASSES",
    "MAX_EPOCHS",
    "MAX_NODES_PER_STEP",
    "MAX_PARAMETERS",
    "MAX_SAMPLES",
    "MULTI_CLASS",
    "PLOT_NAMES",
    "TWO_CLASS",
    "register",
    "run",
]

TWO_CLASS = ("xor", "moons", "circles")
MULTI_CLASS = ("spirals", "blobs")
DATA_SETS = TWO_CLASS + MULTI_CLASS
LOSS_NAMES = ("bce", "hinge", "mse", "cross_entropy")
ACTIVATION_NAMES = ACTIVATIONS
"""The hidden activations ``--activation`` takes: every one a neuron can apply."""
PLOT_NAMES = ("loss.png", "decision_boundary.png")
"""The pictures ``--plots DIR`` writes into DIR."""

MAX_SAMPLES = 20_000
"""The largest ``--samples``."""
MAX_CLASSES = 10
"""The most classes ``--classes`` accepts (spirals and blobs)."""
MAX_EPOCHS = 100_000
"""The most ``--epochs``."""
MAX_PARAMETERS = 200_000
"""The most weights and biases a model may have: each one is a Python object here."""
MAX_NODES_PER_STEP = 2_000_000
"""The most neuron nodes one training step may build (batch size times neurons)."""


def register(subparsers: Any) -> None:
    """Add the ``train`` subcommand to the parser ``subparsers`` belongs to."""
    train = subparsers.add_parser(
        "train",
        help="train an MLP on one of the built-in data sets",
        description=(
            "Train an MLP on a built-in 2-D data set, report training and test accuracy, and "
            "optionally save the model and its plots. Two-class data sets default to the bce "
            "loss (one output), multi-class ones to cross_entropy (one output per class)."
        ),
    )
    add = train.add_argument
    add("--data", choices=DATA_SETS, default="moons", help="the data set (default: moons)")
    add(
        "--samples",
        type=integer_between(1, MAX_SAMPLES, "a sample count"),
        default=200,
        help=f"number of samples, at most {MAX_SAMPLES:,} (ignored for xor, which has 4; "
        "default: 200)",
    )
    add(
        "--noise",
        type=number_in(0, 10),
        default=None,
        help="data noise, from 0 to 10 (default: the data set's own)",
    )
    add(
        "--classes",
        type=integer_between(2, MAX_CLASSES, "a class count"),
        default=3,
        help=f"classes for spirals and blobs, 2 to {MAX_CLASSES} (default: 3)",
    )
    add(
        "--hidden",
        type=layer_sizes,
        default=[16, 16],
        metavar="SIZES",
        help="hidden layer sizes, comma-separated (default: 16,16)",
    )
    add(
        "--activation",
        choices=ACTIVATION_NAMES,
        default="relu",
        help="hidden activation (default: relu)",
    )
    add(
        "--loss",
        choices=LOSS_NAMES,
        default=None,
        help="loss (default: bce for two classes, cross_entropy for more)",
    )
    add("--optimizer", choices=("sgd", "adam"), default="adam", help="optimizer (default: adam)")
    add(
        "--lr",
        type=number_in(0, 10, low_open=True),
        default=0.01,
        help="learning rate, above 0 and at most 10 (default: 0.01)",
    )
    add(
        "--momentum",
        type=number_in(0, 1, high_open=True),
        default=0.0,
        help="SGD momentum, from 0 to below 1 (default: 0)",
    )
    add(
        "--l2",
        type=number_in(0, 10),
        default=0.0,
        help="L2 penalty coefficient, from 0 to 10 (default: 0)",
    )
    add(
        "--epochs",
        type=integer_between(1, MAX_EPOCHS, "an epoch count"),
        default=100,
        help="passes over the training data (default: 100)",
    )
    add(
        "--batch-size",
        type=integer_between(1, MAX_SAMPLES, "a batch size"),
        default=None,
        help="minibatch size (default: the whole training set)",
    )
    add(
        "--test-fraction",
        type=number_in(0, 1, low_open=True, high_open=True),
        default=0.2,
        help="share held out for testing (not for xor; default: 0.2)",
    )
    add("--seed", type=int, default=0, help="seed for data, weights and shuffling (default: 0)")
    add(
        "--save",
        type=Path,
        default=None,
        metavar="PATH",
        help="write the trained model here (JSON)",
    )
    add(
        "--plots",
        type=Path,
        default=None,
        metavar="DIR",
        help="write loss.png and decision_boundary.png into DIR",
    )
    add("--no-progress", action="store_true", help="hide the progress bar")
    train.set_defaults(func=run)


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


def _check_size(hidden: list[int], outputs: int, batch: int) -> None:
    """Refuse a model or a training step too big for a scalar engine, before building it."""
    sizes = [2, *hidden, outputs]
    parameters = sum((n_in + 1) * n_out for n_in, n_out in itertools.pairwise(sizes))
    if parameters > MAX_PARAMETERS:
        _usage_error(
            f"--hidden {','.join(map(str, hidden))} makes {parameters:,} parameters, more than "
            f"{MAX_PARAMETERS:,} (each one is a Python object here): use smaller layers"
        )
    nodes = batch * sum(sizes[1:])
    if nodes > MAX_NODES_PER_STEP:
        _usage_error(
            f"one training step would build {nodes:,} neuron nodes ({batch:,} samples x "
            f"{sum(sizes[1:]):,} neurons), more than {MAX_NODES_PER_STEP:,}: use a smaller "
            "--batch-size or smaller layers"
        )


def run(args: argparse.Namespace) -> int:
    """Carry out ``glassgrad train``: build, train, report, then save and plot."""
    classes = 2 if args.data in TWO_CLASS else args.classes
    loss_name = args.loss or ("bce" if classes == 2 else "cross_entropy")
    if classes > 2 and loss_name != "cross_entropy":
        _usage_error(
            f"--loss {loss_name} needs two classes; {args.data} has {classes}: "
            "use --loss cross_entropy"
        )
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
    _check_size(args.hidden, outputs, min(args.batch_size or len(X), len(train_set[0])))

    plot_paths = [] if args.plots is None else [args.plots / name for name in PLOT_NAMES]
    if args.save is not None and any(_same_file(args.save, path) for path in plot_paths):
        _usage_error(f"--save {args.save} is one of the pictures --plots writes: pick another")
    try:
        check_separate(
            {"--save": [] if args.save is None else [args.save], "--plots": plot_paths},
            {} if args.plots is None else {"--plots": args.plots},
        )
    except OSError as error:
        _usage_error(str(error))
    if args.save is not None:
        check_outputs([args.save], "--save")
    if args.plots is not None:
        import matplotlib  # noqa: F401  (missing matplotlib fails now, not after training)

        check_outputs(plot_paths, "--plots", directory=args.plots)

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
    report = f"final loss {history.loss[-1]:.4g}, training accuracy {train_accuracy:.1%}"
    if validation is not None:
        report += f", test accuracy {accuracy(model, *validation, threshold=threshold):.1%}"
    print(report)

    files: dict[Path, bytes] = {}
    if args.save is not None:
        files[args.save] = to_json(model).encode("utf-8")
    if args.plots is not None:
        from nn.plot import plot_decision_boundary, plot_history

        boundary = plot_decision_boundary(model, X, y, threshold=threshold)
        files[plot_paths[0]] = figure_bytes(plot_history(history))
        files[plot_paths[1]] = figure_bytes(boundary)
    for path in write_outputs(files, "writing the results"):
        print(f"wrote {path}")
    return 0


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (through symlinks and ``..``)."""
    return os.path.realpath(a) == os.path.realpath(b)


def _usage_error(message: str) -> NoReturn:
    """A mistake in the combination of arguments: one line, exit code 2, like argparse's."""
    print(f"glassgrad train: error: {message} (see 'glassgrad train --help')", file=sys.stderr)
    raise SystemExit(2)
