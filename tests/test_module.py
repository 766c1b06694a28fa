"""nn.module: Neuron, Layer, MLP, Parameter; names, seeding, initialisation, state dicts."""

from __future__ import annotations

import doctest
import importlib
import math
import random
import statistics
from collections.abc import Callable

import pytest

from autograd import Value, topological_order
from nn import MLP, Layer, Module, Neuron, Parameter


def test_micrograd_default_architecture() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]
    assert [(layer.nin, layer.nout) for layer in model.layers] == [(2, 16), (16, 16), (16, 1)]
    assert len(model.parameters()) == 3 * 16 + 17 * 16 + 17 == 337
    assert repr(model) == "MLP(2 -> 16 relu -> 16 relu -> 1 linear; 337 parameters)"
    assert model.output_activation == "linear"


def test_xor_net_architecture() -> None:
    net = MLP(2, [4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    assert repr(net) == "MLP(2 -> 4 sigmoid -> 1 sigmoid; 17 parameters)"
    assert repr(net.layers[0]) == "Layer(2 -> 4, sigmoid)"
    assert repr(net.layers[0].neurons[0]) == "Neuron(2, sigmoid)"


def test_named_parameters_are_stable_dotted_names_with_owner_and_label() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    named = dict(model.named_parameters())
    assert list(named)[:3] == [
        "layers.0.neurons.0.w.0",
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.b",
    ]
    assert list(named)[-1] == "layers.2.neurons.0.b"
    w = named["layers.1.neurons.3.w.1"]
    assert isinstance(w, Parameter) and isinstance(w, Value)
    assert (w.owner, w.label) == ("layers.1.neurons.3", "w1")
    b = named["layers.0.neurons.3.b"]
    assert (b.owner, b.label) == ("layers.0.neurons.3", "b")
    assert [name for name, _ in MLP(2, [16, 16, 1], seed=5).named_parameters()] == list(named)
    assert model.parameters() == list(named.values())


def test_owner_of_a_standalone_neuron_and_layer() -> None:
    neuron = Neuron(2, seed=0)
    assert [(p.owner, p.label) for p in neuron.parameters()] == [("", "w0"), ("", "w1"), ("", "b")]
    layer = Layer(2, 2, seed=0)
    assert [p.owner for p in layer.parameters()] == ["neurons.0"] * 3 + ["neurons.1"] * 3
    assert [name for name, _ in layer.named_parameters()][:3] == [
        "neurons.0.w.0",
        "neurons.0.w.1",
        "neurons.0.b",
    ]


def test_parameter_has_slots_only() -> None:
    p = Parameter(1.5, label="w0", owner="layers.0.neurons.0")
    assert not hasattr(p, "__dict__")
    with pytest.raises(AttributeError):
        p.something = 1  # type: ignore[attr-defined]
    assert p.parents == () and p.op is None and p.data == 1.5


def test_call_returns_a_value_for_one_output_and_a_list_otherwise() -> None:
    assert isinstance(MLP(2, [3, 1], seed=0)([0.5, -1.0]), Value)
    out = MLP(2, [3, 2], seed=0)([0.5, -1.0])
    assert isinstance(out, list) and len(out) == 2 and all(isinstance(v, Value) for v in out)
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), Value)
    assert isinstance(Layer(2, 3, seed=0)([1.0, 2.0]), list)
    assert isinstance(Neuron(2, seed=0)([1.0, 2.0]), Value)


def test_accepts_values_as_inputs_and_gives_input_gradients() -> None:
    model = MLP(2, [3, 1], activation="tanh", seed=1)
    x0, x1 = Value(0.3), Value(-0.7)
    out = model([x0, x1])
    assert isinstance(out, Value)
    out.backward()
    h = 1e-6
    for i, x in enumerate((x0, x1)):
        plus, minus = [0.3, -0.7], [0.3, -0.7]
        plus[i] += h
        minus[i] -= h
        numeric = (_data(model(plus)) - _data(model(minus))) / (2 * h)
        assert x.grad == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def _data(v: Value | list[Value]) -> float:
    assert isinstance(v, Value)
    return v.data


