"""An audit of three of compile's ways of writing code (benchmarks/DECISIONS.md, 21).

* **One loop per sample** (``rolled._can_fuse``, ``rolled._fuse``): each sample's forward
  and then its backward in one pass, when the sweep above the samples reads no number of
  what combines them;
* **the loop's names first** (``rolled._name_the_loops_first``): ``k = X_i_0 = ... = None``
  at the top of the function;
* **sums written as sums** (``codegen._foldable``): in a large graph, an unlabelled ``+`` or
  ``*`` used once by a ``+`` written inside that ``+``'s line.

Each test is an input that tries to make the compiled call differ from the engine's (bits,
errors, ``.grad`` left as it was on an error), crash, replay without cause, or write a
line Python refuses or one longer than MAX_LINE; each is compared as ``tests/test_compile.py``
compares (`same_as_eager`).
"""

from __future__ import annotations

import builtins
import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from types import CodeType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd.compiler.codegen
from autograd import Value, compile, define_op, grad
from autograd.compiler import CompiledFunction
from autograd.compiler.codegen import CHUNK, MAX_LINE
from autograd.compiler.templates import literal
from nn import MLP
from nn.neuron import neuron
from tests.test_compile import (
    SHIFTS,
    compile_softclip,
    same_as_eager,
)
from tests.test_compile_rolled_audit import loops_as_the_engine_runs, points, rows

FUSED = "forward, then backward"  # the comment above the one loop that does both
DECLARED = "# the loop's names first"  # the comment above ``k = ... = None``


