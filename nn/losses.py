"""Losses: how wrong a batch of predictions is, as one Value to call ``backward()`` on.

Every loss takes a batch (a list of model outputs and a list of targets, one per sample) and
returns the *mean* over the batch, so the learning rate does not depend on the batch size.
Targets (and numeric predictions) may be numpy arrays or numpy numbers, as scikit-learn
returns them.
``l2`` is the exception: it is a penalty on the weights, the plain sum of their squares.

The losses are written for a small graph: plain-number targets are kept on the nodes as
constants (no extra leaves), and the batch mean is a single ``Value.sum`` node times ``1/n``.

>>> from autograd import Value
>>> round(mse([Value(0.5), Value(2.0)], [1.0, 2.0]).data, 6)
0.125
"""

from __future__ import annotations

import numbers
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from autograd import Value, define_op
from autograd.ops import OPS
from autograd.value import apply
from nn.data import as_lists, is_real, real

__all__ = ["binary_cross_entropy", "cross_entropy", "hinge", "l2", "mse"]

Number = int | float

_LARGEST = sys.float_info.max


def _batch(predictions: Any, targets: Any, what: str) -> tuple[list[Value], list[Any]]:
    """Check one prediction per target, non-empty; return predictions as Values, targets as
    floats. numpy arrays and numbers are accepted (see `nn.data.as_lists`).

    A target may also be a Value (a label given to ``autograd.compile`` as an argument is one):
    it is kept as it is, so that the compiled code reads the label of each call."""
    predictions, targets = as_lists(predictions), as_lists(targets)
    if len(predictions) != len(targets):
        raise ValueError(
            f"{what}: {len(predictions)} predictions but {len(targets)} targets; they must match"
        )
    if len(predictions) == 0:
        raise ValueError(f"{what}: the batch is empty")
    values = []
    for i, p in enumerate(predictions):
        if isinstance(p, Value):
            values.append(p)
        elif is_real(p):
            values.append(Value(real(p, f"{what}: predictions[{i}]")))
        else:
            raise TypeError(
                f"{what}: predictions[{i}] must be a Value or a number, got {p!r}"
                " (for multi-output models use cross_entropy)"
            )
    labels: list[Any] = []
    for i, t in enumerate(targets):
        # Plain finite ints and floats first: the general check costs a call per label.
        if (type(t) is float or type(t) is int) and -_LARGEST <= t <= _LARGEST:
            labels.append(float(t))
        elif isinstance(t, Value):
            labels.append(t)
        else:
            labels.append(real(t, f"{what}: targets[{i}]"))
    return values, labels


def _mean(terms: list[Value], n: int) -> Value:
    """``sum(terms) / n`` as one sum node and one scaling node; no node that would only add
    nothing or multiply by 1.

    Terms near the largest float can have a finite mean and an infinite sum (two losses of
    1e308): then each term is scaled by ``1/n`` before the sum, which costs a node per term.
    """
    if len(terms) == 1:
        total = terms[0]
    else:
        try:
            total = Value.sum(terms)
        except OverflowError:
            scale = 1.0 / n
            return Value.sum([term * scale for term in terms])
    return total if n == 1 else total * (1.0 / n)


# A label given as a Value (an argument of a function compiled by ``autograd.compile``) is
# checked twice: here, by its .data, for the engine's error naming targets[i]; and by an op
# that passes the label on unchanged (gradient g, so no number changes) and whose forward
# refuses a bad one. Compiled code runs that forward at every call, so a bad label of a later
# call is caught there too (and the call replayed on the engine, which raises its error);
# a check of .data alone would have happened once, at the trace.


def _hinge_label(y: float) -> float:
    if y not in (-1.0, 1.0):
        raise ValueError(f"hinge: a target must be -1 or +1, got {y!r}")
    return y


def _probability_label(t: float) -> float:
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"binary_cross_entropy: a target must be in [0, 1], got {t!r}")
    return t


_CHECKED_HINGE_LABEL = define_op(
    "hinge_label", _hinge_label, lambda g, out, y: (g,), symbol="label ±1", formula="1",
    trusted=True,
)  # fmt: skip
_CHECKED_PROBABILITY = define_op(
    "probability_label", _probability_label, lambda g, out, t: (g,), symbol="label in [0, 1]",
    formula="1", trusted=True,
)  # fmt: skip


def mse(predictions: Sequence[Value | Number], targets: Sequence[Number]) -> Value:
    """Mean squared error: mean over the batch of ``(prediction - target) ** 2``."""
    values, labels = _batch(predictions, targets, "mse")
    return _mean([(p - t) ** 2 for p, t in zip(values, labels, strict=True)], len(values))


def binary_cross_entropy(logits: Sequence[Value | Number], targets: Sequence[Number]) -> Value:
    """Binary cross-entropy from logits (raw scores, before the sigmoid), targets in [0, 1].

    Per sample the loss is ``-t log(sigmoid(z)) - (1 - t) log(1 - sigmoid(z))``, which
    simplifies to ``softplus(z) - t z`` with ``softplus(z) = log(1 + e^z)``: that is how it is
    computed, with the ``softplus`` op, which is stable for any finite z (it never forms
    ``e^z`` for a positive z). So the loss and its gradient ``sigmoid(z) - t`` are finite for
    any finite logit (±800 included, and the mean of ±1e308 too: see `_mean`), and the graph
    has the same shape whatever the sign of z, which is what lets ``autograd.compile`` write
    it out once for every batch. Labels 0 and 1 are the usual case; values in between are
    allowed (soft labels).
    """
    values, labels = _batch(logits, targets, "binary_cross_entropy")
    terms = []
    for i, (z, t) in enumerate(zip(values, labels, strict=True)):
        label = t.data if isinstance(t, Value) else t
        if not 0.0 <= label <= 1.0:
            raise ValueError(f"binary_cross_entropy: targets[{i}] must be in [0, 1], got {label!r}")
        if isinstance(t, Value):
            terms.append(z.softplus() - z * _CHECKED_PROBABILITY(t))
        else:  # a plain label of 0 adds nothing: no node for it
            terms.append(z.softplus() - z * t if t != 0.0 else z.softplus())
    return _mean(terms, len(values))


