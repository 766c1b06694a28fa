"""What a user op's derivative rule returns is checked on every path: ``backward()`` on both
sweeps, ``grad()`` and ``grad(..., create_graph=True)`` (``autograd/rule_results.py``).

None is "no gradient" (0.0), a number becomes a float, a Value is its number in a plain pass
and stays a Value under create_graph; anything else is an error naming the op and the operand
with every ``.grad`` as it was.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from autograd import Value, define_op, grad
from autograd import backward as reference
from autograd.rule_results import check_contributions

ENGINES: dict[str, Callable[[Value, float], None]] = {
    "reference": reference.backward,
}


def op_returning(result: Callable[[Any, Any], Any], name: str = "odd_rule") -> Any:
    """A one-operand op (forward 3x) whose rule returns ``result(g, x)``."""
    return define_op(name, lambda x: 3 * x, lambda g, out, x: result(g, x))


def small_graph(op: Any) -> tuple[Value, Value, Value]:
    """x, a second leaf w, and a root using op(x) and w; every .grad starts non-zero."""
    x, w = Value(0.5, label="x"), Value(2.0, label="w")
    root = op(x) * w + w
    for node in (x, w, root):
        node.grad = 0.25
    return x, w, root


# -- what is accepted ---------------------------------------------------------------------


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        (lambda g, x: (None,), 0.0),
        (lambda g, x: [g * 3], 6.0),
        (lambda g, x: (int(g) * 3,), 6.0),
        (lambda g, x: (Fraction(3) * Fraction(g),), 6.0),
        (lambda g, x: (True,), 1.0),
    ],
    ids=["None", "list", "int", "Fraction", "bool"],
)
def test_numbers_and_none_become_floats(engine: str, returned: Any, expected: float) -> None:
    op = op_returning(returned)
    x, _, root = small_graph(op)
    ENGINES[engine](root, 1.0)
    assert type(x.grad) is float
    assert x.grad == 0.25 + expected


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_numpy_scalars_become_floats(engine: str) -> None:
    np = pytest.importorskip("numpy")
    op = define_op("np_rule", lambda a, b: a * b, lambda g, out, a, b: (np.float32(g), np.int64(2)))
    a, b = Value(1.0), Value(1.0)
    ENGINES[engine](op(a, b), 1.0)
    assert (type(a.grad), a.grad, type(b.grad), b.grad) == (float, 1.0, float, 2.0)


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_a_value_in_a_plain_backward_is_taken_as_its_number(engine: str) -> None:
    slope = Value(3.0, label="slope")  # the rule closes over a Value
    op = op_returning(lambda g, x: (g * slope,))
    x, _, root = small_graph(op)
    ENGINES[engine](root, 1.0)
    assert type(x.grad) is float and x.grad == 0.25 + 6.0
    assert "grad=6.25" in repr(x)  # repr used to raise: .grad was a node
    assert slope.grad == 0.0  # the Value's own graph is not swept


def test_grad_takes_values_as_numbers_and_create_graph_keeps_them() -> None:
    slope = Value(3.0, label="slope")
    op = op_returning(lambda g, x: (g * slope,))
    x = Value(0.5)
    (plain,) = grad(op(x), [x])
    assert plain.data == 3.0 and plain.op is None  # a new leaf holding the number
    (kept,) = grad(op(x), [x], create_graph=True)
    assert kept.data == 3.0
    (through,) = grad(kept, [slope])  # it is part of the new graph: d(g * slope)/d slope = 1
    assert through.data == 1.0


def test_none_under_create_graph_is_zero() -> None:
    op = op_returning(lambda g, x: (None,))
    x = Value(0.5)
    (derivative,) = grad(op(x) + x, [x], create_graph=True)
    assert derivative.data == 1.0
    (second,) = grad(derivative, [x])
    assert second.data == 0.0


# -- what is refused ----------------------------------------------------------------------

BAD = [
    (lambda g, x: (1j,), TypeError, "returned complex 1j for operand 'x'"),
    (lambda g, x: ("1.0",), TypeError, "returned str '1.0' for operand 'x'"),
    (lambda g, x: ([g],), TypeError, "returned list .* for operand 'x'"),
    (lambda g, x: (Decimal(1),), TypeError, "returned Decimal"),
    (lambda g, x: {"x": g}, TypeError, "must return a sequence .* got dict"),
    (lambda g, x: (g for _ in range(1)), TypeError, "must return a sequence .* got generator"),
    (lambda g, x: "g", TypeError, "must return a sequence .* got str"),
    (lambda g, x: g, TypeError, "must return a sequence .* got (float|Value)"),
    (lambda g, x: (g, g), ValueError, "returned 2 contributions for 1 operand"),
    (lambda g, x: (), ValueError, "returned 0 contributions for 1 operand"),
    (lambda g, x: (10**400,), OverflowError, r"returned 1000.* for operand 'x': it is not finite"),
    (lambda g, x: (math.inf,), OverflowError, "returned inf for operand 'x'"),
    (lambda g, x: (math.nan,), OverflowError, "returned nan for operand 'x'"),
]
BAD_IDS = [
    "complex",
    "str",
    "list",
    "Decimal",
    "dict",
    "generator",
    "str-whole",
    "bare-number",
    "too-many",
    "none",
    "10**400",
    "inf",
    "nan",
]


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize(("returned", "error", "message"), BAD, ids=BAD_IDS)
def test_backward_refuses_a_bad_result_naming_op_and_operand(
    engine: str, returned: Any, error: type[Exception], message: str
) -> None:
    op = op_returning(returned, "badrule")
    x, w, root = small_graph(op)
    with pytest.raises(error, match=f"badrule: .*{message}"):
        ENGINES[engine](root, 1.0)
    assert (x.grad, w.grad, root.grad) == (0.25, 0.25, 0.25)  # nothing half-changed


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize(("returned", "error", "message"), BAD, ids=BAD_IDS)
def test_grad_refuses_a_bad_result(
    create_graph: bool, returned: Any, error: type[Exception], message: str
) -> None:
    op = op_returning(returned, "badrule")
    x = Value(0.5)
    with pytest.raises(error, match=f"badrule: .*{message}"):
        grad(op(x) * 2, [x], create_graph=create_graph)
    assert x.grad == 0.0


def test_a_variadic_op_names_the_operand_by_position() -> None:
    op = define_op("varsum", lambda *xs: sum(xs), lambda g, out, *xs: [g, "no", g])
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    with pytest.raises(TypeError, match=r"varsum: .* for operand xs\[1\]"):
        op(a, b, c).backward()


# -- the function the sweeps (and autograd.compile) call -----------------------------------


def test_check_contributions_cleans_without_changing_its_input() -> None:
    op = op_returning(lambda g, x: (g,), "clean")
    value = Value(4.0)
    given = (None, 2, value)
    three = define_op("three", lambda a, b, c: a, lambda g, out, a, b, c: given)
    assert check_contributions(three.op, given, 3, as_values=False) == [0.0, 2.0, 4.0]
    kept = check_contributions(three.op, given, 3, as_values=True)
    assert kept[2] is value and given == (None, 2, value)
    with pytest.raises(ValueError, match="clean: its derivative rule returned 2 contributions"):
        check_contributions(op.op, (1.0, 2.0), 1, as_values=False)


def test_built_in_rules_are_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    # A built-in op is trusted (its tests check its rule): the sweep does not call
    # check_contributions for it; a user op's results always go through it.
    calls: list[str] = []

    def spy(op: Any, contributions: Any, n: int, as_values: bool) -> list[Any]:
        calls.append(op.name)
        return check_contributions(op, contributions, n, as_values)

    monkeypatch.setattr(reference, "check_contributions", spy)
    user = op_returning(lambda g, x: (g,), "checked")
    for run in ENGINES.values():
        run((Value(2.0) * Value(3.0)).tanh() + 1.0, 1.0)
        run(user(Value(1.0)).exp(), 1.0)
    grad(user(Value(1.0)) * Value(2.0), [], create_graph=True)
    assert calls == ["checked"] * 2
