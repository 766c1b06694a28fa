"""The course's exercise checks: each accepts a right answer and rejects typical wrong ones.

Every case below repeats one exercise's check cell (the `nn.exercises` call and the reference
it compares with) on the smallest data that exercises it, then feeds it the solution and the
mistakes a learner is likely to make: the check must say ✓ to the first and ✗ to the others.
The notebooks run their own solution cells (nbmake); this file is where the wrong answers are
tried.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from autograd import Value, no_grad
from nn import MLP, exercises, text


@dataclass(frozen=True)
class Case:
    """One exercise: its check (answer -> verdict), a right answer and typical wrong ones."""

    name: str
    check: Callable[[Any], bool]
    right: Any
    wrong: tuple[Any, ...]


# -- 01, exercise 3: a central difference, not a one-sided one -----------------------------


def _slopes_with(slope: Callable[..., float]) -> Callable[[float], list[float]]:
    def slope_of_test_functions(x: float) -> list[float]:
        return [slope(f, x, h=0.001) for f in (lambda t: t**3, math.exp, math.tanh)]

    return slope_of_test_functions


def _autograd_slopes(x: float) -> list[float]:
    slopes = []
    for f in (lambda v: v**3, Value.exp, Value.tanh):
        v = Value(x)
        f(v).backward()
        slopes.append(v.grad)
    return slopes


def _check_slope(slope: Callable[..., float]) -> bool:
    return exercises.check_function(
        _slopes_with(slope), _autograd_slopes, [(0.5,), (-1.2,)], what="slope", rel_tol=1e-5
    )


def _central(f: Callable[[float], float], x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def _forward(f: Callable[[float], float], x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x)) / h


def _backward(f: Callable[[float], float], x: float, h: float = 1e-6) -> float:
    return (f(x) - f(x - h)) / h


# -- 08: the head's parameters; the body's features -----------------------------------------

_PRETRAINED = MLP(64, [16, 5], seed=0)
_BODY = _PRETRAINED.layers[0]
_IMAGES = [[random.Random(k).random() for _ in range(64)] for k in range(3)]


def _reference_features(image: list[float]) -> list[float]:
    with no_grad():
        return [h.data for h in _BODY(image)]


def _check_features(candidate: Callable[[list[float]], list[float]]) -> bool:
    points = [(image,) for image in _IMAGES]
    return exercises.check_function(candidate, _reference_features, points, what="features")


def _pre_activation(image: list[float]) -> list[float]:
    return [
        sum(w.data * x for w, x in zip(neuron.w, image, strict=True)) + neuron.b.data
        for neuron in _BODY.neurons
    ]


# -- 09: a bag of words; a score by hand ----------------------------------------------------

_SENTENCES = ["good value, good coffee", "bad value, bad coffee", "the soup was really good"]
_WORDS = text.Vocabulary([*_SENTENCES, "the bill was wrong"])
_EXAMPLES = ["good value, good coffee", "The soup was REALLY good!", "the bill was wrong"]
_BAG_MODEL = MLP(len(_WORDS), [1], seed=0)
_BAG_MODEL.parameters()[-1].data = 0.3  # a bias that is not 0, so forgetting it shows
_WEIGHTS = {w: _BAG_MODEL.parameters()[i].data for i, w in enumerate(_WORDS.words)}


def _check_bag(candidate: Callable[[str], list[float]]) -> bool:
    return exercises.check_function(candidate, _WORDS.encode, [(s,) for s in _EXAMPLES], what="bag")


def _check_score(answer: float) -> bool:
    with no_grad():
        score = _BAG_MODEL(_WORDS.encode("good value, good coffee")).data
    return exercises.check_number(answer, score, what="the score")


# -- 10: a prediction by hand ---------------------------------------------------------------


class _Factorisation:
    """The notebook's model, as far as the check needs it: biases, embeddings, predict."""

    def __init__(self) -> None:
        draw = random.Random(0)
        self.mean = 3.4
        self.viewers = [[Value(draw.gauss(0, 1)) for _ in range(2)] for _ in range(4)]
        self.films = [[Value(draw.gauss(0, 1)) for _ in range(2)] for _ in range(3)]
        self.viewer_bias = [Value(draw.gauss(0, 0.5)) for _ in range(4)]
        self.film_bias = [Value(draw.gauss(0, 0.5)) for _ in range(3)]

    def predict(self, viewer: int, film: int) -> float:
        rating = self.mean + self.viewer_bias[viewer] + self.film_bias[film]
        return (rating + Value.dot(self.viewers[viewer], self.films[film])).data

    def dot(self, viewer: int, film: int) -> float:
        p, q = self.viewers[viewer], self.films[film]
        return sum(a.data * b.data for a, b in zip(p, q, strict=True))


_FACTORS = _Factorisation()


def _check_prediction(candidate: Callable[[int, int], float]) -> bool:
    points = [(0, 2), (3, 1), (2, 0)]
    return exercises.check_function(candidate, _FACTORS.predict, points, what="predict_by_hand")


def _by_hand(viewer: int, film: int) -> float:
    biases = _FACTORS.viewer_bias[viewer].data + _FACTORS.film_bias[film].data
    return _FACTORS.mean + biases + _FACTORS.dot(viewer, film)


# -- 11: which band holds a frequency ---------------------------------------------------------

_EDGES = [4000 * k / 24 for k in range(25)]  # the notebook's np.linspace(0, RATE / 2, 25)


def _reference_band(frequency: float) -> int:
    return int(sum(edge <= frequency for edge in _EDGES[1:-1]))


