"""nn.train: the two reference recipes learn, fit's history and batches, accuracy, divergence."""

from __future__ import annotations

import importlib.util
import io
import math

import pytest

import nn.train
from autograd import Value, is_grad_enabled
from nn import MLP, DivergedError, History, Neuron, accuracy, data, fit, losses, optim
from nn.train import decision_threshold, predict

# Seeds 0, 1 and 2 were the first three tried: 100%, 100% and 99% training accuracy.
MICROGRAD_SEEDS = [0, 1, 2]


@pytest.mark.parametrize("seed", MICROGRAD_SEEDS)
def test_micrograd_demo_recipe_reaches_95_percent(seed: int) -> None:
    """MLP 2-16-16-1 on 100 moons points (noise 0.1), full batch, mean hinge + 1e-4 L2, SGD
    with lr 1.0 - 0.9 k / 100, 100 steps: micrograd's demo notebook."""
    X, labels = data.moons(100, noise=0.1, seed=seed)
    y = [2 * t - 1 for t in labels]
    model = MLP(2, [16, 16, 1], seed=seed)
    optimizer = optim.SGD(model.parameters(), lr=lambda k: 1.0 - 0.9 * k / 100)
    history = fit(
        model, X, y, loss=losses.hinge, optimizer=optimizer, epochs=100, l2=1e-4, progress=False
    )
    assert optimizer.steps == 100 and len(history) == 100
    assert accuracy(model, X, y) >= 0.95
    assert history.loss[-1] < history.loss[0] / 5


def test_the_seeds_xor_network_learns_xor_for_most_seeds() -> None:
    """MLP(2, [4, 1]) with sigmoids, MSE, plain gradient descent (lr 2.0, 1000 full-batch
    epochs). Measured: 20 of 20 seeds (0-19) reach 100%; here 10 seeds, at least 8 must."""
    X, y = data.xor()
    learned = 0
    for seed in range(10):
        net = MLP(2, [4, 1], activation="sigmoid", output_activation="sigmoid", seed=seed)
        fit(
            net,
            X,
            y,
            loss="mse",
            optimizer=optim.SGD(net.parameters(), lr=2.0),
            epochs=1000,
            progress=False,
        )
        learned += accuracy(net, X, y) == 1.0
    assert learned >= 8


def test_fit_records_history_with_validation() -> None:
    X, y = data.moons(80, noise=0.1, seed=0)
    (X_train, y_train), validation = data.train_test_split(X, y, 0.25, seed=0)
    model = MLP(2, [8, 1], seed=0)
    history = fit(
        model,
        X_train,
        y_train,
        loss="bce",
        optimizer=optim.Adam(model.parameters(), lr=0.05),
        epochs=15,
        batch_size=16,
        validation=validation,
        progress=False,
        seed=0,
    )
    assert isinstance(history, History) and len(history) == 15
    for series in (history.loss, history.accuracy, history.val_loss, history.val_accuracy):
        assert len(series) == 15 and all(math.isfinite(v) for v in series)
    assert history.loss[-1] < history.loss[0]
    assert history.val_accuracy[-1] == accuracy(model, *validation)
    without = fit(
        model,
        X_train,
        y_train,
        loss="bce",
        optimizer=optim.SGD(model.parameters(), lr=0.01),
        epochs=1,
        progress=False,
    )
    assert without.val_loss == [] and without.val_accuracy == []


def test_minibatches_are_shuffled_from_the_seed() -> None:
    X, y = data.moons(40, seed=0)

    def run(seed: int) -> tuple[dict[str, float], list[float]]:
        model = MLP(2, [4, 1], seed=0)
        history = fit(
            model,
            X,
            y,
            loss="bce",
            optimizer=optim.SGD(model.parameters(), lr=0.1),
            epochs=3,
            batch_size=8,
            progress=False,
            seed=seed,
        )
        return model.state_dict(), history.loss

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_batch_losses_are_the_mean_over_the_epoch() -> None:
    """One epoch of SGD with lr so small that weights barely move: the recorded loss is the
    full-data loss before training, whatever the batch size."""
    X, y = data.moons(30, seed=0)
    model = MLP(2, [4, 1], seed=0)
    with_batches = fit(
        model,
        X,
        y,
        loss="mse",
        optimizer=optim.SGD(model.parameters(), lr=1e-12),
        epochs=1,
        batch_size=7,
        progress=False,
    )
    full = losses.mse([model(x) for x in X], y).data  # type: ignore[misc]
    assert with_batches.loss[0] == pytest.approx(full, rel=1e-9)


