"""Fused neuron nodes built a layer or a batch at a time, and the fast paths that use them.

`fused.layer` and `fused.layer_batch` must build exactly the nodes `fused.neuron` builds;
backward() runs a neuron's rule on the floats the node kept (in `_sweep_into_grads`) and
walks its parents in parts; `model.batch(X)` must equal `[model(x) for x in X]`. Each of
these is checked here against the plain version, to the last bit.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, fused, grad, topological_order
from autograd.fast import walk as _op_nodes_and_leaves
from autograd.ops import ACTIVATIONS
from autograd.testing import Expression, expressions, finite_floats
from nn import MLP, Layer, Neuron


def _layer_parameters(
    n_in: int, n_out: int, seed: int
) -> tuple[list[tuple[Value, ...]], list[Value]]:
    rng = random.Random(seed)
    weights = [tuple(Value(rng.uniform(-1, 1)) for _ in range(n_in)) for _ in range(n_out)]
    biases = [Value(rng.uniform(-0.5, 0.5)) for _ in range(n_out)]
    return weights, biases


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_neurons_builds_the_nodes_neuron_builds(activation: str) -> None:
    weights, biases = _layer_parameters(3, 4, seed=1)
    x = [Value(0.5), Value(-1.25), 2.0]
    layer = fused.layer(weights, x, biases, activation)
    one_by_one = [fused.neuron(w, x, b, activation) for w, b in zip(weights, biases, strict=True)]
    assert [n.data for n in layer] == [n.data for n in one_by_one]
    assert [n.op for n in layer] == [n.op for n in one_by_one]
    for node, w, b in zip(layer, weights, biases, strict=True):
        assert node.parents[:3] == w and node.parents[-1] is b
        assert node.parents[3:5] == (x[0], x[1])
    # A number input becomes one leaf that every neuron of the layer shares.
    shared = {id(n.parents[5]) for n in layer}
    assert len(shared) == 1 and layer[0].parents[5].data == 2.0


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_neurons_batch_is_neurons_for_each_sample(activation: str) -> None:
    weights, biases = _layer_parameters(2, 3, seed=2)
    samples = [[0.5, -1.0], [Value(2.0), 0.0], [-0.25, 0.75]]
    batch = fused.layer_batch(weights, samples, biases, activation)
    assert len(batch) == len(samples)
    for nodes, x in zip(batch, samples, strict=True):
        alone = fused.layer(weights, x, biases, activation)
        assert [n.data for n in nodes] == [n.data for n in alone]


def test_rows_read_earlier_build_the_nodes_layer_batch_builds_then() -> None:
    weights, biases = _layer_parameters(2, 3, seed=5)
    samples = [[0.5, -1.0], [2.0, 0.25]]
    rows = fused.read_rows(weights, biases)
    expected = fused.layer_batch(weights, samples, biases, "tanh")
    weights[0][0].data = 9.0  # changed after the rows were read: they keep the old number
    got = fused.layer_batch_from_rows(rows, samples, "tanh")
    assert [[n.data for n in nodes] for nodes in got] == [
        [n.data for n in nodes] for nodes in expected
    ]
    node: Any = got[0][0]
    assert node.weights is weights[0] and node.weight_data == rows[0][1]
    assert node.weight_data[0] != 9.0
    with pytest.raises(TypeError, match=r"read_rows: weights\[1\]\[0\] must be a Value"):
        fused.read_rows([weights[0], (0.5, 1.0)], biases[:2])


def test_a_batch_shares_each_weight_tuple_across_samples() -> None:
    weights, biases = _layer_parameters(2, 2, seed=3)
    batch = fused.layer_batch(weights, [[1.0, 2.0], [3.0, 4.0]], biases, "tanh")
    first, second = batch
    saved: list[Any] = [first[0], second[0]]
    assert saved[0].weights is saved[1].weights is weights[0]
    assert saved[0].inputs is not saved[1].inputs  # each sample has its own inputs
    layer_nodes: list[Any] = first
    assert layer_nodes[0].inputs is layer_nodes[1].inputs  # shared by the layer's neurons
    # Shared, so read-only: what a node was computed from cannot be changed through it.
    for name in ("weights", "inputs", "bias", "weight_data", "input_data", "bias_data"):
        with pytest.raises(AttributeError):
            setattr(saved[0], name, None)


def test_empty_layer_and_empty_batch() -> None:
    assert fused.layer([], [1.0, 2.0], [], "relu") == []
    weights, biases = _layer_parameters(2, 2, seed=4)
    assert fused.layer_batch(weights, [], biases, "relu") == []


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda w, b: fused.layer(w, [1.0], b), ValueError, "2 weights per neuron but 1 inputs"),
        (lambda w, b: fused.layer(w[:1], [1.0, 2.0], b), ValueError, "1 rows of weights but 2"),
        (
            lambda w, b: fused.layer([w[0], (w[1][0],)], [1.0, 2.0], b),
            ValueError,
            "neuron 1 has 1 weights but neuron 0 has 2",
        ),
        (
            lambda w, b: fused.layer([w[0], (w[1][0], 0.5)], [1.0, 2.0], b),
            TypeError,
            r"weights\[1\]\[1\] must be a Value, got 0.5",
        ),
        (
            lambda w, b: fused.layer(w, [1.0, 2.0], [b[0], 0.0]),
            TypeError,
            r"biases\[1\] must be a Value, got 0.0",
        ),
        (
            lambda w, b: fused.neuron([w[0][0], "w"], [1.0, 2.0], b[0]),
            TypeError,
            r"neuron: weights\[1\] must be a Value, got 'w'",
        ),
        (
            lambda w, b: fused.layer(w, [1.0, float("nan")], b),
            ValueError,
            "layer: input: expected a finite number",
        ),
        (lambda w, b: fused.layer(w, [1.0, 2.0], b, "swish"), ValueError, "'swish'"),
    ],
)
def test_bad_layers_are_refused_naming_the_argument(call: Any, error: type, message: str) -> None:
    weights, biases = _layer_parameters(2, 2, seed=5)
    with pytest.raises(error, match=message):
        call(weights, biases)


def test_an_overflowing_neuron_raises_naming_the_op() -> None:
    with pytest.raises(OverflowError, match=r"relu\(w·x\+b\): w · x \+ b is inf"):
        fused.neuron([Value(1e308), Value(1e308)], [1e308, 1e308], Value(0.0), "relu")


def test_a_neuron_node_keeps_the_numbers_it_was_computed_from() -> None:
    # Like PyTorch's saved tensors: changing a weight after the forward pass does not change
    # the gradients of that forward pass, which stay those of the point it was evaluated at.
    w, x, b = Value(2.0), Value(3.0), Value(0.5)
    out = fused.neuron([w], [x], b, "tanh")
    w.data = 100.0
    out.backward()
    slope = 1 - out.data**2
    assert (w.grad, x.grad, b.grad) == (slope * 3.0, slope * 2.0, slope)
    assert out.rule_operands() == [2.0, 3.0, 0.5]


@given(
    st.lists(finite_floats(-3, 3), min_size=7, max_size=7),
    st.sampled_from(ACTIVATIONS),
    finite_floats(-2, 2),
)
def test_the_backward_fast_path_is_the_rule_to_the_last_bit(
    numbers: list[float], activation: str, g: float
) -> None:
    weights = [Value(v) for v in numbers[:3]]
    inputs = [Value(v) for v in numbers[3:6]]
    bias = Value(numbers[6])
    node = fused.neuron(weights, inputs, bias, activation)
    node.backward(g)  # the leaves start at 0.0, so each .grad is the one contribution
    fast = [p.grad for p in node.parents]
    assert node.op is not None
    contributions = list(node.op.derivative(g, node.data, *node.rule_operands()))
    assert fast == contributions


def test_a_value_that_is_weight_and_input_gets_both_contributions_in_order() -> None:
    a = Value(1.5)
    out = fused.neuron([a, a], [a, Value(2.0)], a, "linear")  # a*a + a*2 + a
    out.backward()
    assert a.grad == 1.5 + 2.0 + 1.5 + 1.0  # as w_1 (x_1 = a), w_2 (x_2 = 2), x_1 (w_1 = a), b


def _reference_op_nodes(root: Value) -> list[Value]:
    return [node for node in topological_order(root) if node.parents]


@given(expressions(variables=3))
def test_the_backward_walk_visits_op_nodes_in_topological_order(expr: Expression) -> None:
    root = expr(*expr.leaves())
    order, leaves = _op_nodes_and_leaves(root)
    if not root.parents:
        assert (order, leaves) == ([], [root])
        return
    assert order == _reference_op_nodes(root)
    assert leaves == [node for node in topological_order(root) if not node.parents]


def _assert_walk_is_the_plain_walk(root: Value) -> None:
    order, leaves = _op_nodes_and_leaves(root)
    assert order == _reference_op_nodes(root)
    assert leaves == [node for node in topological_order(root) if not node.parents]


def test_the_backward_walk_of_a_batch_graph_matches_the_plain_walk() -> None:
    model = MLP(2, [5, 4, 1], seed=6)
    outputs = model.batch([[0.1 * i, -0.2 * i] for i in range(12)])
    _assert_walk_is_the_plain_walk(Value.sum(outputs))


def _two_layers(seed: int) -> tuple[Any, Any]:
    rng = random.Random(seed)
    first = _layer_parameters(2, 3, seed=rng.randrange(100))
    second = _layer_parameters(3, 2, seed=rng.randrange(100))
    return first, second


@given(
    st.integers(0, 10**6),
    st.integers(1, 5),
    st.sampled_from(["before", "after", "none"]),
    st.booleans(),
    st.booleans(),
)
def test_the_walk_places_whole_layers_only_where_the_plain_walk_would(
    seed: int, n_samples: int, hidden_also_used: str, computed_weights: bool, no_grad_first: bool
) -> None:
    # Layers built by neurons_batch are placed as a whole (LayerOutputs); a hidden node that
    # the root also reads, weights that are op nodes, or a first layer built without
    # recording must all give the plain walk's order, op nodes and leaves alike.
    from autograd import no_grad

    (w1, b1), (w2, b2) = _two_layers(seed)
    if computed_weights:
        w2 = [tuple(w * 0.5 for w in row) for row in w2]
    samples = [[0.3 * i - 0.2, 0.1 * i + 0.4] for i in range(n_samples)]
    if no_grad_first:
        with no_grad():
            hidden = fused.layer_batch(w1, samples, b1, "tanh")
    else:
        hidden = fused.layer_batch(w1, samples, b1, "tanh")
    outputs = fused.layer_batch(w2, hidden, b2, "relu")
    terms = [node for nodes in outputs for node in nodes]
    if hidden_also_used == "before":
        terms.insert(0, hidden[-1][1] * 2.0)
    elif hidden_also_used == "after":
        terms.append(hidden[0][2] * 2.0)
    _assert_walk_is_the_plain_walk(Value.sum(terms))


def test_a_layer_read_by_two_layers_is_walked_as_the_plain_walk_does() -> None:
    (w1, b1), (w2, b2) = _two_layers(seed=11)
    hidden = fused.layer_batch(w1, [[0.5, -1.0], [2.0, 0.25]], b1, "tanh")
    left = fused.layer_batch(w2, hidden, b2, "relu")
    right = fused.layer_batch(w2, hidden, b2, "sigmoid")
    root = Value.sum([*left[0], *right[1], *right[0], *left[1]])
    _assert_walk_is_the_plain_walk(root)
    root.backward()  # and the gradients are those of the plain sweep's order, to the bit
    grads = [p.grad for row in w1 for p in row]
    assert [g.data for g in grad(root, [p for row in w1 for p in row])] == grads


def test_neurons_batch_gives_layer_outputs_that_remember_their_inputs() -> None:
    from autograd import no_grad
    from autograd.fused import LayerOutputs

    (w1, b1), (w2, b2) = _two_layers(seed=5)
    hidden = fused.layer_batch(w1, [[1.0, 2.0], [3.0, 4.0]], b1, "tanh")
    assert all(type(nodes) is LayerOutputs and len(nodes) == 3 for nodes in hidden)
    first: Any = hidden[0][0]
    assert hidden[0].inputs is first.inputs and hidden[0].rows is hidden[1].rows
    # As the next layer's inputs they are kept as they are, not copied.
    outputs = fused.layer_batch(w2, hidden, b2, "relu")
    node: Any = outputs[1][0]
    assert node.inputs is hidden[1]
    with no_grad():
        plain = fused.layer_batch(w1, [[1.0, 2.0]], b1, "tanh")
    assert plain[0].inputs is None and plain[0].rows is None
    # fused.layer and nn's layers still give lists.
    assert type(fused.layer(w1, [1.0, 2.0], b1, "tanh")) is list
    assert type(Layer(2, 3, seed=1).batch([[1.0, 2.0]])[0]) is list
    assert type(MLP(2, [3, 2], seed=1).batch([[1.0, 2.0]])[0]) is list


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
