"""Training: `fit` runs the loop (forward, loss, backward, step), `accuracy` scores a model.

>>> from nn import MLP, accuracy, data, fit, losses, optim
>>> X, y = data.moons(100, noise=0.1, seed=0)
>>> model = MLP(2, [8, 8, 1], seed=0)
>>> history = fit(model, X, y, loss=losses.binary_cross_entropy,
...               optimizer=optim.Adam(model.parameters(), lr=0.05), epochs=30, progress=False)
>>> accuracy(model, X, y) > 0.9
True

How an output is read as a class (used by `accuracy`, `fit` and the decision-boundary plot):

* A model with several outputs predicts the class with the largest output (argmax).
* A model with one output predicts "positive" when the output is above a threshold: 0.5 when
  the output activation is ``sigmoid`` (a probability), 0 otherwise (a score or a logit, as
  trained with ``hinge`` or ``binary_cross_entropy``). A label counts as positive when it is
  > 0, so labels may be 0/1 or -1/+1. ``fit`` with the ``mse`` loss puts the threshold halfway
  between the two label values instead (0.5 for 0/1 labels), since MSE pulls outputs towards
  the labels themselves.
"""

from __future__ import annotations

import importlib.util
import math
import random
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import autograd
from autograd import Value, no_grad
from nn import losses
from nn.data import as_lists, real
from nn.live import Recording, Snapshot, TrainingView
from nn.module import Module
from nn.optim import Optimizer

__all__ = [
    "LOSSES",
    "DivergedError",
    "History",
    "Loss",
    "Number",
    "accuracy",
    "decision_threshold",
    "default_threshold",
    "fit",
    "predict",
]

Number = int | float
Loss = Callable[[Any, Any], Value]
"""A loss: ``loss(outputs, targets) -> Value``, the outputs being what the model returned for
each sample of a batch (see `nn.losses`)."""

LOSSES: dict[str, Loss] = {
    "mse": losses.mse,
    "bce": losses.binary_cross_entropy,
    "binary_cross_entropy": losses.binary_cross_entropy,
    "hinge": losses.hinge,
    "cross_entropy": losses.cross_entropy,
}
"""The losses `fit` accepts by name."""


class DivergedError(ArithmeticError):
    """Training produced an infinite or undefined number; the message names epoch and batch."""


