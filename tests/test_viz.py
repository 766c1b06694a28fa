"""draw_dot: what the DOT source says, that it is deterministic, and how it renders."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings

from autograd import Value, topological_order
from autograd.testing import expressions
from autograd.viz import GraphTooLargeError, GraphvizNotFoundError, draw_dot, render_svg
from autograd.viz.draw import COLOURS, NEGATIVE, NOT_COMPUTED_NOTE, POSITIVE
from autograd.viz.graph import format_number
from nn.neuron import neuron

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is missing")


class Param(Value):
    """A stand-in for nn's Parameter: a Value with an ``owner`` (autograd never imports nn)."""

    __slots__ = ("owner",)

    def __init__(self, data: float, label: str, owner: str) -> None:
        super().__init__(data, label)
        self.owner = owner


def the_classic_neuron() -> tuple[Value, dict[str, Value]]:
    """micrograd's example neuron: tanh(x1*w1 + x2*w2 + b), with every leaf labelled."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    out = (x1 * w1 + x2 * w2 + b).tanh()
    return out, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


def node_line(source: str, dot_id: str) -> str:
    """The statement declaring node ``dot_id`` in a DOT source."""
    (line,) = [ln for ln in source.splitlines() if ln.strip().startswith(f"{dot_id} [")]
    return line


def edges(source: str) -> list[str]:
    """Every edge statement, as ``"tail -> head"`` (attributes dropped), in source order."""
    return [m.group(1) for m in re.finditer(r"^\s*(\w+ -> \w+)", source, re.MULTILINE)]


def cluster_block(source: str, label: str) -> str:
    """The text of the cluster labelled ``label`` (nested clusters included)."""
    start = source.index(f"label={label}")
    start = source.rindex("subgraph cluster_", 0, start)
    depth = 0
    for end in range(source.index("{", start), len(source)):
        depth += {"{": 1, "}": -1}.get(source[end], 0)
        if depth == 0:
            return source[start : end + 1]
    raise AssertionError(f"cluster {label} is not closed")


# -- content -----------------------------------------------------------------------------------


def test_values_show_label_data_and_grad_and_ops_have_their_own_box() -> None:
    out, leaves = the_classic_neuron()
    out.backward()
    source = draw_dot(out).source
    nodes = topological_order(out)
    for i, node in enumerate(nodes):
        line = node_line(source, f"v{i}")
        assert f"data {format_number(node.data)}" in line
        assert f"grad {format_number(node.grad)}" in line
        if node.label:
            assert f"<b>{node.label}</b>" in line
        if node.parents:
            assert f'label="{node.op.symbol}"' in node_line(source, f"o{i}") or (
                f"label={node.op.symbol} " in node_line(source, f"o{i}")
            )
            assert f"o{i} -> v{i}" in edges(source)
    assert "data 0.7071" in node_line(source, f"v{len(nodes) - 1}")
    assert "grad -1.5000" in node_line(source, f"v{nodes.index(leaves['x1'])}")
    assert "grad 0.5000" in node_line(source, f"v{nodes.index(leaves['b'])}")
    assert NOT_COMPUTED_NOTE not in source


def test_each_operand_is_an_edge_in_operand_order() -> None:
    a, b = Value(3.0, label="a"), Value(4.0, label="b")
    square, diff = a * a, b - a
    source = draw_dot(square + diff).source
    i_a, i_b, i_sq, i_diff = (
        topological_order(square + diff).index(v) for v in (a, b, square, diff)
    )
    assert edges(source).count(f"v{i_a} -> o{i_sq}") == 2  # a * a: two edges from a
    # b - a: b is the 1st operand and a the 2nd, and the edges say so.
    assert f'v{i_b} -> o{i_diff} [label="1st" id=e{i_diff}_0]' in source
    assert f'v{i_a} -> o{i_diff} [label="2nd" id=e{i_diff}_1]' in source


def test_plain_numbers_are_written_into_the_op_on_their_side() -> None:
    x = Value(2.0, label="x")
    for expression, text in [
        (x * 2.5, "□ * 2.5"),
        (2.5 * x, "□ * 2.5"),
        (1 - x, "1 - □"),
        (x - 1, "□ - 1"),
        (2**x, "2 ** □"),
        (x**3, "□ ** 3"),
        (1 / x, "1 / □"),
    ]:
        source = draw_dot(expression).source
        assert f'label="{text}"' in node_line(source, "o1")
        assert len(edges(source)) == 2  # x -> op -> result: the number is not a node


def test_neuron_and_sum_nodes_are_one_op_each_with_unnamed_edges_in_operand_order() -> None:
    w = [Value(0.5, label="wa"), Value(-1.0, label="wb")]
    x = [Value(1.0, label="xa"), Value(2.0, label="xb")]
    b = Value(0.25, label="bias")
    y = neuron(w, x, b, "tanh")
    total = Value.sum([y, x[0], x[0]])
    source = draw_dot(total).source
    nodes = topological_order(total)
    i_y = nodes.index(y)
    assert 'label="tanh(w·x+b)"' in node_line(source, f"o{i_y}")
    for position, parent in enumerate([*w, *x, b]):
        # No names on a neuron's edges: the boxes say w0, w1, ... and the bundle from one
        # layer to the next stays followable.
        assert f"v{nodes.index(parent)} -> o{i_y} [id=e{i_y}_{position}]" in source
    i_total = nodes.index(total)
    assert "label=sum" in node_line(source, f"o{i_total}")
    assert edges(source).count(f"v{nodes.index(x[0])} -> o{i_total}") == 2
    assert len(re.findall(r"^\s*o\d+ \[", source, re.MULTILINE)) == 2


def test_a_dot_node_has_an_edge_per_operand_in_order() -> None:
    x = [Value(1.0, label="a"), Value(2.0, label="b")]
    y = Value.dot(x, x)
    source = draw_dot(y).source
    nodes = topological_order(y)
    i_y = nodes.index(y)
    assert "label=dot" in node_line(source, f"o{i_y}")
    for position, parent in enumerate([*x, *x]):
        assert f"v{nodes.index(parent)} -> o{i_y} [id=e{i_y}_{position}]" in source


def test_leaves_parameters_and_root_have_their_own_colours() -> None:
    x = Value(1.0, label="x")
    w = Param(0.5, "w0", owner="layers.0.neurons.0")
    middle = x * w
    out = middle.relu()
    source = draw_dot(out).source
    assert COLOURS["leaf"] in node_line(source, "v0")
    assert COLOURS["parameter"] in node_line(source, "v1")
    assert COLOURS["result"] in node_line(source, "v2")
    assert COLOURS["root"] in node_line(source, "v3")
    assert len({COLOURS[k] for k in ("leaf", "parameter", "result", "root")}) == 4


def test_clusters_group_a_neurons_op_with_its_parameters_nested_by_layer() -> None:
    x = [Value(1.0, label="x0"), Value(2.0, label="x1")]

    def hidden(name: str) -> Value:
        w = [Param(0.1, "w0", name), Param(-0.2, "w1", name)]
        return neuron(w, x, Param(0.0, "b", name), "relu")

    h = [hidden("layers.0.neurons.0"), hidden("layers.0.neurons.1")]
    w2 = [Param(1.0, "w0", "layers.1.neurons.0"), Param(1.0, "w1", "layers.1.neurons.0")]
    out = neuron(w2, h, Param(0.0, "b", "layers.1.neurons.0"), "linear")
    nodes = topological_order(out)
    source = draw_dot(out).source

    layer = cluster_block(source, '"layers.0"')
    first = cluster_block(source, '"layers.0.neurons.0"')
    assert first in layer  # the neuron's box sits inside its layer's box
    assert cluster_block(source, '"layers.0.neurons.1"') in layer
    i_h0 = nodes.index(h[0])
    for node in (*h[0].parents[:2], h[0].parents[-1]):  # its weights and bias
        assert f"\tv{nodes.index(node)} [" in first
    assert f"\to{i_h0} [" in first and f"\tv{i_h0} [" in first
    assert "\tv0 [" not in layer  # inputs are nobody's: outside every cluster
    assert f"\to{nodes.index(h[1])} [" not in first
    assert source.count("subgraph cluster_") == 5  # 2 layers + 3 neurons

    assert "subgraph" not in draw_dot(out, cluster=False).source


def test_a_graph_before_backward_says_grads_are_not_computed_yet() -> None:
    out, _ = the_classic_neuron()
    assert NOT_COMPUTED_NOTE in draw_dot(out).source
    out.backward()
    assert NOT_COMPUTED_NOTE not in draw_dot(out).source
    hidden = draw_dot(out, show_grad=False).source
    assert "grad " not in hidden and NOT_COMPUTED_NOTE not in hidden


def test_the_source_is_byte_for_byte_the_same_for_the_same_graph() -> None:
    first, _ = the_classic_neuron()
    second, _ = the_classic_neuron()  # new objects, same graph
    assert draw_dot(first).source == draw_dot(first).source
    assert draw_dot(first).source == draw_dot(second).source
    assert str(id(first)) not in draw_dot(first).source


@settings(max_examples=25)
@given(expressions(variables=2, max_depth=3))
def test_any_expression_draws_the_same_twice_with_one_box_per_value_and_op(expr) -> None:  # type: ignore[no-untyped-def]
    one, two = expr(*expr.leaves()), expr(*expr.leaves())
    source = draw_dot(one).source
    assert source == draw_dot(two).source
    nodes = topological_order(one)
    declared = re.findall(r"^\s*([vo]\d+) \[", source, re.MULTILINE)
    assert len(declared) == len(nodes) + sum(1 for n in nodes if n.parents)


def test_user_labels_are_escaped() -> None:
    x = Value(1.0, label='<b>&"x"')
    source = draw_dot(x * 2).source
    assert "&lt;b&gt;&amp;&quot;x&quot;" in source


def test_too_large_a_graph_is_refused_with_advice() -> None:
    x = Value(0.5, label="x")
    y = x
    for _ in range(300):
        y = y * 1.0001
    with pytest.raises(GraphTooLargeError, match=r"more than max_nodes=500 boxes.*smaller example"):
        draw_dot(y)
    assert draw_dot(y, max_nodes=601).source
    with pytest.raises(ValueError, match="max_nodes=600"):
        draw_dot(y, max_nodes=600)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"rankdir": "XY"}, ValueError),
        ({"max_nodes": 0}, ValueError),
        ({"max_nodes": True}, ValueError),
        ({"max_nodes": 1.5}, ValueError),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error, match=next(iter(kwargs))):
        draw_dot(Value(1.0), **kwargs)  # type: ignore[arg-type]


def test_the_root_must_be_a_value() -> None:
    with pytest.raises(TypeError, match="root must be a Value"):
        draw_dot(3.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (0.5, "0.5000"),
        (-3.0, "-3.0000"),
        (0.0, "0.0000"),
        (-0.0, "0.0000"),
        (0.001, "0.0010"),
        (1.2345e-5, "1.2345e-05"),
        (123456.0, "123456.0000"),
        (2.5e6, "2.5000e+06"),
    ],
)
def test_numbers_have_four_decimals_or_scientific_notation(x: float, text: str) -> None:
    assert format_number(x) == text


# -- rendering ---------------------------------------------------------------------------------


@needs_dot
def test_the_svg_has_one_graphviz_node_per_value_and_per_op() -> None:
    out, _ = the_classic_neuron()
    out.backward()
    nodes = topological_order(out)
    svg = render_svg(draw_dot(out))
    drawn = re.findall(r'<g id="([vo]\d+)" class="node">', svg)
    assert sorted(drawn) == sorted(
        [f"v{i}" for i in range(len(nodes))] + [f"o{i}" for i, n in enumerate(nodes) if n.parents]
    )
    assert "grad -1.5000" in html.unescape(svg) and ">tanh<" in svg


def test_importing_autograd_and_its_drawings_does_not_import_graphviz() -> None:
    code = textwrap.dedent(
        """
        import sys
        import autograd, autograd.viz
        print("graphviz" in sys.modules)
        autograd.viz.draw_dot(autograd.Value(1.0) * 2)
        print("graphviz" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True"]


def test_without_dot_the_source_works_and_rendering_says_how_to_install(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        from autograd import Value
        from autograd.viz import GraphTooLargeError, GraphvizNotFoundError, draw_dot, render_svg
        dot = draw_dot(Value(2.0, label="a") * 3)
        assert "data 6.0000" in dot.source
        for attempt in (lambda: render_svg(dot), lambda: dot.pipe(format="png"),
                        lambda: dot._repr_mimebundle_(), lambda: dot.render("x")):
            try:
                attempt()
            except GraphvizNotFoundError as error:
                assert isinstance(error, RuntimeError)
                print(error)
            else:
                raise AssertionError("rendering without dot did not fail")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PATH": str(tmp_path), "HOME": str(tmp_path)},  # a PATH with no dot on it
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    for line in lines:
        assert "'dot'" in line and "apt-get install graphviz" in line
        assert "brew install graphviz" in line and "conda install graphviz" in line


def test_the_error_for_a_missing_dot_is_a_runtime_error() -> None:
    assert issubclass(GraphvizNotFoundError, RuntimeError)
    assert "apt-get install graphviz" in str(GraphvizNotFoundError())


def test_an_nn_model_is_drawn_with_one_cluster_per_layer_and_neuron() -> None:
    from nn import MLP

    model = MLP(2, [3, 1], seed=0)
    out = model([0.5, -1.0])
    assert isinstance(out, Value)  # one output
    nodes = topological_order(out)
    source = draw_dot(out).source
    labels = re.findall(r'label="?([\w.]+)"? style="rounded,dashed"', source)
    assert sorted(labels) == [
        "layers.0",
        "layers.0.neurons.0",
        "layers.0.neurons.1",
        "layers.0.neurons.2",
        "layers.1",
        "layers.1.neurons.0",
    ]
    for parameter in model.parameters():
        line = node_line(source, f"v{nodes.index(parameter)}")
        assert COLOURS["parameter"] in line and f"<b>{parameter.label}</b>" in line
    assert len(re.findall(r"^\s*o\d+ \[", source, re.MULTILINE)) == 4  # one node per neuron


@needs_dot
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_a_neurons_parameters_are_drawn_in_order(rankdir: str) -> None:
    from nn import MLP

    model = MLP(2, [4, 4, 1], seed=0)
    out = model([0.3, -0.4])
    assert isinstance(out, Value)
    nodes = topological_order(out)
    svg = render_svg(draw_dot(out, rankdir=rankdir))
    across = 2 if rankdir == "LR" else 1  # a rank is a column (LR) or a row (TB)
    position = {}
    box = r'<g id="(v\d+)" class="node">.*?<text[^>]* x="([-\d.]+)" y="([-\d.]+)"'
    for match in re.finditer(box, svg, re.DOTALL):
        position[match.group(1)] = float(match.group(1 + across))
    for unit in (layer for layer in model.layers for layer in layer.neurons):
        params = [*unit.w, unit.b]  # type: ignore[attr-defined]
        places = [position[f"v{nodes.index(p)}"] for p in params]
        assert places == sorted(places), [p.label for p in params]


def test_edges_carry_the_gradient_flow_once_there_is_one() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    before = draw_dot(c).source
    assert POSITIVE not in before and NEGATIVE not in before
    c.backward()
    source = draw_dot(c).source
    nodes = topological_order(c)
    i = nodes.index(c)
    # Along a -> *: grad(c) * b = -3 (negative, the largest); along b -> *: 2 (positive).
    (to_a,) = [ln for ln in source.splitlines() if f"id=e{i}_0" in ln]
    (to_b,) = [ln for ln in source.splitlines() if f"id=e{i}_1" in ln]
    assert NEGATIVE in to_a and "penwidth=4.00" in to_a
    assert POSITIVE in to_b and "penwidth=2.93" in to_b  # 0.8 + 3.2 * 2/3
    assert "adds to grad" in source and "subtracts" in source  # the legend says so
    assert draw_dot(c, show_grad=False).source.count("penwidth") == 0


def test_max_width_scales_a_wide_drawing_down() -> None:
    x = Value(1.0, label="x")
    assert not re.search(r"[ \[]size=", draw_dot(x * 2).source)
    assert 'size="9.375,10000"' in draw_dot(x * 2, max_width=900).source
    for bad in (0, -5, float("inf"), "900", True):
        with pytest.raises(ValueError, match="max_width"):
            draw_dot(x * 2, max_width=bad)  # type: ignore[arg-type]


@needs_dot
def test_labels_with_control_characters_and_lone_surrogates_draw_as_escapes() -> None:
    labels = ["a\x00b", "\x1b[31m", "half \ud800 pair", "tab\there"]
    values = [Value(float(i), label=label) for i, label in enumerate(labels)]
    out = Value.sum(values)
    source = draw_dot(out).source
    for shown in ("a\\x00b", "\\x1b[31m", "half \\ud800 pair", "tab\\there"):
        assert shown in source
    svg = render_svg(draw_dot(out))  # graphviz renders it: no CalledProcessError
    assert "a\\x00b" in svg
    assert "é∂" in draw_dot(Value(1.0, label="é∂") * 2).source  # printable text stays


def test_a_huge_graph_is_refused_while_counting(monkeypatch: pytest.MonkeyPatch) -> None:
    import autograd.viz.graph

    x = Value(0.5)
    y = x
    for _ in range(20_000):
        y = y * 1.0001

    def never(root: Value) -> list[Value]:
        raise AssertionError("the whole graph was walked before refusing it")

    # The count stops at the limit, before the full topological order is ever built.
    monkeypatch.setattr(autograd.viz.graph, "topological_order", never)
    with pytest.raises(GraphTooLargeError, match="max_nodes=500"):
        draw_dot(y)


def test_the_page_direction_fits_an_expression_top_down_and_a_network_across() -> None:
    from autograd.viz.draw import fitting_rankdir
    from nn import MLP

    out, _ = the_classic_neuron()
    assert fitting_rankdir(topological_order(out)) == "TB"
    network = MLP(2, [16, 16, 1], seed=0)([0.3, -0.4])
    assert isinstance(network, Value)
    assert fitting_rankdir(topological_order(network)) == "LR"


def test_the_drawing_modules_import_one_another_without_a_cycle() -> None:
    import ast

    import autograd.viz

    folder = Path(autograd.viz.__file__).parent
    imports: dict[str, set[str]] = {}
    for path in folder.glob("*.py"):
        module = f"autograd.viz.{path.stem}" if path.stem != "__init__" else "autograd.viz"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = set()
        for node in ast.walk(tree):  # function-level imports count too: they can still loop
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
        imports[module] = {name for name in found if name.startswith("autograd.viz.")}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in imports.get(start, set()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    assert not [m for m in imports if m != "autograd.viz" and reaches(m, m, {m})]
    assert "autograd.viz.draw" not in imports["autograd.viz._graphviz"]


def test_a_user_rule_that_answers_none_is_drawn_and_stepped_as_a_zero_slope() -> None:
    # define_op's rules may return None for "no gradient"; the drawings read a rule as the
    # sweep does (None is 0.0) instead of failing on it.
    from autograd import define_op
    from autograd.viz import trace_backward
    from autograd.viz.graph import local_derivatives

    times_const = define_op(
        "viz_times_const", lambda x, y: x * y, lambda g, out, x, y: (g * y, None)
    )
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    out = times_const(a, b)
    assert local_derivatives(out) == [3.0, 0.0]
    assert "viz_times_const" in draw_dot(out).source
    assert len(trace_backward(out)) == 1
    broken = define_op("viz_broken_rule", lambda x: x, lambda g, out, x: {"x": g})
    with pytest.raises(TypeError, match="viz_broken_rule"):
        local_derivatives(broken(a))
