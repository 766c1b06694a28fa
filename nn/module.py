"""Modules: `Neuron`, `Layer` and `MLP`, built from `Parameter`s (Values that belong to a module).

A neuron computes ``activation(w · x + b)``. Here that is a single node of the graph, nn's
neuron op (``nn/neuron.py``, made with ``autograd.define_op``), not one node per ``*`` and
``+``: a network of a few hundred weights stays a graph of a few dozen nodes per sample, which
keeps drawings and the step-through small. Training speed comes from ``autograd.compile``
(``fit`` compiles its step by default).

>>> from nn import MLP
>>> model = MLP(2, [4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
>>> model
MLP(2 -> 4 sigmoid -> 1 sigmoid; 17 parameters)
>>> out = model([1.0, 0.0])      # one node per neuron
>>> out.op.symbol, 0.0 < out.data < 1.0
('sigmoid(w·x+b)', True)

Initialisation is seeded per model with its own ``random.Random(seed)`` (never the global
random state) and scaled to the activation, so that signals neither die out nor blow up as
they pass through the layers:

* ``relu`` and its smooth or leaky kin (``leaky_relu``, ``elu``, ``gelu``, ``silu``): He
  (Kaiming) uniform, weights from U(-a, a) with ``a = sqrt(6 / fan_in)``.
* ``tanh``, ``sigmoid``, ``softplus``, ``linear``: Xavier (Glorot) uniform, ``a = sqrt(6 / (fan_in +
  fan_out))``, where ``fan_out`` is the number of neurons in the layer.

Biases start at 0. The same seed gives the same weights, bit for bit.
"""

from __future__ import annotations

import functools
import math
import os
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import repeat
from typing import Any

from autograd import Value
from autograd.compiler.trace import CompileError, caller_line, tracing
from autograd.validate import finite_float
from autograd.value import apply
from nn.neuron import ACTIVATIONS, NEURON_OPS

__all__ = [
    "HE_INITIALISED",
    "MLP",
    "Layer",
    "Module",
    "Neuron",
    "Parameter",
    "Seed",
    "check_activation",
]

Number = int | float

Seed = int | random.Random | None
"""A seed: an int, a ``random.Random`` to draw from (an MLP shares one with its layers so the
whole model comes from one seed), or None for fresh randomness from the operating system."""


class Parameter(Value):
    """A trainable Value owned by a module: a weight or a bias.

    ``label`` is its short name within its neuron (``"w0"``, ``"w1"``, ..., ``"b"``) and
    ``owner`` the dotted name of the module holding it inside the model (for example
    ``"layers.0.neurons.3"``; ``""`` when the neuron is the model itself). Drawings read
    ``owner`` to colour parameters and to group a neuron's node with its parameters.

    """

    __slots__ = ("owner",)

    owner: str

    def __init__(self, data: Number, label: str = "", owner: str = "") -> None:
        """A leaf holding ``data``; see the class docstring for ``label`` and ``owner``."""
        super().__init__(data, label)
        self.owner = owner


HE_INITIALISED = ("relu", "leaky_relu", "elu", "gelu", "silu")
"""The activations whose neurons start He-initialised (zero or small for negative z)."""