def test_regularisation_shrinks_the_weights() -> None:
    X, y = data.moons(40, seed=0)
    norms = []
    for l2, decay in ((0.0, 0.0), (0.05, 0.0), (0.0, 0.1)):
        model = MLP(2, [8, 1], seed=0)
        opt = optim.SGD(model.parameters(), lr=0.1, weight_decay=decay)
        fit(model, X, y, loss="bce", optimizer=opt, epochs=30, l2=l2, progress=False)
        norms.append(losses.l2(model.parameters()).data)
    assert norms[1] < norms[0] and norms[2] < norms[0]


def test_divergence_names_epoch_and_batch() -> None:
    X = [[1e200, 1e200], [2e200, -1e200]]  # the squared error overflows at once
    model = Neuron(2, "linear", seed=0)
    with pytest.raises(DivergedError, match=r"epoch 1 of 5, batch 1 of 1: .*smaller learning rate"):
        fit(
            model,
            X,
            [0.0, 1.0],
            loss="mse",
            optimizer=optim.SGD(model.parameters(), lr=1.0),
            epochs=5,
            progress=False,
        )


def test_divergence_from_a_huge_learning_rate_is_caught_later() -> None:
    X, y = data.moons(20, seed=0)
    model = MLP(2, [4, 1], activation="linear", seed=0)
    before = model.state_dict()
    with pytest.raises(DivergedError, match=r"training diverged at epoch \d+ of 50, batch 1 of 1"):
        fit(
            model,
            X,
            y,
            loss="mse",
            optimizer=optim.SGD(model.parameters(), lr=1e3),
            epochs=50,
            progress=False,
        )
    after = model.state_dict()
    assert after != before and all(math.isfinite(v) for v in after.values())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs must be a positive int"),
        ({"epochs": 2, "batch_size": 0}, "batch_size must be a positive int"),
        ({"epochs": 2, "loss": "cross-entropy"}, "unknown loss 'cross-entropy'"),
        ({"epochs": 2, "l2": -1.0}, "l2 must be a finite number >= 0"),
    ],
)
def test_fit_argument_errors(kwargs: dict[str, object], message: str) -> None:
    model = MLP(2, [2, 1], seed=0)
    arguments: dict[str, object] = {
        "loss": "bce",
        "optimizer": optim.SGD(model.parameters(), lr=0.1),
        "progress": False,
    }
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        fit(model, [[0.0, 0.0]], [1], **arguments)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2 samples but 1 labels"):
        fit(
            model,
            [[0.0, 0.0]] * 2,
            [1],
            loss="bce",
            optimizer=optim.SGD(model.parameters(), lr=0.1),
            epochs=1,
        )


def test_accuracy_rules() -> None:
    linear = Neuron(1, "linear", seed=0)
    linear.w[0].data, linear.b.data = 1.0, 0.0  # output = x
    X = [[-2.0], [-0.1], [0.3], [2.0]]
    assert accuracy(linear, X, [0, 0, 1, 1]) == 1.0  # scores: threshold 0
    assert accuracy(linear, X, [-1, -1, 1, 1]) == 1.0  # -1/+1 labels work the same
    assert accuracy(linear, X, [0, 1, 1, 1]) == 0.75
    assert accuracy(linear, X, [0, 0, 0, 1], threshold=0.5) == 1.0
    sigmoid = Neuron(1, "sigmoid", seed=0)
    sigmoid.w[0].data = 1.0
    assert accuracy(sigmoid, X, [0, 0, 1, 1]) == 1.0  # probabilities: threshold 0.5
    assert decision_threshold(linear, "mse", [0, 1, 1]) == 0.5
    assert decision_threshold(linear, "mse", [-1, 1]) == 0.0
    assert decision_threshold(linear, losses.hinge, [-1, 1]) == 0.0
    assert decision_threshold(sigmoid, "bce", [0, 1]) == 0.5


def test_multi_class_accuracy_is_argmax() -> None:
    model = MLP(2, [3], activation="linear", output_activation="linear", seed=0)
    X = [[0.5, -0.5], [1.0, 2.0], [-1.0, 0.3]]
    outputs = [model(x) for x in X]
    y = [predict(o) for o in outputs]  # type: ignore[arg-type]
    assert y == [max(range(3), key=lambda k, o=o: o[k].data) for o in outputs]  # type: ignore[index]
    assert accuracy(model, X, y) == 1.0
    assert accuracy(model, X, [(k + 1) % 3 for k in y]) == 0.0


