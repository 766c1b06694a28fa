"""The templates of ``autograd.compile`` (``compiler/templates.py``) against the op table.

A template writes an op as a Python expression; it must give the op's forward and its
derivative rule (``OPS[name].forward`` / ``.derivative``) to the last bit, and raise (or
give a number that is not finite, which makes the compiled code replay the call) wherever
the op's forward or rule raises. Operands come in as variables and as literals (a constant
of the graph is written as a literal, perhaps a bracketed negative one), so a precedence
mistake in a template shows too.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd.compiler.codegen import generate
from autograd.compiler.templates import TEMPLATES, literal, usable
from autograd.compiler.trace import trace
from autograd.ops import OPS

# The names the generated code sees (math's functions, the engine's sigmoid, ...): taken
# from a real generated module, so that the templates are evaluated exactly as they run.
NAMESPACE = generate(trace(lambda x: x * 2.0, [1.0], ["x"])).namespace

# Ops whose forward handles a case their template gives up on: fsum raises when a partial
# sum overflows (1e308 + 1e308 - 1e308), where the sum op may add exactly.
DOES_MORE = {"sum"}

ONE_VALUE = sorted(
    name for name in TEMPLATES if OPS[name].constant is None and len(OPS[name].names) == 1
)
TWO_VALUES = sorted(name for name in TEMPLATES if OPS[name].names == ("a", "b"))
WITH_CONSTANT = sorted(name for name in TEMPLATES if OPS[name].constant is not None)


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def floats() -> st.SearchStrategy[float]:
    """Any finite float, with the interesting ones (0, -0, 1, huge, tiny) often."""
    special = st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1e-300, -1e-300, 1e300, 710.0])
    return st.one_of(
        special,
        st.floats(-20, 20, allow_subnormal=False),
        st.floats(allow_nan=False, allow_infinity=False),
    )


def evaluate(expression: str, names: dict[str, float]) -> float:
    result: float = eval(expression, dict(NAMESPACE), names)  # our own templates' text
    return result


def operands_as(forms: Sequence[bool], values: Sequence[float]) -> tuple[list[str], dict[str, Any]]:
    """The operands' expressions (a variable, or the number as a literal) and the variables."""
    texts, names = [], {}
    for i, (as_literal, x) in enumerate(zip(forms, values, strict=True)):
        if as_literal:
            texts.append(literal(x))
        else:
            texts.append(f"x{i}")
            names[f"x{i}"] = x
    return texts, names


def check_forward(name: str, values: list[float], const: float | None, forms: list[bool]) -> Any:
    """The template's forward against the op's: the same bits, or both fail. The op's result."""
    op = OPS[name]
    arguments = [*values, *([const] if const is not None else [])]
    texts, names = operands_as(forms, values)
    expression = TEMPLATES[name].forward(texts, const)
    try:
        expected = op.forward(*arguments)
    except (ArithmeticError, ValueError):
        expected = None
    try:
        got = evaluate(expression, names)
    except (ArithmeticError, ValueError):
        got = None
    where = f"{name}{tuple(arguments)}: {expression}"
    if expected is None or not math.isfinite(expected):
        # The engine refuses (apply() refuses a result that is not finite): the generated
        # code must not return a finite number, which would be passed on silently.
        assert got is None or not math.isfinite(got), where
        return None
    if got is None:  # the template raised where the op did not: the compiled call is then
        # replayed on the engine (slower, the same numbers). Only where the op does more:
        assert name in DOES_MORE, where
        return expected
    assert bits(got) == bits(expected), where
    return expected


def check_derivative(
    name: str, values: list[float], const: float | None, forms: list[bool], g: float
) -> None:
    """The template's contributions against the op's rule, at a point where forward works."""
    out = check_forward(name, values, const, forms)
    if out is None:
        return
    op = OPS[name]
    texts, names = operands_as(forms, values)
    names.update(g=g, out=out)
    expressions = TEMPLATES[name].derivative("g", "out", texts, const)
    arguments = [*values, *([const] if const is not None else [])]
    try:
        expected: list[float] | None = [float(c) for c in op.derivative(g, out, *arguments)]
    except (ArithmeticError, ValueError):
        expected = None
    try:
        got: list[float] | None = [evaluate(e, names) for e in expressions]
    except (ArithmeticError, ValueError):
        got = None
    where = f"{name}'{tuple(arguments)} g={g!r}: {expressions}"
    if expected is None or not all(math.isfinite(c) for c in expected):
        assert got is None or not all(math.isfinite(c) for c in got), where
        return
    assert got is not None, where
    assert [bits(c) for c in got] == [bits(c) for c in expected], where


