"""A large graph's sums are written as sums: ``sum(p * p for p in params)`` is one statement.

In a graph too large for formula comments, ``autograd.compile`` writes an unlabelled ``+`` or
``*`` used once, by a ``+``, inside that user's line (``codegen._foldable``): a chain of sums
as Python's ``sum()`` builds it becomes ``v = a * a + 0.0 + b * b + ...``, which Python adds
left to right, the engine's order. These tests check the bits against the engine (as
``tests/test_compile.py`` compares them) with every program of its generator written so, and
what is and is not folded.
"""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings

import autograd.compiler.codegen
from autograd import Value, compile
from autograd.testing import Expression
from tests.test_compile import PROGRAMS, compiles_like_the_engine, same_as_eager


@settings(max_examples=settings.default.max_examples)
@given(*PROGRAMS)
def test_generated_programs_written_as_large_graphs_give_the_engines_bits(
    expr: Expression, n_args: int, moves: list[list[float]]
) -> None:
    # Every graph treated as large (no formula comments): its sums are folded.
    def result(y: Value, live: list[Value]) -> Value:
        terms = [y * y, (y * 0.5).tanh() * y, y * 2.0, Value(1.5) * y]
        return sum(terms) + sum(p * p for p in live) * 0.01

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(autograd.compiler.codegen, "COMMENTED_NODES", -1)
        compiles_like_the_engine(expr, n_args, moves, result)


@pytest.mark.parametrize("n", [3, 64, 65, 500])
def test_a_sum_of_squares_is_one_sum_in_statements_of_at_most_chunk_terms(n: int) -> None:
    live = [Value(random.Random(i).uniform(-1, 1), label=f"w{i}") for i in range(n)]

    def fn(x: Value) -> Value:
        return sum(p * p for p in live) * x + x * 500.0

    step = compile(fn)
    for x in (0.5, -2.0, 3.0):
        assert same_as_eager(step, fn, live, [x])
    assert step.traces == 1 and step.replays == 0
    flat = re.sub(r"\s+", " ", step.source)
    if 2 * n + 3 <= autograd.compiler.codegen.COMMENTED_NODES:  # a small graph: node by node
        assert "w0 * w0 + 0.0" not in flat
        return
    assert "w0 * w0 + 0.0 + w1 * w1 + w2 * w2" in flat
    forward = step.source[: step.source.index("# backward")]
    statements = [line for line in forward.splitlines() if re.match(r" {4}\w+ = ", line)]
    sums = -(-(n + 1) // autograd.compiler.codegen.CHUNK)  # the sum's statements: CHUNK terms
    assert len(statements) == sums + 1  # then v * x + x * 500.0, a sum of two products
    assert re.search(r"^ {4}\w+ = v\d+ \* x \+ x \* 500\.0$", step.source, re.MULTILINE)
    # a square written inside the sum is explained by the sum's line that holds it
    assert step._latest is not None
    traced = [node for node in step._latest.generated.names if node.parents == (live[2],) * 2]
    assert len(traced) == 1 and "w2 * w2" in step.explain(traced[0])


def test_labelled_returned_and_twice_used_nodes_keep_their_lines() -> None:
    live = [Value(0.01 * i - 1.0, label=f"w{i}") for i in range(300)]

    def fn(x: Value) -> tuple[Value, Value]:
        squares = [p * p for p in live]
        squares[5].label = "kept"  # labelled: a line of its own
        partial = sum(squares[:150])  # returned: named
        twice = live[0] * x  # used twice: named
        total = partial + sum(squares[150:]) + twice + twice
        return total * x, partial

    step = compile(fn)
    for x in (0.5, 1.5, -0.25):
        assert same_as_eager(step, fn, live, [x])
    assert step.traces == 1 and step.replays == 0
    source = step.source
    assert re.search(r"^ {4}kept = w5 \* w5$", source, re.MULTILINE)
    assert re.search(r"^ {4}\w+ = w0 \* x$", source, re.MULTILINE)
    assert "+ kept +" in re.sub(r"\s+", " ", source)