@contextmanager
def large() -> Iterator[None]:
    """Every graph written as a large one (no formula comments; sums folded)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(autograd.compiler.codegen, "COMMENTED_NODES", -1)
        yield


def short_lines(step: CompiledFunction) -> None:
    assert max(len(line) for line in step.source.splitlines()) <= MAX_LINE


# -- one loop per sample: when is it one loop, and is it right -------------------------------

NAMED = {"a·b": "w·x+b", "mark": "x\u0301", "ascii": "total"}  # a label for a node that combines


def combined(how: str, losses: list[Value], w: Value) -> Value:
    """The samples' losses combined: linear with constant factors (the samples' gradients
    known before any forward: one loop) or not (two loops)."""
    total = Value.sum(losses)
    if how in NAMED:  # a label Python accepts as a name, but not made of \w characters only
        total.label = NAMED[how]
        return total * total
    if how == "softclip of the sum":  # a user's op: its rule reads its operand
        return compile_softclip(total * 0.01)
    if how == "neuron on the sum":  # an op with a writer (z_ and local_ names)
        return neuron([w], [total], 0.5, "tanh")
    if how == "sum times a parameter":
        return total * w
    if how == "sum over a parameter":
        return total / (w * w + 1.0)
    if how == "two halves multiplied":
        half = len(losses) // 2
        return Value.sum(losses[:half]) * Value.sum(losses[half:])
    if how == "relu of the sum":
        return (total - 50.0).relu()
    if how == "halved, plus one":
        return total * 0.5 + 1.0
    if how == "minus a penalty":
        return total - 0.1 * (w * w)
    if how == "one loss again":  # sample 0's output takes a second gradient
        return total + losses[0] * 2.0
    if how == "one loss squared":  # ... read by its rule
        return total + losses[-1] * losses[-1]
    assert how == "negated, in two sums"
    return -(Value.sum(losses[:7]) + Value.sum(losses[7:]))


ONE_LOOP = ["halved, plus one", "minus a penalty", "negated, in two sums", "one loss again"]
TWO_LOOPS = ["a·b", "mark", "ascii", "softclip of the sum", "neuron on the sum"]
TWO_LOOPS += ["sum times a parameter", "sum over a parameter", "two halves multiplied"]
TWO_LOOPS += ["relu of the sum", "one loss squared"]


@pytest.mark.parametrize("how", ONE_LOOP + TWO_LOOPS)
def test_one_loop_exactly_when_no_number_of_the_combination_is_read_first(how: str) -> None:
    # A name the combining lines set that the sweep above the samples reads makes two loops;
    # ``w·x_b`` and ``x́`` are names to Python but not \w words to a regular expression:
    # missed, the sweep read them before their line (a replay at every call), and the
    # backward loop did not keep them.
    w, b = Value(0.3, label="w"), Value(-0.1, label="b")

    def fn(xs: list[Value]) -> Value:
        return combined(how, [((w * x + b).tanh() - 0.25) ** 2 for x in xs], w)

    step = loops_as_the_engine_runs(fn, [w, b], lambda rng: [points(rng, 150)], 21, 1e-4)
    assert (FUSED in step.source) == (how in ONE_LOOP)
    short_lines(step)


@pytest.mark.parametrize("label", ["w·x+b", "x\u0301", "h\u2118"])
def test_a_samples_number_named_outside_word_characters_is_kept_for_the_backward_loop(
    label: str,
) -> None:
    # A product of the losses: two loops, the forward one keeping what the backward one reads
    # (here h, read by h * x's rule). h's variable was ``w·x_b``, which the loop's reader
    # took for ``w`` and ``x_b``: not kept, so every sample's rule read the last sample's h.
    w, b = Value(0.3, label="w"), Value(-0.1, label="b")

    def fn(xs: list[Value]) -> Value:
        total = Value(1.0)
        for x in xs:
            h = (w * x + b).tanh()
            h.label = label
            total = total * (h * x + 1.0)
        return total

    def arguments(rng: random.Random) -> list[Any]:
        return [[rng.uniform(-0.1, 0.1) for _ in range(150)]]

    step = loops_as_the_engine_runs(fn, [w, b], arguments, 22)
    assert "saved.append" in step.source


@pytest.mark.parametrize("length", [10, 30, 36])
def test_an_on_relu_neuron_with_a_long_name_is_a_line_python_reads(length: int) -> None:
    # ``local_h = g_h  # on: relu's slope is 1``: a statement with a comment, which broke
    # inside brackets when too long (``local_h = (g_h  # on: ...)``: a SyntaxError).
    w, v, b = Value(0.5, label="w"), Value(-0.7, label="v"), Value(0.1, label="b")
    label = ("hidden_" * 10)[:length]

    def fn(xs: list[Value]) -> Value:
        outputs = []
        for x in xs:
            h = neuron([w], [x], b, "relu")
            h.label = label
            outputs.append(h * v)
        return Value.sum(outputs)

    step = loops_as_the_engine_runs(fn, [w, v, b], lambda rng: [points(rng, 250)], 23, 0.1)
    assert "relu's slope is 1" in step.source
    rule = [line for line in step.source.splitlines() if "local_" in line or "slope" in line]
    assert rule and max(len(line) for line in rule) <= MAX_LINE


def test_errors_in_one_loop_are_the_engines_whichever_sample_meets_them_first() -> None:
    # One loop runs sample 99's backward before sample 0's forward: a user's rule that
    # raises at sample 99 and a log of a negative at sample 0 must still give the engine's
    # error (the forward's, met first by the engine), with no .grad changed.
    fussy = define_op(
        "audit_fussy",
        lambda x: x,
        lambda g, out, x: (g if x < 5.0 else 1 / 0,),  # the rule refuses x >= 5
    )
    w = Value(0.5, label="w")

    def fn(xs: list[Value]) -> Value:
        return Value.sum([fussy(w * x) * (x + 1.0).log() for x in xs])

    step = compile(fn)
    rng = random.Random(24)
    good = [rng.uniform(0.0, 1.0) for _ in range(100)]
    assert same_as_eager(step, fn, [w], [good])
    assert FUSED in step.source
    for bad in ([-3.0, *good[1:-1], 20.0], [*good[:-1], 20.0], [-3.0, *good[1:]]):
        assert not same_as_eager(step, fn, [w], [bad])
    assert same_as_eager(step, fn, [w], [good[::-1]])
    assert (step.traces, step.replays) == (1, 3)


# -- the loop's names first --------------------------------------------------------------------


def function_code(source: str) -> CodeType:
    """The code object of the generated function in ``source``."""
    module = builtins.compile(source, "<audit>", "exec")
    return next(c for c in module.co_consts if isinstance(c, CodeType))


def declared_names(source: str) -> list[str]:
    lines = source.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith(DECLARED))
    names: list[str] = []
    for line in lines[at + 1 :]:
        if not line.endswith(" = None"):
            break
        names += line.strip().removesuffix(" = None").split(" = ")
    return names


def without_the_declaration(source: str) -> str:
    declared = set(declared_names(source))
    kept = [
        line
        for line in source.splitlines()
        if not (line.endswith(" = None") and set(line.strip().split(" = ")[:-1]) <= declared)
    ]
    return "\n".join(kept) + "\n"


LABELS = ["sum", "list", "zip", "range", "rows", "k", "None", "abs", "tanh", "exp", "check"]
LABELS += ["inputs", "live", "fsum", "isfinite", "neuron_gelu_apply", "saved", "sample"]
LABELS += ["loop_total", "print", "float", "é", "w·x+b", "forward_compile_softclip", "True", "v2"]


@settings(max_examples=20, deadline=None)
@given(
    st.lists(st.sampled_from(LABELS), min_size=5, max_size=5),
    st.sampled_from(["sum", "squared sum"]),
    st.integers(0, 10**6),
)
def test_the_names_declared_first_were_the_functions_own_already(
    labels: list[str], how: str, seed: int
) -> None:
    # ``k = X_i_0 = ... = None`` must only make CPython number first what it would have made
    # a local anyway: a builtin, a function of the namespace (a neuron's, a user's op's) or an
    # argument declared there would be shadowed by None. So the function compiled without
    # the declaration has every declared name among its locals; and its bits are the engine's.
    model = MLP(2, [3, 1], "gelu", seed=seed % 97)
    scale = Value(0.75, label=labels[0])
    live = [*model.parameters(), scale]

    def fn(X: list[list[Value]], y: list[Value]) -> Value:
        losses = []
        for x, t in zip(X, y, strict=True):
            out = model(x)
            assert isinstance(out, Value)
            out.label = labels[1]
            h = compile_softclip(out * scale)
            h.label = labels[2]
            a = abs(h - t)
            a.label = labels[3]
            e = (a * -0.5).exp() * a
            e.label = labels[4]
            losses.append(e)
        total = Value.sum(losses)
        return total * total if how == "squared sum" else total

    step = loops_as_the_engine_runs(fn, live, lambda rng: [rows(rng, 40), points(rng, 40)], seed)
    source = step.source
    assert (FUSED in source) == (how == "sum")
    declared = declared_names(source)
    assert "k" in declared
    before = function_code(without_the_declaration(source))
    assert set(declared) <= set(before.co_varnames), set(declared) - set(before.co_varnames)
    assert not set(declared) & {"inputs", "live"}
    code = function_code(source)
    assert all(code.co_varnames.index(name) < 256 for name in declared)
    short_lines(step)


# -- sums written as sums ----------------------------------------------------------------------

CONSTANTS = [-0.0, 0.0, -1.5, 1e20, -1e-300, 2.5e-8, 3.0, 1.0, -1.0]
STEP = st.tuples(
    st.sampled_from(
        ["+", "*", "+c", "*c", "c+", "c*", "-", "neg", "/c", "c-", "sum", "tanh", "relu"]
    ),
    st.integers(0, 30),
    st.integers(0, 30),
    st.sampled_from(CONSTANTS),
    st.booleans(),  # labelled: never folded
)


def built(steps: list[tuple[str, int, int, float, bool]], pool: list[Value]) -> Value:
    """A chain of sums and products over ``pool`` (each step's result joins the pool), the
    last three results added: as ``+`` and ``*`` nest in code people write."""
    pool = list(pool)
    for i, (kind, a, b, c, labelled) in enumerate(steps):
        x, y = pool[a % len(pool)], pool[b % len(pool)]
        if kind in ("+", "*", "-"):
            node = x + y if kind == "+" else x * y if kind == "*" else x - y
        elif kind in ("+c", "*c"):
            node = x + c if kind == "+c" else x * c
        elif kind in ("c+", "c*"):
            node = c + x if kind == "c+" else c * x
        elif kind == "neg":
            node = -x
        elif kind == "/c":
            node = x / (c or 2.0)
        elif kind == "c-":
            node = c - x
        elif kind == "sum":
            node = Value.sum([x, y, x * y])
        else:
            node = x.tanh() if kind == "tanh" else x.relu()
        if labelled:
            node.label = f"n{i}"
        pool.append(node)
    return pool[-1] + (pool[-2] + pool[-3] * 0.5)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(STEP, min_size=1, max_size=12),
    st.lists(st.floats(-3, 3), min_size=4, max_size=4),
    st.lists(st.lists(SHIFTS, min_size=4, max_size=4), min_size=2, max_size=2),
    st.booleans(),
)
def test_chains_of_sums_and_products_written_as_sums_give_the_engines_bits(
    steps: list[tuple[str, int, int, float, bool]],
    values: list[float],
    moves: list[list[float]],
    second_order: bool,
) -> None:
    # Folded terms beside a `-`, a negation, a division, negative and signed-zero constants,
    # 1e+20, products of two constants (CPython folds those itself), nested sums: every
    # line must be added as the engine adds, left to right. Second order: the gradient's
    # graph (products added up, folded too) inside the function, differentiated again (a
    # relu's branch there is a guard, which may retrace at a moved point).
    live = [Value(x, label=f"p{i}") for i, x in enumerate(values[2:])]

    def fn(xs: list[Value]) -> Value:
        y = built(steps, [*xs, *live, Value(-0.5) * Value(-0.0)])
        if not second_order:
            return y
        slopes = grad(y, [*xs, *live], create_graph=True)
        return y + sum(s * s for s in slopes) * 0.125 + slopes[0] * -1.0

    step = compile(fn)
    failed = 0
    with large():
        for call, move in enumerate([[0.0] * 4, *moves]):
            point = [x + d for x, d in zip(values, move, strict=True)]
            for p, x in zip(live, point[2:], strict=True):
                p.data = x  # an optimizer step, as it were
            failed += not same_as_eager(step, fn, live, [point[:2]])
            if call == 0 and failed:
                return  # the engine refused the first call: nothing was traced
    assert step.replays == failed and (second_order or step.traces == 1)
    short_lines(step)


def test_a_sum_folded_in_the_second_operand_would_be_added_in_another_order() -> None:
    # a + (b + c) is not (a + b) + c in floats: only a `+` that is its user's first operand
    # is written inside it. (1.0 + 1e-16) + 1e-16 is 1.0; 1.0 + (1e-16 + 1e-16) is not.
    w = Value(1e-16, label="w")

    def fn(x: Value) -> Value:
        return (x + (w + w * 1.0)) * (x * x + w * 2.0)  # (x * x + w * 2.0 is folded)

    step = compile(fn)
    with large():
        for x in (3.0, 1.0, -1.0):  # (the first call is the trace, on the engine)
            assert same_as_eager(step, fn, [w], [x])
    assert (step.traces, step.replays) == (1, 0)


@pytest.mark.parametrize(
    ("n", "constant"), [(4 * CHUNK - 1, -0.5), (4 * CHUNK, -0.0), (4 * CHUNK, 1e20), (3000, -0.5)]
)
@pytest.mark.parametrize("form", ["whole", "beside a loop"])
def test_a_long_sum_with_negative_or_odd_constants_is_cut_into_statements(
    n: int, constant: float, form: str
) -> None:
    # sum(p * -0.5 for p in params): each term reads a bracketed literal, ``p * (-0.5)``,
    # which kept the sum from being cut at its + signs: one line of thousands of characters,
    # and past a few thousand terms a RecursionError from CPython's compiler. Beside a loop,
    # the sum is a penalty written before it.
    live = [Value(random.Random(i).uniform(-1, 1), label=f"w{i}") for i in range(n)]

    def fn(xs: list[Value]) -> Value:
        penalty = sum(p * constant for p in live)
        if form == "whole":
            return penalty * xs[0] + (xs[1] * xs[1] + xs[1] * constant)
        return Value.sum([(live[0] * x + live[1]).tanh() ** 2 for x in xs]) + penalty * 1e-3

    step = compile(fn)
    rng = random.Random(n)
    for _ in range(3):
        assert same_as_eager(step, fn, live, [points(rng, 2 if form == "whole" else 300)])
    assert (step.traces, step.replays) == (1, 0)
    assert ("as a loop" in step.source) == (form != "whole")
    short_lines(step)
    assert f"w1 * {literal(constant)}" in step.source


@pytest.mark.parametrize("where", ["in a term", "between two sums", "in the loop's penalty"])
def test_an_overflow_inside_a_folded_sum_is_the_engines_error(where: str) -> None:
    # The engine raises at the node whose number is not finite, naming it; a folded term has
    # no line of its own, so the sum it is in (inf, or nan from inf - inf) must give it away.
    live = [Value(0.5 + 0.001 * i, label=f"w{i}") for i in range(250)]

    def fn(xs: list[Value]) -> Value:
        squares = sum(p * p for p in live)
        if where == "between two sums":
            squares = squares + sum(p * -p for p in live)
        penalty = squares * 0.01
        if where == "in the loop's penalty":
            return Value.sum([(x * live[0]).tanh() ** 2 for x in xs]) + penalty
        return penalty * xs[0] + xs[1]

    step = compile(fn)
    arguments = [points(random.Random(25), 120 if where == "in the loop's penalty" else 2)]
    assert same_as_eager(step, fn, live, arguments)
    assert ("as a loop" in step.source) == (where == "in the loop's penalty")
    for big in (1e155, 1e200, 1e300):
        live[7].data = big
        assert not same_as_eager(step, fn, live, arguments)
    live[7].data = 0.25
    assert same_as_eager(step, fn, live, arguments)
    assert (step.traces, step.replays) == (1, 3)


def test_returned_and_guarded_terms_keep_their_names() -> None:
    # A term that is returned, or compared in a Python branch (a guard), is read by name.
    live = [Value(0.1 * i - 0.7, label=f"w{i}") for i in range(12)]

    def fn(x: Value) -> tuple[Value, list[Value]]:
        terms = [p * x for p in live]
        total = sum(terms[:6]) + sum(terms[6:])
        if terms[3] > 0:  # a guard on a term
            total = total + terms[4] * 2.0
        return total * total, [terms[1], terms[9] + terms[10]]

    step = compile(fn)
    with large():
        for x in (0.5, 0.25, -0.5, -1.0):  # the guard flips once: two traces
            assert same_as_eager(step, fn, live, [x])
    assert (step.traces, step.replays) == (2, 0)
    assert re.search(r"^ {4}\w+ = w3 \* x$", step.source, re.MULTILINE)


def test_a_folded_term_is_explained_by_its_sums_lines_in_the_loop_form_too() -> None:
    model = MLP(2, [4, 1], "tanh", seed=26)
    live = model.parameters()

    def fn(X: list[list[Value]], y: list[Value]) -> Value:
        squares = [p * p for p in live]
        losses = [(model(x) - t) ** 2 for x, t in zip(X, y, strict=True)]
        return Value.sum(losses) + sum(squares) * 1e-3

    step = loops_as_the_engine_runs(fn, live, lambda rng: [rows(rng, 60), points(rng, 60)], 26)
    assert step._latest is not None
    square = [node for node in step._latest.generated.names if node.parents == (live[5],) * 2]
    explained = step.explain(square[0])  # p * p, written inside the penalty's sum
    assert " + " in explained and explained.count(" * ") > 3, explained


@pytest.mark.parametrize("names", [("audit_twice", "audit__twice"), ("audit_ﬁ", "audit_fi")])
def test_two_users_ops_whose_names_make_one_python_name_each_call_their_own(
    names: tuple[str, str],
) -> None:
    # ``forward_audit_twice`` was the name of both forwards (as ``python_name`` makes names,
    # and as Python reads ``ﬁ``): the second op's took the first's place in the namespace,
    # and both nodes called it.
    first = define_op(names[0], lambda x: 2.0 * x, lambda g, out, x: (2.0 * g,))
    second = define_op(names[1], lambda x: 3.0 * x, lambda g, out, x: (g * 3.0 + 0.5,))
    w = Value(0.5, label="w")

    def fn(x: Value) -> Value:
        return first(w * x) + second(w * x * x)

    step = compile(fn)
    for x in (1.0, 2.0, -3.0):
        assert same_as_eager(step, fn, [w], [x])
    assert (step.traces, step.replays) == (1, 0)


@pytest.mark.parametrize("form", ["a loop", "written whole", "small, with formulas"])
def test_long_labels_still_give_lines_of_at_most_100_characters(form: str) -> None:
    # A long label makes long names; a statement too long for a line is broken inside
    # brackets, between its words, and its comment goes above it (codegen._fitted).
    w, v, b = Value(0.5, label="w"), Value(-0.7, label="v"), Value(0.1, label="b")
    label = "activation_of_the_hidden_neuron_in_layer_one"
    n = {"a loop": 250, "written whole": 250, "small, with formulas": 6}[form]

    def fn(xs: list[Value]) -> Value:
        outputs = []
        for i, x in enumerate(xs):
            h = neuron([w], [x], b, "relu")
            h.label = label
            t = (h * v).tanh()
            t.label = f"{label}_squashed"
            outputs.append(t * (i + 1.0) if form == "written whole" else t)  # samples differ
        return Value.sum(outputs)

    step = loops_as_the_engine_runs if form == "a loop" else None
    if step is not None:
        compiled = step(fn, [w, v, b], lambda rng: [points(rng, n)], 29, 0.1)
    else:
        compiled = compile(fn)
        rng = random.Random(29)
        for _ in range(3):
            assert same_as_eager(compiled, fn, [w, v, b], [points(rng, n)])
        assert (compiled.traces, compiled.replays) == (1, 0)
        assert "as a loop" not in compiled.source
    source = compiled.source
    assert max(len(line) for line in source.splitlines()) <= MAX_LINE
    # the relu's line, broken inside brackets: h = (z_h if\n    z_h > 0.0 else 0.0)
    assert re.search(
        rf"^ +{label} = \(\s*z_{label}\s+if\s+z_{label} > 0\.0 else 0\.0\)$", source, re.M
    )
