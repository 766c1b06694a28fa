"""``glassgrad graph`` and its expression parser: the grammar, hostile input, exit codes."""

from __future__ import annotations

import builtins
import math
import os
import shutil
import stat
from pathlib import Path

import pytest

from autograd import Value
from nn.cli import main
from nn.cli.expression import ExpressionError, parse_expression

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is missing")


# -- the expression grammar ------------------------------------------------------------------------


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a", lambda a, b: a),
        ("a + b * 2", lambda a, b: a + b * 2),
        ("(a + b) * 2", lambda a, b: (a + b) * 2),
        ("2 - a", lambda a, b: 2 - a),
        ("a / b - 1 / a", lambda a, b: a / b - 1 / a),
        ("a ** 2 + 2 ** a + a ** b", lambda a, b: a**2 + 2**a + a**b),
        ("-a * -b", lambda a, b: -a * -b),
        ("--a", lambda a, b: a),
        ("(-2) ** 2 * a", lambda a, b: 4 * a),
        ("1e-3 * a + 0.5", lambda a, b: 1e-3 * a + 0.5),
        ("exp(a) + log(a) + sqrt(a)", lambda a, b: math.exp(a) + math.log(a) + math.sqrt(a)),
        ("tanh(a*b) + sigmoid(b) + relu(b)", lambda a, b: math.tanh(a * b) + sigmoid(b) + 0.0),
        ("sin(a) * cos(b) + abs(b)", lambda a, b: math.sin(a) * math.cos(b) + abs(b)),
        ("exp(2) * a", lambda a, b: math.exp(2) * a),
        ("tanh(exp(-a*a) + b)", lambda a, b: math.tanh(math.exp(-a * a) + b)),
        (
            "tan(b) + atan(a) + log1p(a) + expm1(b)",
            lambda a, b: math.tan(b) + math.atan(a) + math.log1p(a) + math.expm1(b),
        ),
        (
            "softplus(a) + gelu(b) + silu(a)",
            lambda a, b: (
                math.log1p(math.exp(a))
                + b * 0.5 * (1 + math.erf(b / math.sqrt(2)))
                + a / (1 + math.exp(-a))
            ),
        ),
        (
            "leaky_relu(b) + elu(b) + erf(a) - erfc(b)",
            lambda a, b: 0.01 * b + math.expm1(b) + math.erf(a) - math.erfc(b),
        ),
    ],
)
def test_the_grammar_computes_what_it_says(text: str, expected: object) -> None:
    expression = parse_expression(text)
    a, b = Value(1.5, label="a"), Value(-0.5, label="b")
    result = expression.evaluate({"a": a, "b": b})
    assert isinstance(result, Value)
    assert result.data == pytest.approx(expected(1.5, -0.5))  # type: ignore[operator]


def test_the_help_lists_every_function_of_the_grammar(capsys: pytest.CaptureFixture[str]) -> None:
    from nn.cli.expression import FUNCTIONS

    with pytest.raises(SystemExit):
        main(["graph", "--help"])
    listed = " ".join(capsys.readouterr().out.split())
    assert all(f" {name}" in listed for name in FUNCTIONS)
    assert "gelu" in FUNCTIONS and "erfc" in FUNCTIONS


def test_every_op_of_one_value_in_the_table_can_be_written() -> None:
    from autograd.ops import OPS

    one_value = [
        name
        for name, op in OPS.items()
        if op.names in (("x",), ("x", "c")) and op.constant != "left" and hasattr(Value, name)
    ]
    assert len(one_value) >= 19 and "leaky_relu" in one_value
    for name in one_value:
        written = parse_expression(f"{name}(a)").evaluate({"a": Value(0.5)})
        assert isinstance(written, Value)
        assert written.data == getattr(Value(0.5), name)().data, name
    assert parse_expression("abs(a)").evaluate({"a": Value(-2.0)}).data == 2.0  # type: ignore[union-attr]