def test_number_inputs_become_shared_labelled_leaves() -> None:
    out = MLP(2, [3, 1], seed=0)([0.5, -1.0])
    assert isinstance(out, Value)
    leaves = [v for v in topological_order(out) if not v.parents and not isinstance(v, Parameter)]
    assert sorted(v.label for v in leaves) == ["x0", "x1"]


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_forward_matches_the_formula(activation: str) -> None:
    model = MLP(3, [4, 2], activation=activation, output_activation=activation, seed=7)
    x = [0.2, -1.3, 0.8]
    act = {
        "relu": lambda z: max(z, 0.0),
        "tanh": math.tanh,
        "sigmoid": lambda z: 1 / (1 + math.exp(-z)),
        "linear": lambda z: z,
    }[activation]
    values = x
    for layer in model.layers:
        values = [
            act(sum(w.data * v for w, v in zip(n.w, values, strict=True)) + n.b.data)
            for n in layer.neurons
        ]
    out = model(x)
    assert isinstance(out, list)
    assert [v.data for v in out] == pytest.approx(values, rel=1e-12)


def test_one_node_per_neuron() -> None:
    model = MLP(2, [3, 3, 1], seed=0)
    out = model([0.5, -1.0])
    assert isinstance(out, Value)
    ops = [v.op.symbol for v in topological_order(out) if v.parents]
    assert ops == ["relu(w·x+b)"] * 6 + ["w·x+b"]
    assert Neuron(2, "sigmoid", seed=0)([1.0, 1.0]).op.symbol == "sigmoid(w·x+b)"


def test_gradients_match_torch() -> None:
    torch = pytest.importorskip("torch")
    model = MLP(3, [5, 4, 1], activation="tanh", output_activation="sigmoid", seed=3)
    x = [0.4, -0.9, 1.7]
    out = model(x)
    assert isinstance(out, Value)
    out.backward()
    h = torch.tensor(x, dtype=torch.float64)
    tensors = []
    for layer in model.layers:
        W = torch.tensor(
            [[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64, requires_grad=True
        )
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        tensors.append((W, b))
        z = W @ h + b
        h = torch.sigmoid(z) if layer.activation == "sigmoid" else torch.tanh(z)
    h.sum().backward()
    assert out.data == pytest.approx(h.item(), rel=1e-12)
    for layer, (W, b) in zip(model.layers, tensors, strict=True):
        for i, n in enumerate(layer.neurons):
            assert [w.grad for w in n.w] == pytest.approx(W.grad[i].tolist(), rel=1e-10, abs=1e-14)
            assert n.b.grad == pytest.approx(b.grad[i].item(), rel=1e-10, abs=1e-14)


def test_wrong_number_of_inputs() -> None:
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        MLP(2, [3, 1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="expected 2 inputs, got 1"):
        Neuron(2, seed=0)([1.0])
    with pytest.raises(TypeError, match="list of 2"):
        MLP(2, [1], seed=0)(1.0)  # type: ignore[arg-type]


def test_seeding_is_per_model_and_leaves_the_global_rng_alone() -> None:
    random.seed(123)
    state = random.getstate()
    a = MLP(2, [8, 8, 1], seed=42).state_dict()
    b = MLP(2, [8, 8, 1], seed=42).state_dict()
    assert random.getstate() == state
    assert a == b
    assert a != MLP(2, [8, 8, 1], seed=43).state_dict()
    assert MLP(2, [8, 1]).state_dict() != MLP(2, [8, 1]).state_dict()  # seed=None: fresh
    assert random.getstate() == state


def test_initialisation_is_he_for_relu_and_xavier_otherwise() -> None:
    relu = Layer(200, 50, "relu", seed=0)
    tanh = Layer(200, 50, "tanh", seed=0)
    for layer, limit in ((relu, math.sqrt(6 / 200)), (tanh, math.sqrt(6 / 250))):
        weights = [w.data for n in layer.neurons for w in n.w]
        assert max(abs(w) for w in weights) <= limit
        # U(-a, a) has variance a^2 / 3; 10000 samples pin it to a few percent.
        assert statistics.pvariance(weights) == pytest.approx(limit**2 / 3, rel=0.05)
        assert all(n.b.data == 0.0 for n in layer.neurons)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MLP(2, [4, 1], activation="mish"), "unknown activation 'mish'"),
        (lambda: MLP(2, [4, 1], output_activation="softmax"), "unknown activation 'softmax'"),
        (lambda: Neuron(2, "Relu"), "unknown activation 'Relu'"),
        (lambda: Layer(2, 3, "swish"), "unknown activation 'swish'"),
    ],
)
def test_unknown_activation_lists_the_valid_ones(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message) as error:
        make()  # type: ignore[operator]
    for name in ("relu", "tanh", "sigmoid", "linear"):
        assert name in str(error.value)


