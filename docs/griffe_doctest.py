"""A Griffe extension for the API reference: docstring examples become code blocks.

A docstring shows its examples as doctest lines (``>>> x * 2``). Markdown reads a line that
starts with ``>`` as a quotation, so without this each example rendered as a nested
blockquote with its lines run together (and ``['w0', 'b']`` in an output line as a broken
cross-reference). mkdocstrings loads this file (``mkdocs.yml``, the python handler's
``extensions``) and it fences every run of doctest lines, with the output lines after them, as
a ``pycon`` code block. Lines indented by four spaces or more are already code and are left
as they are, as is anything inside a fence. Any other line that starts with ``>`` (such as
"> 0" wrapped from the line before) is a comparison, never a quotation: its ``>`` is escaped.
"""

from __future__ import annotations

from typing import Any

import griffe

PROMPT = ">>>"


def fence_doctests(text: str) -> str:
    """``text`` (a docstring) with each run of doctest lines fenced as a pycon code block.

    A run starts at a line whose first non-blank characters are ``>>>`` (indented by less
    than four spaces) and ends at the first blank line or the first line indented less.
    """
    lines = text.splitlines()
    out: list[str] = []
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not in_fence and stripped.startswith(PROMPT) and len(indent) < 4:
            block = []
            while i < len(lines) and lines[i].strip() and lines[i].startswith(indent):
                block.append(lines[i])
                i += 1
            if out and out[-1].strip():
                out.append("")
            out += [f"{indent}```pycon", *block, f"{indent}```"]
            if i < len(lines) and lines[i].strip():
                out.append("")
            continue
        elif not in_fence and stripped.startswith(">") and len(indent) < 4:
            line = f"{indent}\\{stripped}"
        out.append(line)
        i += 1
    return "\n".join(out)


class FenceDoctests(griffe.Extension):
    """Fences the doctest examples of every docstring Griffe reads (see `fence_doctests`)."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite ``obj``'s docstring, if it has one with an example."""
        if obj.docstring is not None and ">" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)
