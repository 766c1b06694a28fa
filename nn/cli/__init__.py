"""The ``glassgrad`` command: ``demo``, ``train`` and ``graph``.

    glassgrad demo [--out DIR]             train on moons, write plots, a graph and a step-through
    glassgrad train --data moons ...       train any of the data sets; see glassgrad train --help
    glassgrad graph EXPR NAME=VALUE ...    draw a computation graph after its backward pass
    glassgrad --version

One module per subcommand (`nn.cli.demo`, `nn.cli.train`, `nn.cli.graph`, with the safe
expression parser in `nn.cli.expression`); the argument types they share live in
`nn.cli.arguments`, and the output-file handling in `nn.cli.outputs`.

Mistakes in the arguments (an unknown data set, ``--lr -1``, ``--hidden 16,x``) are one line on
stderr and exit code 2; a failure while running (training diverged, a file cannot be written,
graphviz's ``dot`` missing) is one line and exit code 1. No traceback either way. Every output
path is checked before the work starts. Without graphviz's ``dot``, ``demo`` writes every file
but the graph's picture (its step-through page then draws the graph in the browser) and exits
with 3, and ``graph --format dot`` writes the DOT source (and ``--steps`` its page).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from nn.cli import demo, graph, train
from nn.cli.arguments import ArgumentParser, one_line, version_text

__all__ = ["build_parser", "main"]


def build_parser() -> ArgumentParser:
    """The ``glassgrad`` parser with its ``demo``, ``train`` and ``graph`` subcommands."""
    parser = ArgumentParser(
        prog="glassgrad",
        description="Train and look inside small neural networks built on a glass-box autograd.",
    )
    parser.add_argument("--version", action="version", version=version_text())
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo.register(commands)
    train.register(commands)
    graph.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``glassgrad`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit
    code."""
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if "graph" in words:  # an unrecognised "-x" is then most likely an expression
        parser.dash_hint = graph.DASH_HINT
    args, unknown = parser.parse_known_args(words)
    if unknown:  # reported under the subcommand's name, whose --help lists its arguments
        parser.prog = f"{parser.prog} {args.command}"
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    func: Callable[..., int] = args.func
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
    from nn.train import DivergedError

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
    return one_line(message)
