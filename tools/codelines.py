"""Count the lines of code of Python files: what a reader reads to follow the code.

    python tools/codelines.py autograd/ops.py autograd/value.py ...

prints ``N  FILE`` for each file and then the total. A line of code holds part of a statement;
blank lines, comment lines and documentation (a docstring, or any string that stands alone as
a statement) are left out. The README's "about N lines of code" comes from this count, and
``tests/test_readme.py`` checks it.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from pathlib import Path

NOT_CODE = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
}


def documentation_lines(tree: ast.AST) -> set[int]:
    """The line numbers of every string that is a statement on its own (docstrings)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def count_code_lines(source: str) -> int:
    """How many lines of ``source`` (Python) hold code."""
    skip = documentation_lines(ast.parse(source))
    code: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in NOT_CODE:
            continue
        code.update(range(token.start[0], token.end[0] + 1))
    return len(code - skip)


def main(paths: list[str]) -> int:
    """Print each file's count and the total."""
    if not paths:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    total = 0
    for path in paths:
        count = count_code_lines(Path(path).read_text(encoding="utf-8"))
        total += count
        print(f"{count:5d}  {path}")
    print(f"{total:5d}  total")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