@dataclass
class History:
    """Per-epoch results of `fit`, one entry per epoch in each list.

    ``loss`` and ``accuracy`` are measured on the training batches as they were trained on
    (the mean over the epoch, weighted by batch size; the L2 penalty is not included).
    ``val_loss`` and ``val_accuracy`` are measured after each epoch on the validation data,
    and stay empty without it. ``recording`` is the run epoch by epoch (`nn.live.Recording`)
    when ``fit`` was asked to record (``record=True`` or ``live=True``), else None.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    recording: Recording | None = field(default=None, repr=False)

    @property
    def snapshots(self) -> list[Snapshot]:
        """The recorded model before training and after each epoch ([] when not recorded)."""
        return [] if self.recording is None else self.recording.snapshots

    def save_html(self, path: str | Path, *, title: str | None = None) -> Path:
        """Write the recorded run as a page that plays it back (`nn.live`), atomically.

        The page needs no network and nothing beside it: a slider and Play over the epochs,
        the network picture, the decision boundary (two inputs) and the curves.
        """
        if self.recording is None:
            raise ValueError(
                "save_html: this history was not recorded; train with fit(..., record=True)"
            )
        return self.recording.save_html(path, title=title)

    def __len__(self) -> int:
        """The number of epochs recorded."""
        return len(self.loss)


def default_threshold(model: Module) -> float:
    """The output above which a one-output model predicts "positive" (module docstring)."""
    return 0.5 if model.output_activation == "sigmoid" else 0.0


def decision_threshold(model: Module, loss: Loss | str, y: Sequence[Number]) -> float:
    """The threshold `fit` uses for a one-output model trained with ``loss`` on labels ``y``:
    halfway between the labels for ``mse``, else `default_threshold` (module docstring)."""
    if _resolve_loss(loss) is losses.mse:
        return (min(y) + max(y)) / 2
    return default_threshold(model)


def predict(output: Value | Sequence[Value], threshold: float = 0.0) -> int:
    """The class a model's output stands for: argmax of several outputs, else 1 if the single
    output is above ``threshold``, else 0."""
    if isinstance(output, Value):
        return 1 if output.data > threshold else 0
    scores = [v.data for v in output]
    return scores.index(max(scores))


def _is_correct(
    output: Value | Sequence[Value] | float | Sequence[float], label: Number, threshold: float
) -> bool:
    """Whether ``output`` (Values, or their numbers as a compiled step returns them) predicts
    ``label``."""
    if isinstance(output, Value):
        return (output.data > threshold) == (label > 0)
    if isinstance(output, float):
        return (output > threshold) == (label > 0)
    scores = [v.data if isinstance(v, Value) else v for v in output]
    return scores.index(max(scores)) == label


def accuracy(
    model: Module,
    X: Sequence[Sequence[Number]],
    y: Sequence[Number],
    *,
    threshold: float | None = None,
) -> float:
    """The fraction of samples whose predicted class is their label (module docstring).

    Evaluated under ``no_grad()``: no graph is built. ``threshold`` overrides the default of
    a one-output model (`default_threshold`). ``X`` and ``y`` may be numpy arrays.
    """
    X, y = as_lists(X), as_lists(y)
    if len(X) != len(y):
        raise ValueError(f"accuracy: {len(X)} samples but {len(y)} labels; they must match")
    if len(X) == 0:
        raise ValueError("accuracy: no samples")
    cut = default_threshold(model) if threshold is None else threshold
    with no_grad():
        outputs = model.batch(X)
    correct = sum(_is_correct(o, label, cut) for o, label in zip(outputs, y, strict=True))
    return correct / len(X)


def _resolve_loss(loss: Loss | str) -> Loss:
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"fit: unknown loss {loss!r}; choose one of {sorted(LOSSES)}")
        return LOSSES[loss]
    if not callable(loss):
        raise TypeError(f"fit: loss must be a loss function or a name, got {loss!r}")
    return loss


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where tqdm draws a widget rather than text)."""
    ipython: Any = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def _progress_bar(epochs: int, enabled: bool) -> Any:
    """A tqdm bar over the epochs, or None: off when not asked for, when stderr is not a
    terminal (a log file would fill with redraws) outside a notebook, or without tqdm.

    In a notebook the bar is a widget when ipywidgets is installed, else text on stderr
    (which Jupyter redraws in place too).
    """
    if not enabled:
        return None
    notebook = _in_notebook()
    stderr = sys.stderr
    if not notebook and not (stderr is not None and stderr.isatty()):
        return None
    options: dict[str, Any] = {"total": epochs, "desc": "training", "unit": "epoch"}
    try:
        if notebook and importlib.util.find_spec("ipywidgets") is not None:
            from tqdm.notebook import tqdm
        else:
            from tqdm import tqdm

            options["file"] = stderr
    except ImportError:  # tqdm is an optional extra; training works without the bar
        return None
    return tqdm(**options)


def _check_data(
    X: Any, y: Any, model: Module, loss: Loss, what: str
) -> tuple[list[list[float]], list[Number]]:
    """``(X, y)`` as lists of Python numbers, checked so that training cannot fail half-way on
    them: as many labels as samples, every sample as wide as the model's input and every
    number finite, and (for the losses of `nn.losses`) labels the loss accepts for a model
    with this many outputs. ``what`` names the data in errors."""
    X, y = as_lists(X), as_lists(y)
    for name, data in (("X", X), ("y", y)):
        if isinstance(data, str | bytes) or not isinstance(data, Sequence):
            raise TypeError(f"{what}: {name} must be a list or an array, got {data!r}")
    if len(X) != len(y):
        raise ValueError(f"{what}: {len(X)} samples but {len(y)} labels; they must match")
    if len(X) == 0:
        raise ValueError(f"{what}: no samples")
    width = getattr(model, "nin", None)
    samples = []
    for i, x in enumerate(X):
        if isinstance(x, str | bytes) or not isinstance(x, Sequence):
            raise ValueError(
                f"{what}: X[{i}] must be a list of {width or 'some'} numbers, got {x!r}"
            )
        if width is not None and len(x) != width:
            raise ValueError(f"{what}: X[{i}] has {len(x)} inputs, the model takes {width}")
        samples.append([real(xj, f"{what}: X[{i}][{j}]") for j, xj in enumerate(x)])
    labels = []
    for i, label in enumerate(y):
        real(label, f"{what}: y[{i}]")
        labels.append(label)
    outputs = _output_count(model)
    if outputs is not None and loss in LOSSES.values():
        # The loss checks its own targets; scores of 0 stand in for the model's outputs.
        placeholder: float | list[float] = 0.0 if outputs == 1 else [0.0] * outputs
        try:
            with no_grad():
                loss([placeholder] * len(labels), labels)
        except ValueError as error:
            raise ValueError(
                f"{what}: y does not suit the loss for a model with {outputs} output"
                f"{'s' if outputs > 1 else ''}: {error}"
            ) from None
    return samples, labels


