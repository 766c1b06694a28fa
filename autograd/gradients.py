"""``grad()``: the gradients of an output with respect to chosen inputs, as new Values.

Built on the sweep of ``backward.py``, like ``backward()``; unlike it, ``grad()`` touches no
``.grad`` and can record the gradients as a graph of their own (``create_graph=True``), so
they can be differentiated again.
"""

from __future__ import annotations

from collections.abc import Sequence

from autograd.backward import check_gradients, sweep
from autograd.mode import enable_grad
from autograd.value import Value

__all__ = ["grad"]


def grad(output: Value, inputs: Sequence[Value] | Value, create_graph: bool = False) -> list[Value]:
    """d(output)/d(input) for each input, as new Values; no ``.grad`` is touched.

    With ``create_graph=True`` the returned Values are themselves nodes of a graph (built from
    the same op table), so they can be differentiated again: ``grad(grad(y, [x],
    create_graph=True)[0], [x])`` is the second derivative. An input that ``output`` does not
    depend on gets 0.0. A single Value as ``inputs`` is taken as ``[inputs]``.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    inputs = [inputs] if isinstance(inputs, Value) else list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type(x).__name__}")
    with enable_grad():  # create_graph must record even when called under no_grad()
        grads = sweep(output, Value(1.0) if create_graph else 1.0, create_graph=create_graph)
    check_gradients("grad", output, 1.0, inputs, lambda x: grads.get(x, 0.0))
    return [g if isinstance(g, Value) else Value(g) for g in (grads.get(x, 0.0) for x in inputs)]
