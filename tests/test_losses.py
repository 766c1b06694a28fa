"""nn.losses against closed forms and against torch.nn.functional (values and gradients)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest

from autograd import Value, topological_order
from nn import losses


def leaves(data: list[float]) -> list[Value]:
    return [Value(x) for x in data]


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


# -- closed forms -----------------------------------------------------------------------------


def test_mse_value_and_gradient() -> None:
    p = leaves([0.5, 2.0, -1.0])
    t = [1.0, 2.0, 1.0]
    loss = losses.mse(p, t)
    assert loss.data == pytest.approx((0.25 + 0 + 4) / 3, rel=1e-15)
    loss.backward()
    assert [v.grad for v in p] == pytest.approx(
        [2 * (pi.data - ti) / 3 for pi, ti in zip(p, t, strict=True)]
    )


def test_binary_cross_entropy_value_and_gradient() -> None:
    z = leaves([0.3, -2.0, 4.0, 0.0])
    t = [1, 0, 0, 1]
    loss = losses.binary_cross_entropy(z, t)
    expected = (
        -sum(
            ti * math.log(sigmoid(zi.data)) + (1 - ti) * math.log(1 - sigmoid(zi.data))
            for zi, ti in zip(z, t, strict=True)
        )
        / 4
    )
    assert loss.data == pytest.approx(expected, rel=1e-14)
    loss.backward()
    assert [v.grad for v in z] == pytest.approx(
        [(sigmoid(zi.data) - ti) / 4 for zi, ti in zip(z, t, strict=True)], rel=1e-12
    )


@pytest.mark.parametrize(
    ("z", "t", "value", "grad"),
    [
        (800.0, 1, 0.0, 0.0),
        (800.0, 0, 800.0, 1.0),
        (-800.0, 1, 800.0, -1.0),
        (-800.0, 0, 0.0, 0.0),
    ],
)
def test_binary_cross_entropy_is_stable_at_800(z: float, t: int, value: float, grad: float) -> None:
    logit = Value(z)
    loss = losses.binary_cross_entropy([logit], [t])
    loss.backward()
    assert math.isfinite(loss.data) and math.isfinite(logit.grad)
    assert loss.data == pytest.approx(value, abs=1e-300)
    assert logit.grad == pytest.approx(grad, abs=1e-300)


def test_binary_cross_entropy_soft_labels_and_bad_targets() -> None:
    z = Value(0.7)
    assert losses.binary_cross_entropy([z], [0.25]).data == pytest.approx(
        -(0.25 * math.log(sigmoid(0.7)) + 0.75 * math.log(1 - sigmoid(0.7)))
    )
    for bad in (-1, 2, 1.5):
        with pytest.raises(ValueError, match=r"targets\[0\] must be in \[0, 1\]"):
            losses.binary_cross_entropy([z], [bad])


def test_hinge_value_and_gradient() -> None:
    s = leaves([0.5, -2.0, 3.0, -0.2])
    y = [1, -1, -1, 1]
    loss = losses.hinge(s, y)
    margins = [1 - yi * si.data for si, yi in zip(s, y, strict=True)]
    assert loss.data == pytest.approx(sum(max(m, 0) for m in margins) / 4, rel=1e-15)
    loss.backward()
    assert [v.grad for v in s] == [
        (-yi / 4 if m > 0 else 0.0) for yi, m in zip(y, margins, strict=True)
    ]


@pytest.mark.parametrize("targets", [[0, 1], [1, 0], [1, 2], [0.5, 1]])
def test_hinge_refuses_targets_other_than_plus_minus_one(targets: list[float]) -> None:
    with pytest.raises(ValueError, match=r"must be -1 or \+1.*2 \* y - 1"):
        losses.hinge(leaves([0.1, 0.2]), targets)


def test_cross_entropy_value_and_gradient() -> None:
    rows = [leaves([1.0, 2.0, 0.5]), leaves([-1.0, 0.0, 3.0])]
    t = [0, 2]
    loss = losses.cross_entropy(rows, t)
    expected = 0.0
    for row, ti in zip(rows, t, strict=True):
        data = [v.data for v in row]
        expected += math.log(sum(math.exp(d) for d in data)) - data[ti]
    assert loss.data == pytest.approx(expected / 2, rel=1e-14)
    loss.backward()
    for row, ti in zip(rows, t, strict=True):
        data = [v.data for v in row]
        total = sum(math.exp(d) for d in data)
        softmax = [math.exp(d) / total for d in data]
        wanted = [(p - (1 if j == ti else 0)) / 2 for j, p in enumerate(softmax)]
        assert [v.grad for v in row] == pytest.approx(wanted, rel=1e-12, abs=1e-15)


def test_cross_entropy_is_stable_for_huge_logits() -> None:
    row = leaves([1000.0, 0.0, -1000.0])
    loss = losses.cross_entropy([row], [1])
    loss.backward()
    assert loss.data == pytest.approx(1000.0)
    assert [v.grad for v in row] == pytest.approx([1.0, -1.0, 0.0])


@pytest.mark.parametrize("target", [3, -1, True, 1.0])
def test_cross_entropy_bad_class_index(target: object) -> None:
    with pytest.raises(ValueError, match=r"targets\[0\] must be a class index in 0..2"):
        losses.cross_entropy([leaves([1.0, 2.0, 3.0])], [target])  # type: ignore[list-item]


def test_cross_entropy_needs_lists_of_scores() -> None:
    with pytest.raises(ValueError, match="list of at least 2 class scores"):
        losses.cross_entropy([Value(1.0)], [0])  # type: ignore[list-item]


def test_l2_is_the_sum_of_squares() -> None:
    p = leaves([0.5, -2.0, 3.0])
    penalty = losses.l2(p)
    assert penalty.data == 0.25 + 4 + 9
    assert penalty.op.symbol == "dot" and penalty.parents == (*p, *p)  # one node, whatever the size
    assert losses.l2(v for v in p).data == penalty.data  # any iterable, e.g. a generator
    penalty.backward()
    assert [v.grad for v in p] == [1.0, -4.0, 6.0]
    assert losses.l2([]).data == 0.0


BATCH_LOSSES: list[tuple[str, Callable[..., Value], list[float]]] = [
    ("mse", losses.mse, [0.0, 1.0]),
    ("binary_cross_entropy", losses.binary_cross_entropy, [0.0, 1.0]),
    ("hinge", losses.hinge, [-1.0, 1.0]),
]


@pytest.mark.parametrize(("name", "loss", "targets"), BATCH_LOSSES)
def test_mismatched_lengths_and_empty_batches(
    name: str, loss: Callable[..., Value], targets: list[float]
) -> None:
    with pytest.raises(ValueError, match=f"{name}: 3 predictions but 2 targets"):
        loss(leaves([0.1, 0.2, 0.3]), targets)
    with pytest.raises(ValueError, match="empty"):
        loss([], [])
    with pytest.raises(ValueError, match="finite number"):
        loss(leaves([0.1, 0.2]), [targets[0], float("nan")])


def test_cross_entropy_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="2 predictions but 1 targets"):
        losses.cross_entropy([leaves([1.0, 2.0]), leaves([1.0, 2.0])], [0])


def test_losses_return_the_mean_and_accept_numbers() -> None:
    # Doubling the batch with the same samples keeps the mean.
    one = losses.hinge([0.5, -0.2], [1, -1]).data
    assert losses.hinge([0.5, -0.2, 0.5, -0.2], [1, -1, 1, -1]).data == pytest.approx(one)


def test_a_batch_of_n_is_a_small_graph() -> None:
    scores = leaves([0.5, -0.2, 0.1])
    loss = losses.hinge(scores, [1, -1, 1])
    ops = [v.op.symbol for v in topological_order(loss) if v.parents]
    assert sorted(ops) == sorted(["-", "+", "-", "relu", "relu", "relu", "sum", "*"])
    single = losses.hinge([scores[0]], [1])
    assert single.op.symbol == "relu"  # a batch of one needs no sum and no scaling


# -- the largest finite numbers ---------------------------------------------------------------


def test_binary_cross_entropy_at_the_largest_logits_is_the_finite_mean() -> None:
    logits = leaves([1e308, -1e308])
    loss = losses.binary_cross_entropy(logits, [0, 1])
    assert loss.data == 1e308
    loss.backward()
    assert [v.grad for v in logits] == [0.5, -0.5]


@pytest.mark.parametrize(
    ("loss", "predictions", "targets", "mean"),
    [
        (losses.mse, [1e154, -1e154, 1e154], [0, 0, 0], 1e308),
        (losses.binary_cross_entropy, [1.5e308, -1.5e308, 1.5e308], [0, 1, 0], 1.5e308),
        (losses.hinge, [-1.5e308, 1.5e308, -1.5e308], [1, -1, 1], 1.5e308),
    ],
    ids=["mse", "bce", "hinge"],
)
def test_a_finite_mean_of_terms_whose_sum_overflows(
    loss: Callable[..., Value], predictions: list[float], targets: list[int], mean: float
) -> None:
    values = leaves(predictions)
    result = loss(values, targets)
    assert result.data == pytest.approx(mean, rel=1e-15)
    result.backward()
    assert all(math.isfinite(v.grad) for v in values)


def test_cross_entropy_far_apart_logits() -> None:
    # The other class is 2e308 below: e^(z - max) is exactly 0, the loss is 0 (and finite).
    row = leaves([1e308, -1e308])
    loss = losses.cross_entropy([row, leaves([-1e308, 1e308])], [0, 1])
    assert loss.data == 0.0
    loss.backward()
    assert [v.grad for v in row] == [0.0, 0.0]
    # Batch terms near the largest float: their mean is finite even though their sum is not.
    big = [leaves([0.0, 1.5e308]), leaves([1.5e308, 0.0])]
    assert losses.cross_entropy(big, [0, 1]).data == pytest.approx(1.5e308, rel=1e-15)
    with pytest.raises(OverflowError):  # the true loss, 2e308, is beyond the largest float
        losses.cross_entropy([leaves([1e308, -1e308])], [1])


def test_a_batch_mean_of_terms_that_fit_keeps_the_small_graph() -> None:
    loss = losses.mse(leaves([1.0, 2.0, 3.0]), [0, 0, 0])
    assert (
        len([v for v in topological_order(loss) if v.parents]) == 2 * 3 + 1 + 1
    )  # -, **2, sum, /n


# -- numpy data -------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_every_loss_takes_numpy_targets(dtype: str) -> None:
    np = pytest.importorskip("numpy")
    cases: list[tuple[Callable[..., Value], list[float]]] = [
        (losses.mse, [0.0, 1.0, 1.0]),
        (losses.binary_cross_entropy, [0.0, 1.0, 1.0]),
        (losses.hinge, [-1.0, 1.0, 1.0]),
    ]
    for loss, labels in cases:
        scores = [0.3, -1.2, 2.0]
        plain = loss(leaves(scores), labels).data
        assert loss(leaves(scores), np.array(labels, dtype=dtype)).data == plain
        assert loss(leaves(scores), list(np.array(labels, dtype=dtype))).data == plain
        numpy_scores = np.array(scores, dtype="float64")
        assert loss(numpy_scores, np.array(labels, dtype=dtype)).data == plain
    rows = [leaves([0.1, 0.7, -0.3]), leaves([1.0, 0.0, 0.5])]
    plain = losses.cross_entropy(rows, [2, 0]).data
    for targets in (np.array([2, 0]), np.array([2, 0], dtype="int32"), list(np.array([2, 0]))):
        assert losses.cross_entropy(rows, targets).data == plain
    as_array = np.array([[0.1, 0.7, -0.3], [1.0, 0.0, 0.5]])
    assert losses.cross_entropy(as_array, np.array([2, 0])).data == plain
    with pytest.raises(ValueError, match=r"targets\[0\] must be a class index"):
        losses.cross_entropy(rows, np.array([2.5, 0.0]))


def test_float32_targets_keep_their_exact_value() -> None:
    np = pytest.importorskip("numpy")
    target = np.float32(0.1)
    loss = losses.mse([Value(0.0)], [target])
    assert loss.data == float(target) ** 2


# -- against torch ----------------------------------------------------------------------------


def _torch_check(
    ours: Callable[[list[Value]], Value], theirs: Callable[[object], object], data: list[float]
) -> None:
    torch = pytest.importorskip("torch")
    values = leaves(data)
    loss = ours(values)
    loss.backward()
    x = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    reference = theirs(x)
    reference.backward()  # type: ignore[attr-defined]
    assert loss.data == pytest.approx(reference.item(), rel=1e-12, abs=1e-15)  # type: ignore[attr-defined]
    assert [v.grad for v in values] == pytest.approx(x.grad.tolist(), rel=1e-10, abs=1e-15)


def _random(n: int, seed: int, scale: float = 3.0) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(-scale, scale) for _ in range(n)]


@pytest.mark.parametrize("seed", [0, 1])
def test_mse_matches_torch(seed: int) -> None:
    torch = pytest.importorskip("torch")
    targets = _random(7, seed + 100)
    _torch_check(
        lambda p: losses.mse(p, targets),
        lambda x: torch.nn.functional.mse_loss(x, torch.tensor(targets, dtype=torch.float64)),
        _random(7, seed),
    )


@pytest.mark.parametrize("scale", [3.0, 800.0])
def test_binary_cross_entropy_matches_torch(scale: float) -> None:
    torch = pytest.importorskip("torch")
    rng = random.Random(int(scale))
    targets = [float(rng.random() < 0.5) for _ in range(9)]
    _torch_check(
        lambda z: losses.binary_cross_entropy(z, targets),
        lambda x: torch.nn.functional.binary_cross_entropy_with_logits(
            x, torch.tensor(targets, dtype=torch.float64)
        ),
        _random(9, 3, scale),
    )


def test_hinge_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    y = [1.0, -1.0, -1.0, 1.0, 1.0, -1.0]
    _torch_check(
        lambda s: losses.hinge(s, y),
        lambda x: torch.relu(1 - torch.tensor(y, dtype=torch.float64) * x).mean(),
        [0.3, -2.0, 0.4, 1.5, -0.1, 0.9],
    )


@pytest.mark.parametrize("scale", [3.0, 500.0])
def test_cross_entropy_matches_torch(scale: float) -> None:
    torch = pytest.importorskip("torch")
    classes, n = 4, 5
    targets = [random.Random(i).randrange(classes) for i in range(n)]
    _torch_check(
        lambda flat: losses.cross_entropy(
            [flat[i * classes : (i + 1) * classes] for i in range(n)], targets
        ),
        lambda x: torch.nn.functional.cross_entropy(x.view(n, classes), torch.tensor(targets)),  # type: ignore[attr-defined]
        _random(n * classes, 9, scale),
    )
