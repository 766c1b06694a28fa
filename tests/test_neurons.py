"""nn's neuron op: ``act(w · x + b)`` as one node, made with ``define_op`` (nn/neuron.py).

Its forward and rule must be those of the same computation built from the engine's own ops
(``b + w_1 * x_1 + ...`` then ``z.relu()``, ...), to the last bit, at first and second order;
compile's writer must write exactly that (tests/test_compile.py checks compiled networks); a
model's batch is the model per sample.
"""

from __future__ import annotations

import random
import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad, gradcheck
from autograd.define import DefinedOp
from autograd.value import apply
from nn import MLP, Layer, Neuron
from nn.neuron import ACTIVATION_OF, ACTIVATIONS, NEURON_OPS

finite = st.floats(-3.0, 3.0, allow_nan=False)


def _bits(x: float) -> bytes:
    return struct.pack("d", x + 0.0)  # -0.0 and 0.0 alike


def _by_ops(activation: str, ws: list[Value], xs: list[Value], b: Value) -> Value:
    """The same neuron from the engine's own ops: b + w_1 * x_1 + ..., then the activation."""
    z = b
    for w, x in zip(ws, xs, strict=True):
        z = z + w * x
    act = ACTIVATION_OF[activation]
    if not act.scalar:
        return z
    method = getattr(z, act.scalar)
    return method() if act.const is None else method(act.const)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_neuron_op_is_made_with_define_op(activation: str) -> None:
    op = NEURON_OPS[activation]
    assert isinstance(op, DefinedOp) and op.module == "nn.neuron"
    assert op.names == ("w_i", "x_i", "b") and len(op.formula) == 3
    assert op.writer is not None


@pytest.mark.parametrize("activation", ACTIVATIONS)
@given(data=st.lists(st.tuples(finite, finite), min_size=1, max_size=4), bias=finite)
def test_a_neuron_is_its_ops_to_the_last_bit(
    activation: str, data: list[tuple[float, float]], bias: float
) -> None:
    def parts() -> tuple[list[Value], list[Value], Value]:
        return [Value(w) for w, _ in data], [Value(x) for _, x in data], Value(bias)

    ws, xs, b = parts()
    node = apply(NEURON_OPS[activation], (*ws, *xs, b))
    ws2, xs2, b2 = parts()
    plain = _by_ops(activation, ws2, xs2, b2)
    assert _bits(node.data) == _bits(plain.data)
    node.backward()
    plain.backward()
    for one, other in zip([*ws, *xs, b], [*ws2, *xs2, b2], strict=True):
        assert _bits(one.grad) == _bits(other.grad)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_a_neuron_has_right_first_and_second_derivatives(activation: str) -> None:
    op = NEURON_OPS[activation]

    def neuron(w0: Value, w1: Value, x0: Value, x1: Value, b: Value) -> Value:
        return apply(op, (w0, w1, x0, x1, b))

    assert gradcheck(neuron, [0.3, -0.7, 1.1, 0.4, 0.2], order=2)


def test_a_neuron_rule_on_values_builds_a_graph_to_differentiate_again() -> None:
    w, x, b = Value(0.5), Value(1.5), Value(-0.25)
    out = apply(NEURON_OPS["tanh"], (w, x, b))
    (dw,) = grad(out, [w], create_graph=True)
    (d2w,) = grad(dw, [w])
    t = out.data
    assert dw.data == pytest.approx((1 - t * t) * 1.5)
    assert d2w.data == pytest.approx(-2 * t * (1 - t * t) * 1.5 * 1.5)


def test_an_overflowing_neuron_raises_naming_the_op() -> None:
    with pytest.raises(OverflowError, match="neuron_relu"):
        apply(
            NEURON_OPS["relu"], (Value(1e308), Value(1e308), Value(1e308), Value(1e308), Value(0.0))
        )


def test_a_value_that_is_weight_and_input_gets_both_contributions_in_order() -> None:
    a = Value(3.0)
    out = apply(NEURON_OPS["linear"], (a, a, a, Value(2.0), a))  # a*a + a*2 + a
    out.backward()
    assert out.data == 3.0 + 9.0 + 6.0
    assert a.grad == 3.0 + 2.0 + 3.0 + 1.0  # d/dw0 = x0, d/dw1 = x1, d/dx0 = w0, d/db = 1


def test_a_neuron_draws_as_one_box() -> None:
    out = Neuron(3, "tanh", seed=0)([1.0, 2.0, 3.0])
    assert out.op is not None and out.op.symbol == "tanh(w·x+b)"
    assert len(out.parents) == 7


def _grads_after(model: Any, outputs: list[Any]) -> tuple[list[float], list[float]]:
    flat = [o for out in outputs for o in (out if isinstance(out, list) else [out])]
    Value.sum(flat).backward()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    return [o.data for o in flat], grads


@pytest.mark.parametrize(
    "model",
    [
        MLP(2, [16, 16, 1], seed=0),
        MLP(3, [4, 3], activation="tanh", output_activation="sigmoid", seed=1),
        Layer(3, 2, "sigmoid", seed=2),
        Neuron(3, "relu", seed=3),
    ],
    ids=["mlp", "mlp-multi-output", "layer", "neuron"],
)
def test_model_batch_is_model_per_sample_to_the_last_bit(model: Any) -> None:
    rng = random.Random(7)
    X = [[rng.uniform(-2, 2) for _ in range(model.nin)] for _ in range(9)]
    batched = _grads_after(model, model.batch(X))
    per_sample = _grads_after(model, [model(x) for x in X])
    assert batched == per_sample


def test_model_batch_accepts_tuples_and_generators_and_refuses_a_string() -> None:
    model = MLP(2, [3, 1], seed=8)
    X = [(0.5, 1.0), (1.5, -1.0)]
    expected = [model(x).data for x in X]
    assert [o.data for o in model.batch(X)] == expected
    assert [o.data for o in model.batch(x for x in X)] == expected
    with pytest.raises(TypeError, match=r"MLP\.batch: expected a list of samples"):
        model.batch("ab")
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        model.batch([[1.0, 2.0, 3.0]])
