"""The README's examples run as written, so a claim that drifts fails here.

The rules the README follows (and this test enforces):

- Each ``python`` block runs on its own, in a fresh namespace and an empty working
  directory. A block whose first line is a comment starting with ``# continued`` runs in the
  namespace of the block before it instead (and says so to the reader).
- A ``text`` block right after a ``python`` block is what that block prints: it must match
  the printed output exactly.
- In ``sh``/``bash`` blocks every ``glassgrad ...`` command is run (in-process, in the same
  kind of empty directory, with ``docs/`` and ``out/`` there to write into) and must succeed.
  A trailing comment ``# writes FILE`` means FILE must exist afterwards, and ``# test
  accuracy N%`` means the command prints that. ``make TARGET`` must name a target of the
  Makefile; other commands (``.venv/bin/...``) are not run.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)


@dataclass
class Block:
    """One fenced code block of the README."""

    language: str
    code: str
    line: int  # where it starts in README.md (1-based), for messages
    before: str  # the README text between the previous block and this one

    @property
    def continued(self) -> bool:
        """Whether it goes on from the python block before it (its first line says so)."""
        return self.code.lstrip().startswith("# continued")


def blocks() -> list[Block]:
    """Every fenced block of the README, in order."""
    text = README.read_text(encoding="utf-8")
    found, end = [], 0
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(match.group(1), match.group(2), line, text[end : match.start()]))
        end = match.end()
    return found


def python_cases() -> list[tuple[Block, ...]]:
    """Each python block with the blocks it continues (they run first), and the output
    block that follows it, if any (the last item then is a text block)."""
    all_blocks = blocks()
    cases: list[tuple[Block, ...]] = []
    chain: list[Block] = []
    for i, block in enumerate(all_blocks):
        if block.language != "python":
            continue
        chain = [*chain, block] if block.continued else [block]
        follows = all_blocks[i + 1] if i + 1 < len(all_blocks) else None
        output = follows if follows and follows.language == "text" else None
        cases.append((*chain, output) if output else tuple(chain))
    return cases


def shell_commands() -> list[tuple[Block, str]]:
    """Each command line of the sh/bash blocks (continuation lines joined)."""
    commands = []
    for block in blocks():
        if block.language in ("sh", "bash"):
            for line in block.code.replace("\\\n", " ").splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    commands.append((block, line.strip()))
    return commands


def test_the_readme_has_examples() -> None:
    languages = [block.language for block in blocks()]
    assert languages.count("python") >= 8 and languages.count("text") >= 1
    assert all(language for language in languages), "every block names its language"


def _case_id(case: tuple[Block, ...]) -> str:
    """``line N``: where the case's (last) python block starts."""
    code = [block for block in case if block.language == "python"]
    return f"line {code[-1].line}"


