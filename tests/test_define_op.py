"""`define_op`: a user's op lives in the same table as the built-in ones; it is computed,
differentiated (to any order), drawn, traced, pickled and property-tested like them, and
every mistake in defining or using it is a clear error naming the op."""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import find, given, settings

import nn.neuron  # noqa: F401  (its ops exist: redefining one from here is refused below)
from autograd import GradcheckError, Value, define_op, grad, gradcheck, no_grad
from autograd.backward import backward as reference_backward
from autograd.define import DefinedOp, OpFunction
from autograd.functions import sigmoid, softplus_float
from autograd.ops import OPS
from autograd.testing import Expression, expressions

MANY = settings(max_examples=3 * settings.default.max_examples)

softsign = define_op(
    "softsign",
    lambda x: x / (1 + abs(x)),
    lambda g, out, x: (g / (1 + abs(x)) ** 2,),
    formula="1/(1 + |x|)²",
)
my_softplus = define_op(  # (a name of its own: test_readme defines the README's my_softplus)
    "define_softplus",
    softplus_float,
    lambda g, out, x: (g * sigmoid(x),),
    symbol="softplus",
    formula="sigmoid(x)",
)
hypot = define_op(
    "hypot",
    lambda a, b: math.hypot(a, b),
    lambda g, out, a, b: (g * a / out, g * b / out),
    formula=("a/out", "b/out"),
)
bad_softplus = define_op(  # a bug to catch: the sign of x is wrong in the rule
    "bad_softplus", softplus_float, lambda g, out, x: (g * sigmoid(-x),)
)


def test_a_user_op_computes_and_differentiates_like_a_built_in() -> None:
    x = Value(0.5)
    y = my_softplus(x)
    assert y.data == Value(0.5).softplus().data
    assert y.op is OPS["define_softplus"] and isinstance(y.op, DefinedOp)
    assert (y.op.symbol, y.op.names, y.op.formula) == ("softplus", ("x",), ("sigmoid(x)",))
    y.backward()
    assert x.grad == sigmoid(0.5)
    x.grad = 0.0
    reference_backward(y)
    assert x.grad == sigmoid(0.5)


def test_numbers_become_leaves_and_no_grad_gives_a_leaf() -> None:
    a = Value(3.0)
    h = hypot(a, 4)
    assert h.data == 5.0 and h.parents[0] is a and h.parents[1].data == 4.0
    (da,) = grad(h, a)
    assert da.data == 0.6
    with no_grad():
        assert hypot(a, 4.0).op is None


@pytest.mark.parametrize("op", [softsign, my_softplus])
def test_a_correct_rule_passes_gradcheck_to_the_second_order(op: OpFunction) -> None:
    for x in (-2.5, -0.3, 0.7, 4.0):
        assert gradcheck(op, [x], order=2)
    assert gradcheck(hypot, [0.3, -1.2], order=2)


def test_a_rule_checked_to_the_third_order() -> None:
    def dsoftplus(x: Value) -> Value:
        return grad(my_softplus(x), [x], create_graph=True)[0]

    assert gradcheck(dsoftplus, [0.7], order=2)  # the rule's second and third derivatives


def test_a_wrong_rule_is_caught() -> None:
    with pytest.raises(GradcheckError, match="d f/d x0"):
        gradcheck(bad_softplus, [0.7])


@MANY
@given(
    expressions(
        extra_ops=[
            (softsign, lambda x: abs(x) > 0.1),  # |x| has a kink at 0: so has softsign''
            (my_softplus, (-30.0, 30.0)),
            (hypot, (0.2, 10.0)),
        ]
    )
)
def test_user_ops_inside_random_expressions_pass_gradcheck(expr: Expression) -> None:
    assert gradcheck(expr, expr.values, order=2)


def test_a_wrong_rule_is_caught_and_shrunk_by_a_property() -> None:
    def fails(expr: Expression) -> bool:
        try:
            gradcheck(expr, expr.values)
        except GradcheckError:
            return True
        return False

    smallest = find(
        expressions(extra_ops=[bad_softplus]),
        fails,
        settings=settings(database=None, max_examples=300, derandomize=True),
    )
    # At 0 the wrong rule happens to be right (sigmoid(-0) = sigmoid(0)): the smallest
    # failing expression moves its operand away from 0 with one more op.
    assert "bad_softplus" in str(smallest)
    assert sum(1 for _ in smallest.terms()) <= 3, smallest


