"""``glassgrad graph``: draw the computation graph of a typed expression after its backward pass.

    glassgrad graph "tanh(a*b + c)" a=2 b=-3 c=10 --out graph.svg --steps backward.html

The expression is read by `nn.cli.expression.parse_expression` (``ast``, a fixed grammar, never
``eval``). Each ``NAME=VALUE`` becomes a leaf labelled NAME; the result is differentiated
(``backward()``, or `trace_backward` when ``--steps`` asks for the step-through page), drawn by
`draw_dot` and rendered by graphviz's ``dot``. ``--format dot`` (or ``--out graph.dot``) writes
the drawing's DOT source instead, which needs no graphviz program: render it later with
``dot -Tsvg graph.dot -o graph.svg``, or paste it into any Graphviz viewer. The ``--steps``
page needs no ``dot`` either: without it the page draws its graph in the browser with Graphviz
compiled to WebAssembly (`autograd.viz.page`), from ``viz-global.js`` written beside the page
when the package holds a copy of it (``make`` puts one there), else from a CDN; a note on
stderr says so.

Exit codes: 0 done; 2 bad input (the expression, a ``NAME=VALUE``, an option, or a value
outside an op's domain such as ``log(-1)``, a ``--format`` that disagrees with ``--out``'s
suffix); 1 when the picture cannot be rendered or written (graphviz's ``dot`` missing: the
message then says how to install it and that ``--format dot`` works without it; an unwritable
path, or a path that is not a regular file, such as ``/dev/null``). Both output paths are
checked before anything is computed, and the picture and the page are written together: a
failure leaves neither behind.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

from autograd import Value
from nn.cli.expression import FUNCTIONS, ExpressionError, check_variable_name, parse_expression
from nn.cli.outputs import check_outputs, write_outputs

__all__ = ["DASH_HINT", "FORMATS", "PICTURE_SUFFIXES", "parse_assignments", "register", "run"]

FORMATS = ("svg", "png", "pdf", "dot")
"""What ``--format`` takes: pictures rendered by graphviz's ``dot``, or ``dot``, the DOT source."""
PICTURE_SUFFIXES = {*FORMATS, "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff", "eps", "ps"}
"""File suffixes that say what kind of picture a file is: ``--format`` must agree with them."""
BAD_INPUT, CANNOT_RENDER = 2, 1
DASH_HINT = (
    "An expression that starts with '-' looks like an option: put it in parentheses, "
    "glassgrad graph \"(-x)\" x=3, or after '--' (options first), "
    'glassgrad graph --out g.svg -- "-x" x=3'
)

_EPILOG = """\
examples:
  glassgrad graph "tanh(a*b + c)" a=2 b=-3 c=10
  glassgrad graph "tanh(x1*w1 + x2*w2 + b)" x1=2 w1=-3 x2=0 w2=1 b=6.88 --out neuron.svg
  glassgrad graph "log(x) * sigmoid(y)" x=3 y=0.5 --steps backward.html
  glassgrad graph "a*b + c" a=2 b=-3 c=10 --out graph.dot   (DOT source: no graphviz needed)

grammar: numbers, your variables, + - * / ** , unary -, parentheses, and
{functions}. An expression starting with - needs
'--' before it: glassgrad graph -- "-x * 2" x=3
""".format(functions=textwrap.fill(" ".join(FUNCTIONS), 78, subsequent_indent=""))


