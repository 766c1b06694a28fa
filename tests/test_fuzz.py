"""The standing fuzz suite (benchmarks/fuzz.py): random programs against PyTorch float64, with
disagreements judged against an exact mpmath reference. ``make fuzz`` runs 10,000."""

from __future__ import annotations

import dataclasses
import math

import pytest

pytest.importorskip("torch")
mpmath = pytest.importorskip("mpmath")

from benchmarks import fuzz  # noqa: E402  (after the skips: it needs torch and mpmath to run)


def test_300_programs_agree_with_pytorch_or_with_the_exact_answer() -> None:
    summary = fuzz.fuzz(300, seed=0)
    assert summary.programs == 300
    assert summary.failed == 0, summary.report()
    # Value, three gradients per input, the Hessian: at least 5 comparisons per program.
    assert summary.comparisons >= 5 * 300
    available, _ = fuzz.available_ops()
    assert set(summary.op_uses) == {op.name for op in available}  # every op was exercised


def _planted(monkeypatch: pytest.MonkeyPatch, name: str, glassgrad: object) -> None:
    ops = [
        dataclasses.replace(op, glassgrad=glassgrad) if op.name == name else op for op in fuzz.OPS
    ]
    monkeypatch.setattr(fuzz, "OPS", ops)


def test_a_derivative_off_by_one_in_a_million_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # The value is exactly tanh's (x - x.detach() is 0), the derivative is 1e-6 too large.
    _planted(monkeypatch, "tanh", lambda x: x.tanh() + (x - x.detach()) * 1e-6)
    summary = fuzz.fuzz(60, seed=1)
    assert summary.failed > 0
    assert "glassgrad wrong" in summary.causes
    assert "tanh(" in summary.failures[0] and "exact" in summary.failures[0]


def test_a_second_derivative_error_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # Value and first derivative exact; the second derivative gets an extra 1e-6.
    _planted(monkeypatch, "sin", lambda x: x.sin() + (x - x.detach()) ** 2 * 5e-7)
    summary = fuzz.fuzz(60, seed=2)
    assert summary.failed > 0
    assert all("hessian" in failure for failure in summary.failures)


def test_a_wrong_value_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    _planted(monkeypatch, "exp", lambda x: x.exp() * (1 + 1e-7))
    summary = fuzz.fuzz(60, seed=3)
    assert summary.failed > 0


def _ops() -> dict[str, fuzz.Op]:
    return {op.name: op for op in fuzz.available_ops()[0]}


def test_an_exact_sum_where_pytorch_cancels_is_put_down_to_pytorch() -> None:
    torch = pytest.importorskip("torch")
    # 1e8 + 1e-8 - 1e8: Value.sum rounds once (1e-8); PyTorch adds in turn and gets 0.
    program = fuzz.Program(
        (1e8, 1e-8), (fuzz.Step("mul_const", (0,), -1.0), fuzz.Step("sum", (0, 1, 2)))
    )
    summary = fuzz.Summary()
    fuzz.check_program(program, _ops(), torch, summary, "by hand")
    assert summary.comparisons == 1 + 3 * 2 + 4
    assert summary.causes == {"torch inexact": 1}


def test_the_judge() -> None:
    mpf = mpmath.mpf
    # glassgrad exact, PyTorch within rounding noise of it: cancellation, not a fault.
    assert fuzz.judge(0.0, 1.7e-15, mpf(0), mpf(6e-16)) == "torch inexact"
    # Both off the exact answer, both within rounding noise of it: cancellation.
    assert fuzz.judge(1e-16, 1.7e-15, mpf(0), mpf(6e-16)) == "rounding (cancellation)"
    assert fuzz.judge(0.5, 0.5000001, mpf(0.5), mpf(1e-17)) == "torch inexact"
    assert fuzz.judge(0.5000001, 0.5, mpf(0.5), mpf(1e-17)) == "glassgrad wrong"
    assert fuzz.judge(0.5000001, 0.5, mpf(0.5), mpf(1e-8)) == "torch nearer"
    assert fuzz.judge("OverflowError", math.inf, mpf(10) ** 400, mpf(0)) == "overflow in both"
    assert fuzz.judge("OverflowError", 1.0, mpf(1), mpf(0)) == "glassgrad overflow"
    assert fuzz.judge("ValueError", 1.0, mpf(1), mpf(0)) == "glassgrad wrong"
    assert fuzz.judge(2.0, math.nan, mpf(2), mpf(0)) == "torch overflow"
    assert fuzz.judge(math.inf, math.inf, mpf(2), mpf(0)) == "glassgrad wrong"  # silent inf


