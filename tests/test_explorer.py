"""`autograd.viz.explorer.explore`: sliders on an expression's leaves, tested without a browser.

Moving a slider is simulated by setting the ipywidgets slider's value, which is what the
browser does through the kernel; the tests then read the recomputed numbers and drawing.
"""

from __future__ import annotations

import doctest
import math
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

import autograd.viz.explorer
from autograd import Value
from autograd.viz.explorer import Explorer, explore

REPO = Path(__file__).resolve().parent.parent
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is missing")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MICROGRAD_B = 6.8813735870195432


def neuron(x1: Value, w1: Value, x2: Value, w2: Value, b: Value) -> Value:
    """micrograd's example neuron, tanh(x1 w1 + x2 w2 + b)."""
    return (x1 * w1 + x2 * w2 + b).tanh()


def neuron_explorer() -> Explorer:
    return explore(neuron, x1=2.0, w1=-3.0, x2=0.0, w2=1.0, b=(MICROGRAD_B, 0.0, 10.0))


def expected_grads(x1: float, w1: float, x2: float, w2: float, b: float) -> dict[str, float]:
    """The neuron's gradients by hand: d tanh(n)/dn = 1 - tanh(n)^2."""
    local = 1 - math.tanh(x1 * w1 + x2 * w2 + b) ** 2
    return {"x1": w1 * local, "w1": x1 * local, "x2": w2 * local, "w2": x2 * local, "b": local}


def test_the_starting_values_give_micrograds_numbers() -> None:
    explorer = neuron_explorer()
    assert math.isclose(explorer.output.data, math.sqrt(0.5), rel_tol=1e-12)
    grads = {name: leaf.grad for name, leaf in explorer.leaves.items()}
    assert grads == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5})
    assert [leaf.label for leaf in explorer.leaves.values()] == ["x1", "w1", "x2", "w2", "b"]
    assert explorer.values == {"x1": 2.0, "w1": -3.0, "x2": 0.0, "w2": 1.0, "b": MICROGRAD_B}
    assert explorer.text.startswith("out = 0.7071 | ∂out/∂x1 = -1.5000, ∂out/∂w1 = 1.0000")
    assert explorer.error is None


def test_set_recomputes_values_and_gradients() -> None:
    explorer = neuron_explorer()
    first_output = explorer.output
    explorer.set(x2=0.5, w2=-2.0)
    values = explorer.values
    assert values["x2"] == 0.5 and values["w2"] == -2.0 and values["x1"] == 2.0
    n = 2.0 * -3.0 + 0.5 * -2.0 + MICROGRAD_B
    assert explorer.output.data == pytest.approx(math.tanh(n))
    grads = {name: leaf.grad for name, leaf in explorer.leaves.items()}
    assert grads == pytest.approx(expected_grads(**values))
    assert explorer.output is not first_output  # a new graph: gradients never accumulate
    explorer.set(x2=0.5, w2=-2.0)
    assert explorer.leaves["b"].grad == pytest.approx(expected_grads(**values)["b"])


def test_a_value_outside_the_range_widens_it() -> None:
    explorer = neuron_explorer()
    explorer.set(b=12.5)
    assert explorer.ranges["b"].high == 12.5 and explorer.ranges["b"].low == 0.0


def test_a_domain_error_keeps_the_last_good_values_and_says_why() -> None:
    explorer = explore(lambda x: x.log() * 2, x=2.0)
    explorer.set(x=-1.0)
    assert explorer.error is not None and "log" in explorer.error and "-1.0" in explorer.error
    assert explorer.values == {"x": 2.0}
    assert explorer.output.data == pytest.approx(2 * math.log(2.0))
    assert "last values that worked" in explorer.static_html()
    explorer.set(x=4.0)
    assert explorer.error is None
    assert explorer.leaves["x"].grad == pytest.approx(0.5)


def test_any_error_of_fn_for_new_values_is_shown_not_raised() -> None:
    def half_built(x: Value) -> Value:
        if x.data > 1:
            raise RuntimeError(f"not built for x = {x.data}")
        return x * 3

    explorer = explore(half_built, x=0.5)
    explorer.set(x=2.0)
    assert explorer.error == "RuntimeError: not built for x = 2.0"
    explorer.set(x=1.0)
    assert explorer.error is None and explorer.output.data == 3.0


def test_the_default_range_holds_the_value_with_room_either_way() -> None:
    explorer = explore(lambda a, b: a * b, a=2.0, b=-10.0)
    assert (explorer.ranges["a"].low, explorer.ranges["a"].high) == (-4.0, 4.0)
    assert (explorer.ranges["b"].low, explorer.ranges["b"].high) == (-20.0, 20.0)
    explorer = explore(lambda a: a * 1, a=0.0)
    assert (explorer.ranges["a"].low, explorer.ranges["a"].high) == (-3.0, 3.0)


