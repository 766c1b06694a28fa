"""nn.Layer keeps its weights' numbers between calls while no Parameter changes.

Calling a model on one sample at a time (``model(x)``, as micrograd's demo does) would read
every weight once per sample; a `Layer` instead keeps the rows ``autograd.fused.read_rows``
gave it until `nn.module.parameters_version` moves, which every set of a Parameter's ``.data``
does. These tests change parameters every way a user can and check that the model always
computes with the current numbers, exactly as a model that never kept anything.
"""

from __future__ import annotations

import copy
import pickle
import struct
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, fused
from nn import MLP, Layer, Parameter
from nn.module import parameters_version
from nn.optim import SGD


def bits(x: float) -> bytes:
    """The float's bytes (0.0 and -0.0 alike), for comparisons to the last bit."""
    return struct.pack("<d", x + 0.0)


def fresh_forward(model: MLP, x: list[float]) -> list[float]:
    """The model's outputs computed from its parameters' numbers now, nothing kept."""
    values: list[Value | float] = list(x)
    for stage in model.layers:
        weights = [n.w for n in stage.neurons]
        biases = [n.b for n in stage.neurons]
        values = list(fused.layer(weights, values, biases, stage.activation))
    return [v.data for v in values if isinstance(v, Value)]


def outputs(model: MLP, x: list[float]) -> list[float]:
    out = model(x)
    return [v.data for v in (out if isinstance(out, list) else [out])]


def test_rows_are_kept_until_a_parameter_changes() -> None:
    model = MLP(2, [3, 1], seed=0)
    first = model.layers[0]
    model([0.5, -1.0])
    rows = first._rows()
    assert first._rows() is rows  # nothing changed: not read again
    model([2.0, 1.0])
    assert first._rows() is rows
    before = parameters_version()
    model.layers[1].neurons[0].b.data = 0.25  # any parameter, even of another layer
    assert parameters_version() != before
    assert first._rows() is not rows


def test_reading_a_parameter_or_setting_its_grad_is_no_change() -> None:
    p = Parameter(1.5, label="w0")
    before = parameters_version()
    assert p.data == 1.5
    p.grad = 3.0
    _ = p * p
    assert parameters_version() == before
    p.data -= 0.5
    assert parameters_version() != before
    assert p.data == 1.0


@st.composite
def changes(draw: st.DrawFn) -> list[tuple[str, int, float]]:
    kinds = ["set", "add", "sgd", "load", "new_weights", "plain_weights", "set_plain"]
    return draw(
        st.lists(
            st.tuples(
                st.sampled_from(kinds),
                st.integers(0, 10_000),
                st.floats(-2.0, 2.0, allow_nan=False),
            ),
            max_size=12,
        )
    )


def apply_change(model: MLP, kind: str, index: int, number: float) -> None:
    """Change the model's parameters one of the ways a user can."""
    params = model.parameters()
    neurons = [n for stage in model.layers for n in stage.neurons]
    neuron = neurons[index % len(neurons)]
    if kind == "set":
        params[index % len(params)].data = number
    elif kind == "add":
        params[index % len(params)].data += number
    elif kind == "sgd":
        for p in params:
            p.grad = number
        SGD(params, lr=0.1).step()
    elif kind == "load":
        state = model.state_dict()
        name = sorted(state)[index % len(state)]
        model.load_state_dict({**state, name: number})
    elif kind == "new_weights":
        neuron.w = tuple(Parameter(number + i, label=f"w{i}") for i in range(len(neuron.w)))
    elif kind == "plain_weights":  # not Parameters: they announce no change, so are never kept
        neuron.w = tuple(Value(number - i) for i in range(len(neuron.w)))
    elif kind == "set_plain":
        for w in neuron.w:
            if type(w) is Value:
                w.data = number


@settings(max_examples=60, deadline=None)
@given(changes(), st.lists(st.floats(-3.0, 3.0, allow_nan=False), min_size=2, max_size=2))
def test_the_model_always_computes_with_the_current_numbers(
    steps: list[tuple[str, int, float]], x: list[float]
) -> None:
    model = MLP(2, [3, 2, 1], activation="tanh", seed=1)
    assert [bits(y) for y in outputs(model, x)] == [bits(y) for y in fresh_forward(model, x)]
    for kind, index, number in steps:
        apply_change(model, kind, index, number)
        got = outputs(model, x)
        assert [bits(y) for y in got] == [bits(y) for y in fresh_forward(model, x)], kind
        assert outputs(model, x) == got  # and again, from what was kept


def test_gradients_are_those_at_the_forward_pass() -> None:
    model = MLP(2, [4, 1], activation="tanh", seed=2)
    twin = copy.deepcopy(model)
    y = model([0.5, -0.25])
    assert isinstance(y, Value)
    for p in model.parameters():  # change everything between forward and backward
        p.data += 1.0
    y.backward()
    y_twin = twin([0.5, -0.25])
    assert isinstance(y_twin, Value)
    y_twin.backward()
    assert [p.grad for p in model.parameters()] == [p.grad for p in twin.parameters()]


def test_plain_value_weights_are_read_every_time() -> None:
    stage = Layer(2, 2, activation="linear", seed=0)
    stage.neurons[0].w = (Value(1.0), Value(2.0))
    assert stage([1.0, 1.0])[0].data == 3.0  # type: ignore[index]
    stage.neurons[0].w[1].data = 5.0  # no Parameter changed
    assert stage([1.0, 1.0])[0].data == 6.0  # type: ignore[index]


def test_a_weight_list_changed_in_place_is_seen() -> None:
    stage = Layer(2, 1, activation="linear", seed=0)
    weights = [Parameter(1.0), Parameter(2.0)]
    spare = Parameter(10.0)
    stage.neurons[0].w = weights  # type: ignore[assignment]  # a list, as a user might
    assert stage([1.0, 1.0]).data == 3.0  # type: ignore[union-attr]
    weights[1] = spare  # a list can change without any Parameter being set
    assert stage([1.0, 1.0]).data == 11.0  # type: ignore[union-attr]


def copies() -> list[Callable[[MLP], MLP]]:
    return [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))]


def test_copies_start_without_kept_rows_and_compute_with_their_own_numbers() -> None:
    for make_copy in copies():
        model = MLP(2, [3, 1], seed=3)
        x = [0.75, -0.5]
        model(x)  # rows kept
        twin = make_copy(model)
        assert all(stage._kept_rows is None for stage in twin.layers)
        assert outputs(twin, x) == outputs(model, x)
        twin.layers[0].neurons[0].b.data = 1.0
        assert outputs(twin, x) == fresh_forward(twin, x)
        assert outputs(model, x) == fresh_forward(model, x)
        assert outputs(twin, x) != outputs(model, x)


def test_a_parameter_pickles_with_its_number() -> None:
    p = Parameter(0.5, label="b", owner="layers.0.neurons.1")
    q = pickle.loads(pickle.dumps(p))
    assert (q.data, q.label, q.owner, type(q)) == (0.5, "b", "layers.0.neurons.1", Parameter)