@pytest.mark.parametrize(
    "make",
    [
        lambda: MLP(0, [1]),
        lambda: MLP(2, []),
        lambda: MLP(2, [4, 0]),
        lambda: MLP(2, [4.0, 1]),
        lambda: MLP(2, 4),
        lambda: Neuron(True),
        lambda: Layer(2, -1),
    ],
)
def test_bad_sizes(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]


def test_zero_grad() -> None:
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    out = model([1.0, 2.0])
    assert isinstance(out, Value)
    out.backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_state_dict_round_trip() -> None:
    source, target = MLP(2, [4, 3], seed=1), MLP(2, [4, 3], seed=2)
    state = source.state_dict()
    assert all(isinstance(v, float) for v in state.values())
    target.load_state_dict(state)
    assert target.state_dict() == state


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.pop("layers.1.neurons.0.b"), "missing layers.1.neurons.0.b"),
        (lambda s: s.update({"layers.2.neurons.0.b": 1.0}), "unexpected layers.2.neurons.0.b"),
        (lambda s: s.update({"layers.0.neurons.0.w.0": float("nan")}), "must be finite"),
        (lambda s: s.update({"layers.0.neurons.0.w.0": float("inf")}), "must be finite"),
        (lambda s: s.update({"layers.0.neurons.1.b": "0.5"}), "must be a number"),
        (lambda s: s.update({"layers.0.neurons.1.b": True}), "must be a number"),
        (lambda s: s.update({"layers.1.neurons.0.b": [1.0]}), "must be a number"),
    ],
)
def test_load_state_dict_refuses_and_changes_nothing(change: object, message: str) -> None:
    model = MLP(2, [4, 1], seed=0)
    before = model.state_dict()
    state = {name: value + 1.0 for name, value in before.items()}
    change(state)  # type: ignore[operator]
    with pytest.raises(ValueError, match=message):
        model.load_state_dict(state)
    assert model.state_dict() == before


@pytest.mark.parametrize("name", ["module", "losses", "optim", "data", "train", "io", "plot"])
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"nn.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_numpy_data_goes_in_as_it_comes_from_scikit_learn() -> None:
    np = pytest.importorskip("numpy")
    from fractions import Fraction

    from autograd import Value, grad

    assert Value(np.float32(1.5)).data == 1.5 and type(Value(np.int64(2)).data) is float
    assert Value(Fraction(1, 3)).data == 1 / 3
    assert not Value(0.0) and Value(-2.0)  # bool(v) is v.data != 0, as for a float
    x = Value(3.0)
    assert [g.data for g in grad(x * x, x)] == [6.0]  # a single input, as in PyTorch
    model = MLP(2, [3, 1], seed=0)
    X = np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32)
    lists = [[0.5, -1.0], [2.0, 0.25]]
    assert [y.data for y in model.batch(X)] == [y.data for y in model.batch(lists)]
    assert model(X[0]).data == model(lists[0]).data
    neuron = Neuron(2, seed=4)
    assert neuron(np.array([1, 2], dtype=np.int64)).data == neuron([1.0, 2.0]).data


def test_overflowing_leaf_gradients_are_the_same_error_in_backward_and_grad() -> None:
    from autograd import Value, grad

    leaf = Value(1e-10, label="w")
    out = leaf * 1e308 + leaf * 1e308  # finite (2e298), but d out/d w = 2e308 is not
    messages = []
    for run in (out.backward, lambda: grad(out, [leaf])):
        with pytest.raises(OverflowError) as error:
            run()
        messages.append(str(error.value))
    assert all("'w'" in message for message in messages)
    assert leaf.grad == 0.0


