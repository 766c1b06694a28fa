"""Modules that older versions of glassgrad had: importing one says what became of it.

Round 3 made the engine one engine (``benchmarks/DECISIONS.md``, decision 18): the fast twins
of the operators (``autograd.fast``, ``autograd.fast_ops``) and the fused neuron nodes
(``autograd.fused``) were deleted; a neuron is now nn's op (``nn/neuron.py``). Code written
for the old layout, and pickles written by it (a network's graph pickled then names
``autograd.fused.NeuronNode``), would fail with a bare "No module named ...". This finder,
asked before Python's own, answers an import of one of those names with an ImportError that
says what replaced it instead. It finds nothing else, so every other import is untouched.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

__all__ = ["REMOVED", "RemovedModuleError"]

_PICKLES = (
    "A pickle that names it was written by an older glassgrad and cannot be loaded: build the "
    "graph again with this version (a model saved with nn.io.save holds numbers, not nodes, "
    "and loads as before)."
)

REMOVED = {
    "autograd.fused": (
        "autograd.fused (fused neuron nodes, NeuronNode, fused.layer) was removed when the "
        "engine became one engine: a neuron is now nn's op, one node per neuron "
        "(nn.neuron.neuron(weights, inputs, bias, activation), or nn.Neuron / nn.Layer). "
        + _PICKLES
    ),
    "autograd.fast": (
        "autograd.fast (the fast sweep) was removed: backward() runs autograd/backward.py, the "
        "one engine; for speed, autograd.compile writes a graph's backward out as Python. "
        + _PICKLES
    ),
    "autograd.fast_ops": (
        "autograd.fast_ops (fast twins of Value's operators) was removed: Value's operators in "
        "autograd/value.py are what runs; for speed, use autograd.compile. " + _PICKLES
    ),
}
"""Each removed module's name, and what the error says of it."""


class RemovedModuleError(ImportError):
    """An import of a module that older glassgrad had and this one removed."""


class _RemovedModules:
    """A finder on ``sys.meta_path`` that refuses the removed modules, with the reason."""

    @staticmethod
    def find_spec(
        name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        """Raise for a removed module; None (not mine: ask the next finder) otherwise."""
        if name in REMOVED:
            raise RemovedModuleError(REMOVED[name], name=name)
        return None


if not any(isinstance(finder, _RemovedModules) for finder in sys.meta_path):
    sys.meta_path.insert(0, _RemovedModules())
