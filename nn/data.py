"""Small 2-D data sets to train on, a train/test split and jitter augmentation.

Every function returns plain Python lists: ``X`` is a list of points ``[x1, x2]`` and ``y`` a
list of int labels (0/1 for the two-class sets, class indices for the others). Randomness comes
from a ``random.Random(seed)`` of the call's own, never the global random state: the same seed
gives the same data, and ``seed=None`` fresh data each time.

Data may also arrive as numpy arrays (scikit-learn's ``make_moons`` returns float64 points
and int64 labels): `train_test_split`, `jitter`, `nn.fit`, `nn.accuracy` and the losses take
them as they come, through `as_lists`. numpy itself is never imported here: an array is
recognised by its ``tolist`` method, and numbers by ``numbers.Real``.

>>> X, y = moons(100, noise=0.1, seed=0)
>>> len(X), sorted(set(y))
(100, [0, 1])
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Sequence
from typing import Any, TypeGuard

__all__ = [
    "Labels",
    "Points",
    "as_lists",
    "blobs",
    "circles",
    "is_real",
    "jitter",
    "moons",
    "real",
    "spirals",
    "train_test_split",
    "xor",
]

Points = list[list[float]]
Labels = list[int]


def as_lists(data: Any) -> Any:
    """``data`` with any numpy array (or other array with ``tolist``) turned into Python lists.

    A 2-D array becomes a list of lists of Python floats or ints, a 1-D array a list, a numpy
    scalar a Python number; a list of arrays becomes a list of lists. Anything else is
    returned as it is, so lists of Values pass through untouched.
    """
    to_list = getattr(data, "tolist", None)
    if callable(to_list):
        return to_list()
    if type(data) is list and data and callable(getattr(data[0], "tolist", None)):
        return [as_lists(item) for item in data]
    return data


def is_real(x: object) -> TypeGuard[numbers.Real]:
    """Whether ``x`` is a real number: an int or float, a numpy number, a Fraction; not a bool."""
    if type(x) is float or type(x) is int:  # the common case, without the slower ABC check
        return True
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def real(x: object, what: str) -> float:
    """``x`` as a finite float, or a ValueError naming ``what`` and the value."""
    if is_real(x):
        try:
            number = float(x)
        except OverflowError:  # an int beyond the largest float
            number = math.inf
        if math.isfinite(number):
            return number
    raise ValueError(f"{what} must be a finite number, got {x!r}")


def _count(n: object, what: str, minimum: int = 1) -> int:
    """``n`` as an int (numpy's ints too), checked to be at least ``minimum``."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < minimum:
        raise ValueError(f"{what} must be an int >= {minimum}, got {n!r}")
    return int(n)


def _non_negative(x: object, what: str) -> float:
    """``x`` as a float (numpy's numbers too), checked to be finite and >= 0."""
    if not is_real(x) or not 0 <= float(x) < math.inf:
        raise ValueError(f"{what} must be a finite number >= 0, got {x!r}")
    return float(x)


def _shuffled(points: Points, labels: Labels, rng: random.Random) -> tuple[Points, Labels]:
    order = list(range(len(points)))
    rng.shuffle(order)
    return [points[i] for i in order], [labels[i] for i in order]


def xor() -> tuple[Points, Labels]:
    """The four corners of the unit square, labelled by exclusive or: the seed's example."""
    return [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0]


def moons(n: int = 100, noise: float = 0.1, seed: int | None = None) -> tuple[Points, Labels]:
    """Two interleaving half circles (as scikit-learn's ``make_moons``), shuffled.

    Class 0 is the upper moon ``(cos t, sin t)``, class 1 the lower one ``(1 - cos t,
    0.5 - sin t)``, for ``t`` evenly spread over [0, pi]; Gaussian noise of standard deviation
    ``noise`` is added to each coordinate. Class 0 gets ``n // 2`` points.
    """
    n = _count(n, "moons: n", 2)
    noise = _non_negative(noise, "moons: noise")
    rng = random.Random(seed)
    upper, lower = n // 2, n - n // 2
    points, labels = [], []
    for count, label in ((upper, 0), (lower, 1)):
        for i in range(count):
            t = math.pi * i / (count - 1) if count > 1 else 0.0
            x, y = (
                (math.cos(t), math.sin(t)) if label == 0 else (1 - math.cos(t), 0.5 - math.sin(t))
            )
            points.append([x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)])
            labels.append(label)
    return _shuffled(points, labels, rng)