class Scaled(Module):
    """A user's module that knows only the named hooks: a gain on top of an inner MLP."""

    def __init__(self) -> None:
        self.inner = MLP(2, [3, 1], seed=3)
        self.gain = Parameter(2.0, label="gain")

    def _own_parameters(self) -> list[tuple[str, Parameter]]:
        return [("gain", self.gain)]

    def _children(self) -> list[tuple[str, Module]]:
        return [("inner", self.inner)]


class BiasedTwice(Neuron):
    """A subclass of Neuron that redefines ``_own_parameters()`` alone (one more bias)."""

    def __init__(self, nin: int) -> None:
        self.b2 = Parameter(0.5, label="b2")  # before Neuron's __init__ names the owners
        super().__init__(nin, seed=4)

    def _own_parameters(self) -> list[tuple[str, Parameter]]:
        return [*super()._own_parameters(), ("b2", self.b2)]


class ReversedChildren:
    """A mixin, no Module, that lists an MLP's layers last first under other names."""

    layers: list[Layer]

    def _children(self) -> list[tuple[str, Module]]:
        return [(f"stage{i}", layer) for i, layer in enumerate(reversed(self.layers))]


class ReversedMLP(ReversedChildren, MLP):
    """An MLP whose ``_children()`` comes from a mixin before it in the MRO."""


@pytest.mark.parametrize(
    "make",
    [
        lambda: MLP(2, [16, 16, 1], seed=0),
        lambda: Layer(3, 4, seed=0),
        lambda: Neuron(5, seed=0),
        Scaled,
        lambda: BiasedTwice(2),
        lambda: ReversedMLP(2, [2, 3], seed=0),
    ],
    ids=["MLP", "Layer", "Neuron", "user module", "Neuron subclass", "mixin"],
)
def test_parameters_and_zero_grad_follow_named_parameters(make: Callable[[], Module]) -> None:
    module = make()
    named = [parameter for _, parameter in module.named_parameters()]
    assert len({id(p) for p in named}) == len(named) > 0
    assert module.parameters() == named  # the same objects (a Value compares by identity)
    for i, parameter in enumerate(named):
        parameter.grad = i + 1.0
    module.zero_grad()
    assert all(parameter.grad == 0.0 for parameter in named)


def test_a_user_module_and_a_subclass_get_their_parameters_from_the_named_hooks() -> None:
    scaled = Scaled()
    assert scaled.parameters() == [scaled.gain, *scaled.inner.parameters()]
    twice = BiasedTwice(2)
    assert twice.parameters() == [*twice.w, twice.b, twice.b2]
    assert len(Neuron(2, seed=0).parameters()) == 3  # Neuron's own list is unchanged


def test_children_from_a_mixin_are_the_ones_parameters_walks() -> None:
    model = ReversedMLP(2, [2, 3], seed=0)
    assert model.named_parameters()[0][0] == "stage0.neurons.0.w.0"
    assert model.parameters() == [*model.layers[1].parameters(), *model.layers[0].parameters()]


def test_zero_grad_acts_on_replaced_weights_neurons_and_layers() -> None:
    model = MLP(2, [3, 3, 1], seed=0)
    old = model.parameters()
    model.zero_grad()  # anything remembered from these walks would now be stale
    neuron = model.layers[0].neurons[1]
    neuron.w = (Parameter(0.1, label="w0"), Parameter(0.2, label="w1"))
    neuron.b = Parameter(0.3, label="b")
    model.layers[1].neurons[2] = Neuron(3, seed=9)
    model.layers[2] = Layer(3, 1, seed=9)
    new = [*neuron.w, neuron.b, *model.layers[1].neurons[2].parameters()]
    new += model.layers[2].parameters()
    assert all(any(p is q for q in model.parameters()) for p in new)
    assert not any(any(p is q for q in model.parameters()) for p in old[3:6])  # neuron 1's
    assert model.parameters() == [p for _, p in model.named_parameters()]
    out = model([0.5, -0.25])
    assert isinstance(out, Value)
    out.backward()
    for p in model.parameters():
        p.grad += 1.0  # nonzero whatever the relus did
    model.zero_grad()
    assert all(p.grad == 0.0 for p in new)
    assert all(p.grad == 0.0 for p in model.parameters())