def test_accuracy_builds_no_graph_and_touches_no_grad() -> None:
    model = MLP(2, [3, 1], seed=0)
    for p in model.parameters():
        p.grad = 0.25
    accuracy(model, [[0.1, 0.2], [0.3, -0.4]], [1, 0])
    assert is_grad_enabled()
    assert all(p.grad == 0.25 for p in model.parameters())
    with pytest.raises(ValueError, match="2 samples but 1 labels"):
        accuracy(model, [[0.1, 0.2]] * 2, [1])


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm")
    X, y = data.xor()
    model = MLP(2, [2, 1], seed=0)
    fit(model, X, y, loss="bce", optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=3)
    assert capsys.readouterr().err == ""  # pytest's stderr is not a terminal
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)
    fit(model, X, y, loss="bce", optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=3)
    shown = terminal.getvalue()
    assert "3/3" in shown and "loss=" in shown and "acc=" in shown
    notebook_output = io.StringIO()  # not a terminal, but in a notebook the bar is wanted
    monkeypatch.setattr("sys.stderr", notebook_output)
    monkeypatch.setattr(nn.train, "_in_notebook", lambda: True)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)  # no ipywidgets
    fit(model, X, y, loss="bce", optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=3)
    assert "3/3" in notebook_output.getvalue()
    quiet = FakeTerminal()
    monkeypatch.setattr("sys.stderr", quiet)
    fit(
        model,
        X,
        y,
        loss="bce",
        optimizer=optim.SGD(model.parameters(), lr=0.1),
        epochs=3,
        progress=False,
    )
    assert quiet.getvalue() == ""


def test_fit_accepts_a_custom_loss_function() -> None:
    X, y = data.xor()
    model = MLP(2, [4, 1], activation="tanh", seed=0)
    calls = []

    def loss(outputs: list[Value], targets: list[int]) -> Value:
        calls.append(len(outputs))
        return losses.mse(outputs, targets)

    fit(
        model,
        X,
        y,
        loss=loss,
        optimizer=optim.Adam(model.parameters(), lr=0.01),
        epochs=2,
        batch_size=3,
        progress=False,
        compile=False,  # the engine calls the loss at every step; compiled code only traces it
    )
    assert calls == [3, 1, 3, 1]


# -- fit checks every argument before it trains ------------------------------------------------


def _recorded_fit(model: MLP | Neuron, X: object, y: object, **kwargs: object) -> None:
    """fit with defaults, asserting that a refusal left the model and optimizer untouched."""
    optimizer = kwargs.pop("optimizer", None) or optim.SGD(model.parameters(), lr=0.1)
    arguments: dict[str, object] = {"loss": "bce", "epochs": 3, "batch_size": 2}
    arguments.update(kwargs)
    before = model.state_dict()
    try:
        fit(model, X, y, optimizer=optimizer, progress=False, **arguments)  # type: ignore[arg-type]
    finally:
        assert model.state_dict() == before
        assert getattr(optimizer, "steps", 0) == 0


GOOD_X = [[0.1, 0.2], [0.3, -0.4], [1.0, 0.5], [-0.2, 0.8], [0.0, 0.0], [0.6, -0.1]]
GOOD_Y = [0, 1, 1, 0, 1, 0]