@needs_dot
def test_the_drawing_shows_the_current_values_and_gradients() -> None:
    explorer = neuron_explorer()
    svg = explorer.svg
    assert svg is not None and svg.startswith("<svg") and "<?xml" not in svg
    assert "data 0.7071" in unescape(svg) and "grad -1.5000" in unescape(svg)
    explorer.set(x1=1.0)
    assert explorer.svg is not None
    assert f"data {math.tanh(-3.0 + MICROGRAD_B):.4f}" in unescape(explorer.svg)
    assert "grad -1.5000" not in unescape(explorer.svg)


def test_moving_a_slider_recomputes_the_numbers_and_the_drawing() -> None:
    pytest.importorskip("ipywidgets")
    explorer = neuron_explorer()
    sliders = explorer.sliders
    assert list(sliders) == ["x1", "w1", "x2", "w2", "b"]
    assert sliders["b"].value == MICROGRAD_B
    for name, slider in sliders.items():
        declared = explorer.ranges[name]
        assert declared.low <= slider.min < declared.low + slider.step
        assert declared.high - slider.step < slider.max <= declared.high
        assert_on_grid(slider.value, slider.min, slider.step)

    sliders["w2"].value = 2.5
    sliders["x2"].value = -0.5
    values = explorer.values
    assert values == {"x1": 2.0, "w1": -3.0, "x2": -0.5, "w2": 2.5, "b": MICROGRAD_B}
    grads = {name: leaf.grad for name, leaf in explorer.leaves.items()}
    assert grads == pytest.approx(expected_grads(**values))
    n = 2.0 * -3.0 + -0.5 * 2.5 + MICROGRAD_B
    children = explorer.widget.children
    status, drawing = children[-2], children[-1]
    assert f"out = {math.tanh(n):.4f}" in status.value
    if shutil.which("dot"):
        assert explorer.svg is not None and explorer.svg in drawing.value
        assert f"data {math.tanh(n):.4f}" in unescape(drawing.value)


def assert_on_grid(value: float, low: float, step: float) -> None:
    """``value`` is one of a slider's positions ``low + k * step`` (so the browser keeps it)."""
    positions = (value - low) / step
    assert abs(positions - round(positions)) < 1e-9


@pytest.mark.parametrize(
    ("value", "low", "high"),
    [(MICROGRAD_B, 0.0, 10.0), (1.0, -3.0, 3.0), (0.0, -1.0, 1.0), (-2.5, -2.5, 7.0), (3, 1, 3)],
)
def test_the_slider_grid_passes_through_the_value(value: float, low: float, high: float) -> None:
    grid_low, grid_high, step = autograd.viz.explorer.slider_grid(value, low, high)
    assert step == pytest.approx((high - low) / autograd.viz.explorer.SLIDER_STEPS)
    assert low <= grid_low <= value <= grid_high <= high
    assert grid_low < low + step + 1e-12 and grid_high > high - step - 1e-12
    assert_on_grid(value, grid_low, step)


def test_set_moves_the_sliders_and_a_bad_slider_value_shows_an_error() -> None:
    pytest.importorskip("ipywidgets")
    explorer = explore(lambda x, y: (x / y).exp(), x=1.0, y=(2.0, 0.5, 4.0))
    sliders = explorer.sliders
    explorer.set(x=2.5, y=5.0)
    assert sliders["x"].value == 2.5 and sliders["y"].value == 5.0 and sliders["y"].max == 5.0
    assert_on_grid(sliders["x"].value, sliders["x"].min, sliders["x"].step)
    assert explorer.values == {"x": 2.5, "y": 5.0}
    assert explorer.output.data == pytest.approx(math.exp(0.5))
    sliders["x"].value = 2.9
    assert explorer.output.data == pytest.approx(math.exp(2.9 / 5.0))
    status = explorer.widget.children[-2]
    big = explore(lambda x: x.exp(), x=(1.0, 0.0, 1000.0))
    big.sliders["x"].value = 1000.0  # exp(1000) overflows a float
    assert big.error is not None and "exp" in big.error
    assert big.values == {"x": 1.0}
    assert "last values that worked" in big.widget.children[-2].value
    assert "last values" not in status.value


@needs_dot
def test_the_mimebundle_holds_the_widget_and_the_static_drawing() -> None:
    pytest.importorskip("ipywidgets")
    explorer = neuron_explorer()
    bundle = explorer._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and bundle[WIDGET_VIEW]["model_id"] == explorer.widget.model_id
    assert explorer.svg is not None
    assert bundle["image/svg+xml"] == explorer.svg
    assert explorer.svg in bundle["text/html"] and "out = 0.7071" in bundle["text/html"]
    assert bundle["text/plain"] == explorer.text