def _output_count(model: Module) -> int | None:
    """How many numbers the model returns per sample, when its architecture says."""
    try:
        architecture = model.architecture()
    except NotImplementedError:
        return None
    kind = architecture.get("type")
    if kind == "Neuron":
        return 1
    if kind == "Layer":
        return int(architecture["nout"])
    if kind == "MLP":
        return int(architecture["nouts"][-1])
    return None


def _check_optimizer(optimizer: object, model: Module) -> None:
    """An optimizer with ``zero_grad`` and ``step`` that updates at least one of the model's
    parameters (one built on another model's parameters would silently train nothing)."""
    if not (
        callable(getattr(optimizer, "zero_grad", None))
        and callable(getattr(optimizer, "step", None))
    ):
        raise TypeError(
            "fit: optimizer must be an optimizer from nn.optim (or have zero_grad() and step()), "
            f"got {optimizer!r}"
        )
    held = getattr(optimizer, "params", None)
    if held is not None:
        own = {id(p) for p in model.parameters()}
        if not any(id(p) in own for p in held):
            raise ValueError(
                "fit: the optimizer holds none of this model's parameters (was it built on "
                "another model's?); build it with optimizer(model.parameters(), ...)"
            )


def _count(x: object, what: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int) or x < 1:
        raise ValueError(f"fit: {what} must be a positive int, got {x!r}")
    return x