def test_an_op_added_to_the_table_is_in_the_grammar(monkeypatch: pytest.MonkeyPatch) -> None:
    from autograd.ops import OPS, Op
    from autograd.value import apply
    from nn.cli import expression

    cube = Op("cube", "cube", lambda x: x**3, lambda g, out, x: (3 * g * x * x,))
    monkeypatch.setitem(OPS, "cube", cube)
    monkeypatch.setattr(Value, "cube", lambda self: apply(cube, (self,)), raising=False)
    assert "cube" in expression._functions()


def test_variables_are_listed_in_order_of_first_use() -> None:
    assert parse_expression("tanh(x1*w1 + x2*w2 + b) * x1").variables == (
        "x1",
        "w1",
        "x2",
        "w2",
        "b",
    )
    assert parse_expression("2 * 3").variables == ()


HOSTILE = [
    "__import__('os').system('touch PWNED')",
    "__import__('pathlib').Path('PWNED').touch()",
    "().__class__.__bases__[0].__subclasses__()",
    "a.__class__",
    "a.data",
    "exp.__globals__",
    "getattr(a, 'data')",
    "eval('1')",
    "exec('import os')",
    "open('PWNED', 'w')",
    "globals()",
    "print(a)",
    "lambda: 1",
    "(lambda: 1)()",
    "[x for x in (1, 2)]",
    "{x for x in (1,)}",
    "(x for x in (1,))",
    "{1: 2}",
    "[a]",
    "(a, a)",
    "a[0]",
    "a[0:1]",
    "f'{a}'",
    "'text'",
    "b'bytes'",
    "1j",
    "True",
    "None",
    "...",
    "a if a else a",
    "a < 1",
    "a and a",
    "not a",
    "~a",
    "+a",
    "a % 2",
    "a // 2",
    "a @ a",
    "a ^ 2",
    "a << 1",
    "(a := 3)",
    "exp(a, a)",
    "exp()",
    "exp(x=a)",
    "exp(*[a])",
    "exp",
    "exp(a)(a)",
    "a(1)",
    "_secret + 1",
    "__builtins__",
    "a; import os",
    "import os",
    "a = 1",
    "a +",
    "",
    "   ",
    "(" * 300 + "a" + ")" * 300,
    "1" * 400 + " * a",
    "a + " * 1000 + "a",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_refused_without_running_anything(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parser must never eval or exec")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    with pytest.raises(ExpressionError) as error:
        expression = parse_expression(text)
        expression.evaluate({name: Value(1.0) for name in expression.variables})
    assert "\n" not in str(error.value)
    assert not (tmp_path / "PWNED").exists()


def test_errors_name_what_was_found_and_where() -> None:
    with pytest.raises(ExpressionError, match="attribute access at column 2"):
        parse_expression("(a.b)")
    with pytest.raises(ExpressionError, match=r"call of open .*abs, exp, log, sqrt, tanh"):
        parse_expression("open('x')")
    with pytest.raises(ExpressionError, match="operator % "):
        parse_expression("a % 2")
    with pytest.raises(ExpressionError, match=r"exp at column 1 is a function"):
        parse_expression("exp + 1")


def test_a_missing_value_is_named() -> None:
    with pytest.raises(ExpressionError, match="no value given for b"):
        parse_expression("a * b").evaluate({"a": Value(1.0)})


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("log(a - 2)", ValueError),
        ("a / (a - 1)", ZeroDivisionError),
        ("exp(a * 1000)", OverflowError),
    ],
)
def test_domain_errors_are_the_engines(text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_expression(text).evaluate({"a": Value(1.0)})


# -- the command ---------------------------------------------------------------------------------


def run(argv: list[str]) -> int:
    """Run ``glassgrad graph ARGV``; return its exit code."""
    try:
        return main(["graph", *argv])
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1


NEURON = ["tanh(x1*w1 + x2*w2 + b)", "x1=2", "w1=-3", "x2=0", "w2=1", "b=6.8813735870195432"]


@needs_dot
def test_it_draws_the_graph_after_backward_and_prints_the_gradients(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "neuron.svg"
    assert run([*NEURON, "--out", str(out)]) == 0
    svg = out.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "tanh" in svg
    assert "grad &#45;1.5000" in svg or "grad -1.5000" in svg  # d/dx1 = w1 * (1 - tanh^2)
    printed = capsys.readouterr().out
    assert "= 0.707107" in printed and "d/dx1 = -1.5" in printed and "d/dw1 = 1" in printed
    assert list(tmp_path.iterdir()) == [out]  # nothing else written


@needs_dot
def test_it_writes_png_pdf_and_the_step_through(tmp_path: Path) -> None:
    assert run(["a * b + a", "a=2", "b=3", "--out", str(tmp_path / "g.png")]) == 0
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    pdf = tmp_path / "g.out"
    steps = tmp_path / "steps.html"
    assert (
        run(["a * b", "a=2", "b=3", "--out", str(pdf), "--format", "pdf", "--steps", str(steps)])
        == 0
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    page = steps.read_text(encoding="utf-8")
    assert 'class="gg-slider"' in page and "Backward pass of a * b" in page


@needs_dot
def test_the_default_output_is_graph_svg_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["--", "-a * 2", "a=1"]) == 0
    assert (tmp_path / "graph.svg").exists()


def test_an_expression_starting_with_a_dash_gets_the_double_dash_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["-x", "x=3"]) == 2  # "-x" looks like an option to argparse
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unrecognized arguments: -x" in err
    assert 'glassgrad graph "(-x)" x=3' in err and '-- "-x" x=3' in err


@needs_dot
def test_an_expression_in_parentheses_needs_no_double_dash(tmp_path: Path) -> None:
    assert run(["(-x) * 2", "x=3", "--out", str(tmp_path / "g.svg")]) == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["a.b", "a=1"],
        ["__import__('os')", "a=1"],
        ["a +", "a=1"],
        ["a * b", "a=1"],  # b has no value
        ["a", "a=1", "c=2"],  # c is not in the expression
        ["a", "a=1", "a=2"],  # given twice
        ["a", "a"],  # not NAME=VALUE
        ["a", "a=x"],
        ["a", "a=nan"],
        ["a", "a=inf"],
        ["a", "1a=2"],
        ["a", "exp=2"],
        ["2 * 3"],  # no variables
        ["log(a)", "a=-1"],  # outside log's domain
        ["a / (a - 1)", "a=1"],
        ["sqrt(a)", "a=0"],  # infinite derivative
        ["a", "a=1", "--out", "x.jpg"],  # unknown format
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_code_2(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassgrad graph: error: ") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_without_dot_it_says_how_to_install_graphviz(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # graphviz runs `dot` through PATH
    code = run(["a * 2", "a=1", "--out", str(tmp_path / "g.svg")])
    assert code != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "apt-get install graphviz" in err
    assert "--format dot" in err
    assert not (tmp_path / "g.svg").exists()


@pytest.mark.parametrize("how", [["--out", "g.dot"], ["--format", "dot", "--out", "g.txt"]])
def test_without_dot_it_writes_the_dot_source(
    how: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on PATH
    monkeypatch.chdir(tmp_path)
    assert run(["tanh(a*b + c)", "a=2", "b=-3", "c=10", *how]) == 0
    written = tmp_path / how[-1]
    assert f"wrote {how[-1]}" in capsys.readouterr().out
    source = written.read_text()
    assert source.startswith("digraph") and "tanh" in source and "grad" in source
    assert source == draw_dot_source("tanh(a*b + c)", a=2, b=-3, c=10)


def draw_dot_source(text: str, **values: float) -> str:
    """The DOT source `draw_dot` makes for ``text`` after its backward pass."""
    from autograd.viz import draw_dot

    leaves = {name: Value(value, label=name) for name, value in values.items()}
    result = parse_expression(text).evaluate(leaves)
    assert isinstance(result, Value)
    result.backward()
    source: str = draw_dot(result).source
    return source


def test_a_picture_without_dot_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    code = run(
        ["a * 2", "a=1", "--out", str(tmp_path / "g.svg"), "--steps", str(tmp_path / "s.html")]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "so the picture could not be drawn and nothing was written" in err
    assert sorted(tmp_path.iterdir()) == []


@pytest.mark.parametrize("copy", [b"/* viz-global.js */", None], ids=["copy", "no-copy"])
def test_steps_without_dot_draws_its_graph_in_the_browser(
    copy: bytes | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The DOT source and the page are written; the page carries the DOT source, and the
    package's copy of viz-global.js (when it has one) goes beside it."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("autograd.viz.page.local_viz_script", lambda: copy)
    pages = tmp_path / "pages"
    pages.mkdir()
    argv = ["tanh(a*b)", "a=2", "b=-3", "--out", str(tmp_path / "g.dot")]
    assert run([*argv, "--steps", str(pages / "s.html")]) == 0
    out, err = capsys.readouterr()
    assert (tmp_path / "g.dot").read_text() == draw_dot_source("tanh(a*b)", a=2, b=-3)
    page = (pages / "s.html").read_text()
    assert '"dot":"digraph' in page and "<svg" not in page.split('class="gg-steps"')[0]
    assert sorted(p.name for p in pages.iterdir()) == [
        "s.html",
        *(["viz-global.js"] if copy else []),
    ]
    if copy:
        assert (pages / "viz-global.js").read_bytes() == copy
        assert f"wrote {pages / 'viz-global.js'}" in out
    assert err.count("\n") == 1 and "draws its graph in the browser, with " in err
    assert ("viz-global.js, written beside it" in err) == bool(copy)
    assert "apt-get install graphviz" in err


def test_an_unwritable_output_is_one_line_and_exit_code_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("dot") is None:
        pytest.skip("graphviz's dot is missing")
    assert run(["a * 2", "a=1", "--out", str(tmp_path / "missing" / "g.svg")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_the_glassgrad_command_has_graph() -> None:
    cli = pytest.importorskip("nn.cli")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["graph", "--help"])
    assert exit_.value.code == 0


@needs_dot
def test_a_missing_steps_directory_fails_before_out_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "g.svg"
    steps = tmp_path / "missing" / "dir" / "x.html"
    assert run(["a * 2", "a=1", "--out", str(out), "--steps", str(steps)]) == 1
    err = capsys.readouterr().err
    assert err == f"glassgrad graph: error: --steps: directory {steps.parent} does not exist\n"
    assert not out.exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_a_fifo_as_out_is_refused_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "null"  # the way /dev/null would be refused; real /dev is never touched
    os.mkfifo(fifo)
    assert run(["a * 2", "a=1", "--out", str(fifo), "--format", "svg"]) == 1
    err = capsys.readouterr().err
    assert (
        err
        == f"glassgrad graph: error: --out: {fifo} is a FIFO (named pipe): refusing to replace it\n"
    )
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_format_and_suffix_must_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.png"
    assert run(["a * 2", "a=1", "--out", str(out), "--format", "svg"]) == 2
    assert "--format svg does not match" in capsys.readouterr().err
    assert not out.exists()


def test_the_same_file_for_out_and_steps_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("dot") is None:
        pytest.skip("graphviz's dot is missing")
    page = tmp_path / "x.html"
    assert run(["a * 2", "a=1", "--out", str(page), "--format", "svg", "--steps", str(page)]) == 2
    assert "same file" in capsys.readouterr().err and not page.exists()


def test_a_leading_dash_without_spaces_is_refused_under_graphs_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["graph", "-x*2", "x=3"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("glassgrad graph: error: unrecognized arguments: -x*2. ")
    assert "parentheses" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "words",
    [
        ["-x * 2", "x=3"],  # with a space it is not an option
        ["(-x)*2", "x=3"],
        ["--", "-x*2", "x=3"],  # options first
    ],
)
def test_a_leading_dash_works_as_the_readme_says(
    words: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--out", str(tmp_path / "g.dot"), *words]) == 0
    assert "d/dx = -2" in capsys.readouterr().out
