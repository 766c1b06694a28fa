"""nn.data: the data sets are the right shapes, seeded, deterministic; split and jitter."""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter
from collections.abc import Callable

import pytest

from nn import data

Maker = Callable[..., tuple[list[list[float]], list[int]]]

SETS: list[tuple[str, Maker, set[int]]] = [
    ("moons", lambda seed: data.moons(60, noise=0.1, seed=seed), {0, 1}),
    ("circles", lambda seed: data.circles(60, noise=0.05, seed=seed), {0, 1}),
    ("spirals", lambda seed: data.spirals(60, classes=3, noise=0.2, seed=seed), {0, 1, 2}),
    ("blobs", lambda seed: data.blobs(60, centers=4, seed=seed), {0, 1, 2, 3}),
]


@pytest.mark.parametrize(("name", "make", "labels"), SETS, ids=[s[0] for s in SETS])
def test_shapes_types_and_balance(name: str, make: Maker, labels: set[int]) -> None:
    X, y = make(0)
    assert len(X) == len(y) == 60
    assert all(type(p) is list and len(p) == 2 and all(type(c) is float for c in p) for p in X)
    assert all(type(label) is int for label in y)
    counts = Counter(y)
    assert set(counts) == labels
    assert max(counts.values()) - min(counts.values()) <= 1


@pytest.mark.parametrize(("name", "make", "labels"), SETS, ids=[s[0] for s in SETS])
def test_seeded_deterministic_and_private_rng(name: str, make: Maker, labels: set[int]) -> None:
    random.seed(7)
    state = random.getstate()
    assert make(3) == make(3)
    assert make(3) != make(4)
    assert make(None) != make(None)
    assert random.getstate() == state


def test_xor() -> None:
    X, y = data.xor()
    assert X == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert y == [int(a) ^ int(b) for a, b in X]