def test_every_template_is_an_op_of_the_table_with_its_operands() -> None:
    for name in TEMPLATES:
        assert name in OPS, name
    assert set(TEMPLATES) == {*ONE_VALUE, *TWO_VALUES, *WITH_CONSTANT, "sum"}


@settings(max_examples=3 * settings.default.max_examples)
@given(st.sampled_from(ONE_VALUE), floats(), floats(), st.booleans())
def test_one_operand_templates_equal_their_op(
    name: str, x: float, g: float, as_literal: bool
) -> None:
    check_derivative(name, [x], None, [as_literal], g)


@settings(max_examples=3 * settings.default.max_examples)
@given(
    st.sampled_from(TWO_VALUES),
    floats(),
    floats(),
    floats(),
    st.lists(st.booleans(), min_size=2, max_size=2),
)
def test_two_operand_templates_equal_their_op(
    name: str, a: float, b: float, g: float, forms: list[bool]
) -> None:
    check_derivative(name, [a, b], None, forms, g)


def constants(name: str) -> st.SearchStrategy[float]:
    """The constants the engine lets an op have (a trace never holds any other)."""
    if name == "pow_const":  # written from its template only for a whole exponent
        return st.integers(-4, 5).map(float)
    if name == "rpow_const":  # a Value exponent needs a positive base
        return st.one_of(st.sampled_from([0.5, 2.0, math.e, 10.0]), st.floats(1e-3, 50))
    if name == "div_const":
        return floats().filter(lambda c: c != 0.0)
    return floats()


@settings(max_examples=3 * settings.default.max_examples)
@given(st.sampled_from(WITH_CONSTANT), st.data(), floats(), floats(), st.booleans())
def test_templates_with_a_constant_equal_their_op(
    name: str, data: st.DataObject, x: float, g: float, as_literal: bool
) -> None:
    const = data.draw(constants(name), label="const")
    assert usable(name, const)
    check_derivative(name, [x], const, [as_literal], g)


@given(st.lists(floats(), min_size=1, max_size=6), floats(), st.data())
def test_the_sum_template_equals_the_sum_op(xs: list[float], g: float, data: Any) -> None:
    forms = data.draw(st.lists(st.booleans(), min_size=len(xs), max_size=len(xs)))
    check_derivative("sum", xs, None, forms, g)


@pytest.mark.parametrize(
    ("name", "values", "const"),
    [
        ("exp", [709.782712893384], None),  # the engine's limit: exp of it is finite
        ("exp", [math.nextafter(709.782712893384, 1000.0)], None),
        ("exp", [710.0], None),
        ("log", [0.0], None),
        ("log", [-0.0], None),
        ("log", [-1.0], None),
        ("sqrt", [-1e-300], None),
        ("sqrt", [-0.0], None),
        ("div", [1.0, 0.0], None),
        ("div", [0.0, -0.0], None),
        ("rdiv_const", [0.0], 3.0),
        ("pow_const", [0.0], -1.0),
        ("pow_const", [-0.0], -3.0),
        ("pow_const", [1e200], 2.0),
        ("pow_const", [-2.0], 3.0),
        ("rpow_const", [2000.0], 2.0),
        ("rpow_const", [-2000.0], 2.0),
        ("mul", [1e200, 1e200], None),
        ("sum", [1e308, 1e308, -1e308], None),
        ("relu", [-0.0], None),
        ("abs", [-0.0], None),
    ],
)
def test_templates_fail_where_their_op_fails(
    name: str, values: list[float], const: float | None
) -> None:
    for forms in ([False] * len(values), [True] * len(values)):
        check_derivative(name, values, const, forms, 1.0)


@given(floats())
def test_a_literal_reads_back_as_the_same_float(x: float) -> None:
    assert bits(eval(literal(x))) == bits(x)
    assert bits(eval(f"2.0 ** {literal(x)}" if abs(x) < 100 else literal(x))) == bits(
        2.0**x if abs(x) < 100 else x
    )


def test_a_fractional_power_is_not_written_from_the_template() -> None:
    # (-8.0) ** (1/3) is a complex number in Python, where the engine raises.
    assert usable("pow_const", 2.0) and usable("pow_const", -1.0)
    assert not usable("pow_const", 0.5) and not usable("pow_const", None)
    assert usable("tanh", None) and not usable("gelu", None)
