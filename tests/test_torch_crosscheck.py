"""The same generated expressions in PyTorch (float64): values, gradients and second
derivatives must agree with the engine's. Skipped when torch is not installed (the
``reference`` extra)."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings

from autograd import Value, grad
from autograd.testing import OP_NAMES, Expression, expressions, finite_floats

torch = pytest.importorskip("torch")

MANY = settings(max_examples=3 * settings.default.max_examples)
F64 = torch.float64


def _tensor(x: Any) -> Any:
    return x if isinstance(x, torch.Tensor) else torch.tensor(float(x), dtype=F64)


def _torch_sum(values: Sequence[Any]) -> Any:
    return torch.stack([_tensor(v) for v in values]).sum()


_F = torch.nn.functional

_TORCH_ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "linear": lambda z: z,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "leaky_relu": _F.leaky_relu,
    "elu": _F.elu,
    "gelu": _F.gelu,
    "silu": _F.silu,
    "softplus": lambda z: _F.softplus(z, threshold=1e300),  # no threshold shortcut, as ours
}


def _torch_dot(xs: Sequence[Any], ys: Sequence[Any]) -> Any:
    return _torch_sum([x * y for x, y in zip(xs, ys, strict=True)])


def _torch_logsumexp(values: Sequence[Any]) -> Any:
    return torch.logsumexp(torch.stack([_tensor(v) for v in values]), 0)


def _torch_pow(base: Any, exponent: Any) -> Any:
    # With a tensor exponent, write a ** b as exp(b * log(a)) (the strategy keeps a > 0.1).
    # torch's own pow masks d(a ** b)/da to a constant 0 where b == 0, which cuts the
    # derivative of that gradient with respect to b: at a = 1, b = 0 torch says
    # d2/da db = 0 where the true value is a ** (b - 1) * (1 + b * log(a)) = 1.
    if isinstance(exponent, torch.Tensor):
        return torch.exp(exponent * torch.log(_tensor(base)))
    return base**exponent


TORCH_OPS: dict[str, Callable[..., Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": _torch_pow,
    "neg": operator.neg,
    "abs": torch.abs,
    "exp": torch.exp,
    "log": torch.log,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "sqrt": torch.sqrt,
    "sin": torch.sin,
    "cos": torch.cos,
    "tan": torch.tan,
    "atan": torch.atan,
    "log1p": torch.log1p,
    "expm1": torch.expm1,
    "erf": torch.erf,
    "erfc": torch.erfc,
    **{
        name: _TORCH_ACTIVATIONS[name] for name in ("softplus", "gelu", "silu", "leaky_relu", "elu")
    },
    "maximum": lambda a, b: torch.maximum(_tensor(a), _tensor(b)),
    "minimum": lambda a, b: torch.minimum(_tensor(a), _tensor(b)),
    "sum": _torch_sum,
    "dot": _torch_dot,
    "logsumexp": _torch_logsumexp,
}


def test_the_torch_backend_covers_every_op() -> None:
    assert set(TORCH_OPS) == set(OP_NAMES)


def _torch_grads(out: Any, leaves: list[Any], create_graph: bool) -> list[Any]:
    """d out / d leaf for each leaf; a zero tensor where out does not depend on it."""
    if not out.requires_grad:
        return [torch.zeros((), dtype=F64) for _ in leaves]
    grads = torch.autograd.grad(
        out, leaves, create_graph=create_graph, retain_graph=True, allow_unused=True
    )
    return [torch.zeros((), dtype=F64) if g is None else g for g in grads]


def close(ours: float, theirs: float, scale: float = 1.0) -> bool:
    """Equal up to float64 rounding, accumulated over a few dozen ops of different formulas."""
    return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-11 * max(1.0, scale))


@MANY
@given(expressions(variables=3))
def test_values_gradients_and_second_derivatives_agree_with_pytorch(expr: Expression) -> None:
    leaves = [Value(x) for x in expr.values]
    out = expr(*leaves)
    tensors = [torch.tensor(x, dtype=F64, requires_grad=True) for x in expr.values]
    reference = _tensor(expr.evaluate(tensors, TORCH_OPS))
    assert close(out.data, reference.item()), (out.data, reference.item())

    firsts = grad(out, leaves, create_graph=True)
    reference_firsts = _torch_grads(reference, tensors, create_graph=True)
    scale = max(1.0, *(abs(g.data) for g in firsts))
    for i, (ours, theirs) in enumerate(zip(firsts, reference_firsts, strict=True)):
        assert close(ours.data, theirs.item(), scale), (f"d/dx{i}", ours.data, theirs.item())

    for i, (ours, theirs) in enumerate(zip(firsts, reference_firsts, strict=True)):
        seconds = grad(ours, leaves)
        reference_seconds = _torch_grads(theirs, tensors, create_graph=False)
        row_scale = max(scale, *(abs(s.data) for s in seconds))
        for j, (s, t) in enumerate(zip(seconds, reference_seconds, strict=True)):
            assert close(s.data, t.item(), row_scale), (f"d2/dx{i}dx{j}", s.data, t.item())


@pytest.mark.parametrize(
    ("build", "torch_fn"),
    [(Value.relu, torch.relu), (abs, torch.abs)],
    ids=["relu", "abs"],
)
def test_kinks_take_the_same_slope_as_pytorch(
    build: Callable[[Value], Value], torch_fn: Callable[[Any], Any]
) -> None:
    x = Value(0.0)
    build(x).backward()
    t = torch.tensor(0.0, dtype=F64, requires_grad=True)
    torch_fn(t).backward()
    assert x.grad == t.grad.item() == 0.0


@given(finite_floats(-1000, 1000))
def test_sigmoid_and_tanh_match_pytorch_over_a_wide_range(x: float) -> None:
    for method, torch_fn in ((Value.sigmoid, torch.sigmoid), (Value.tanh, torch.tanh)):
        v = Value(x)
        out = method(v)
        out.backward()
        t = torch.tensor(x, dtype=F64, requires_grad=True)
        reference = torch_fn(t)
        reference.backward()
        assert math.isclose(out.data, reference.item(), rel_tol=1e-14, abs_tol=1e-300)
        # Near saturation 1 - tanh(x)**2 keeps only the absolute precision of tanh(x)
        # (~1e-17), in both engines, so the slopes agree absolutely, not relatively.
        assert math.isclose(v.grad, t.grad.item(), rel_tol=1e-12, abs_tol=1e-15)


def test_x_to_the_zero_has_the_same_derivative_as_in_pytorch() -> None:
    x = Value(0.0)
    (x**0).backward()
    t = torch.tensor(0.0, dtype=F64, requires_grad=True)
    (t**0).backward()
    assert x.grad == t.grad.item() == 0.0


def test_pytorch_masks_the_mixed_second_derivative_of_pow_at_exponent_zero() -> None:
    """Why TORCH_OPS writes a ** b as exp(b log a): torch's pow gets d2/da db wrong at b = 0.

    If a torch release fixes this, this test fails and _torch_pow can use ``**`` again.
    """
    a, b = Value(1.0), Value(0.0)
    (da,) = grad(a**b, [a], create_graph=True)
    (dadb,) = grad(da, [b])
    assert dadb.data == 1.0  # a ** (b - 1) * (1 + b * log(a)) at (1, 0)
    ta = torch.tensor(1.0, dtype=F64, requires_grad=True)
    tb = torch.tensor(0.0, dtype=F64, requires_grad=True)
    (tda,) = torch.autograd.grad(ta**tb, [ta], create_graph=True)
    tdadb = _torch_grads(tda, [tb], create_graph=False)[0]
    assert tdadb.item() == 0.0
    (via_exp_log,) = torch.autograd.grad(_torch_pow(ta, tb), [ta], create_graph=True)
    assert _torch_grads(via_exp_log, [tb], create_graph=False)[0].item() == 1.0