@needs_dot
def test_without_ipywidgets_it_shows_the_static_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # makes `import ipywidgets` fail
    explorer = neuron_explorer()
    bundle = explorer._repr_mimebundle_()
    assert WIDGET_VIEW not in bundle
    assert explorer.svg is not None and explorer.svg in bundle["text/html"]
    assert "pip install" in bundle["text/html"]
    with pytest.raises(ImportError, match=r"explore: install ipywidgets"):
        explorer.widget  # noqa: B018


def test_without_graphviz_it_still_gives_the_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")  # no dot program to find
    explorer = neuron_explorer()
    assert explorer.svg is None
    assert "dot" in explorer.static_html() and "out = 0.7071" in explorer.static_html()
    assert "image/svg+xml" not in explorer._repr_mimebundle_()


@pytest.mark.parametrize(
    ("leaves", "error", "message"),
    [
        ({}, ValueError, "at least one leaf"),
        ({"x": "1"}, TypeError, "x must be a number, got '1'"),
        ({"x": True}, TypeError, "x must be a number"),
        ({"x": math.inf}, ValueError, "x must be finite"),
        ({"x": (1.0, 2.0)}, ValueError, r"x must be a number or \(value, min, max\)"),
        ({"x": (1.0, 2.0, 0.0)}, ValueError, "x's min must be below its max"),
        ({"x": (5.0, 0.0, 1.0)}, ValueError, r"x's value must lie in \[min, max\]"),
        ({"x": (1.0, math.nan, 2.0)}, ValueError, "x's min must be finite"),
    ],
)
def test_bad_leaves_are_refused_by_name(
    leaves: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        explore(lambda **values: Value(1.0), **leaves)  # type: ignore[arg-type]


def test_bad_functions_and_bad_set_calls_are_refused() -> None:
    with pytest.raises(TypeError, match="fn must be a function"):
        explore(3, x=1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"fn must return the Value.*got float"):
        explore(lambda x: 2.0, x=1.0)
    with pytest.raises(ValueError, match="log"):  # the starting values must work
        explore(lambda x: x.log(), x=-1.0)
    explorer = explore(lambda x: x * 2, x=1.0)
    with pytest.raises(ValueError, match="no leaf named y; the leaves are x"):
        explorer.set(y=1.0)
    with pytest.raises(ValueError, match="x must be finite"):
        explorer.set(x=math.nan)
    assert explorer.values == {"x": 1.0}


@needs_dot
def test_draw_options_go_to_draw_dot() -> None:
    wide = neuron_explorer()
    tall = explore(neuron, draw_options={"rankdir": "TB"}, x1=2.0, w1=-3.0, x2=0.0, w2=1.0, b=1.0)
    assert wide.svg is not None and tall.svg is not None
    width = float(wide.svg.split('width="')[1].split("pt")[0])
    tall_width = float(tall.svg.split('width="')[1].split("pt")[0])
    assert tall_width < width
    with pytest.raises(ValueError, match="rankdir"):
        explore(neuron, draw_options={"rankdir": "XY"}, x1=2.0, w1=-3.0, x2=0.0, w2=1.0, b=1.0)
    with pytest.raises(TypeError, match="draw_options must be a dict"):
        explore(neuron, draw_options="TB", x1=2.0)  # type: ignore[arg-type]


def test_importing_autograd_does_not_import_the_explorer_or_ipywidgets() -> None:
    code = (
        "import sys, autograd, autograd.viz, nn\n"
        "print(sorted(m for m in ('autograd.viz.explorer', 'ipywidgets') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    code = "import sys, autograd.viz.explorer\nprint('ipywidgets' in sys.modules)\n"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr


def test_docstring_examples() -> None:
    result = doctest.testmod(autograd.viz.explorer, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


@needs_dot
def test_an_executed_notebook_exported_to_html_shows_the_static_drawing(tmp_path: Path) -> None:
    pytest.importorskip("ipywidgets")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nbconvert = pytest.importorskip("nbconvert")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "from autograd.viz.explorer import explore\n"
            "explore(lambda a, b: (a * b).tanh(), a=2.0, b=-0.5)"
        )
    ]
    # Executed without saving widget state (as the docs site does): the exporter then has
    # no widget to draw and takes the static drawing from the same output.
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        store_widget_state=False,
        timeout=120,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    (output,) = notebook.cells[0].outputs
    assert WIDGET_VIEW in output["data"] and "text/html" in output["data"]
    page, _ = nbconvert.HTMLExporter().from_notebook_node(notebook)
    assert f"data {math.tanh(-1.0):.4f}" in unescape(page)
    assert f"∂out/∂a = {-0.5 * (1 - math.tanh(-1.0) ** 2):.4f}" in page
    assert 'type="application/vnd.jupyter.widget-view+json"' not in page
