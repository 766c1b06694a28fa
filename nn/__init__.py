"""glassgrad's nn: neurons, layers and MLPs on the autograd engine, with what it takes to train.

>>> from nn import MLP
>>> model = MLP(2, [16, 16, 1], seed=0)   # micrograd's network: ReLU hidden, linear output
>>> out = model([0.5, -1.0])              # a Value (one output) or a list of Values

Public names: `Module`, `Parameter`, `Neuron`, `Layer`, `MLP`, `fit`, `History`, `accuracy`,
`draw_network` (the layered picture of a model, `NetworkPicture`), `trace_network` (a
step-through of one sample's backward pass with the network beside it), `TrainingView` (a
training run recorded epoch by epoch and, in Jupyter, shown live: `nn.live`),
and the modules `nn.losses`, `nn.optim` (`SGD`, `Adam`), `nn.data`, `nn.io`, `nn.plot`
(matplotlib is imported only when a plot is drawn) and `nn.cli` (the ``glassgrad`` command).
`to_torch` and `from_torch` move an MLP's weights to a ``torch.nn.Sequential`` and back
(torch is imported only when they are called); `nn.text` turns sentences into
bag-of-words inputs.
"""

from nn import data, losses, optim, text
from nn.live import TrainingView
from nn.module import MLP, Layer, Module, Neuron, Parameter
from nn.network import NetworkPicture, draw_network
from nn.stepthrough import trace_network
from nn.torch_bridge import from_torch, to_torch
from nn.train import DivergedError, History, accuracy, fit

__all__ = [
    "MLP",
    "DivergedError",
    "History",
    "Layer",
    "Module",
    "NetworkPicture",
    "Neuron",
    "Parameter",
    "TrainingView",
    "accuracy",
    "data",
    "draw_network",
    "fit",
    "from_torch",
    "losses",
    "optim",
    "text",
    "to_torch",
    "trace_network",
]