def test_programs_replay_from_seed_and_index() -> None:
    first, again = fuzz.replay(7, 12), fuzz.replay(7, 12)
    assert first == again and first != fuzz.replay(7, 13)
    text = first.text()
    assert text.startswith("v0 = ") and len(text.splitlines()) == len(first.inputs) + len(
        first.steps
    )


def test_inputs_and_constants_span_1e_minus_8_to_1e8() -> None:
    numbers = [
        abs(x)
        for index in range(300)
        for x in fuzz.replay(0, index).inputs
        if abs(x) > 3.0 or abs(x) < 1e-3
    ]
    assert min(numbers) < 1e-6 and max(numbers) > 1e6
    assert all(1e-8 <= x <= 1e8 for x in numbers)


def test_the_exact_reference_has_second_derivatives() -> None:
    ops = _ops()
    # v2 = x0 * x1, v3 = sin(v2): d2/dx0dx1 = cos(x0 x1) - x0 x1 sin(x0 x1).
    program = fuzz.Program((0.5, 3.0), (fuzz.Step("mul", (0, 1)), fuzz.Step("sin", (2,))))
    answers = fuzz.exact(program, ops, ["value", "grad x1", "hessian x0 x1"])
    product = mpmath.mpf(1.5)
    with mpmath.workprec(200):
        assert abs(answers["value"][0] - mpmath.sin(product)) < mpmath.mpf(2) ** -190
        assert abs(answers["grad x1"][0] - 0.5 * mpmath.cos(product)) < mpmath.mpf(2) ** -190
        mixed = mpmath.cos(product) - product * mpmath.sin(product)
        assert abs(answers["hessian x0 x1"][0] - mixed) < mpmath.mpf(2) ** -190
        assert 0 < answers["value"][1] < 1e-15  # the simulated rounding spread


def test_kinked_ops_are_applied_near_their_kink_but_never_on_it() -> None:
    ops = _ops()
    near = 0
    for index in range(300):
        program = fuzz.replay(0, index)
        values = [v.data for v in fuzz.build(program, ops)]
        first_step = len(program.inputs)
        for step in program.steps:
            if step.op not in fuzz.NEAR_KINKS:
                continue
            operands = [values[i] for i in step.operands]
            if len(operands) == 2:  # maximum, minimum: the distance between the two
                distance, scale = abs(operands[1] - operands[0]), abs(operands[0])
            else:  # the distance from 0, against the number it was made from
                distance, scale = abs(operands[0]), abs(operands[0])
                made_by = step.operands[0] - first_step
                if made_by >= 0 and program.steps[made_by].const is not None:
                    scale = abs(program.steps[made_by].const or 0.0)
            assert distance > 0.0
            near += distance <= 1e-6 * max(scale, 1e-8)
    assert near >= 20, near  # a hair from the kink, many times


def test_backward_and_grad_must_agree_to_the_last_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    run = fuzz.run_glassgrad

    def one_ulp_off(program: fuzz.Program, ops: dict[str, fuzz.Op]) -> dict[str, fuzz.Outcome]:
        results = run(program, ops)
        fast = results["backward x0"]
        assert isinstance(fast, float)
        results["backward x0"] = math.nextafter(fast, math.inf)
        return results

    monkeypatch.setattr(fuzz, "run_glassgrad", one_ulp_off)
    summary = fuzz.fuzz(5, seed=0)
    assert summary.causes["backward differs from grad"] == 5
    assert "backward() gave" in summary.failures[0]


UNARY = [op.name for op in fuzz.OPS if op.kind == "unary"] + ["fuzz_softsign"]