def _check_band(candidate: Callable[[float], int]) -> bool:
    formants = [(270.0,), (730.0,), (1090.0,), (2290.0,), (3990.0,)]
    return exercises.check_function(candidate, _reference_band, formants, what="band_of")


_WIDTH = _EDGES[1] - _EDGES[0]


# -- S3: He's spread --------------------------------------------------------------------------


def _check_spread(candidate: Callable[[int], float]) -> bool:
    return exercises.check_function(
        candidate, lambda n: math.sqrt(2 / n), [(16,), (2,), (100,)], what="he_spread"
    )


# -- S4: the tensors of to_torch's copy -------------------------------------------------------


def _expected_tensors() -> int:
    try:
        from nn import to_torch

        return len(list(to_torch(MLP(2, [16, 16, 1], seed=0)).parameters()))
    except ImportError:  # no torch: what to_torch builds, a matrix and a vector per layer
        return 2 * 3


CASES = [
    Case("01 slope", _check_slope, _central, (_forward, _backward)),
    Case(
        "02 saturated slope",
        lambda answer: exercises.check_number(
            answer, 1 - math.tanh(3.9) ** 2, what="∂o/∂n", rel_tol=0, abs_tol=5e-5
        ),
        0.0016,  # four decimals, as the exercise asks
        (0.0017, math.tanh(3.9), 1 - math.tanh(0.5) ** 2),
    ),
    Case(
        "08 head parameters",
        lambda answer: exercises.check_number(
            answer, len(_PRETRAINED.layers[-1].parameters()), what="the head's parameters"
        ),
        85,
        (80, 1125),  # the biases forgotten; every parameter of the network
    ),
    Case(
        "08 hidden features",
        _check_features,
        lambda image: [h.data for h in _BODY(image)],
        (lambda image: [z.data for z in _PRETRAINED(image)], _pre_activation),
    ),
    Case(
        "09 bag",
        _check_bag,
        lambda s: [1.0 if w in set(text.tokenize(s)) else 0.0 for w in _WORDS.words],
        (
            lambda s: [float(text.tokenize(s).count(w)) for w in _WORDS.words],  # counts
            lambda s: [1.0 if w in s.split() else 0.0 for w in _WORDS.words],  # no tokenize
        ),
    ),
    Case(
        "09 score",
        _check_score,
        0.3 + _WEIGHTS["good"] + _WEIGHTS["value"] + _WEIGHTS["coffee"],
        (
            0.3 + 2 * _WEIGHTS["good"] + _WEIGHTS["value"] + _WEIGHTS["coffee"],  # good twice
            _WEIGHTS["good"] + _WEIGHTS["value"] + _WEIGHTS["coffee"],  # no bias
        ),
    ),
    Case(
        "10 parameters",
        lambda answer: exercises.check_number(answer, 24 * 3 + 10 * 3 + 24 + 10, what="parameters"),
        136,
        (102, 137),  # the biases forgotten; the fixed mean counted
    ),
    Case(
        "10 prediction",
        _check_prediction,
        _by_hand,
        (
            lambda u, i: _by_hand(u, i) - _FACTORS.mean,  # μ left out
            lambda u, i: _FACTORS.mean + _FACTORS.dot(u, i),  # the biases left out
        ),
    ),
    Case(
        "11 band",
        _check_band,
        lambda f: int(f // _WIDTH),
        (lambda f: round(f / _WIDTH), lambda f: int(f // _WIDTH) + 1),  # rounded; from 1
    ),
    Case(
        "11 sped-up formant",
        lambda answer: exercises.check_number(answer, 1.25 * 1090, what="F2 played faster"),
        1362.5,
        (1090 / 1.25, 1090 + 1.25),
    ),
    Case(
        "S3 largest factor",
        lambda answer: exercises.check_number(answer, 0.25**8, what="the factor"),
        (1 / 4) ** 8,
        (0.25 * 8, 0.25**9),  # multiplied instead of raised; nine layers, not eight
    ),
    Case(
        "S3 He spread",
        _check_spread,
        lambda n: math.sqrt(2 / n),
        (lambda n: 2 / n, lambda n: math.sqrt(1 / n)),  # the variance; Xavier-like 1/n
    ),
    Case(
        "S4 tensors",
        lambda answer: exercises.check_number(answer, _expected_tensors(), what="the tensors"),
        6,
        (337, 3),  # the numbers, not the tensors; one per layer
    ),
    Case(
        "S4 ulp",
        lambda answer: exercises.check_number(
            answer, math.ulp(1.0), what="one ulp at 1.0", abs_tol=0
        ),
        2.0**-52,
        (2.0**-53, 1e-16),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_the_right_answer_passes(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    assert case.check(case.right) is True
    assert capsys.readouterr().out.startswith("✓")


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_typical_wrong_answers_are_rejected(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    assert len(case.wrong) >= 2
    for answer in case.wrong:
        assert case.check(answer) is False, f"{case.name}: {answer!r} passed"
        assert capsys.readouterr().out.startswith("✗"), f"{case.name}: {answer!r}"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_the_placeholder_is_not_answered(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    placeholder = None if not callable(case.right) else (lambda *args, **kwargs: None)
    assert case.check(placeholder) is False
    assert capsys.readouterr().out.startswith("…")


def test_the_four_decimal_answer_and_the_exact_one_both_pass() -> None:
    exact = 1 - math.tanh(3.9) ** 2
    for answer in (0.0016, round(exact, 5), exact):
        assert exercises.check_number(answer, exact, what="∂o/∂n", rel_tol=0, abs_tol=5e-5)
