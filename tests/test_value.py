"""`Value` itself: construction, attributes, identity, repr, and how operators store nodes."""

from __future__ import annotations

import math

import pytest

from autograd import Value, no_grad
from autograd.ops import OPS
from nn.neuron import ACTIVATIONS, neuron


class TestConstruction:
    @pytest.mark.parametrize(
        ("given", "expected"), [(3, 3.0), (-2.5, -2.5), (True, 1.0), (False, 0.0), (0, 0.0)]
    )
    def test_accepts_int_float_and_bool_as_a_float(self, given: object, expected: float) -> None:
        v = Value(given)  # type: ignore[arg-type]
        assert v.data == expected
        assert type(v.data) is float

    @pytest.mark.parametrize(
        ("given", "type_name"),
        [("x", "str"), (None, "NoneType"), ([1], "list"), (1j, "complex"), ({}, "dict")],
    )
    def test_rejects_other_types_naming_the_type(self, given: object, type_name: str) -> None:
        with pytest.raises(TypeError, match=type_name) as info:
            Value(given)  # type: ignore[arg-type]
        assert "Value" in str(info.value)

    @pytest.mark.parametrize("given", [math.nan, math.inf, -math.inf])
    def test_rejects_non_finite_numbers_naming_the_value(self, given: float) -> None:
        with pytest.raises(ValueError, match="finite") as info:
            Value(given)
        assert repr(given) in str(info.value)

    def test_rejects_a_label_that_is_not_a_string(self) -> None:
        with pytest.raises(TypeError, match="label"):
            Value(1.0, label=3)  # type: ignore[arg-type]

    def test_a_leaf_has_no_parents_no_op_no_const_and_zero_grad(self) -> None:
        v = Value(2.0, label="w")
        assert (v.data, v.grad, v.label, v.op, v.parents, v.const) == (
            2.0,
            0.0,
            "w",
            None,
            (),
            None,
        )

    def test_slots_leave_no_room_for_stray_attributes(self) -> None:
        v = Value(1.0)
        assert not hasattr(v, "__dict__")
        with pytest.raises(AttributeError):
            v.colour = "red"  # type: ignore[attr-defined]


class TestIdentity:
    def test_equality_and_hash_are_object_identity(self) -> None:
        a, b = Value(1.0), Value(1.0)
        assert a == a
        assert a != b
        assert len({a, b, a}) == 2
        assert {a: "a"}[a] == "a"

    def test_comparisons_look_at_data_and_return_bools(self) -> None:
        a, b = Value(1.0), Value(2.0)
        assert (a < b, a <= b, a > b, a >= b) == (True, True, False, False)
        assert (a < 1.5) is True
        assert (b >= 2) is True

    def test_float_gives_the_data(self) -> None:
        assert float(Value(-1.25)) == -1.25


class TestRepr:
    def test_repr_shows_data_grad_label_and_op(self) -> None:
        a = Value(2.0, label="a")
        b = a * 3
        b.label = "b"
        b.backward()
        assert repr(a) == "Value(data=2, grad=3, label='a')"
        assert repr(b) == "Value(data=6, grad=1, op='*', label='b')"

    def test_nodes_are_values_and_their_op_is_the_table_entry(self) -> None:
        a = Value(0.5)
        nodes = [a + a, a * 2, a.exp(), Value.sum([a, a])]
        assert all(type(n) is Value for n in nodes)
        assert [n.op for n in nodes] == [OPS["add"], OPS["mul_const"], OPS["exp"], OPS["sum"]]
        assert isinstance(neuron([a], [a], a, "tanh"), Value)


