"""An `MLP`'s weights in PyTorch and back: `to_torch` and `from_torch`.

>>> from nn import MLP, to_torch, from_torch
>>> model = MLP(2, [4, 1], activation="tanh", seed=0)
>>> net = to_torch(model)            # doctest: +SKIP
>>> net                              # doctest: +SKIP
Sequential(
  (0): Linear(in_features=2, out_features=4, bias=True)
  (1): Tanh()
  (2): Linear(in_features=4, out_features=1, bias=True)
)
>>> from_torch(net, model)           # doctest: +SKIP

An MLP layer of ``nout`` neurons reading ``nin`` inputs is a ``torch.nn.Linear(nin, nout)``
followed by its activation's module (none for ``linear``). Neuron ``j``'s weights are row
``j`` of the Linear's ``weight`` (shape ``nout × nin``) and its bias is ``bias[j]``.

PyTorch is imported when one of these functions is called, never by ``import nn``; without
it they raise an ImportError that says how to install it.
"""

from __future__ import annotations

import importlib
from typing import Any

from nn.module import MLP

__all__ = ["INSTALL_HINT", "TORCH_ACTIVATIONS", "from_torch", "to_torch"]

TORCH_ACTIVATIONS: dict[str, str] = {
    "relu": "ReLU",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "linear": "Identity",
    "leaky_relu": "LeakyReLU",  # negative_slope 0.01 in both
    "elu": "ELU",  # alpha 1.0 in both
    "gelu": "GELU",  # the exact (erf) form in both
    "silu": "SiLU",
    "softplus": "Softplus",  # torch returns z itself above z = 20 (off by < 2e-9); we do not
}
"""The ``torch.nn`` module that applies each activation, by the activation's name. ``to_torch``
writes no module for ``linear``; ``from_torch`` accepts none or an ``Identity``."""

INSTALL_HINT = "pip install torch==2.13.0 (or `make install EXTRAS=reference`)"


def _torch(what: str) -> Any:
    """The torch module, imported now; a clear ImportError when it is not installed.

    Imported by name rather than by an import statement so that type-checking glassgrad does
    not analyse the whole of torch; everything torch returns is treated as ``Any``.
    """
    try:
        return importlib.import_module("torch")
    except ImportError as error:
        message = f"{what} needs PyTorch, which is not installed: {INSTALL_HINT}"
        raise ImportError(message) from error


def _check_mlp(model: object, what: str) -> MLP:
    if not isinstance(model, MLP):
        raise TypeError(f"{what}: expected a glassgrad MLP, got {type(model).__name__}")
    return model


def to_torch(model: MLP, dtype: Any = None) -> Any:
    """A ``torch.nn.Sequential`` computing what ``model`` computes, with a copy of its weights.

    Args:
        model: the `MLP` to copy; it is not changed, and the two share no memory.
        dtype: the torch dtype of the weights; ``torch.float64`` by default, the precision of
            glassgrad's floats, so no weight is rounded on the way.

    Returns:
        ``Sequential(Linear, activation, Linear, activation, ..., Linear[, activation])``:
        one ``Linear`` per layer, each followed by its activation's module unless the
        activation is ``linear`` (see `TORCH_ACTIVATIONS`).
    """
    model = _check_mlp(model, "to_torch")
    torch = _torch("to_torch")
    dtype = torch.float64 if dtype is None else dtype
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(f"to_torch: dtype must be a torch floating-point dtype, got {dtype!r}")
    for index, layer in enumerate(model.layers):
        if layer.activation not in TORCH_ACTIVATIONS:
            raise ValueError(
                f"to_torch: layer {index}'s activation {layer.activation!r} has no PyTorch "
                f"module here; known: {sorted(TORCH_ACTIVATIONS)}"
            )
    modules = []
    for layer in model.layers:
        linear = torch.nn.Linear(layer.nin, layer.nout, dtype=dtype)
        weights = [[w.data for w in neuron.w] for neuron in layer.neurons]
        biases = [neuron.b.data for neuron in layer.neurons]
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(weights, dtype=dtype))
            linear.bias.copy_(torch.tensor(biases, dtype=dtype))
        modules.append(linear)
        if layer.activation != "linear":
            modules.append(getattr(torch.nn, TORCH_ACTIVATIONS[layer.activation])())
    return torch.nn.Sequential(*modules)


def _stages(sequential: Any, torch: Any) -> list[tuple[int, Any, Any]]:
    """The Sequential as (position, Linear, activation module or None), one per Linear."""
    stages: list[tuple[int, Any, Any]] = []
    for position, module in enumerate(sequential):
        if isinstance(module, torch.nn.Linear):
            stages.append((position, module, None))
            continue
        if not stages or stages[-1][2] is not None:
            after = "at the start" if not stages else "after another activation"
            raise ValueError(
                f"from_torch: module {position} ({type(module).__name__}) comes {after}; "
                "expected Linear modules, each followed by at most one activation"
            )
        previous_position, linear, _ = stages[-1]
        stages[-1] = (previous_position, linear, module)
    return stages


def from_torch(sequential: Any, model: MLP) -> MLP:
    """Copy the weights of ``sequential`` into ``model`` (an `MLP` of the same architecture).

    ``sequential`` must be laid out as `to_torch` makes it: one ``torch.nn.Linear`` per layer
    of ``model`` with the same ``in_features`` and ``out_features`` and a bias, each followed
    by the module of that layer's activation (see `TORCH_ACTIVATIONS`). Everything is checked
    before any weight is written: on a mismatch or a weight that is not finite it raises a
    ValueError naming the module, and ``model`` is unchanged.

    Returns:
        ``model``, now holding the Sequential's weights as Python floats.
    """
    model = _check_mlp(model, "from_torch")
    torch = _torch("from_torch")
    if not isinstance(sequential, torch.nn.Sequential):
        raise TypeError(
            f"from_torch: expected a torch.nn.Sequential, got {type(sequential).__name__}"
        )
    stages = _stages(sequential, torch)
    if len(stages) != len(model.layers):
        raise ValueError(
            f"from_torch: the Sequential has {len(stages)} Linear modules but the MLP has "
            f"{len(model.layers)} layers"
        )
    state: dict[str, float] = {}
    for index, (layer, (position, linear, activation)) in enumerate(
        zip(model.layers, stages, strict=True)
    ):
        where = f"from_torch: module {position} (layer {index})"
        if (linear.in_features, linear.out_features) != (layer.nin, layer.nout):
            raise ValueError(
                f"{where} is Linear({linear.in_features}, {linear.out_features}) but the "
                f"MLP's layer {index} has {layer.nin} inputs and {layer.nout} neurons"
            )
        if linear.bias is None:
            raise ValueError(f"{where} has no bias; every glassgrad neuron has one")
        expected = TORCH_ACTIVATIONS.get(layer.activation)
        found = "none" if activation is None else type(activation).__name__
        allowed = {expected} | ({"none"} if layer.activation == "linear" else set())
        if found not in allowed:
            raise ValueError(
                f"{where} is followed by {found} but the MLP's layer {index} applies "
                f"{layer.activation!r} (expected {' or '.join(sorted(map(str, allowed)))})"
            )
        weights = linear.weight.detach().to(torch.float64).tolist()
        biases = linear.bias.detach().to(torch.float64).tolist()
        for j, (row, bias) in enumerate(zip(weights, biases, strict=True)):
            for k, weight in enumerate(row):
                state[f"layers.{index}.neurons.{j}.w.{k}"] = weight
            state[f"layers.{index}.neurons.{j}.b"] = bias
    model.load_state_dict(state)  # checks every value is finite before assigning any
    return model