@pytest.mark.parametrize("name", UNARY)
def test_the_exact_rules_agree_with_numerical_differentiation(name: str) -> None:
    """The reference's own first and second derivatives, checked by mpmath.diff at 200 bits
    (at large |x| too, where a careless formula cancels: 1 - tanh², 1 + erf)."""
    rule = fuzz._exact_unary(name)
    points = [-30.0, -3.1, -0.7, 0.4, 2.2, 8.0]
    if name in ("log", "sqrt"):
        points = [0.01, 0.4, 2.2, 45.0]
    if name == "log1p":
        points = [-0.99, -0.7, 0.4, 45.0]
    if name == "tan":
        points = [-3.1, -0.7, 0.4, 1.5]
    if name in ("erf", "erfc"):  # at |x| = 30, erf is ±1 to 390 digits: mpmath.diff sees 0
        points = [-5.0, -0.7, 0.4, 2.2]
    with mpmath.workprec(200):
        for x in points:
            at = mpmath.mpf(x)
            jet = rule(fuzz.Jet((at, 1, 1, 0), (abs(at), 1, 1, 0)))

            def f(t: object, rule: object = rule) -> object:
                return rule(fuzz.Jet((t, 0, 0, 0), (abs(t), 0, 0, 0))).a  # type: ignore[operator]

            for got, order in ((jet.b, 1), (jet.d, 2)):
                wanted = mpmath.diff(f, at, order)
                assert abs(got - wanted) <= mpmath.mpf(10) ** -30 * abs(wanted), (x, order, got)


def test_the_ops_are_the_op_tables() -> None:
    from autograd.testing.domains import builtin_ops, region_of

    table = {name for name, op in builtin_ops().items() if region_of(op) is not None}
    assert {op.name for op in fuzz.OPS} == table
    assert {"erf", "erfc", "rpow_const", "dot"} <= table  # ops the fuzzer's old list lacked


def test_users_rules_return_every_kind_of_result() -> None:
    from fractions import Fraction

    from autograd import Value

    rules = {name: spec[1] for name, spec in fuzz._USER_OPS.items()}
    kinds = {
        "float": rules["fuzz_softsign"](0.5, 0.2, 0.3)[0],
        "None": rules["fuzz_keep_first"](0.5, 1.0, 1.0, 2.0)[1],
        "int": rules["fuzz_ramp"](0.5, 0.0, -1.0)[0],
        "Fraction": rules["fuzz_half"](0.5, 0.5, 1.0)[0],
        "numpy": rules["fuzz_triple"](0.5, 3.0, 1.0)[0],
        "Value": rules["fuzz_scaled"](0.5, 2.5, 1.0)[0],
    }
    assert type(kinds["float"]) is float and kinds["None"] is None
    assert type(kinds["int"]) is int and type(kinds["Fraction"]) is Fraction
    assert type(kinds["numpy"]).__module__ == "numpy" and not isinstance(kinds["numpy"], float)
    assert isinstance(kinds["Value"], Value)
    # Each is the right number: g times the op's derivative.
    numbers = [float(k.data if isinstance(k, Value) else k or 0) for k in kinds.values()]
    assert numbers == [0.5 / 1.3**2, 0.0, 0.0, 0.25, 1.5, 1.25]


def test_users_ops_with_every_kind_of_result_are_fuzzed() -> None:
    _, refused = fuzz.available_ops()
    assert refused == []
    summary = fuzz.fuzz(100, seed=4)
    assert summary.failed == 0, summary.report()
    assert {"fuzz_keep_first", "fuzz_triple", "fuzz_scaled"} <= set(summary.op_uses)


def test_the_exact_logsumexp_has_its_first_and_second_derivatives() -> None:
    with mpmath.workprec(200):
        at, other = mpmath.mpf(0.3), mpmath.mpf(-1.2)
        seeded = fuzz.Jet((at, 1, 1, 0), (abs(at), 1, 1, 0))
        fixed = fuzz.Jet((other, 0, 0, 0), (abs(other), 0, 0, 0))
        jet = fuzz._exact_logsumexp([seeded, fixed, seeded])  # x0 used twice

        def f(t: object) -> object:
            return mpmath.log(2 * mpmath.exp(t) + mpmath.exp(other))

        for got, order in ((jet.a, 0), (jet.b, 1), (jet.d, 2)):
            wanted = f(at) if order == 0 else mpmath.diff(f, at, order)
            assert abs(got - wanted) <= mpmath.mpf(10) ** -40, (order, got, wanted)
