"""`nn.draw_network`: the layered picture of a model, read back from its SVG."""

from __future__ import annotations

import doctest
import itertools
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

import nn.network
from autograd import Value
from nn import MLP, Layer, Neuron, draw_network
from nn.network import NEGATIVE, POSITIVE, ZERO, NetworkPicture

SVG = "{http://www.w3.org/2000/svg}"


def parse(picture: NetworkPicture) -> ET.Element:
    return ET.fromstring(picture.svg)


def with_class(root: ET.Element, name: str) -> list[ET.Element]:
    """Every element whose class list holds ``name``."""
    return [element for element in root.iter() if name in element.get("class", "").split()]


def texts(element: ET.Element, css_class: str) -> list[str]:
    return [text.text or "" for text in with_class(element, css_class)]


def assert_widths_grow_with(edges: list[ET.Element], attribute: str) -> None:
    """Sorted by the size of ``attribute``, the edges' widths never shrink, and grow
    strictly wherever the size does."""
    pairs = sorted(
        (abs(float(e.get(attribute, ""))), float(e.get("stroke-width", ""))) for e in edges
    )
    for (size_a, width_a), (size_b, width_b) in itertools.pairwise(pairs):
        assert width_a <= width_b
        if size_a < size_b:
            assert width_a < width_b
    assert pairs[-1][1] > 3 * pairs[0][1]


def model_2441() -> MLP:
    return MLP(2, [4, 4, 1], activation="tanh", seed=0)


def test_a_2_4_4_1_model_has_9_neurons_2_inputs_and_28_edges() -> None:
    root = parse(draw_network(model_2441()))
    assert root.tag == f"{SVG}svg"
    assert len(with_class(root, "nn-neuron")) == 9
    assert len(with_class(root, "nn-input")) == 2
    assert len(with_class(root, "nn-edge")) == 28


def test_edge_widths_grow_with_the_size_of_the_weight_and_colours_give_its_sign() -> None:
    model = model_2441()
    model.layers[0].neurons[0].w[0].data = 0.0  # one zero weight: grey
    edges = with_class(parse(draw_network(model)), "nn-edge")
    sizes = {abs(float(e.get("data-weight", ""))) for e in edges}
    assert len(sizes) > 20  # distinct weights, so their order means something
    assert_widths_grow_with(edges, "data-weight")
    for edge in edges:
        weight = float(edge.get("data-weight", ""))
        expected = POSITIVE if weight > 0 else NEGATIVE if weight < 0 else ZERO
        assert edge.get("stroke") == expected
        sign = "positive" if weight > 0 else "negative" if weight < 0 else "zero"
        assert sign in edge.get("class", "").split()
    legend = ET.tostring(parse(draw_network(model)), encoding="unicode")
    assert "positive" in legend and "negative" in legend and "|weight|" in legend


def test_every_edge_joins_the_units_its_weight_connects() -> None:
    model = MLP(3, [2, 1], seed=1)
    root = parse(draw_network(model))
    titles = [e.find(f"{SVG}title") for e in with_class(root, "nn-edge")]
    names = sorted((t.text or "").split(" = ")[0] for t in titles if t is not None)
    assert names == sorted(name for name, p in model.named_parameters() if ".w." in name)


def test_with_x_each_neuron_shows_its_activation() -> None:
    model = model_2441()
    x = [2.0, -1.0]
    root = parse(draw_network(model, x))
    hidden = [n.data for n in model.layers[0](x)]
    second = [n.data for n in model.layers[1](hidden)]
    output = model(x)
    assert isinstance(output, Value)
    expected = [*hidden, *second, output.data]
    shown = [texts(g, "nn-value")[0] for g in with_class(root, "nn-neuron")]
    assert shown == [f"{v:.2f}" for v in expected]
    assert [texts(g, "nn-value")[0] for g in with_class(root, "nn-input")] == ["2.00", "-1.00"]
    assert not with_class(root, "nn-grad")  # no backward pass given, no gradients
    # The exact numbers are in each neuron's tooltip.
    tooltip = with_class(root, "nn-neuron")[-1].find(f"{SVG}title")
    assert tooltip is not None and f"output {output.data:.4f}" in (tooltip.text or "")


def test_x_can_be_values_and_drawing_does_not_touch_the_model() -> None:
    model = model_2441()
    before = model.state_dict()
    grads_before = [p.grad for p in model.parameters()]
    picture = draw_network(model, [Value(0.5), Value(0.25)])
    assert "0.50" in picture.svg
    assert model.state_dict() == before
    assert [p.grad for p in model.parameters()] == grads_before