def check_activation(activation: object, what: str) -> str:
    """Return ``activation`` if it is one of ``ACTIVATIONS``, else raise a ValueError."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"{what}: unknown activation {activation!r}; choose one of {ACTIVATIONS}")
    assert isinstance(activation, str)
    return activation


def _check_size(n: object, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{what} must be a positive int, got {n!r}")
    return n


def _rng(seed: Seed) -> random.Random:
    if isinstance(seed, random.Random):
        return seed
    if seed is None or (isinstance(seed, int) and not isinstance(seed, bool)):
        return random.Random(seed)
    raise TypeError(f"seed must be an int, a random.Random or None, got {seed!r}")


def _as_inputs(x: Sequence[Value | Number], nin: int, what: str) -> Sequence[Value]:
    """The inputs as Values, checked against the expected count.

    Numbers become leaves labelled ``x0``, ``x1``, ... once here, so every neuron of the first
    layer shares them, and after ``backward()`` their ``.grad`` is d(output)/d(input).
    """
    # list and tuple first: the Iterable check (an abstract class) is slow for every sample.
    if type(x) is not list and type(x) is not tuple:
        if isinstance(x, str | bytes) or not isinstance(x, Iterable):
            raise TypeError(f"{what}: expected a list of {nin} numbers or Values, got {x!r}")
        x = list(x)  # e.g. a row of a numpy array, as scikit-learn's datasets come
    if len(x) != nin:
        raise ValueError(f"{what}: expected {nin} inputs, got {len(x)}")
    if all(map(isinstance, x, repeat(Value))):  # e.g. a hidden layer's inputs: nothing to do
        return x  # type: ignore[return-value]  # mypy cannot see what all() checked
    return [
        xi if isinstance(xi, Value) else Value(finite_float(xi, f"{what}: x{i}"), label=f"x{i}")
        for i, xi in enumerate(x)
    ]


_NN_DIR = os.path.dirname(os.path.abspath(__file__))  # (a refusal names the user's line)


@functools.cache
def _weight_names(n: int) -> tuple[str, ...]:
    """``("w.0", "w.1", ...)``: a neuron's weights' names, made once for each size."""
    return tuple(f"w.{i}" for i in range(n))


def _as_batch(X: object, what: str) -> Sequence[Any]:
    """X as a sequence of samples; a clear error for anything else (a str, a bare number)."""
    if type(X) is list or type(X) is tuple:
        return X
    if isinstance(X, str | bytes) or not isinstance(X, Iterable):
        raise TypeError(f"{what}.batch: expected a list of samples, got {X!r}")
    return list(X)  # e.g. a numpy array or a generator of samples


class Module:
    """Base class of everything with parameters: named access, gradients, state, files.

    A subclass lists its own parameters in ``_own_parameters()`` and its sub-modules in
    ``_children()``; everything else (dotted names, ``zero_grad``, ``state_dict``, saving)
    is derived from those two here. For speed it may also give the same lists without the
    names, ``_own_parameter_values()`` and ``_child_modules()``.
    """

    def _children(self) -> list[tuple[str, Module]]:
        """The direct sub-modules with their names (``[("neurons.0", ...), ...]``)."""
        return []

    def _own_parameters(self) -> list[tuple[str, Parameter]]:
        """The parameters held directly by this module, with their names (``"w.0"``, ``"b"``)."""
        return []

    # Name-free twins of the two lists above, for parameters() and zero_grad(), which run at
    # every training step and would only throw the names away. Neuron, Layer and MLP answer
    # them directly; __init_subclass__ derives them for a class that defines only the lists.

    def _child_modules(self) -> Sequence[Module]:
        """The modules of ``_children()``, in its order, without their names.

        It may be the module's own list (`Layer` gives ``self.neurons``): read it, never change it.
        """
        return ()

    def _own_parameter_values(self) -> Sequence[Parameter]:
        """The parameters of ``_own_parameters()``, in its order, without their names."""
        return ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Derive a subclass's name-free twin from its named list unless one class defines both.

        A twin counts only when it comes from the same class as the list it mirrors: a user's
        module that defines ``_own_parameters()`` alone, or a subclass of `Neuron` that
        redefines it, gets ``_own_parameter_values()`` derived from it, so ``parameters()``
        and ``named_parameters()`` never disagree.
        """
        super().__init_subclass__(**kwargs)
        if _defined_in(cls, "_children") is not _defined_in(cls, "_child_modules"):
            setattr(cls, "_child_modules", _modules_of_children)  # noqa: B010 (mypy: a method)
        if _defined_in(cls, "_own_parameters") is not _defined_in(cls, "_own_parameter_values"):
            setattr(cls, "_own_parameter_values", _values_of_own_parameters)  # noqa: B010

    def __call__(self, x: Sequence[Value | Number]) -> Value | list[Value]:
        """The module's output for one sample (a list of numbers or Values)."""
        raise NotImplementedError(f"{type(self).__name__} does not define its forward pass")

    def batch(self, X: Sequence[Sequence[Value | Number]]) -> list[Any]:
        """The outputs for many samples: ``[model(x) for x in X]``."""
        return [self(x) for x in X]

    def architecture(self) -> dict[str, Any]:
        """What it takes to rebuild this module (not its weights), as JSON-ready data."""
        raise NotImplementedError(f"{type(self).__name__} does not describe its architecture")

    @property
    def output_activation(self) -> str:
        """The activation applied to the module's outputs (decides how outputs are read)."""
        raise NotImplementedError(f"{type(self).__name__} has no output activation")

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (named ``prefix``) and every module inside it, depth first."""
        yield prefix, self
        for name, child in self._children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """Every parameter with its stable dotted name, such as ``layers.0.neurons.3.w.1``."""
        return [
            (f"{module_name}.{name}" if module_name else name, parameter)
            for module_name, module in self.named_modules()
            for name, parameter in module._own_parameters()
        ]

    def parameters(self) -> list[Parameter]:
        """Every parameter, in the order of ``named_parameters()``."""
        parameters = list(self._own_parameter_values())
        for child in self._child_modules():
            parameters += child.parameters()
        return parameters

    def zero_grad(self) -> None:
        """Set the ``.grad`` of every parameter to 0 (gradients accumulate otherwise).

        Not inside a function `autograd.compile` traces: there it would run once, at the
        trace, and never at the calls after it (CompileError, naming the line). Call it
        before the compiled step, as micrograd's loop does.
        """
        if tracing():
            raise CompileError(
                f"compile: zero_grad() at {caller_line(_NN_DIR)}\n  would run only while the"
                " function"
                " is traced, not at the calls after it, which would add to the gradients it"
                " did not reset. Call model.zero_grad() before the compiled function instead."
            )
        self._zero_grads()

    def _zero_grads(self) -> None:
        """`zero_grad` without its check, module by module (no list of every parameter)."""
        for parameter in self._own_parameter_values():
            parameter.grad = 0.0
        for child in self._child_modules():
            child._zero_grads()

    def _tag_owners(self) -> None:
        """Write each parameter's owning module name into its ``owner`` (see `Parameter`)."""
        for module_name, module in self.named_modules():
            for _, parameter in module._own_parameters():
                parameter.owner = module_name

    def state_dict(self) -> dict[str, float]:
        """Every parameter's value by dotted name: a flat ``{name: float}`` dict."""
        return {name: parameter.data for name, parameter in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        """Set every parameter from ``state`` (as made by ``state_dict()``).

        Everything is checked first: the names must be exactly this module's (none missing,
        none extra) and every value a finite number. Any problem raises a ValueError that
        names it, and then no parameter has changed.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expected a dict, got {type(state).__name__}")
        named = self.named_parameters()
        expected = {name for name, _ in named}
        missing = [name for name, _ in named if name not in state]
        unexpected = [str(name) for name in state if name not in expected]
        if missing or unexpected:
            problems = []
            if missing:
                problems.append(f"missing {_some(missing)}")
            if unexpected:
                problems.append(f"unexpected {_some(unexpected)}")
            raise ValueError(
                f"load_state_dict: the parameters do not match this {type(self).__name__} "
                f"({'; '.join(problems)})"
            )
        values = []
        for name, _ in named:
            value = state[name]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"load_state_dict: {name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"load_state_dict: {name} must be finite, got {value!r}")
            values.append(float(value))
        for (_, parameter), value in zip(named, values, strict=True):
            parameter.data = value


def _modules_of_children(module: Module) -> list[Module]:
    """``_child_modules()`` for a class that defines only ``_children()``."""
    return [child for _, child in module._children()]


def _values_of_own_parameters(module: Module) -> list[Parameter]:
    """``_own_parameter_values()`` for a class that defines only ``_own_parameters()``."""
    return [parameter for _, parameter in module._own_parameters()]


def _defined_in(cls: type, name: str) -> type:
    """The class of ``cls``'s method resolution order whose ``name`` an instance would use."""
    return next(klass for klass in cls.__mro__ if name in vars(klass))


def _some(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"


class Neuron(Module):
    """``activation(w · x + b)``: ``nin`` weights, one bias, one node per call (nn's neuron op).

    >>> n = Neuron(3, activation="tanh", seed=1)
    >>> [p.label for p in n.parameters()]
    ['w0', 'w1', 'w2', 'b']

    Args:
        nin: the number of inputs.
        activation: ``"relu"`` (the default), ``"tanh"``, ``"sigmoid"``, ``"linear"``,
            ``"leaky_relu"``, ``"elu"``, ``"gelu"``, ``"silu"`` or ``"softplus"``.
        seed: see `Seed`; weights are He-uniform for relu and its kin, Xavier-uniform
            otherwise (module docstring), the bias is 0.
        fan_out: the number of neurons in this neuron's layer, for Xavier scaling (`Layer`
            passes it; 1 for a neuron on its own).
    """

    def __init__(
        self, nin: int, activation: str = "relu", *, seed: Seed = None, fan_out: int = 1
    ) -> None:
        """See the class docstring."""
        self.nin = _check_size(nin, "Neuron: nin")
        self.activation = check_activation(activation, "Neuron")
        fan_out = _check_size(fan_out, "Neuron: fan_out")
        rng = _rng(seed)
        fan = nin if activation in HE_INITIALISED else nin + fan_out
        limit = math.sqrt(6.0 / fan)
        self.w = tuple(Parameter(rng.uniform(-limit, limit), label=f"w{i}") for i in range(nin))
        self.b = Parameter(0.0, label="b")
        self._tag_owners()

    def _own_parameters(self) -> list[tuple[str, Parameter]]:
        return [*zip(_weight_names(len(self.w)), self.w, strict=True), ("b", self.b)]

    def _own_parameter_values(self) -> list[Parameter]:
        return [*self.w, self.b]

    @property
    def output_activation(self) -> str:
        """The neuron's activation."""
        return self.activation

    def architecture(self) -> dict[str, Any]:
        """``{"type": "Neuron", "nin": ..., "activation": ...}``."""
        return {"type": "Neuron", "nin": self.nin, "activation": self.activation}

    def __call__(self, x: Sequence[Value | Number]) -> Value:
        """The neuron's output for inputs ``x`` (numbers or Values), as one graph node."""
        return self._forward(_as_inputs(x, self.nin, "Neuron"))

    def _forward(self, inputs: Sequence[Value]) -> Value:
        """One node: nn's neuron op on (w_1..w_n, x_1..x_n, b)."""
        return apply(NEURON_OPS[self.activation], (*self.w, *inputs, self.b))

    def batch(self, X: Sequence[Sequence[Value | Number]]) -> list[Value]:
        """The neuron's output for each sample of ``X`` (see `Module.batch`)."""
        return [self(x) for x in _as_batch(X, "Neuron")]

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, {self.activation})"


class Layer(Module):
    """``nout`` neurons that all read the same ``nin`` inputs.

    Calling a layer gives a list of ``nout`` Values, or a single Value when ``nout == 1``.

    Args:
        nin: the number of inputs.
        nout: the number of neurons (outputs).
        activation: the activation of every neuron (see `Neuron`).
        seed: see `Seed`.
    """

    def __init__(self, nin: int, nout: int, activation: str = "relu", *, seed: Seed = None) -> None:
        """See the class docstring."""
        self.nin = _check_size(nin, "Layer: nin")
        self.nout = _check_size(nout, "Layer: nout")
        self.activation = check_activation(activation, "Layer")
        rng = _rng(seed)
        self.neurons = [Neuron(nin, activation, seed=rng, fan_out=nout) for _ in range(nout)]
        self._tag_owners()

    def _children(self) -> list[tuple[str, Module]]:
        return [(f"neurons.{i}", neuron) for i, neuron in enumerate(self.neurons)]

    def _child_modules(self) -> list[Neuron]:
        return self.neurons

    @property
    def output_activation(self) -> str:
        """The activation of the layer's neurons."""
        return self.activation

    def architecture(self) -> dict[str, Any]:
        """``{"type": "Layer", "nin": ..., "nout": ..., "activation": ...}``."""
        return {"type": "Layer", "nin": self.nin, "nout": self.nout, "activation": self.activation}

    def __call__(self, x: Sequence[Value | Number]) -> Value | list[Value]:
        """The layer's outputs: a Value when it has one neuron, else a list."""
        out = self._forward(_as_inputs(x, self.nin, "Layer"))
        return out[0] if len(out) == 1 else out

    def batch(self, X: Sequence[Sequence[Value | Number]]) -> list[Value | list[Value]]:
        """The layer's output for each sample of ``X`` (see `Module.batch`)."""
        return [self(x) for x in _as_batch(X, "Layer")]

    def _forward(self, inputs: Sequence[Value]) -> list[Value]:
        """Every neuron's output for ``nin`` checked inputs: one node per neuron."""
        return [neuron._forward(inputs) for neuron in self.neurons]

    def __repr__(self) -> str:
        return f"Layer({self.nin} -> {self.nout}, {self.activation})"


class MLP(Module):
    """A multi-layer perceptron: layers of neurons, each layer feeding the next.

    ``MLP(2, [16, 16, 1])`` is micrograd's network: two hidden layers of 16 ReLU neurons and
    one linear output. The seed's XOR network is
    ``MLP(2, [4, 1], activation="sigmoid", output_activation="sigmoid")``.

    Calling the model on one sample (a list of ``nin`` numbers or Values) gives a Value when
    the last layer has one neuron, else a list of Values.

    Args:
        nin: the number of inputs.
        nouts: the size of each layer, the last one being the output layer.
        activation: the activation of the hidden layers (``"relu"`` by default).
        output_activation: the activation of the last layer (``"linear"`` by default: raw
            scores or logits, which is what the losses in `nn.losses` expect).
        seed: see `Seed`; one ``random.Random`` initialises every layer in turn.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        *,
        seed: Seed = None,
    ) -> None:
        """See the class docstring."""
        self.nin = _check_size(nin, "MLP: nin")
        if isinstance(nouts, str | bytes) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"MLP: nouts must be a non-empty list of layer sizes, got {nouts!r}")
        self.nouts = [_check_size(n, f"MLP: nouts[{i}]") for i, n in enumerate(nouts)]
        self.activation = check_activation(activation, "MLP: activation")
        self._output_activation = check_activation(output_activation, "MLP: output_activation")
        rng = _rng(seed)
        sizes = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], output_activation if i == last else activation, seed=rng)
            for i in range(len(self.nouts))
        ]
        self._tag_owners()

    def _children(self) -> list[tuple[str, Module]]:
        return [(f"layers.{i}", layer) for i, layer in enumerate(self.layers)]

    def _child_modules(self) -> list[Layer]:
        return self.layers

    @property
    def output_activation(self) -> str:
        """The activation of the last layer."""
        return self._output_activation

    def architecture(self) -> dict[str, Any]:
        """``{"type": "MLP", "nin": ..., "nouts": [...], "activation": ...,
        "output_activation": ...}``."""
        return {
            "type": "MLP",
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "output_activation": self.output_activation,
        }

    def __call__(self, x: Sequence[Value | Number]) -> Value | list[Value]:
        """The model's output for one sample: a Value if the last layer has one neuron."""
        values: Sequence[Value] = _as_inputs(x, self.nin, "MLP")
        for layer in self.layers:  # each layer's outputs are the next one's inputs
            values = layer._forward(values)
        return values[0] if len(values) == 1 else list(values)

    def batch(self, X: Sequence[Sequence[Value | Number]]) -> list[Value | list[Value]]:
        """The model's output for each sample of ``X``: ``[model(x) for x in X]``."""
        return [self(x) for x in _as_batch(X, "MLP")]

    def __repr__(self) -> str:
        stages = " -> ".join(f"{layer.nout} {layer.activation}" for layer in self.layers)
        count = sum((layer.nin + 1) * layer.nout for layer in self.layers)
        return f"MLP({self.nin} -> {stages}; {count} parameters)"
