"""`to_torch` and `from_torch`: an MLP's weights to a torch.nn.Sequential and back, exactly,
with clear errors for a Sequential of another shape. Skipped without torch."""

from __future__ import annotations

import math
import random
import sys

import pytest

from autograd import no_grad
from nn import MLP, from_torch, to_torch, torch_bridge
from nn.neuron import ACTIVATIONS

torch = pytest.importorskip("torch")


def _torch_outputs(net: object, X: list[list[float]]) -> list[list[float]]:
    with torch.no_grad():
        result: list[list[float]] = net(torch.tensor(X, dtype=torch.float64)).tolist()  # type: ignore[operator]
    return result


def _outputs(model: MLP, X: list[list[float]]) -> list[list[float]]:
    with no_grad():
        outputs = model.batch(X)
    return [[o.data] if not isinstance(o, list) else [v.data for v in o] for o in outputs]


def _samples(n: int, nin: int, seed: int = 0) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(n)]


@pytest.mark.parametrize(
    ("activation", "output_activation"),
    [("relu", "linear"), ("tanh", "sigmoid"), ("sigmoid", "tanh"), ("tanh", "relu")],
)
def test_the_torch_network_computes_the_same_outputs(
    activation: str, output_activation: str
) -> None:
    model = MLP(3, [8, 5, 2], activation, output_activation, seed=1)
    net = to_torch(model)
    X = _samples(20, 3)
    for ours, theirs in zip(_outputs(model, X), _torch_outputs(net, X), strict=True):
        for a, b in zip(ours, theirs, strict=True):
            assert math.isclose(a, b, rel_tol=1e-13, abs_tol=1e-15)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_has_its_torch_module(activation: str) -> None:
    # A new activation in the engine must get its PyTorch counterpart here too.
    model = MLP(3, [4, 2], activation, activation, seed=2)
    net = to_torch(model)
    X = _samples(10, 3, seed=1)
    for ours, theirs in zip(_outputs(model, X), _torch_outputs(net, X), strict=True):
        for a, b in zip(ours, theirs, strict=True):
            assert math.isclose(a, b, rel_tol=1e-13, abs_tol=1e-15)
    assert from_torch(net, MLP(3, [4, 2], activation, activation, seed=3)).state_dict() == (
        model.state_dict()
    )


def test_an_activation_without_a_torch_module_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(torch_bridge.TORCH_ACTIVATIONS, "tanh")
    with pytest.raises(ValueError, match="layer 0's activation 'tanh' has no PyTorch module"):
        to_torch(MLP(2, [3, 1], activation="tanh", seed=0))


def test_the_layout_is_linear_then_activation_and_weights_are_rows() -> None:
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    net = to_torch(model)
    assert [type(m).__name__ for m in net] == ["Linear", "Tanh", "Linear"]
    first = net[0]
    assert first.weight.dtype == torch.float64
    assert tuple(first.weight.shape) == (3, 2)
    neuron = model.layers[0].neurons[2]
    assert first.weight[2].tolist() == [w.data for w in neuron.w]
    assert first.bias[2].item() == neuron.b.data


def test_there_and_back_is_exact() -> None:
    source = MLP(4, [6, 6, 3], seed=3)
    target = MLP(4, [6, 6, 3], seed=4)
    assert target.state_dict() != source.state_dict()
    returned = from_torch(to_torch(source), target)
    assert returned is target
    assert target.state_dict() == source.state_dict()


def test_weights_trained_in_torch_come_back() -> None:
    model = MLP(2, [4, 1], activation="tanh", seed=0)
    net = to_torch(model)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    y = torch.tensor([[0.0], [1.0], [1.0], [0.0]], dtype=torch.float64)
    for _ in range(5):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(net(X), y).backward()
        optimizer.step()
    before = model.state_dict()
    from_torch(net, model)
    assert model.state_dict() != before
    assert model.layers[1].neurons[0].b.data == net[2].bias[0].item()
    ours = _outputs(model, X.tolist())
    theirs = _torch_outputs(net, X.tolist())
    for a, b in zip(ours, theirs, strict=True):
        assert math.isclose(a[0], b[0], rel_tol=1e-13, abs_tol=1e-15)