# -- drawn, traced, pickled -----------------------------------------------------------------


def test_the_node_is_drawn_with_its_symbol_and_traced_with_its_formula() -> None:
    pytest.importorskip("graphviz")
    from autograd.viz import draw_dot, trace_backward

    x = Value(0.5, label="x")
    y = my_softplus(x) * 2
    assert "softplus" in draw_dot(y).source
    trace = trace_backward(y)
    explained = " ".join(trace.explain(i) for i in range(len(trace)))
    assert "softplus(x)" in explained
    page = trace.to_html() if hasattr(trace, "to_html") else ""
    assert not page or "sigmoid(x)" in page


def test_a_graph_with_a_user_op_pickles_in_this_process() -> None:
    x = Value(0.5, label="x")
    y = my_softplus(x) + hypot(x, 2.0)
    copy = pickle.loads(pickle.dumps(y))
    assert copy.data == y.data
    assert copy.parents[0].op is OPS["define_softplus"]
    assert pickle.loads(pickle.dumps(my_softplus))(Value(0.5)).data == y.parents[0].data


def test_a_graph_with_a_user_op_unpickles_in_a_fresh_process(tmp_path: Path) -> None:
    # The module defining the op is imported on loading: it runs define_op again.
    module = tmp_path / "my_ops.py"
    module.write_text(
        "from autograd import define_op\n"
        "cube = define_op('cube', lambda x: x ** 3, lambda g, out, x: (g * 3 * x * x,))\n"
    )
    script = (
        "import pickle, sys; sys.path.insert(0, sys.argv[1]); import my_ops; "
        "from autograd import Value; sys.stdout.buffer.write(pickle.dumps(my_ops.cube(Value(2.0))))"
    )
    run = [sys.executable, "-c", script, str(tmp_path)]
    data = subprocess.run(run, check=True, capture_output=True).stdout
    load = (
        "import pickle, sys; sys.path.insert(0, sys.argv[1]); "
        "y = pickle.loads(sys.stdin.buffer.read()); y.backward(); "
        "print(y.op.name, y.data, y.parents[0].grad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", load, str(tmp_path)], input=data, check=True, capture_output=True
    )
    assert out.stdout.decode().split() == ["cube", "8.0", "12.0"]


# -- mistakes: each a clear error naming the op ----------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (("tanh", math.tanh, lambda g, out, x: (g,)), ValueError, "'tanh' is a built-in op"),
        (("neuron_relu", abs, lambda g, out, x: (g,)), ValueError, "an op of nn.neuron"),
        (("my op", abs, lambda g, out, x: (g,)), ValueError, "must be an identifier"),
        ((3, abs, lambda g, out, x: (g,)), ValueError, "must be an identifier"),
        (("twice", 2.0, lambda g, out, x: (g,)), TypeError, "forward must be callable"),
        (("twice", lambda x: 2 * x, "2"), TypeError, "derivative must be callable"),
        (("nothing", lambda: 1.0, lambda g, out: ()), TypeError, "at least one operand"),
    ],
)
def test_bad_definitions_are_refused(
    arguments: tuple[object, ...], error: type[Exception], message: str
) -> None:
    before = dict(OPS)
    with pytest.raises(error, match=message):
        define_op(*arguments)  # type: ignore[arg-type]
    assert before == OPS  # nothing half-added


def test_bad_symbols_and_formulas_are_refused() -> None:
    with pytest.raises(TypeError, match="symbol must be a non-empty str"):
        define_op("twice", lambda x: 2 * x, lambda g, out, x: (2 * g,), symbol="")
    with pytest.raises(ValueError, match=r"formula must be one str per operand \('a', 'b'\)"):
        define_op("plus", lambda a, b: a + b, lambda g, out, a, b: (g, g), formula="1")


def test_a_rule_with_the_wrong_number_of_contributions_fails_at_the_first_backward() -> None:
    both = define_op("both", lambda a, b: a * b, lambda g, out, a, b: (g * b,))
    a, b = Value(2.0), Value(3.0)
    y = both(a, b)  # the forward is fine
    for run in (lambda: y.backward(), lambda: reference_backward(y), lambda: grad(y, [a])):
        with pytest.raises(ValueError, match="both: its derivative rule returned 1 contributions"):
            run()
    assert (a.grad, b.grad, y.grad) == (0.0, 0.0, 0.0)  # all or nothing