def test_moons_without_noise_lie_on_their_arcs() -> None:
    X, y = data.moons(40, noise=0.0, seed=0)
    for (a, b), label in zip(X, y, strict=True):
        if label == 0:
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:
            assert math.hypot(a - 1, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12


def test_circles_without_noise_have_their_radii() -> None:
    X, y = data.circles(40, noise=0.0, factor=0.3, seed=0)
    for (a, b), label in zip(X, y, strict=True):
        assert math.hypot(a, b) == pytest.approx(1.0 if label == 0 else 0.3)


def test_blobs_gather_around_their_centers() -> None:
    X, y = data.blobs(400, centers=2, std=0.3, seed=1)
    for k, center in ((0, (2.0, 0.0)), (1, (-2.0, 0.0))):
        points = [p for p, label in zip(X, y, strict=True) if label == k]
        assert statistics.fmean(p[0] for p in points) == pytest.approx(center[0], abs=0.1)
        assert statistics.fmean(p[1] for p in points) == pytest.approx(center[1], abs=0.1)


def test_spirals_count_per_class() -> None:
    _, y = data.spirals(100, classes=4, seed=0)
    assert Counter(y) == {0: 25, 1: 25, 2: 25, 3: 25}


@pytest.mark.parametrize(
    "call",
    [
        lambda: data.moons(1),
        lambda: data.moons(10, noise=-0.1),
        lambda: data.moons(10.0),  # type: ignore[arg-type]
        lambda: data.circles(10, factor=1.0),
        lambda: data.spirals(10, classes=1),
        lambda: data.blobs(0),
        lambda: data.blobs(10, std=math.inf),
    ],
)
def test_bad_arguments(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        call()


def test_train_test_split() -> None:
    X, y = data.moons(50, seed=0)
    (X_train, y_train), (X_test, y_test) = data.train_test_split(X, y, 0.2, seed=1)
    assert (len(X_train), len(X_test)) == (40, 10)
    pairs = sorted(map(repr, zip(X, y, strict=True)))
    assert sorted(map(repr, zip(X_train + X_test, y_train + y_test, strict=True))) == pairs
    assert data.train_test_split(X, y, 0.2, seed=1) == ((X_train, y_train), (X_test, y_test))
    assert data.train_test_split(X, y, 0.2, seed=2) != ((X_train, y_train), (X_test, y_test))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([[0.0, 0.0]] * 3, [0, 1]), "3 points but 2 labels"),
        (([[0.0, 0.0]] * 4, [0] * 4, 0.0), r"in \(0, 1\)"),
        (([[0.0, 0.0]] * 4, [0] * 4, 1.0), r"in \(0, 1\)"),
        (([[0.0, 0.0]] * 4, [0] * 4, 0.05), "leaves one part empty"),
    ],
)
def test_train_test_split_errors(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        data.train_test_split(*args)  # type: ignore[arg-type]


def test_jitter_adds_noisy_copies_with_the_same_labels() -> None:
    X, y = data.xor()
    X2, y2 = data.jitter(X, y, copies=250, std=0.1, seed=0)
    assert len(X2) == len(y2) == 4 * 251
    assert X2[:4] == X and y2[:4] == y
    assert y2 == y * 251
    offsets = [x2[0] - X[i % 4][0] for i, x2 in enumerate(X2)][4:]
    assert statistics.fmean(offsets) == pytest.approx(0.0, abs=0.02)
    assert statistics.pstdev(offsets) == pytest.approx(0.1, rel=0.1)
    assert data.jitter(X, y, seed=5) == data.jitter(X, y, seed=5)
    assert data.jitter(X, y, copies=0) == (X, y)
    with pytest.raises(ValueError, match="std"):
        data.jitter(X, y, std=-1.0)


def test_split_and_jitter_take_numpy_arrays() -> None:
    np = pytest.importorskip("numpy")
    X, y = data.moons(20, seed=0)
    for x_type, y_type in (("float64", "int64"), ("float32", "float32")):
        X_np, y_np = np.array(X, dtype=x_type), np.array(y, dtype=y_type)
        X_plain, y_plain = X_np.tolist(), y_np.tolist()
        for X_given, y_given in ((X_np, y_np), (list(X_np), list(y_np))):
            parts = data.train_test_split(X_given, y_given, 0.25, seed=1)
            assert parts == data.train_test_split(X_plain, y_plain, 0.25, seed=1)
            (X_train, y_train), _ = parts
            assert {type(v) for row in X_train for v in row} == {float}
            assert {type(t) for t in y_train} == {type(y_plain[0])}
            jittered = data.jitter(X_given, y_given, 2, seed=3)
            assert jittered == data.jitter(X_plain, y_plain, 2, seed=3)
            assert {type(t) for t in jittered[1]} == {type(y_plain[0])}


def test_as_lists_leaves_lists_of_values_alone() -> None:
    from autograd import Value

    values = [Value(1.0), Value(2.0)]
    assert data.as_lists(values) is values
    assert data.as_lists([[1.0, 2.0]]) == [[1.0, 2.0]]


def test_sizes_and_rates_may_be_numpy_numbers() -> None:
    np = pytest.importorskip("numpy")
    assert data.moons(np.int64(10), noise=np.float32(0.1), seed=0) == data.moons(
        10, noise=float(np.float32(0.1)), seed=0
    )
    assert data.circles(np.int32(10), factor=np.float64(0.5), seed=1) == data.circles(10, seed=1)
    X, y = data.blobs(10, centers=np.int64(2), seed=0)
    assert data.train_test_split(X, y, np.float32(0.5), seed=0) == data.train_test_split(
        X, y, 0.5, seed=0
    )
    assert data.jitter(X, y, copies=np.int64(1), std=np.float32(0.5), seed=0) == data.jitter(
        X, y, copies=1, std=float(np.float32(0.5)), seed=0
    )
    with pytest.raises(ValueError, match="must be an int"):
        data.moons(np.float64(10.0))