def register(subparsers: Any) -> None:
    """Add the ``graph`` subcommand to the ``glassgrad`` argument parser.

    ``subparsers`` is what ``ArgumentParser.add_subparsers()`` returned. The command's
    ``args.func(args)`` returns the exit code.
    """
    parser = subparsers.add_parser(
        "graph",
        dash_hint=DASH_HINT,
        help="draw the computation graph of an expression, after its backward pass",
        description=(
            "Draw the computation graph of EXPR, with every value and gradient, after its\n"
            "backward pass; optionally write a page that steps through the backward pass."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("expression", metavar="EXPR", help='the expression, e.g. "tanh(a*b + c)"')
    parser.add_argument(
        "assignments", metavar="NAME=VALUE", nargs="*", help="a value for each variable, e.g. a=2"
    )
    parser.add_argument("--out", type=Path, help="the picture to write (default: graph.FORMAT)")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="picture format, or dot for the DOT source (default: from --out's suffix, or svg)",
    )
    parser.add_argument(
        "--steps", type=Path, metavar="FILE.html",
        help="also write a page stepping through the backward pass node by node (without "
        "graphviz's dot it draws its graph in the browser)",
    )  # fmt: skip
    parser.add_argument(
        "--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR",
        help="direction of the drawing (default: LR, left to right)",
    )  # fmt: skip
    parser.set_defaults(func=run)


class _InputError(Exception):
    """Bad command-line input: reported in one line with exit code 2."""


def parse_assignments(items: list[str]) -> dict[str, float]:
    """``["a=2", "b=-3"]`` -> ``{"a": 2.0, "b": -3.0}``; raise ExpressionError when malformed."""
    values: dict[str, float] = {}
    for item in items:
        name, equals, text = item.partition("=")
        name = name.strip()
        if not equals:
            raise ExpressionError(f"{item!r} is not NAME=VALUE (e.g. a=2)")
        check_variable_name(name)
        if name in values:
            raise ExpressionError(f"{name} is given twice")
        try:
            value = float(text)
        except ValueError:
            raise ExpressionError(f"{name}={text}: {text!r} is not a number") from None
        if not math.isfinite(value):
            raise ExpressionError(f"{name}={text}: the value must be a finite number")
        values[name] = value
    return values


def _output(out: Path | None, picture_format: str | None) -> tuple[Path, str]:
    """The picture's path and format from --out and --format."""
    if out is None:
        chosen = picture_format or "svg"
        return Path(f"graph.{chosen}"), chosen
    suffix = out.suffix.lower().lstrip(".")
    if picture_format is not None:
        if suffix in PICTURE_SUFFIXES and suffix != picture_format:
            raise _InputError(
                f"--format {picture_format} does not match {str(out)!r}: name the file "
                f"*.{picture_format} or drop --format"
            )
        return out, picture_format
    if suffix in FORMATS:
        return out, suffix
    raise _InputError(f"cannot tell the format of {str(out)!r}; add --format {'|'.join(FORMATS)}")


def run(args: argparse.Namespace) -> int:
    """Carry out ``glassgrad graph`` for parsed arguments; return the exit code."""
    try:
        return _run(args)
    except (_InputError, ExpressionError) as error:
        return _fail(str(error), BAD_INPUT)


def _run(args: argparse.Namespace) -> int:
    from autograd.viz import INSTALL_HINT, GraphvizNotFoundError, draw_dot, trace_backward
    from autograd.viz.page import VIZ_FILE, local_viz_script

    expression = parse_expression(args.expression)
    values = parse_assignments(args.assignments)
    undefined = [name for name in expression.variables if name not in values]
    if undefined:
        raise _InputError(f"no value given for {', '.join(undefined)}: add NAME=VALUE")
    unknown = [name for name in values if name not in expression.variables]
    if unknown:
        raise _InputError(
            f"{', '.join(unknown)}: no such variable in the expression {args.expression!r}"
        )
    if not expression.variables:
        raise _InputError("the expression has no variables, so there is nothing to differentiate")
    out, picture_format = _output(args.out, args.format)
    outputs = [out] if args.steps is None else [out, args.steps]
    try:
        check_outputs([out], "--out")
        if args.steps is not None:
            check_outputs([args.steps], "--steps")
            if os.path.realpath(args.steps) == os.path.realpath(out):
                raise _InputError(f"--out and --steps are the same file, {out}: give each its own")
        # Without dot the page draws its graph in the browser: with the package's copy of
        # Graphviz in WebAssembly beside it, if there is one (else from a CDN).
        viz_script = local_viz_script() if args.steps and not shutil.which("dot") else None
        if viz_script is not None:
            outputs.append(args.steps.parent / VIZ_FILE)
            check_outputs(outputs[-1:], "--steps")
    except OSError as error:
        return _fail(str(error), CANNOT_RENDER)

    leaves = {name: Value(value, label=name) for name, value in values.items()}
    try:
        result = expression.evaluate(leaves)
        assert isinstance(result, Value)  # it uses a variable, so it is a Value
        trace = trace_backward(result) if args.steps else None
        if trace is None:
            result.backward()
        drawing = draw_dot(result, rankdir=args.rankdir)
        if picture_format == "dot":  # the source: no graphviz program needed
            contents = [drawing.source.encode("utf-8")]
        else:
            contents = [drawing.pipe(format=picture_format)]
        if trace is not None:
            title = f"Backward pass of {args.expression}"
            viz_src = VIZ_FILE if viz_script is not None else None
            contents.append(trace.to_page(title=title, viz_src=viz_src).encode("utf-8"))
        if viz_script is not None:
            contents.append(viz_script)
    except GraphvizNotFoundError:
        return _fail(
            f"graphviz's 'dot' program was not found, so the picture could not be drawn and "
            f"nothing was written. {INSTALL_HINT}. Without it, --format dot (or --out "
            "FILE.dot) writes the graph's DOT source.",
            CANNOT_RENDER,
        )
    except (ValueError, ZeroDivisionError, OverflowError) as error:  # domain errors, size
        return _fail(str(error), BAD_INPUT)

    try:
        for path in write_outputs(dict(zip(outputs, contents, strict=True)), "glassgrad graph"):
            print(f"wrote {path}")
    except OSError as error:
        return _fail(str(error), CANNOT_RENDER)

    print(f"{args.expression} = {result.data:.6g}")
    for name, leaf in leaves.items():
        print(f"  d/d{name} = {leaf.grad:.6g}")
    if args.steps is not None and not shutil.which("dot"):
        where = (
            f"{VIZ_FILE}, written beside it" if viz_script
            else "a script from a CDN (it needs a connection)"
        )  # fmt: skip
        print(
            f"glassgrad graph: note: graphviz's 'dot' program is not on PATH, so {args.steps} "
            f"draws its graph in the browser, with {where}. {INSTALL_HINT}",
            file=sys.stderr,
        )
    return 0


def _fail(message: str, code: int) -> int:
    print(f"glassgrad graph: error: {' '.join(message.split())}", file=sys.stderr)
    return code