def fit(
    model: Module,
    X: Sequence[Sequence[Number]],
    y: Sequence[Number],
    *,
    loss: Loss | str,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None = None,
    validation: tuple[Sequence[Sequence[Number]], Sequence[Number]] | None = None,
    progress: bool = True,
    seed: int | None = None,
    l2: float = 0.0,
    threshold: float | None = None,
    compile: bool = True,
    record: bool = False,
    live: bool = False,
) -> History:
    """Train ``model`` on ``(X, y)`` and return its `History`.

    Each epoch visits every sample once, in minibatches of ``batch_size`` (the whole data set
    when None) shuffled by ``random.Random(seed)``. For each batch: the model's outputs, the
    mean ``loss`` (a function from `nn.losses` or its name: ``"mse"``, ``"bce"``,
    ``"hinge"``, ``"cross_entropy"``) plus ``l2 * losses.l2(model.parameters())``, then
    ``optimizer.zero_grad()``, ``backward()`` and ``optimizer.step()``. For regularisation use
    ``l2`` here or the optimizer's ``weight_decay``. ``X`` and ``y`` (and the validation
    data) may be lists or numpy arrays.

    Args:
        validation: ``(X_val, y_val)`` to measure after each epoch (under ``no_grad``).
        progress: show a tqdm bar with loss and accuracy (only in a terminal or a notebook).
        threshold: how a one-output model's output is read as a class (module docstring).
        compile: run each step as code written out by ``autograd.compile`` (the default):
            the same numbers as the engine, to the last bit, several times faster. The model
            and the loss must not read a Value's ``.data`` to decide what to compute (compare
            the Value instead); the first compiled step is checked against the engine, and a
            step that cannot be compiled, or that differs, falls back to the engine with a
            one-line warning. ``compile=False`` runs the engine throughout.
        record: keep the model after each epoch in ``history.recording`` (`nn.live`), for
            ``history.save_html("training.html")``: a page that plays the run back.
        live: in Jupyter, show the run as it trains (`nn.live.TrainingView`); records too.
            Outside Jupyter it only records, with a warning.

    Raises:
        ValueError, TypeError: before the first step, for any argument that would make
            training fail part-way or train nothing: a sample of the wrong width or with a
            non-finite number, labels the loss refuses, a bad validation set, an optimizer
            holding none of the model's parameters.
        DivergedError: a loss, gradient or parameter became infinite or undefined; the message
            names the epoch and the batch (try a smaller learning rate).
    """
    # Every argument is checked before the first step, so a mistake is reported with the
    # model as it was, not after an epoch of training.
    if not isinstance(model, Module):
        raise TypeError(f"fit: model must be an nn Module (Neuron, Layer, MLP), got {model!r}")
    loss_fn = _resolve_loss(loss)
    X, y = _check_data(X, y, model, loss_fn, "fit")
    epochs = _count(epochs, "epochs")
    size = len(X) if batch_size is None else min(_count(batch_size, "batch_size"), len(X))
    if isinstance(l2, bool) or not isinstance(l2, int | float) or not 0 <= l2 < math.inf:
        raise ValueError(f"fit: l2 must be a finite number >= 0, got {l2!r}")
    if validation is not None:
        if isinstance(validation, str | bytes) or not (
            isinstance(validation, Sequence) and len(validation) == 2
        ):
            raise ValueError(f"fit: validation must be a pair (X_val, y_val), got {validation!r}")
        validation = _check_data(*validation, model, loss_fn, "fit: validation")
    _check_optimizer(optimizer, model)
    if threshold is None:
        threshold = decision_threshold(model, loss_fn, y)
    else:
        threshold = real(threshold, "fit: threshold")
    parameters = model.parameters()
    runner = _Steps(model, loss_fn, l2, parameters, compile)
    rng = random.Random(seed)
    order = list(range(len(X)))
    batches = math.ceil(len(X) / size)
    history = History()
    view = None
    if record or live:  # the model before training is the recording's epoch 0
        view = TrainingView(model, X, y, epochs=epochs, threshold=threshold, live=live)
        history.recording = view.recording
    bar = _progress_bar(epochs, progress)
    try:
        for epoch in range(1, epochs + 1):
            if size < len(X):
                rng.shuffle(order)
            loss_sum, correct = 0.0, 0
            for batch in range(1, batches + 1):
                indices = order[(batch - 1) * size : batch * size]
                where = f"epoch {epoch} of {epochs}, batch {batch} of {batches}"
                samples, targets = [X[i] for i in indices], [y[i] for i in indices]
                try:
                    if runner.step is not None:
                        outputs, batch_loss = runner.run(samples, targets, optimizer)
                    else:
                        outputs, batch_loss = _engine_step(runner, samples, targets, optimizer)
                except ArithmeticError as error:
                    raise DivergedError(
                        f"training diverged at {where}: {error} (try a smaller learning rate)"
                    ) from error
                loss_sum += batch_loss * len(indices)
                correct += sum(
                    _is_correct(o, t, threshold) for o, t in zip(outputs, targets, strict=True)
                )
            history.loss.append(loss_sum / len(X))
            history.accuracy.append(correct / len(X))
            if validation is not None:
                val_loss, val_accuracy = _evaluate(model, *validation, loss_fn, threshold, epoch)
                history.val_loss.append(val_loss)
                history.val_accuracy.append(val_accuracy)
            if view is not None:
                view.add_epoch(history)
            if bar is not None:
                bar.set_postfix(_summary(history), refresh=False)
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        if view is not None:
            view.close()
    return history