@pytest.mark.parametrize(
    ("X", "y", "kwargs", "error", "message"),
    [
        (
            GOOD_X,
            GOOD_Y,
            {"validation": ([[0.1, 0.2, 0.3]], [1])},
            ValueError,
            r"fit: validation: X\[0\] has 3 inputs, the model takes 2",
        ),
        (
            [*GOOD_X[:5], [0.1, 0.2, 0.3]],
            GOOD_Y,
            {},
            ValueError,
            r"fit: X\[5\] has 3 inputs, the model takes 2",
        ),
        (
            [*GOOD_X[:5], [0.1, math.nan]],
            GOOD_Y,
            {},
            ValueError,
            r"fit: X\[5\]\[1\] must be a finite number, got nan",
        ),
        ([*GOOD_X[:5], "ab"], GOOD_Y, {}, ValueError, r"fit: X\[5\] must be a list of 2 numbers"),
        (
            GOOD_X,
            [*GOOD_Y[:5], 2],
            {},
            ValueError,
            r"fit: y does not suit the loss .*targets\[5\] must be in \[0, 1\], got 2",
        ),
        (GOOD_X, GOOD_Y, {"loss": "hinge"}, ValueError, r"hinge: targets\[0\] must be -1 or \+1"),
        (GOOD_X, [*GOOD_Y[:5], math.inf], {}, ValueError, r"y\[5\] must be a finite number"),
        (
            GOOD_X,
            GOOD_Y,
            {"validation": (GOOD_X, [*GOOD_Y[:5], 3])},
            ValueError,
            r"fit: validation: y does not suit the loss .*targets\[5\] must be in \[0, 1\]",
        ),
        (
            GOOD_X,
            GOOD_Y,
            {"validation": (GOOD_X, GOOD_Y[:2])},
            ValueError,
            "fit: validation: 6 samples but 2 labels",
        ),
        (
            GOOD_X,
            GOOD_Y,
            {"validation": GOOD_X},
            ValueError,
            r"fit: validation must be a pair \(X_val, y_val\)",
        ),
        (
            GOOD_X,
            GOOD_Y,
            {"threshold": math.nan},
            ValueError,
            "fit: threshold must be a finite number",
        ),
        (
            GOOD_X,
            GOOD_Y,
            {"optimizer": "adam"},
            TypeError,
            "fit: optimizer must be an optimizer from nn.optim",
        ),
    ],
)
def test_fit_refuses_bad_arguments_before_training(
    X: object, y: object, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        _recorded_fit(MLP(2, [3, 1], seed=0), X, y, **kwargs)


def test_fit_checks_labels_against_the_number_of_classes() -> None:
    model = MLP(2, [3], activation="linear", output_activation="linear", seed=0)
    with pytest.raises(
        ValueError, match=r"cross_entropy: targets\[5\] must be a class index in 0..2"
    ):
        _recorded_fit(model, GOOD_X, [0, 1, 2, 0, 1, 3], loss="cross_entropy")
    with pytest.raises(ValueError, match=r"logits\[0\] must be a list of at least 2 class scores"):
        _recorded_fit(MLP(2, [3, 1], seed=0), GOOD_X, GOOD_Y, loss="cross_entropy")


def test_fit_refuses_an_optimizer_of_another_model() -> None:
    model, other = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    stranger = optim.Adam(other.parameters())
    with pytest.raises(ValueError, match="holds none of this model's parameters"):
        _recorded_fit(model, GOOD_X, GOOD_Y, optimizer=stranger)
    # An optimizer of some of the parameters (the rest frozen) is a fine choice.
    last_layer = optim.SGD(model.layers[-1].parameters(), lr=0.1)
    first_layer = model.layers[0].state_dict()
    fit(model, GOOD_X, GOOD_Y, loss="bce", optimizer=last_layer, epochs=2, progress=False)
    assert last_layer.steps == 2 and model.layers[0].state_dict() == first_layer


# -- numpy data, as scikit-learn returns it -----------------------------------------------------


def test_fit_and_accuracy_take_make_moons_output_as_it_comes() -> None:
    pytest.importorskip("numpy")
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    X, y = sklearn_datasets.make_moons(120, noise=0.1, random_state=0)
    assert str(X.dtype) == "float64" and str(y.dtype) == "int64"
    X_val, y_val = sklearn_datasets.make_moons(40, noise=0.1, random_state=1)
    model = MLP(2, [8, 8, 1], seed=0)
    history = fit(
        model,
        X,
        y,
        loss="bce",
        optimizer=optim.Adam(model.parameters(), lr=0.05),
        epochs=25,
        batch_size=32,
        validation=(X_val, y_val),
        progress=False,
        seed=0,
    )
    assert history.accuracy[-1] > 0.9
    assert accuracy(model, X_val, y_val) == history.val_accuracy[-1] > 0.85
    assert accuracy(model, X.tolist(), y.tolist()) == accuracy(model, X, y)
    (X_train, y_train), _ = data.train_test_split(X, y, 0.25, seed=0)
    assert len(X_train) == 90 and type(X_train[0][0]) is float and type(y_train[0]) is int


@pytest.mark.parametrize(
    ("x_type", "y_type"), [("float32", "float32"), ("float32", "int64"), ("float64", "float64")]
)
def test_fit_with_numpy_dtypes_equals_fit_with_lists(x_type: str, y_type: str) -> None:
    np = pytest.importorskip("numpy")
    X, y = data.moons(30, seed=0)
    X_np, y_np = np.array(X, dtype=x_type), np.array(y, dtype=y_type)
    results = []
    for features, labels in (
        (X_np.tolist(), y_np.tolist()),
        (X_np, y_np),
        (list(X_np), list(y_np)),
    ):
        model = MLP(2, [4, 1], seed=0)
        history = fit(
            model,
            features,
            labels,
            loss="mse",
            optimizer=optim.SGD(model.parameters(), lr=0.1),
            epochs=3,
            progress=False,
        )
        results.append((history.loss, model.state_dict(), accuracy(model, features, labels)))
    assert results[0] == results[1] == results[2]


def test_multi_class_fit_with_numpy_labels() -> None:
    np = pytest.importorskip("numpy")
    X, y = data.blobs(30, centers=3, seed=0)
    model = MLP(2, [3], activation="linear", output_activation="linear", seed=0)
    fit(
        model,
        np.array(X),
        np.array(y),
        loss="cross_entropy",
        optimizer=optim.Adam(model.parameters(), lr=0.1),
        epochs=20,
        progress=False,
    )
    assert accuracy(model, np.array(X), np.array(y)) > 0.9