def hinge(scores: Sequence[Value | Number], targets: Sequence[Number]) -> Value:
    """The SVM hinge loss: mean over the batch of ``relu(1 - y * score)``, y in {-1, +1}.

    Targets of 0 are refused rather than silently giving a loss that ignores those samples:
    turn 0/1 labels into -1/+1 with ``[2 * t - 1 for t in y]``.
    """
    values, labels = _batch(scores, targets, "hinge")
    for i, y in enumerate(labels):
        if (y.data if isinstance(y, Value) else y) not in (-1.0, 1.0):
            raise ValueError(
                f"hinge: targets[{i}] must be -1 or +1, got {targets[i]!r}"
                " (turn 0/1 labels into -1/+1 with 2 * y - 1)"
            )
    # For a plain label, 1 - y * s is 1 - s or s + 1: one node per sample instead of a product
    # and a difference. A Value label (inside autograd.compile) takes the product, which gives
    # the same numbers: multiplying by ±1 is exact.
    return _mean(
        [
            (
                1.0 - _CHECKED_HINGE_LABEL(y) * s
                if isinstance(y, Value)
                else (1.0 - s)
                if y > 0
                else (s + 1.0)
            ).relu()
            for s, y in zip(values, labels, strict=True)
        ],
        len(values),
    )


def cross_entropy(logits: Sequence[Sequence[Value | Number]], targets: Sequence[Any]) -> Value:
    """Multi-class cross-entropy from logits: mean over the batch of ``-log softmax(z)[t]``.

    ``logits`` holds one list of class scores per sample, ``targets`` one class index per
    sample, or one one-hot row per sample (``[0, 0, 1]`` for class 2; `one_hot` makes them),
    which is the form ``autograd.compile`` needs, as its labels are Values. Per sample the loss
    is ``logsumexp(z) - z_t``, with ``logsumexp`` one node (the ``logsumexp`` op, stable for
    any finite logits: it takes the largest out before exponentiating); with a one-hot row
    ``z_t`` is the dot product of the row and z, the same number.
    """
    logits, targets = as_lists(logits), as_lists(targets)
    if len(logits) != len(targets):
        raise ValueError(
            f"cross_entropy: {len(logits)} predictions but {len(targets)} targets; they must match"
        )
    if len(logits) == 0:
        raise ValueError("cross_entropy: the batch is empty")
    terms: list[Value] = []
    for i, (row, t) in enumerate(zip(logits, targets, strict=True)):
        row = as_lists(row)
        if isinstance(row, Value | str) or not isinstance(row, Sequence) or len(row) < 2:
            raise ValueError(
                f"cross_entropy: logits[{i}] must be a list of at least 2 class scores, got {row!r}"
            )
        scores = [
            z if isinstance(z, Value) else Value(real(z, f"cross_entropy: logits[{i}][{j}]"))
            for j, z in enumerate(row)
        ]
        spread = apply(OPS["logsumexp"], tuple(scores))
        terms.append(spread - _target_score(scores, as_lists(t), i))
    return _mean(terms, len(terms))


def _target_score(scores: list[Value], t: Any, i: int) -> Value:
    """The score of sample ``i``'s class: ``scores[t]``, or the one-hot row ``t`` dotted with
    the scores."""
    if isinstance(t, Sequence) and not isinstance(t, str):
        if len(t) != len(scores) or not all(isinstance(x, Value) or is_real(x) for x in t):
            raise ValueError(
                f"cross_entropy: targets[{i}] must be a class index or a one-hot row of "
                f"{len(scores)} numbers, got {t!r}"
            )
        return Value.dot(t, scores)
    if isinstance(t, bool) or not isinstance(t, numbers.Integral) or not 0 <= int(t) < len(scores):
        hint = " (a Value label: give a one-hot row, see one_hot)" if isinstance(t, Value) else ""
        raise ValueError(
            f"cross_entropy: targets[{i}] must be a class index in 0..{len(scores) - 1}, "
            f"got {t!r}{hint}"
        )
    return scores[int(t)]


def one_hot(labels: Sequence[Any], classes: int) -> list[list[float]]:
    """Each class index of ``labels`` as a row of ``classes`` numbers, 1.0 at the index.

    >>> one_hot([2, 0], 3)
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    rows = []
    for i, t in enumerate(as_lists(labels)):
        if isinstance(t, bool) or not isinstance(t, numbers.Integral) or not 0 <= int(t) < classes:
            raise ValueError(f"one_hot: labels[{i}] must be a class index in 0..{classes - 1}")
        rows.append([1.0 if j == t else 0.0 for j in range(classes)])
    return rows


def l2(parameters: Iterable[Value]) -> Value:
    """The sum of the squares of ``parameters``: add ``c * l2(model.parameters())`` to a loss to
    keep the weights small (regularisation against overfitting).

    One node, ``Value.dot(p, p)``: its gradient is ``2 * p`` for each parameter, as each
    one is both an x and a y of the dot product."""
    params = list(parameters)
    return Value.dot(params, params)
