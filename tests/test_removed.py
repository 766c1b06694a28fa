"""Modules of older versions (``autograd/removed.py``): a clear error, not a bare one."""

from __future__ import annotations

import importlib
import pickle

import pytest

import autograd
from autograd.removed import REMOVED


@pytest.mark.parametrize("name", sorted(REMOVED))
def test_importing_a_removed_module_says_what_replaced_it(name: str) -> None:
    with pytest.raises(autograd.RemovedModuleError, match="was removed") as info:
        importlib.import_module(name)
    assert info.value.name == name
    assert "autograd.compile" in str(info.value) or "nn.neuron" in str(info.value)


def test_an_old_pickle_of_a_neuron_node_is_refused_with_the_reason() -> None:
    # What a network's graph pickled by the previous round's engine names (protocol 0).
    old = b"cautograd.fused\nNeuronNode\n."
    with pytest.raises(autograd.RemovedModuleError, match="pickle that names it"):
        pickle.loads(old)


def test_other_missing_modules_fail_as_usual() -> None:
    with pytest.raises(ModuleNotFoundError) as info:
        importlib.import_module("autograd.fused_not_a_module")
    assert not isinstance(info.value, autograd.RemovedModuleError)
    from autograd import value  # and present ones import as ever

    assert value.Value(1.0).data == 1.0
