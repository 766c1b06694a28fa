"""How the commonest ops are written out as Python expressions.

Each `Template` repeats an op of ``ops.py`` operation for operation: the same float
operations in the same order, so the generated code gives the engine's numbers to the last
bit (``tests/test_compile.py`` checks every template against its op on generated inputs). An
op without a template is written as a call of its own forward and rule from the op table,
which is just as exact, only slower; a template is a speed-up, never a new meaning.

The forwards here raise where the engine's raise (``x / 0.0``, ``log(-1.0)``, ``exp(1000.0)``
all raise in plain Python too), and the compiled code then replays the call on the engine to
report the engine's own error. Kinks (relu, abs) are conditional expressions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["TEMPLATES", "Template", "literal"]


def literal(number: float) -> str:
    """``number`` as Python source that reads back as the same float (negatives bracketed)."""
    text = repr(float(number))
    return f"({text})" if text.startswith("-") else text


@dataclass(frozen=True)
class Template:
    """``forward(operands, const)`` is the expression of the result, from the operands'
    expressions (and the op's constant, if it has one); ``derivative(g, out, operands,
    const)`` the expressions of the contributions, one per Value operand, in operand order."""

    forward: Callable[[Sequence[str], float | None], str]
    derivative: Callable[[str, str, Sequence[str], float | None], Sequence[str]]


def _c(const: float | None) -> str:
    assert const is not None
    return literal(const)


def _pow_const_forward(x: Sequence[str], c: float | None) -> str:
    # Only for a whole-number exponent (see TEMPLATES): then x ** c is real for every x.
    return f"{x[0]} ** {_c(c)}"


def _pow_const_derivative(g: str, out: str, x: Sequence[str], c: float | None) -> list[str]:
    assert c is not None
    if c == 0:
        return [f"{g} * 0.0"]
    return [f"{g} * {literal(c)} * {x[0]} ** {literal(c - 1)}"]


def _sign(x: str) -> str:
    return f"(1.0 if {x} > 0 else -1.0 if {x} < 0 else 0.0)"


# fmt: off
TEMPLATES: dict[str, Template] = {
    "add": Template(lambda o, c: f"{o[0]} + {o[1]}", lambda g, out, o, c: [g, g]),
    "sub": Template(lambda o, c: f"{o[0]} - {o[1]}", lambda g, out, o, c: [g, f"-{g}"]),
    "mul": Template(lambda o, c: f"{o[0]} * {o[1]}",
                    lambda g, out, o, c: [f"{g} * {o[1]}", f"{g} * {o[0]}"]),
    "div": Template(lambda o, c: f"{o[0]} / {o[1]}",
                    lambda g, out, o, c: [f"{g} / {o[1]}", f"-{g} * {out} / {o[1]}"]),
    "add_const": Template(lambda o, c: f"{o[0]} + {_c(c)}", lambda g, out, o, c: [g]),
    "sub_const": Template(lambda o, c: f"{o[0]} - {_c(c)}", lambda g, out, o, c: [g]),
    "rsub_const": Template(lambda o, c: f"{_c(c)} - {o[0]}", lambda g, out, o, c: [f"-{g}"]),
    "mul_const": Template(lambda o, c: f"{o[0]} * {_c(c)}",
                          lambda g, out, o, c: [f"{g} * {_c(c)}"]),
    "div_const": Template(lambda o, c: f"{o[0]} / {_c(c)}",
                          lambda g, out, o, c: [f"{g} / {_c(c)}"]),
    "rdiv_const": Template(lambda o, c: f"{_c(c)} / {o[0]}",
                           lambda g, out, o, c: [f"-{g} * {out} / {o[0]}"]),
    "pow_const": Template(_pow_const_forward, _pow_const_derivative),
    "rpow_const": Template(lambda o, c: f"{_c(c)} ** {o[0]}",
                           lambda g, out, o, c: [f"{g} * {out} * {literal(math.log(c or 1.0))}"]),
    "neg": Template(lambda o, c: f"-{o[0]}", lambda g, out, o, c: [f"-{g}"]),
    "abs": Template(lambda o, c: f"abs({o[0]})", lambda g, out, o, c: [f"{g} * {_sign(o[0])}"]),
    "exp": Template(lambda o, c: f"exp({o[0]})", lambda g, out, o, c: [f"{g} * {out}"]),
    "log": Template(lambda o, c: f"log({o[0]})", lambda g, out, o, c: [f"{g} / {o[0]}"]),
    "sqrt": Template(lambda o, c: f"sqrt({o[0]})", lambda g, out, o, c: [f"{g} * 0.5 / {out}"]),
    "tanh": Template(lambda o, c: f"tanh({o[0]})",
                     lambda g, out, o, c: [f"{g} * (1.0 - {out} * {out})"]),
    "sigmoid": Template(lambda o, c: f"sigmoid({o[0]})",
                        lambda g, out, o, c: [f"{g} * {out} * (1.0 - {out})"]),
    "relu": Template(lambda o, c: f"{o[0]} if {o[0]} > 0.0 else 0.0",
                     lambda g, out, o, c: [f"{g} * (1.0 if {out} > 0 else 0.0)"]),
    "sin": Template(lambda o, c: f"sin({o[0]})", lambda g, out, o, c: [f"{g} * cos({o[0]})"]),
    "cos": Template(lambda o, c: f"cos({o[0]})", lambda g, out, o, c: [f"-{g} * sin({o[0]})"]),
    "sum": Template(lambda o, c: f"fsum(({', '.join(o)},))", lambda g, out, o, c: [g] * len(o)),
}
# fmt: on


def usable(name: str, const: float | None) -> bool:
    """Whether op ``name`` (with this constant) is written from its template.

    ``x ** c`` with a fractional ``c`` is a complex number in Python for a negative x, where
    the engine raises: that case calls the op's own forward instead.
    """
    if name == "pow_const":
        return const is not None and float(const).is_integer()
    return name in TEMPLATES