def test_after_backward_each_neuron_shows_its_gradient() -> None:
    model = model_2441()
    x = [2.0, -1.0]
    out = model(x)
    assert isinstance(out, Value)
    loss = (out - 1.0) ** 2
    loss.backward()
    root = parse(draw_network(model, x, loss=loss))
    shown = [texts(g, "nn-grad")[0] for g in with_class(root, "nn-neuron")]
    # d(loss)/d(out) = 2 (out - 1); a hidden neuron's gradient is what flowed back to it.
    assert shown[-1] == f"grad {2 * (out.data - 1.0):.4f}"
    assert shown[-1] == f"grad {out.grad:.4f}"
    assert all(s.startswith("grad ") for s in shown)
    inputs = [texts(g, "nn-grad")[0] for g in with_class(root, "nn-input")]
    assert len(inputs) == 2
    # A neuron's gradient times its local derivative is its bias's gradient (dL/dz = dL/db).
    a = model.layers[0](x)[0].data
    node_grad = float(shown[0].split()[1])
    bias_grad = model.layers[0].neurons[0].b.grad
    assert math.isclose(node_grad * (1 - a**2), bias_grad, rel_tol=1e-3, abs_tol=1e-4)


def test_the_gradients_are_those_of_the_graph_that_was_swept() -> None:
    model = MLP(2, [3, 1], activation="tanh", seed=2)
    out = model([1.0, 0.5])
    assert isinstance(out, Value)
    out.backward()
    root = parse(draw_network(model, loss=out))
    shown = [texts(g, "nn-grad")[0] for g in with_class(root, "nn-neuron")]
    assert shown[-1] == "grad 1.0000"  # d(out)/d(out)
    # d(out)/d(h_j) = w_j of the output neuron (a linear output).
    assert shown[:3] == [f"grad {model.layers[1].neurons[0].w[j].data:.4f}" for j in range(3)]


def test_a_neuron_the_loss_does_not_use_has_gradient_zero() -> None:
    model = MLP(2, [3, 2], activation="tanh", seed=3)
    outs = model([1.0, -1.0])
    assert isinstance(outs, list)
    loss = outs[0] * 2.0
    loss.backward()
    neurons = with_class(parse(draw_network(model, loss=loss)), "nn-neuron")
    assert texts(neurons[-1], "nn-grad") == ["grad 0.0000"]
    assert texts(neurons[-1], "nn-value") == [f"{outs[1].data:.2f}"]
    assert texts(neurons[-2], "nn-grad") == ["grad 2.0000"]


def test_show_grads_draws_the_weight_gradients() -> None:
    model = model_2441()
    before = draw_network(model, show="grads")
    assert "call backward() first" in before.svg
    out = model([2.0, -1.0])
    assert isinstance(out, Value)
    out.backward()
    picture = draw_network(model, show="grads")
    assert "call backward() first" not in picture.svg
    edges = with_class(parse(picture), "nn-edge")
    assert_widths_grow_with(edges, "data-grad")
    for edge in edges:
        grad = float(edge.get("data-grad", ""))
        assert edge.get("stroke") == (POSITIVE if grad > 0 else NEGATIVE if grad < 0 else ZERO)
    assert "|weight.grad|" in picture.svg


def test_show_grads_writes_each_layers_mean_gradient_so_vanishing_shows() -> None:
    # Deep sigmoid layers: each passes back at most 1/4 of the gradient it receives.
    model = MLP(2, [4, 4, 4, 4, 1], activation="sigmoid", seed=0)
    out = model([1.0, -1.0])
    assert isinstance(out, Value)
    out.backward()
    root = parse(draw_network(model, show="grads"))
    shown = [float(text.split()[-1]) for text in texts(root, "nn-layer-grad")]
    assert len(shown) == 5
    for layer_number, layer in enumerate(model.layers):
        grads = [abs(w.grad) for neuron in layer.neurons for w in neuron.w]
        assert shown[layer_number] == pytest.approx(sum(grads) / len(grads), rel=5e-3)
    assert shown[0] < shown[1] < shown[2] < shown[3]
    assert not with_class(parse(draw_network(model)), "nn-layer-grad")  # weights: no stats


def test_layers_and_single_neurons_are_drawn_too() -> None:
    layer = Layer(3, 2, seed=0)
    root = parse(draw_network(layer, [1.0, 2.0, 3.0]))
    assert len(with_class(root, "nn-neuron")) == 2
    assert len(with_class(root, "nn-edge")) == 6
    root = parse(draw_network(Neuron(2, activation="sigmoid", seed=0)))
    assert len(with_class(root, "nn-neuron")) == 1
    assert len(with_class(root, "nn-input")) == 2


def test_micrograd_sized_model_stays_legible() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    root = parse(draw_network(model, [0.5, -1.0]))
    assert len(with_class(root, "nn-neuron")) == 33
    assert len(with_class(root, "nn-edge")) == 2 * 16 + 16 * 16 + 16
    sizes = [float(t.get("font-size", "0")) for t in with_class(root, "nn-value")]
    assert min(sizes) >= 10
    height = float(root.get("height", "0"))
    assert height < 1200