def test_a_rule_returning_a_bare_number_is_reported_naming_the_op() -> None:
    bare = define_op("bare", lambda x: 2 * x, lambda g, out, x: 2 * g)
    y = bare(Value(1.0))
    with pytest.raises(TypeError, match="bare: its derivative rule must return a sequence"):
        y.backward()


def test_a_forward_must_return_a_finite_number() -> None:
    on_values = define_op("on_values", lambda x: Value(x).exp(), lambda g, out, x: (g * out,))
    with pytest.raises(TypeError, match="on_values: forward returned a Value"):
        on_values(Value(1.0))
    overflowing = define_op("overflowing", lambda x: math.inf, lambda g, out, x: (g,))
    with pytest.raises(OverflowError, match="overflowing: the result is inf"):
        overflowing(Value(1.0))
    as_int = define_op("as_int", lambda x: 3, lambda g, out, x: (0.0 * g,))
    assert type(as_int(Value(1.0)).data) is float


def test_calling_with_the_wrong_operands_names_the_op() -> None:
    with pytest.raises(TypeError, match=r"hypot: takes 2 operands \(a, b\), got 1"):
        hypot(Value(1.0))
    with pytest.raises(TypeError, match="softsign: operand"):
        softsign("x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="softsign: operand"):
        softsign(math.nan)


def test_an_op_of_any_number_of_operands() -> None:
    mean = define_op(
        "mean", lambda *xs: sum(xs) / len(xs), lambda g, out, *xs: [g / len(xs)] * len(xs)
    )
    values = [Value(1.0), Value(2.0), Value(6.0)]
    y = mean(*values)
    assert y.data == 3.0 and y.op.names == ("xs_i",)
    y.backward()
    assert [v.grad for v in values] == [1 / 3] * 3


def test_defining_a_user_op_again_replaces_it() -> None:
    first = define_op("again", lambda x: x, lambda g, out, x: (g,))
    second = define_op("again", lambda x: 2 * x, lambda g, out, x: (2 * g,))
    assert OPS["again"] is second.op
    assert first(Value(1.0)).data == 1.0  # a function keeps the op it was made with
    assert second(Value(1.0)).data == 2.0


def test_the_examples_in_the_docstrings_run() -> None:
    import doctest

    import autograd.define

    failed, attempted = doctest.testmod(autograd.define, verbose=False)
    assert attempted >= 4 and failed == 0


def test_a_built_in_function_whose_parameters_cannot_be_read_takes_any_number() -> None:
    builtin_hypot = define_op(
        "builtin_hypot", math.hypot, lambda g, out, a, b: (g * a / out, g * b / out)
    )
    a, b = Value(3.0), Value(4.0)
    y = builtin_hypot(a, b)
    y.backward()
    assert (y.data, a.grad, b.grad) == (5.0, 0.6, 0.8)


def test_the_user_op_benchmark_runs_and_its_two_chains_agree() -> None:
    from benchmarks import user_ops

    builtin, user = user_ops.compare(50, repeats=1)  # raises if they differ in any bit
    assert builtin.n == user.n == 50 and builtin.gradient != 0.0


# -- off_at_zero: an op whose rule sends only zeros when its result is 0 -----------------------


def test_an_op_marked_off_at_zero_is_skipped_where_its_result_is_zero() -> None:
    calls: list[float] = []

    def rule(g: float, out: float, x: float) -> tuple[float]:
        calls.append(x)
        return (g if out > 0.0 else 0.0,)

    clipped = define_op("test_clipped", lambda x: max(x, 0.0), rule, off_at_zero=True)
    assert OPS["test_clipped"].off_at_zero
    a, b = Value(-1.5), Value(2.0)
    (clipped(a * 2.0) + clipped(b * 2.0)).backward()
    assert calls == [4.0]  # the rule ran where the op was on, not where its result was 0
    assert (a.grad, b.grad) == (0.0, 2.0)
    gradcheck(lambda x: clipped(x), [0.7])
    gradcheck(lambda x: clipped(x), [-0.7])


def test_gradcheck_finds_a_wrong_off_at_zero_claim() -> None:
    # The identity is 0 at 0 with slope 1: skipping it there gives 0, the numbers say 1.
    wrongly_off = define_op(
        "test_wrongly_off", lambda x: x, lambda g, out, x: (g,), off_at_zero=True
    )
    with pytest.raises(GradcheckError, match=r"analytic 0\.0 but numeric 1\.0"):
        gradcheck(lambda x: wrongly_off(x), [0.0])
