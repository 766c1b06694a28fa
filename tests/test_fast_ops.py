"""The operators' fast twins (``autograd/fast_ops.py``) against ``value.py``'s own methods.

The contract: whatever the operands, a twin gives what the reference method gives: the same
graph node for node and bit for bit (data, op, constant, label, parents), or the same error
with the same message, or ``NotImplemented``. Checked on generated expressions and on a table
of ordinary and hostile operands, with gradients recorded and under ``no_grad()``.
"""

from __future__ import annotations

import inspect
import math
import os
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction

import pytest
from hypothesis import given, settings

from autograd import Value, fast_ops, fused, no_grad, topological_order
from autograd.testing import Expression, expressions


def bits(x: object) -> object:
    return struct.pack("<d", x) if type(x) is float else x


@contextmanager
def operators(kind: str) -> Iterator[None]:
    """Value's methods set to the twins or to value.py's own for the block, then as before."""
    was = fast_ops.installed()
    (fast_ops.install if kind == "twins" else fast_ops.uninstall)()
    try:
        yield
    finally:
        (fast_ops.install if was else fast_ops.uninstall)()


def graph(root: object) -> object:
    """Everything about the graph under ``root`` that a twin could get wrong."""
    if not isinstance(root, Value):
        return ("not a node", root)
    nodes = topological_order(root)
    index = {id(node): i for i, node in enumerate(nodes)}
    return [
        (
            type(node),
            bits(node.data),
            node.grad,
            node.op,
            bits(node.const),
            node.label,
            tuple(index[id(p)] for p in node.parents),
        )
        for node in nodes
    ]


def outcome(make: Callable[[], object]) -> object:
    """The graph ``make()`` builds, or the error it raises (type and message)."""
    try:
        return graph(make())
    except Exception as error:  # the error itself is what is compared
        return ("raised", type(error), str(error))


def both(make: Callable[[], object]) -> tuple[object, object]:
    with operators("twins"):
        twins = outcome(make)
    with operators("reference"):
        reference = outcome(make)
    return twins, reference


@settings(max_examples=2 * settings.default.max_examples)
@given(expressions(variables=3))
def test_generated_expressions_build_the_same_graph_both_ways(expr: Expression) -> None:
    twins, reference = both(lambda: expr(*expr.leaves()))
    assert twins == reference, str(expr)


def operands() -> list[object]:
    numbers: list[object] = [2.5, -0.0, 3, -7, 0, True, Fraction(1, 3), 10**400, 1e308]
    numbers += [math.inf, -math.inf, math.nan, "x", None, [1.0]]
    try:
        import numpy as np
    except ImportError:
        pass
    else:
        numbers += [np.float64(1.5), np.float32(0.5), np.int64(4)]
    return numbers


SELVES = [1.5, -2.0, 0.0, -0.0, 1e308, -1e-300, 710.0, 3.0]


@pytest.mark.parametrize("recording", [True, False])
@pytest.mark.parametrize("name", [n for n in fast_ops.TWINS if n not in ("sum", "dot")])
def test_every_twin_matches_its_method_on_hostile_operands(name: str, recording: bool) -> None:
    unary = len(inspect.signature(fast_ops.REFERENCE_METHODS[name]).parameters) == 1
    others: list[object] = [None] if unary else [*operands(), "Value(-1.5)", "Value(0.0)"]
    for data in SELVES:
        for other in others:

            def make(data: float = data, other: object = other) -> object:
                x = Value(data, label="x")
                method = getattr(x, name)
                if unary:
                    return method()
                if other in ("Value(-1.5)", "Value(0.0)"):
                    other = Value(-1.5 if other == "Value(-1.5)" else 0.0, label="y")
                return method(other)

            if recording:
                twins, reference = both(make)
            else:
                with no_grad():
                    twins, reference = both(make)
            assert twins == reference, (name, data, other)


def test_number_operators_that_python_reflects_give_the_same_errors() -> None:
    for make in (
        lambda: Value(1.0) + "x",
        lambda: "x" * Value(2.0),
        lambda: [1.0] - Value(1.0),
        lambda: Value(1.0) / 0,
        lambda: 0.0 ** Value(-1.0),
        lambda: Value(-8.0) ** (1 / 3),
    ):
        twins, reference = both(make)
        assert twins == reference
        assert twins[0] == "raised"  # type: ignore[index]


@pytest.mark.parametrize("recording", [True, False])
def test_sum_and_dot_match_on_mixed_and_hostile_operands(recording: bool) -> None:
    def leaves() -> list[Value]:
        return [Value(1.5, label="a"), Value(-2.0, label="b"), Value(1e308, label="c")]

    cases: list[Callable[[], object]] = [
        lambda: Value.sum(leaves()[:2]),
        lambda: Value.sum(iter(leaves()[:2])),  # a generator: read once, also on the way back
        lambda: Value.sum([*leaves()[:2], 3.0]),
        lambda: Value.sum([]),
        lambda: Value.sum([leaves()[2], leaves()[2]]),  # overflows
        lambda: Value.sum([leaves()[0], "x"]),
        lambda: Value.dot(leaves()[:2], leaves()[:2]),
        lambda: Value.dot(leaves()[:2], [2.0, 3.0]),
        lambda: Value.dot([], []),
        lambda: Value.dot(leaves()[:2], leaves()[:1]),
        lambda: Value.dot(leaves()[1:], leaves()[1:]),  # overflows
        lambda: Value.dot(iter(leaves()), iter(leaves())),
    ]
    for make in cases:
        if recording:
            twins, reference = both(make)
        else:
            with no_grad():
                twins, reference = both(make)
        assert twins == reference


def test_a_neuron_and_a_parameter_are_operands_like_any_value() -> None:
    from nn import Parameter

    def make() -> object:
        w, b = (Parameter(0.5, label="w"),), Parameter(0.1, label="b")
        n = fused.neuron(w, [2.0], b, "tanh")
        return (n * w[0] + 1).relu() - b / 2

    twins, reference = both(make)
    assert twins == reference


def test_the_twins_are_installed_unless_the_reference_engine_was_asked_for() -> None:
    reference_run = os.environ.get("GLASSGRAD_ENGINE") == "reference"
    assert fast_ops.installed() is not reference_run
    for env, module in (("reference", "autograd.value"), ("fast", "autograd.fast_ops")):
        code = "import autograd; print(autograd.Value.__mul__.__module__)"
        done = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "GLASSGRAD_ENGINE": env},
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout.strip() == module


def test_install_and_uninstall_swap_every_method() -> None:
    with operators("reference"):
        assert not fast_ops.installed()
        for name, method in fast_ops.REFERENCE_METHODS.items():
            assert vars(Value)[name] is method
        assert '_binary(OPS["mul"]' in inspect.getsource(Value.__mul__)
    with operators("twins"):
        assert fast_ops.installed()
        for name, twin in fast_ops.TWINS.items():
            assert vars(Value)[name] is twin