class TestNodes:
    def test_parents_are_in_operand_order_and_repeat_for_a_times_a(self) -> None:
        a, b = Value(2.0), Value(3.0)
        assert (a * b).parents == (a, b)
        assert (b * a).parents == (b, a)
        assert (a * a).parents == (a, a)
        assert (b - a).parents == (b, a)
        assert (a**b).parents == (a, b)

    @pytest.mark.parametrize(
        ("build", "op", "const", "name"),
        [
            (lambda x: x + 2.5, "+", 2.5, "add_const"),
            (lambda x: 2.5 + x, "+", 2.5, "add_const"),
            (lambda x: x - 2.5, "-", 2.5, "sub_const"),
            (lambda x: 2.5 - x, "-", 2.5, "rsub_const"),
            (lambda x: x * 2.5, "*", 2.5, "mul_const"),
            (lambda x: 2.5 * x, "*", 2.5, "mul_const"),
            (lambda x: x / 2.5, "/", 2.5, "div_const"),
            (lambda x: 2.5 / x, "/", 2.5, "rdiv_const"),
            (lambda x: x**2.5, "**", 2.5, "pow_const"),
            (lambda x: 2.5**x, "**", 2.5, "rpow_const"),
        ],
    )
    def test_a_number_operand_is_stored_as_const_not_wrapped(
        self, build: object, op: str, const: float, name: str
    ) -> None:
        x = Value(1.5)
        node = build(x)  # type: ignore[operator]
        assert node.parents == (x,)
        assert node.op.symbol == op
        assert node.const == const
        assert type(node.const) is float
        assert node.op.name == name

    def test_number_plus_value_is_stored_as_value_plus_number(self) -> None:
        x = Value(1.0)
        left, right = 4 + x, x + 4
        assert type(left) is type(right)
        assert (left.parents, left.const, left.data) == (right.parents, right.const, 5.0)

    @pytest.mark.parametrize(
        ("method", "op"),
        [
            ("exp", "exp"),
            ("log", "log"),
            ("tanh", "tanh"),
            ("sigmoid", "sigmoid"),
            ("relu", "relu"),
            ("sqrt", "sqrt"),
            ("sin", "sin"),
            ("cos", "cos"),
        ],
    )
    def test_each_method_makes_one_node_named_by_its_op(self, method: str, op: str) -> None:
        x = Value(0.7)
        node = getattr(x, method)()
        assert (node.op.symbol, node.parents) == (op, (x,))

    def test_unary_minus_and_abs(self) -> None:
        x = Value(-0.7)
        assert ((-x).op.symbol, (-x).data) == ("neg", 0.7)
        assert (abs(x).op.symbol, abs(x).data) == ("abs", 0.7)

    def test_every_op_of_the_table_has_a_formula_per_value_operand(self) -> None:
        for op in OPS.values():
            value_operands = len(op.names) - (op.constant is not None)
            assert len(op.formula) == value_operands, op

    @pytest.mark.parametrize("other", ["a", None, [1], 1j])
    def test_operators_with_unsupported_operands_raise_type_error(self, other: object) -> None:
        x = Value(1.0)
        for operation in (
            lambda: x + other,
            lambda: other + x,
            lambda: x * other,
            lambda: x - other,
            lambda: x / other,
            lambda: x**other,
        ):
            with pytest.raises(TypeError):
                operation()  # type: ignore[no-untyped-call]

    @pytest.mark.parametrize("bad", [math.nan, math.inf])
    def test_a_non_finite_number_operand_is_refused_naming_the_op(self, bad: float) -> None:
        with pytest.raises(ValueError, match=r"\*") as info:
            Value(1.0) * bad
        assert repr(bad) in str(info.value)


class TestSum:
    def test_sum_is_one_node_with_parents_in_order(self) -> None:
        a, b, c = Value(1.0), Value(2.0), Value(3.5)
        s = Value.sum([a, b, c, a])
        assert (s.op.symbol, s.parents, s.data) == ("sum", (a, b, c, a), 7.5)
        s.backward()
        assert (a.grad, b.grad, c.grad) == (2.0, 1.0, 1.0)

    def test_numbers_in_a_sum_become_leaves(self) -> None:
        a = Value(1.0)
        s = Value.sum([a, 2, 0.5])
        assert s.data == 3.5
        assert s.parents[0] is a
        assert [p.data for p in s.parents[1:]] == [2.0, 0.5]
        assert all(p.parents == () for p in s.parents)

    def test_empty_sum_is_a_zero_leaf(self) -> None:
        s = Value.sum([])
        assert (s.data, s.parents) == (0.0, ())