def test_float32_is_allowed_and_rounds_the_weights() -> None:
    model = MLP(2, [2, 1], seed=0)
    net = to_torch(model, dtype=torch.float32)
    assert net[0].weight.dtype == torch.float32
    copy = from_torch(net, MLP(2, [2, 1], seed=5))
    for name, value in copy.state_dict().items():
        assert math.isclose(value, model.state_dict()[name], rel_tol=1e-6), name


def test_an_identity_module_stands_for_linear() -> None:
    model = MLP(2, [3, 1], seed=0)
    net = torch.nn.Sequential(*to_torch(model), torch.nn.Identity())
    target = MLP(2, [3, 1], seed=9)
    from_torch(net, target)
    assert target.state_dict() == model.state_dict()


def _mismatch(net: object, model: MLP, match: str) -> None:
    before = model.state_dict()
    with pytest.raises(ValueError, match=match):
        from_torch(net, model)
    assert model.state_dict() == before  # nothing half-copied


def test_a_different_number_of_layers_is_refused() -> None:
    net = to_torch(MLP(2, [3, 3, 1], seed=0))
    _mismatch(net, MLP(2, [3, 1], seed=1), r"3 Linear modules but the MLP has 2 layers")


def test_different_sizes_are_refused() -> None:
    net = to_torch(MLP(2, [5, 1], seed=0))
    _mismatch(net, MLP(2, [3, 1], seed=1), r"module 0 \(layer 0\) is Linear\(2, 5\)")


def test_a_different_activation_is_refused() -> None:
    net = to_torch(MLP(2, [3, 1], activation="tanh", seed=0))
    _mismatch(net, MLP(2, [3, 1], activation="relu", seed=1), r"followed by Tanh .* 'relu'")
    net = to_torch(MLP(2, [3, 1], output_activation="sigmoid", seed=0))
    _mismatch(net, MLP(2, [3, 1], seed=1), r"module 2 \(layer 1\) is followed by Sigmoid")


def test_a_missing_activation_is_refused() -> None:
    net = torch.nn.Sequential(torch.nn.Linear(2, 3, dtype=torch.float64))
    _mismatch(net, MLP(2, [3], activation="relu", output_activation="tanh", seed=1), "none")


def test_a_module_out_of_place_is_refused() -> None:
    net = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 1))
    _mismatch(net, MLP(2, [1], seed=0), r"module 0 \(ReLU\) comes at the start")
    net = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.ReLU(), torch.nn.ReLU())
    _mismatch(net, MLP(2, [1], output_activation="relu", seed=0), "after another activation")


def test_a_linear_without_bias_is_refused() -> None:
    net = torch.nn.Sequential(torch.nn.Linear(2, 1, bias=False))
    _mismatch(net, MLP(2, [1], seed=0), "has no bias")


def test_weights_that_are_not_finite_are_refused() -> None:
    model = MLP(2, [3, 1], seed=0)
    net = to_torch(model)
    with torch.no_grad():
        net[2].weight[0, 1] = float("nan")
    _mismatch(net, MLP(2, [3, 1], seed=1), r"layers\.1\.neurons\.0\.w\.1 must be finite")


def test_wrong_kinds_of_argument_are_refused() -> None:
    model = MLP(2, [1], seed=0)
    with pytest.raises(TypeError, match=r"expected a torch\.nn\.Sequential, got Linear"):
        from_torch(torch.nn.Linear(2, 1), model)
    with pytest.raises(TypeError, match="to_torch: expected a glassgrad MLP, got Sequential"):
        to_torch(torch.nn.Sequential())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="from_torch: expected a glassgrad MLP, got str"):
        from_torch(to_torch(model), "model")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="to_torch: dtype must be a torch floating-point"):
        to_torch(model, dtype=torch.int64)


def test_without_torch_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    with pytest.raises(ImportError, match=r"to_torch needs PyTorch.*pip install torch==2\.13\.0"):
        to_torch(MLP(2, [1], seed=0))