def circles(
    n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int | None = None
) -> tuple[Points, Labels]:
    """A ring of radius 1 (class 0) around a ring of radius ``factor`` (class 1), shuffled.

    Points are evenly spread around each ring before Gaussian noise of standard deviation
    ``noise`` is added; class 0 gets ``n // 2`` points. ``factor`` must be in (0, 1).
    """
    n = _count(n, "circles: n", 2)
    noise = _non_negative(noise, "circles: noise")
    if not is_real(factor) or not 0 < float(factor) < 1:
        raise ValueError(f"circles: factor must be a number in (0, 1), got {factor!r}")
    rng = random.Random(seed)
    points, labels = [], []
    for count, radius, label in ((n // 2, 1.0, 0), (n - n // 2, float(factor), 1)):
        for i in range(count):
            t = 2 * math.pi * i / count
            points.append(
                [
                    radius * math.cos(t) + rng.gauss(0.0, noise),
                    radius * math.sin(t) + rng.gauss(0.0, noise),
                ]
            )
            labels.append(label)
    return _shuffled(points, labels, rng)


def spirals(
    n: int = 150, classes: int = 3, noise: float = 0.2, seed: int | None = None
) -> tuple[Points, Labels]:
    """``classes`` spiral arms winding out from the origin, one class per arm, shuffled.

    Arm ``k`` has points at radius ``r`` in [0, 1] and angle ``4 r + 2 pi k / classes``
    (plus Gaussian noise of standard deviation ``noise`` on the angle): the classic data set
    that a linear model cannot separate. The ``n`` points are shared as evenly as possible.
    """
    n = _count(n, "spirals: n", 2)
    classes = _count(classes, "spirals: classes", 2)
    noise = _non_negative(noise, "spirals: noise")
    rng = random.Random(seed)
    points, labels = [], []
    for k in range(classes):
        count = n // classes + (1 if k < n % classes else 0)
        for i in range(count):
            r = i / (count - 1) if count > 1 else 1.0
            angle = 4.0 * r + 2 * math.pi * k / classes + rng.gauss(0.0, noise)
            points.append([r * math.cos(angle), r * math.sin(angle)])
            labels.append(k)
    return _shuffled(points, labels, rng)


def blobs(
    n: int = 100, centers: int = 3, std: float = 0.5, seed: int | None = None
) -> tuple[Points, Labels]:
    """Gaussian blobs, one class per blob, their centers evenly spaced on a circle of radius 2.

    Each point is its blob's center plus Gaussian noise of standard deviation ``std``; the
    ``n`` points are shared as evenly as possible between the ``centers`` blobs, shuffled.
    """
    n = _count(n, "blobs: n", 1)
    centers = _count(centers, "blobs: centers", 2)
    std = _non_negative(std, "blobs: std")
    rng = random.Random(seed)
    points, labels = [], []
    for k in range(centers):
        cx, cy = 2 * math.cos(2 * math.pi * k / centers), 2 * math.sin(2 * math.pi * k / centers)
        for _ in range(n // centers + (1 if k < n % centers else 0)):
            points.append([cx + rng.gauss(0.0, std), cy + rng.gauss(0.0, std)])
            labels.append(k)
    return _shuffled(points, labels, rng)


def train_test_split(
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    test_fraction: float = 0.25,
    seed: int | None = None,
) -> tuple[tuple[Points, Labels], tuple[Points, Labels]]:
    """Shuffle, then hold out ``round(test_fraction * n)`` samples for testing.

    Returns ``(X_train, y_train), (X_test, y_test)``; both parts keep at least one sample.
    ``X`` and ``y`` may be numpy arrays; the parts are plain lists either way.

    >>> train, test = train_test_split(*moons(100, seed=0), test_fraction=0.2, seed=0)
    >>> len(train[0]), len(test[0])
    (80, 20)
    """
    X, y = as_lists(X), as_lists(y)
    if len(X) != len(y):
        raise ValueError(f"train_test_split: {len(X)} points but {len(y)} labels; they must match")
    if not is_real(test_fraction):
        raise ValueError(f"train_test_split: test_fraction must be a number, got {test_fraction!r}")
    fraction = float(test_fraction)
    if not 0 < fraction < 1:
        raise ValueError(
            f"train_test_split: test_fraction must be in (0, 1), got {test_fraction!r}"
        )
    n_test = round(fraction * len(X))
    if not 0 < n_test < len(X):
        raise ValueError(
            f"train_test_split: a test fraction of {test_fraction} of {len(X)} samples leaves "
            "one part empty"
        )
    order = list(range(len(X)))
    random.Random(seed).shuffle(order)
    test, train = order[:n_test], order[n_test:]
    return (
        ([list(map(float, X[i])) for i in train], [y[i] for i in train]),
        ([list(map(float, X[i])) for i in test], [y[i] for i in test]),
    )


def jitter(
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    copies: int = 1,
    std: float = 0.05,
    seed: int | None = None,
) -> tuple[Points, Labels]:
    """Augment scarce data: the samples plus ``copies`` noisy copies of each.

    Each copy adds Gaussian noise of standard deviation ``std`` to every coordinate and keeps
    the label: plausible new samples near the real ones, which makes a network trained on few
    points less likely to memorise them. Returns ``(1 + copies) * n`` samples, originals first.
    ``X`` and ``y`` may be numpy arrays.
    """
    X, y = as_lists(X), as_lists(y)
    if len(X) != len(y):
        raise ValueError(f"jitter: {len(X)} points but {len(y)} labels; they must match")
    copies = _count(copies, "jitter: copies", 0)
    std = _non_negative(std, "jitter: std")
    rng = random.Random(seed)
    points = [list(map(float, x)) for x in X]
    labels = list(y)
    for _ in range(copies):
        for x, label in zip(X, y, strict=True):
            points.append([xi + rng.gauss(0.0, std) for xi in x])
            labels.append(label)
    return points, labels