class TestDot:
    def test_dot_is_one_node_with_xs_then_ys(self) -> None:
        a, b, c, d = Value(1.5), Value(-2.0), Value(3.0), Value(0.5)
        y = Value.dot([a, b], [c, d])
        assert (y.op.symbol, y.parents, y.data) == ("dot", (a, b, c, d), 1.5 * 3.0 - 2.0 * 0.5)
        y.backward()
        assert (a.grad, b.grad, c.grad, d.grad) == (3.0, 0.5, 1.5, -2.0)

    def test_dot_of_a_list_with_itself_is_the_sum_of_squares(self) -> None:
        p = [Value(0.5), Value(-3.0)]
        y = Value.dot(p, p)
        assert y.data == 0.25 + 9.0
        y.backward()
        assert [v.grad for v in p] == [1.0, -6.0]  # 2 p: each one is an x and a y

    def test_numbers_become_leaves_and_empty_is_a_zero_leaf(self) -> None:
        a = Value(2.0)
        y = Value.dot([a, 3], [0.5, a])
        assert y.data == 1.0 + 6.0
        assert [p.data for p in y.parents] == [2.0, 3.0, 0.5, 2.0]
        assert Value.dot([], []).parents == ()

    def test_lengths_must_match_and_items_be_numbers(self) -> None:
        with pytest.raises(ValueError, match=r"Value\.dot: 2 xs but 1 ys"):
            Value.dot([Value(1.0), Value(2.0)], [Value(1.0)])
        with pytest.raises(TypeError, match=r"Value\.dot: expected a real number"):
            Value.dot([Value(1.0)], ["2"])  # type: ignore[list-item]
        with pytest.raises(OverflowError, match="dot: the result is inf"):
            Value.dot([Value(1e200)], [Value(1e200)])


class TestNeuron:
    @pytest.mark.parametrize("activation", ACTIVATIONS)
    def test_neuron_is_one_node_with_weights_inputs_then_bias(self, activation: str) -> None:
        w = [Value(0.5), Value(-1.5)]
        b = Value(0.25)
        x = Value(2.0)
        n = neuron(w, [x, 3.0], b, activation)
        assert n.parents[:3] == (w[0], w[1], x)
        assert n.parents[3].data == 3.0 and n.parents[3].parents == ()
        assert n.parents[4] is b
        expected = {"linear": "w·x+b"}.get(activation, f"{activation}(w·x+b)")
        assert n.op.symbol == expected

    def test_unknown_activation_is_refused_naming_it(self) -> None:
        with pytest.raises(ValueError, match="'softmax'"):
            neuron([Value(1.0)], [1.0], Value(0.0), "softmax")

    def test_mismatched_lengths_are_refused(self) -> None:
        with pytest.raises(ValueError, match="2 weights but 1 inputs"):
            neuron([Value(1.0), Value(2.0)], [1.0], Value(0.0))


class TestDetach:
    def test_detach_is_a_new_leaf_with_the_same_data_and_label(self) -> None:
        x = Value(3.0, label="x")
        y = x * 2
        y.label = "y"
        d = y.detach()
        assert d is not y
        assert (d.data, d.label, d.parents, d.op, d.grad) == (6.0, "y", (), None, 0.0)

    def test_gradient_does_not_flow_through_a_detached_value(self) -> None:
        x = Value(3.0)
        (x * x.detach()).backward()
        assert x.grad == 3.0  # only the non-detached factor counts

    def test_ops_under_no_grad_give_leaves_with_the_right_data(self) -> None:
        x = Value(3.0)
        with no_grad():
            y = (x * 2).exp()
        assert (y.parents, y.op) == ((), None)
        assert y.data == math.exp(6.0)
