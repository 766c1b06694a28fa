"""nn.optim: SGD and Adam against hand-computed steps and against torch.optim."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from nn import MLP, Parameter
from nn.optim import SGD, Adam, Optimizer


def params(*data: float) -> list[Value]:
    return [Parameter(x, label=f"w{i}", owner="test") for i, x in enumerate(data)]


def set_grads(ps: list[Value], grads: list[float]) -> None:
    for p, g in zip(ps, grads, strict=True):
        p.grad = g


def test_sgd_hand_step() -> None:
    ps = params(1.0, -2.0)
    opt = SGD(ps, lr=0.1)
    set_grads(ps, [0.5, -3.0])
    opt.step()
    assert [p.data for p in ps] == [1.0 - 0.1 * 0.5, -2.0 + 0.1 * 3.0]
    assert opt.steps == 1


def test_sgd_momentum_and_weight_decay_by_hand() -> None:
    (p,) = params(1.0)
    opt = SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    p.grad = 0.5
    opt.step()
    g1 = 0.5 + 0.01 * 1.0
    v1 = g1
    p1 = 1.0 - 0.1 * v1
    assert p.data == pytest.approx(p1, rel=1e-15)
    p.grad = -0.2
    opt.step()
    g2 = -0.2 + 0.01 * p1
    v2 = 0.9 * v1 + g2
    assert p.data == pytest.approx(p1 - 0.1 * v2, rel=1e-15)


def test_adam_hand_steps() -> None:
    (p,) = params(1.0)
    opt = Adam([p], lr=0.01)
    p.grad = 0.3
    opt.step()
    # After one step m_hat = g and v_hat = g^2: the step is lr * g / (|g| + eps).
    assert p.data == pytest.approx(1.0 - 0.01 * 0.3 / (0.3 + 1e-8), rel=1e-14)
    p1 = p.data
    p.grad = -0.1
    opt.step()
    m = 0.9 * (0.1 * 0.3) + 0.1 * -0.1
    v = 0.999 * (0.001 * 0.09) + 0.001 * 0.01
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    assert p.data == pytest.approx(p1 - 0.01 * m_hat / (math.sqrt(v_hat) + 1e-8), rel=1e-13)


def test_learning_rate_schedule_gets_the_zero_based_step() -> None:
    seen: list[int] = []

    def schedule(k: int) -> float:
        seen.append(k)
        return 1.0 / (k + 1)

    (p,) = params(0.0)
    opt = SGD([p], lr=schedule)
    for _ in range(3):
        p.grad = 1.0
        opt.step()
    assert seen == [0, 1, 2]
    assert p.data == pytest.approx(-(1 + 1 / 2 + 1 / 3))


def test_steps_build_no_graph_nodes() -> None:
    model = MLP(2, [3, 1], seed=0)
    before = [type(p) for p in model.parameters()]
    for opt in (SGD(model.parameters(), lr=0.1, momentum=0.5), Adam(model.parameters())):
        out = model([1.0, -1.0])
        assert isinstance(out, Value)
        out.backward()
        opt.step()
        assert [type(p) for p in model.parameters()] == before
        assert all(p.parents == () and type(p.data) is float for p in model.parameters())


def test_zero_grad_and_duplicates() -> None:
    (p,) = params(1.0)
    opt = SGD([p, p], lr=0.5)
    p.grad = 1.0
    opt.step()
    assert p.data == 0.5  # listed twice, updated once
    opt.zero_grad()
    assert p.grad == 0.0


def test_an_overflowing_step_changes_nothing() -> None:
    ps = params(1.0, 1e308)
    opt = SGD(ps, lr=10.0)
    set_grads(ps, [0.1, -1e308])
    with pytest.raises(OverflowError, match=r"step 0 would make test\.w1 inf"):
        opt.step()
    assert [p.data for p in ps] == [1.0, 1e308]
    assert opt.steps == 0


def test_an_infinite_gradient_is_refused() -> None:
    (p,) = params(1.0)
    opt = Adam([p])
    p.grad = math.inf
    with pytest.raises(OverflowError, match=r"gradient of test\.w0 is inf"):
        opt.step()
    assert p.data == 1.0


def test_huge_finite_gradients_and_values_whose_sum_overflows_are_accepted() -> None:
    # The finiteness check adds the numbers first; an overflowing sum of finite numbers
    # must only send it to the number-by-number check, not raise.
    ps = params(1.7e308, 1.7e308)
    opt = SGD(ps, lr=1e-9)
    set_grads(ps, [1.7e308, 1.7e308])
    opt.step()
    assert all(math.isfinite(p.data) and p.data < 1.7e308 for p in ps)


def test_adam_refuses_a_gradient_whose_square_overflows_before_changing_anything() -> None:
    # 1e200 squared is inf: the second moment would become inf and the parameter would
    # never move again. The step must raise, naming the parameter, and change nothing.
    ps = params(1.0, 2.0)
    opt = Adam(ps, lr=0.1)
    set_grads(ps, [0.5, 0.25])
    opt.step()
    state = ([p.data for p in ps], list(opt.m), list(opt.v), opt.steps)
    set_grads(ps, [0.5, 1e200])
    with pytest.raises(OverflowError, match=r"Adam: step 1: .*test\.w1.*1e\+200"):
        opt.step()
    assert ([p.data for p in ps], opt.m, opt.v, opt.steps) == state


@settings(deadline=None)
@given(
    gradients=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=4),
    momentum=st.sampled_from([0.0, 0.9]),
    use_adam=st.booleans(),
)
def test_a_step_either_raises_and_changes_nothing_or_leaves_everything_finite(
    gradients: list[float], momentum: float, use_adam: bool
) -> None:
    ps = params(*[0.5] * len(gradients))
    opt: Optimizer = Adam(ps, lr=0.01) if use_adam else SGD(ps, lr=0.01, momentum=momentum)

    def state() -> list[float]:
        buffers = [opt.m, opt.v] if isinstance(opt, Adam) else [opt.velocity]  # type: ignore[attr-defined]
        return [p.data for p in ps] + [x for buffer in buffers for x in buffer]

    for _ in range(2):
        set_grads(ps, gradients)
        before, steps = state(), opt.steps
        try:
            opt.step()
        except OverflowError:
            assert state() == before and opt.steps == steps
            return
        assert all(math.isfinite(x) for x in state())


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda ps: SGD(ps, lr=-1), "lr must be > 0"),
        (lambda ps: SGD(ps, lr=0), "lr must be > 0"),
        (lambda ps: SGD(ps, lr=math.nan), "lr must be a finite number"),
        (lambda ps: SGD(ps, lr=0.1, momentum=1.0), r"momentum must be in \[0, 1\)"),
        (lambda ps: SGD(ps, lr=0.1, weight_decay=-0.1), "weight_decay must be >= 0"),
        (lambda ps: Adam(ps, betas=(0.9, 1.0)), r"betas\[1\] must be in \[0, 1\)"),
        (lambda ps: Adam(ps, betas=(0.9,)), "betas must be a pair"),  # type: ignore[arg-type]
        (lambda ps: Adam(ps, eps=0.0), "eps must be > 0"),
        (lambda ps: SGD([], lr=0.1), "no parameters"),
    ],
)
def test_bad_settings(make: Callable[[list[Value]], Optimizer], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make(params(1.0))


def test_bad_parameters_and_schedules() -> None:
    with pytest.raises(TypeError, match="must be Values"):
        SGD([1.0], lr=0.1)  # type: ignore[list-item]
    (p,) = params(1.0)
    opt = SGD([p], lr=lambda k: -0.5)
    p.grad = 1.0
    with pytest.raises(ValueError, match=r"lr\(0\) must be >= 0"):
        opt.step()
    assert p.data == 1.0


# -- against torch.optim ----------------------------------------------------------------------


def _gradient(x: float, step: int) -> float:
    """A made-up gradient that depends on the parameter and the step, like a real one."""
    return math.sin(3 * x) + 0.1 * step - x * x


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda ps: SGD(ps, lr=0.1), lambda opt, ts: opt.SGD(ts, lr=0.1)),
        (
            lambda ps: SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01),
            lambda opt, ts: opt.SGD(ts, lr=0.05, momentum=0.9, weight_decay=0.01),
        ),
        (lambda ps: Adam(ps, lr=0.01), lambda opt, ts: opt.Adam(ts, lr=0.01)),
        (
            lambda ps: Adam(ps, lr=0.03, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
            lambda opt, ts: opt.Adam(ts, lr=0.03, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
        ),
    ],
    ids=["sgd", "sgd-momentum-decay", "adam", "adam-decay"],
)
def test_matches_torch_optim(
    ours: Callable[[list[Value]], Optimizer], theirs: Callable[[object, list[object]], object]
) -> None:
    torch = pytest.importorskip("torch")
    start = [0.5, -1.2, 2.0, 0.0]
    ps = params(*start)
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in start]
    opt, reference = ours(ps), theirs(torch.optim, ts)
    for step in range(8):
        for p, t in zip(ps, ts, strict=True):
            p.grad = _gradient(p.data, step)
            t.grad = torch.tensor(_gradient(t.item(), step), dtype=torch.float64)
        opt.step()
        reference.step()  # type: ignore[attr-defined]
        assert [p.data for p in ps] == pytest.approx([t.item() for t in ts], rel=1e-13, abs=1e-15)


def test_schedule_matches_torch_lambda_lr() -> None:
    torch = pytest.importorskip("torch")
    ps = params(1.0, -0.5)
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (1.0, -0.5)]
    opt = SGD(ps, lr=lambda k: 1.0 - 0.09 * k)
    reference = torch.optim.SGD(ts, lr=1.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(reference, lambda k: 1.0 - 0.09 * k)
    for step in range(5):
        for p, t in zip(ps, ts, strict=True):
            p.grad = _gradient(p.data, step)
            t.grad = torch.tensor(_gradient(t.item(), step), dtype=torch.float64)
        opt.step()
        reference.step()
        scheduler.step()
    assert [p.data for p in ps] == pytest.approx([t.item() for t in ts], rel=1e-13)


def test_settings_may_be_numpy_numbers() -> None:
    np = pytest.importorskip("numpy")
    ps = params(1.0, 2.0)
    opt = Adam(ps, lr=np.float32(0.5), betas=(np.float64(0.9), np.float32(0.99)), eps=1e-8)
    sgd = SGD(params(1.0), lr=np.float64(0.1), momentum=np.float32(0.5), weight_decay=np.int64(0))
    set_grads(ps, [0.5, -0.5])
    opt.step()
    assert opt.lr == np.float32(0.5) and sgd.momentum == 0.5
    assert [type(x) for x in (opt.beta1, opt.beta2, sgd.momentum, sgd.weight_decay)] == [float] * 4