@pytest.mark.parametrize("case", python_cases(), ids=_case_id)
def test_each_python_block_runs_alone_and_prints_what_it_shows(
    case: tuple[Block, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # examples write files (model.json, pictures) here
    code_blocks = [block for block in case if block.language == "python"]
    expected = case[-1] if case[-1].language == "text" else None
    namespace: dict[str, object] = {"__name__": "readme"}
    printed = io.StringIO()
    for block in code_blocks:
        printed = io.StringIO()  # only the last block's output is compared
        try:
            with contextlib.redirect_stdout(printed):
                exec(compile(block.code, f"README.md line {block.line}", "exec"), namespace)
        except Exception as error:  # the message is the point
            pytest.fail(f"README block at line {block.line} failed: {error!r}\n{block.code}")
    if expected is not None:
        assert printed.getvalue().strip() == expected.code.strip(), (
            f"README line {expected.line}: the output shown is not what the block prints"
        )


def _split_comment(command: str) -> tuple[str, str]:
    """``glassgrad ... # comment`` -> (command, comment), respecting quotes."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=False)
    lexer.whitespace_split = True
    lexer.commenters = ""
    words, comment = [], ""
    for word in lexer:
        if word.startswith("#"):
            comment = command[command.index(word, len(" ".join(words))) :]
            break
        words.append(word)
    return shlex.join(words), comment.lstrip("#").strip()


@pytest.mark.parametrize(
    ("block", "command"),
    shell_commands(),
    ids=[command.split(" #")[0][:60] for _, command in shell_commands()],
)
def test_each_shell_command_works(
    block: Block,
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    line, comment = _split_comment(command)
    words = shlex.split(line)
    if words[0] == "make":
        targets = re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M)
        assert words[1] in targets, f"README line {block.line}: no make target {words[1]!r}"
        return
    if words[0] != "glassgrad":
        return  # .venv/bin/... tools: not run here
    pytest.importorskip("matplotlib")
    from nn.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "out").mkdir()
    try:
        code = main(words[1:])
    except SystemExit as exit_:  # --help and --version exit through argparse
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    assert code == 0, f"README line {block.line}: {line} failed:\n{err}"
    written = re.match(r"writes (\S+)", comment)
    if written:
        assert (tmp_path / written.group(1)).exists(), f"{line} did not write {written[1]}"
    accuracy = re.match(r"test accuracy (\d+%)", comment)
    if accuracy:
        assert f"test accuracy {accuracy.group(1)}" in out.replace(".0%", "%"), out


# -- The numbers the prose quotes, each checked where it is computed ---------------------------

PROSE = " ".join(README.read_text(encoding="utf-8").split())  # line breaks as spaces


def quoted(pattern: str) -> re.Match[str]:
    """The README's one match of ``pattern`` (in its text with line breaks as spaces)."""
    matches = list(re.finditer(pattern, PROSE))
    assert len(matches) == 1, f"README: {len(matches)} matches of {pattern!r}"
    return matches[0]


def test_the_ten_lines_say_what_c_is_tanh_of() -> None:
    from autograd import Value

    a, b = Value(2.0), Value(-3.0)
    inner = a * b + a.exp() / b - a**2 + 2**a  # the Ten lines' c, before its tanh
    shown = quoted(r"c is tanh of about (-?\d+\.\d+)").group(1)
    decimals = len(shown.split(".")[1])
    assert float(shown) == round(inner.data, decimals)


def test_the_engine_size_is_counted_by_the_script_the_readme_names() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("codelines", ROOT / "tools" / "codelines.py")
    assert spec is not None and spec.loader is not None
    codelines = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(codelines)
    command = quoted(r"`python tools/codelines.py ((?:autograd/\w+\.py ?)+)`").group(1)
    counts = {
        path: codelines.count_code_lines((ROOT / path).read_text(encoding="utf-8"))
        for path in command.split()
    }
    total = sum(counts.values())
    assert int(quoted(r"the whole engine: about (\d+) lines of code").group(1)) == round(total, -1)
    assert 0.4 < counts["autograd/ops.py"] / total < 0.6  # "half of them the op table"
    assert counts["autograd/backward.py"] < 100  # "under a hundred"
    table = re.findall(r'^\s*Op\("(\w+)"', (ROOT / "autograd" / "ops.py").read_text(), re.M)
    assert int(quoted(r"the op table \((\d+) ops,").group(1)) == len(table)


def test_a_buggy_rule_shrinks_to_what_the_readme_says() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    import math

    from autograd import GradcheckError, define_op, gradcheck
    from autograd.functions import sigmoid
    from autograd.testing import expressions

    buggy = define_op(
        "my_softplus",
        lambda x: max(x, 0.0) + math.log1p(math.exp(-abs(x))),
        lambda g, out, x: (g * sigmoid(-x),),  # the README's bug: sigmoid(-x)
    )

    @hypothesis.settings(database=None, derandomize=True, deadline=None, max_examples=100)
    @hypothesis.given(expressions(extra_ops=[(buggy, (-30.0, 30.0))]))
    def prop(expr: Any) -> None:
        assert gradcheck(expr, expr.values, order=2)

    with pytest.raises(GradcheckError) as failure:
        prop()
    expression, values = quoted(r"shrinks to `([^`]+)` at `([^`]+)`").groups()
    report = " ".join(getattr(failure.value, "__notes__", []))
    assert f"<Expression {expression} at {values}" in report, report


def test_what_a_device_as_output_gives(capsys: pytest.CaptureFixture[str]) -> None:
    from nn.cli import main

    quoted(r"A device \(`train --save /dev/null`\).*?\(exit code 1\)")
    assert main(["train", "--data", "xor", "--no-progress", "--save", "/dev/null"]) == 1
    assert "/dev/null" in capsys.readouterr().err
    quoted(r"\(`graph --out /dev/null` stops before that, with exit code 2")
    assert main(["graph", "a*2", "a=1", "--out", "/dev/null"]) == 2
    assert "cannot tell the format" in capsys.readouterr().err