def test_a_very_wide_layer_falls_back_to_tooltips() -> None:
    root = parse(draw_network(MLP(2, [40, 1], seed=0), [0.5, -1.0]))
    assert len(with_class(root, "nn-neuron")) == 41
    assert not with_class(root, "nn-value")
    assert all(g.find(f"{SVG}title") is not None for g in with_class(root, "nn-neuron"))


def test_save_writes_a_valid_svg_and_refuses_other_formats(tmp_path: Path) -> None:
    picture = draw_network(model_2441(), [2.0, -1.0])
    path = picture.save(tmp_path / "net.svg")
    assert path == tmp_path / "net.svg"
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg" and len(with_class(root, "nn-neuron")) == 9
    page = picture.save(tmp_path / "net.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and picture.svg in page
    with pytest.raises(ValueError, match=r"net\.png.*\.svg or \.html"):
        picture.save(tmp_path / "net.png")
    assert not (tmp_path / "net.png").exists()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        picture.save(tmp_path / "missing" / "net.svg")


def test_notebook_representations() -> None:
    picture = draw_network(model_2441())
    assert picture._repr_svg_() == picture.svg
    html = picture._repr_html_()
    assert html.startswith("<div") and "overflow:auto" in html and picture.svg in html
    assert "NetworkPicture" in repr(picture)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda m: draw_network("model"), TypeError, "model must be an nn MLP"),  # type: ignore[arg-type]
        (lambda m: draw_network(m, [1.0]), ValueError, "x must have 2 numbers"),
        (lambda m: draw_network(m, "ab"), TypeError, "x must be a list"),
        (lambda m: draw_network(m, [1.0, "a"]), TypeError, r"x\[1\] must be a number"),
        (lambda m: draw_network(m, [1.0, math.nan]), ValueError, r"x\[1\] must be finite"),
        (lambda m: draw_network(m, show="grad"), ValueError, "show must be one of"),
        (lambda m: draw_network(m, loss=1.0), TypeError, "loss must be a Value"),  # type: ignore[arg-type]
        (lambda m: draw_network(m, loss=Value(1.0)), ValueError, "not computed from this model"),
    ],
)
def test_bad_arguments_are_refused_by_name(
    call: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call(model_2441())  # type: ignore[operator]


def test_a_loss_over_several_samples_or_another_input_is_refused() -> None:
    model = model_2441()
    a, b = model([1.0, 0.0]), model([0.0, 1.0])
    assert isinstance(a, Value) and isinstance(b, Value)
    batch_loss = a + b
    batch_loss.backward()
    with pytest.raises(ValueError, match=r"more than once.*one sample"):
        draw_network(model, loss=batch_loss)
    with pytest.raises(ValueError, match=r"x is \[2\.0, 2\.0\].*\[1\.0, 0\.0\]"):
        draw_network(model, [2.0, 2.0], loss=a)


def test_docstring_examples() -> None:
    result = doctest.testmod(nn.network, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

# Each unit's circle, the boxes of its texts, and the picture's own box, as laid out in the page.
MEASURE = """() => {
  const box = r => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
  const svg = document.querySelector('svg.nn-network');
  const units = [...svg.querySelectorAll('.nn-neuron, .nn-input')].map(g => ({
    circle: box(g.querySelector('circle').getBoundingClientRect()),
    texts: [...g.querySelectorAll('text')].map(t => ({
      box: box(t.getBoundingClientRect()),
      size: parseFloat(getComputedStyle(t).fontSize),
    })),
  }));
  return {svg: box(svg.getBoundingClientRect()), units};
}"""


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    )


@pytest.mark.browser
def test_in_chromium_every_number_is_legible_and_nothing_covers_a_circle(
    browser: Any, tmp_path: Path
) -> None:
    small = model_2441()
    out = small([2.0, -1.0])
    assert isinstance(out, Value)
    small_loss = (out - 1.0) ** 2
    small_loss.backward()
    big = MLP(2, [16, 16, 1], seed=0)
    big_out = big([2.0, -1.0])
    assert isinstance(big_out, Value)
    big_out.backward()
    pictures = {
        "network_2441": draw_network(small, loss=small_loss),
        "network_16_16_1_grads": draw_network(big, loss=big_out, show="grads"),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    for name, picture in pictures.items():
        page.goto(picture.save(tmp_path / f"{name}.html").as_uri())
        layout = page.evaluate(MEASURE)
        units = layout["units"]
        assert len(units) in (2 + 9, 2 + 33)
        for i, unit in enumerate(units):
            for text in unit["texts"]:
                assert text["size"] >= 10
                assert text["box"]["bottom"] - text["box"]["top"] >= 10
                assert layout["svg"]["left"] <= text["box"]["left"]
                assert text["box"]["right"] <= layout["svg"]["right"]
                assert text["box"]["bottom"] <= layout["svg"]["bottom"]
                for j, other in enumerate(units):
                    if j != i:
                        assert not overlaps(text["box"], other["circle"]), (name, i, j)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.close()


def test_the_readme_picture_is_what_the_readme_code_draws() -> None:
    """docs/network.svg (shown in the README) is up to date with draw_network."""
    model = model_2441()
    x = [2.0, -1.0]
    out = model(x)
    assert isinstance(out, Value)
    loss = (out - 1.0) ** 2
    loss.backward()
    expected = draw_network(model, x, loss=loss).svg
    shown = (Path(__file__).resolve().parent.parent / "docs" / "network.svg").read_text("utf-8")
    assert shown == expected, (
        "docs/network.svg is out of date: run the README's draw_network example and save it "
        "to docs/network.svg"
    )


def number_in(group: ET.Element) -> str:
    text = group.find(f"{SVG}text")
    assert text is not None
    return text.text or ""


def boxes_of(root: ET.Element) -> list[tuple[float, float, float, float]]:
    """The white tag of each number on a line, as (left, top, right, bottom)."""
    found = []
    for group in with_class(root, "nn-edge-value"):
        rect = group.find(f"{SVG}rect")
        assert rect is not None
        left, top = float(rect.get("x", "")), float(rect.get("y", ""))
        found.append(
            (left, top, left + float(rect.get("width", "")), top + float(rect.get("height", "")))
        )
    return found


def test_a_small_network_shows_each_weight_on_its_line_without_overlaps() -> None:
    model = model_2441()
    root = parse(draw_network(model, [0.5, -1.0]))
    numbers = {g.get("data-param"): number_in(g) for g in with_class(root, "nn-edge-value")}
    weights = {name: p for name, p in model.named_parameters() if ".w." in name}
    assert set(numbers) == set(weights)  # all 28 weights, each once
    for group in with_class(root, "nn-edge-value"):
        text = group.find(f"{SVG}text")
        assert text is not None and float(text.get("font-size", "")) >= 11
        weight = weights[group.get("data-param", "")].data
        assert text.text == nn.network._in_circle(weight)
        assert text.get("fill") == (POSITIVE if weight > 0 else NEGATIVE)
    tags = boxes_of(root)
    circles = [
        (float(c.get("cx", "")), float(c.get("cy", "")), float(c.get("r", "")))
        for c in root.iter(f"{SVG}circle")
    ]
    for a, b in itertools.combinations(tags, 2):
        assert not nn.network._overlap(a, b), (a, b)
    for tag in tags:
        for x, y, r in circles:
            assert not nn.network._overlap(tag, (x - r, y - r, x + r, y + r)), (tag, x, y)
    # Each number sits on its own line (at its point a quarter to three quarters along it).
    edges = {e.get("data-param"): e for e in with_class(root, "nn-edge")}
    for group, (left, top, right, bottom) in zip(
        with_class(root, "nn-edge-value"), tags, strict=True
    ):
        line = edges[group.get("data-param")]
        x1, y1, x2, y2 = (float(line.get(k, "")) for k in ("x1", "y1", "x2", "y2"))
        x, y = (left + right) / 2, (top + bottom) / 2
        fraction = (x - x1) / (x2 - x1)
        assert 0.2 <= fraction <= 0.8
        assert math.isclose(y, y1 + fraction * (y2 - y1), abs_tol=0.2)
    assert "on the lines: weights" in picture_text(root)


def picture_text(root: ET.Element) -> str:
    return " ".join(t.text or "" for t in root.iter(f"{SVG}text"))


def test_with_show_grads_the_numbers_on_the_lines_are_the_gradients() -> None:
    model = model_2441()
    out = model([1.0, 2.0])
    assert isinstance(out, Value)
    out.backward()
    root = parse(draw_network(model, show="grads"))
    grads = {name: p.grad for name, p in model.named_parameters()}
    shown = {g.get("data-param"): number_in(g) for g in with_class(root, "nn-edge-value")}
    assert len(shown) == 28
    assert all(text == nn.network._in_circle(grads[name or ""]) for name, text in shown.items())
    assert "on the lines: weight grads" in picture_text(root)


def test_a_network_with_a_tall_column_keeps_its_numbers_in_the_tooltips() -> None:
    root = parse(draw_network(MLP(2, [16, 16, 1], seed=0)))
    assert not with_class(root, "nn-edge-value")
    assert "on the lines" not in picture_text(root)
    assert all(e.find(f"{SVG}title") is not None for e in with_class(root, "nn-edge"))