class _Steps:
    """The training step of `fit`: the objective of a batch, run compiled or on the engine."""

    def __init__(
        self, model: Module, loss_fn: Loss, l2: float, parameters: list[Any], compiled: bool
    ) -> None:
        self.model, self.loss_fn, self.l2, self.parameters = model, loss_fn, l2, parameters
        outputs = _output_count(model)
        # A compiled step's labels are Values: cross_entropy then takes one-hot rows.
        self.one_hot = outputs if loss_fn is losses.cross_entropy and outputs else None
        self.step = autograd.compile(self.objective) if compiled else None
        self.verified = 0  # traces whose compiled code has been checked against the engine

    def objective(self, X: Any, y: Any) -> tuple[Value, Value, list[Any]]:
        """The batch's objective (loss + L2 penalty), its data loss and the model's outputs."""
        outputs = self.model.batch(X)
        data_loss = self.loss_fn(outputs, y)
        objective = data_loss + self.l2 * losses.l2(self.parameters) if self.l2 else data_loss
        return objective, data_loss, outputs

    def run(self, samples: Any, targets: Any, optimizer: Optimizer) -> tuple[list[Any], float]:
        """One compiled step: outputs (as numbers) and the batch's data loss."""
        assert self.step is not None
        labels = losses.one_hot(targets, self.one_hot) if self.one_hot else targets
        traces = self.step.traces
        optimizer.zero_grad()
        before = [p.grad for p in self.parameters]
        try:
            _, data_loss, outputs = self.step(samples, labels)
        except autograd.CompileError as error:
            return self.fall_back(f"{error}".splitlines()[0], samples, targets, optimizer)
        if self.step.traces == traces and self.verified < traces:
            # The first run of new code, checked once against the engine: a model or loss
            # that reads a Value's .data would have baked that number into the code.
            self.verified = traces
            compiled = [p.grad for p in self.parameters]
            for p, grad in zip(self.parameters, before, strict=True):
                p.grad = grad
            engine_outputs, engine_loss = _engine_step(self, samples, targets, None)
            same = [p.grad for p in self.parameters] == compiled and engine_loss == data_loss
            if not same or _numbers(engine_outputs) != outputs:
                return self.fall_back(
                    "the compiled step differs from the engine's (does the model or the loss "
                    "read a Value's .data?)",
                    None,
                    None,
                    optimizer,
                    (engine_outputs, engine_loss),
                )
        optimizer.step()
        return outputs, data_loss

    def fall_back(
        self,
        why: str,
        samples: Any,
        targets: Any,
        optimizer: Optimizer,
        done: tuple[list[Any], float] | None = None,
    ) -> tuple[list[Any], float]:
        """Warn once and run the engine from now on (this step included)."""
        warnings.warn(f"fit: training on the engine, not compiled: {why}", stacklevel=4)
        self.step = None
        if done is None:
            return _engine_step(self, samples, targets, optimizer)
        optimizer.step()
        return done


def _engine_step(
    steps: _Steps, samples: Any, targets: Any, optimizer: Optimizer | None
) -> tuple[list[Any], float]:
    """One step on the engine: forward, ``backward()`` and the optimizer's step (if given).

    The gradients are zeroed first, as before a compiled step: a step that diverges (in the
    forward or the backward pass, which is all or nothing) leaves them zero on either path."""
    if optimizer is not None:
        optimizer.zero_grad()
    objective, data_loss, outputs = steps.objective(samples, targets)
    objective.backward()
    if optimizer is not None:
        optimizer.step()
    return outputs, data_loss.data


def _numbers(outputs: list[Any]) -> list[Any]:
    return [o.data if isinstance(o, Value) else [v.data for v in o] for o in outputs]


def _evaluate(
    model: Module,
    X: Sequence[Sequence[Number]],
    y: Sequence[Number],
    loss_fn: Loss,
    threshold: float,
    epoch: int,
) -> tuple[float, float]:
    """Loss and accuracy on (X, y) without building a graph."""
    try:
        with no_grad():
            outputs = model.batch(X)
            value = loss_fn(outputs, list(y)).data
    except ArithmeticError as error:
        raise DivergedError(f"validation after epoch {epoch} diverged: {error}") from error
    correct = sum(_is_correct(o, t, threshold) for o, t in zip(outputs, y, strict=True))
    return value, correct / len(X)


def _summary(history: History) -> dict[str, str]:
    """The latest numbers of `history`, formatted for the progress bar."""
    shown = {"loss": f"{history.loss[-1]:.4f}", "acc": f"{history.accuracy[-1]:.1%}"}
    if history.val_loss:
        shown["val_loss"] = f"{history.val_loss[-1]:.4f}"
        shown["val_acc"] = f"{history.val_accuracy[-1]:.1%}"
    return shown
