"""The benchmark scripts work: every benchmark function runs at a tiny size and is right.

Nothing here is timed against a limit (a test that depends on the machine's speed would be
flaky); the speed targets are checked by ``make bench`` and reported in benchmarks/README.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from autograd import topological_order
from benchmarks import demo_step, graphs, harness, higher_order, memory, startup
from benchmarks.__main__ import Sizes, report, run_all


def tiny_problem() -> demo_step.DemoProblem:
    return demo_step.make_problem(n_points=12, hidden=(5, 4), seed=3)


def test_the_demo_problem_is_micrograds() -> None:
    problem = demo_step.make_problem()
    assert len(problem.points) == len(problem.labels) == 100
    assert sorted(set(problem.labels)) == [-1.0, 1.0]
    assert problem.sizes == (2, 16, 16, 1)
    assert len(problem.flat_initial()) == 337
    assert demo_step.make_problem().flat_initial() == problem.flat_initial()  # seeded


def test_every_demo_implementation_computes_the_same_step() -> None:
    problem = tiny_problem()
    steps, missing = demo_step.available_implementations(problem)
    names = {step.name for step in steps}
    assert demo_step.HandFloatStep.name in names
    assert demo_step.GlassgradNNStep.name in names
    assert set(names) | set(missing) == set(demo_step.IMPLEMENTATIONS)
    losses = demo_step.check_agreement(steps)
    assert len(set(round(loss, 9) for loss in losses.values())) == 1


def test_the_hand_derived_gradient_matches_the_engine() -> None:
    # check_agreement compares parameters after one SGD step; here the gradient itself.
    problem = tiny_problem()
    engine = demo_step.GlassgradNNStep(problem)
    engine.reset()
    engine.loss().backward()
    floats = demo_step.HandFloatStep(problem)
    floats.reset()
    before = floats.parameters()
    floats.step()
    after = floats.parameters()
    derived = [(b - a) / demo_step.LEARNING_RATE for a, b in zip(after, before, strict=True)]
    assert derived == pytest.approx([p.grad for p in engine.params], abs=1e-12)


def test_check_agreement_catches_a_wrong_implementation() -> None:
    problem = tiny_problem()

    class Broken(demo_step.HandFloatStep):
        name = "broken"

        def step(self) -> float:
            loss = super().step()
            self.biases[0][0] += 0.01  # a wrong update
            return loss

    with pytest.raises(AssertionError, match="broken"):
        demo_step.check_agreement([demo_step.HandFloatStep(problem), Broken(problem)])


@pytest.mark.parametrize("make", list(demo_step.IMPLEMENTATIONS.values()))
def test_each_implementation_trains(make: type[demo_step.DemoStep]) -> None:
    if make is demo_step.MicrogradStep:
        pytest.importorskip("micrograd")
    step = make(tiny_problem())
    step.reset()
    losses = [step.step() for _ in range(15)]
    assert losses[-1] < losses[0]


def test_measure_interleaved_rotates_prepares_and_counts() -> None:
    calls: list[str] = []
    cases = [
        harness.Case("a", lambda: calls.append("a"), lambda: calls.append("prep a"), repeats=3),
        harness.Case("b", lambda: calls.append("b"), repeats=1),
    ]
    timings = harness.measure_interleaved(cases, warmup=True)
    assert [len(timings[name].seconds) for name in "ab"] == [3, 1]
    # Warm-up a, b; round 0: a, b; round 1 starts with b (not in its rounds) then a; round 2: a.
    assert calls == ["prep a", "a", "b", "prep a", "a", "b", "prep a", "a", "prep a", "a"]
    assert timings["a"].median >= 0.0
    assert set(timings["a"].as_dict()) >= {"median_s", "min_s", "max_s", "samples_s"}


def test_a_case_with_few_repeats_runs_in_rounds_spread_over_the_whole_run() -> None:
    calls: list[str] = []
    cases = [
        harness.Case("many", lambda: calls.append("many"), repeats=9),
        harness.Case("few", lambda: calls.append("few"), repeats=3),
    ]
    harness.measure_interleaved(cases, warmup=False)
    rounds_of_few = [calls[: i + 1].count("many") for i, c in enumerate(calls) if c == "few"]
    assert rounds_of_few in ([0, 5, 9], [1, 5, 9])  # rounds 0, 4 and 8, whichever runs first
    assert sorted(harness.spread_rounds(5, 21)) == [0, 5, 10, 15, 20]
    for rounds in range(1, 30):
        for repeats in range(rounds + 2):
            chosen = harness.spread_rounds(repeats, rounds)
            assert len(chosen) == min(repeats, rounds) and chosen <= set(range(rounds))
            if 2 <= repeats <= rounds:
                assert {0, rounds - 1} <= chosen


def test_results_are_written_as_json(tmp_path: Path) -> None:
    path = harness.write_json({"answer": [1, 2.5]}, tmp_path)
    assert json.loads(path.read_text()) == {"answer": [1, 2.5]}
    assert json.loads((tmp_path / "latest.json").read_text()) == {"answer": [1, 2.5]}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, "latest.json"])


def test_format_table_lines_up_columns() -> None:
    table = harness.format_table(["a", "bb"], [["xxx", "y"]])
    lines = table.splitlines()
    assert lines[0] == "| a   | bb |"
    assert lines[2] == "| xxx | y  |"
    assert len({len(line) for line in lines}) == 1


def test_machine_info_names_the_machine() -> None:
    info = harness.machine_info()
    assert info["python"] == ".".join(map(str, sys.version_info[:3]))
    assert info["nproc"] and info["cpu_model"] and info["date_utc"]


def test_wide_graph_has_the_promised_nodes_and_gradients() -> None:
    weights, inputs = graphs.wide_leaves(50)
    root = graphs.build_wide(weights, inputs)
    assert graphs.count_nodes(root) == 3 * 50 + 1
    timing = graphs.time_wide(50)
    assert timing.nodes == 151
    assert timing.total_s == timing.build_s + timing.backward_s


def test_the_chain_is_walked_without_recursion() -> None:
    depth = 4 * sys.getrecursionlimit()
    timing = graphs.time_chain(depth)  # checks the chain's derivative itself
    assert timing.nodes == depth + 1
    assert graphs.count_nodes(graphs.build_chain(100)) == 101


def test_memory_per_node_is_measured() -> None:
    chain = memory.chain_bytes(4000)
    wide = memory.wide_bytes(2000)
    assert chain.nodes == 4000
    assert 0 < chain.bytes_per_node <= 160  # the target, deterministic for a given Python
    assert wide.bytes_per_node > 0
    wrapped = memory.chain_bytes_wrapping_constants(4000)
    assert wrapped.bytes_per_node > chain.bytes_per_node  # a leaf per number costs memory


def test_second_derivative_of_the_demo_loss_is_right() -> None:
    problem = tiny_problem()
    analytic, estimate = higher_order.check_second_derivative(problem)
    assert analytic == pytest.approx(estimate, rel=1e-4, abs=1e-9)
    timing = higher_order.time_second_derivative(problem)
    assert timing.second_derivative == pytest.approx(analytic)
    assert timing.overhead > 0


def test_graph_of_size_is_exact() -> None:
    for n in (6, 7, 8, 9, 50):
        assert len(topological_order(startup.graph_of_size(n))) == n
    with pytest.raises(ValueError, match="n_nodes"):
        startup.graph_of_size(3)


def test_import_is_timed_and_stays_light() -> None:
    timing = startup.time_import(repeats=1)
    assert timing.median_s > 0
    assert timing.heavy_modules == []


def test_dot_source_of_a_graph_is_timed() -> None:
    pytest.importorskip("graphviz")
    seconds = startup.time_dot_source(60, repeats=1)
    assert seconds is not None and seconds > 0


def test_the_whole_run_at_a_tiny_size_reports_every_target() -> None:
    sizes = Sizes(
        demo_points=6,
        demo_repeats=2,
        micrograd_repeats=1,
        wide_terms=300,
        chain_nodes=2000,
        graph_repeats=1,
        chain_repeats=1,
        memory_nodes=1000,
        higher_order_repeats=1,
        import_repeats=1,
        compiled_nodes=200,
        fit_repeats=1,
    )
    results = run_all(sizes, quick=True)
    json.dumps(results)  # JSON-ready
    names = [target["name"] for target in results["targets"]]
    assert any("bytes per node" in name for name in names)
    assert any("import autograd" in name for name in names)
    text = report(results)
    for row in (demo_step.HandFloatStep.name, "chain, 2,001 nodes", "import autograd"):
        assert row in text


def test_the_step_through_page_and_the_refusals_are_timed() -> None:
    import shutil

    from benchmarks import step_through

    if shutil.which("dot") is None:
        pytest.skip("graphviz's dot is missing")
    page = step_through.time_page(hidden=(2,), runs=1)
    assert page.wall_s > 0 and page.page_bytes > 0
    refusals = step_through.time_refusals(length=3000)
    assert set(refusals) == {"draw_dot", "trace_backward"}


def test_the_readmes_speed_table_names_every_benchmark_row_and_is_rechecked() -> None:
    from benchmarks import readme_check

    rows = readme_check.quoted_rows()
    assert {row.name for row in rows} == set(demo_step.IMPLEMENTATIONS)
    by_name = {row.name: row for row in rows}
    assert by_name["hand-derived floats"].vs_floats == (1.0, 1.0)
    assert by_name["hand-derived floats"].vs_micrograd == by_name["micrograd 0.1.0"].vs_floats
    # A run at the low end of every README range is "close" everywhere; one that is 2x slower
    # in one row is flagged there.
    micrograd = 0.4
    timings = {row.name: {"median_s": micrograd / row.vs_micrograd[0]} for row in rows}
    timings["micrograd 0.1.0"]["median_s"] = micrograd
    timings["hand-derived floats"]["median_s"] = micrograd / by_name["micrograd 0.1.0"].vs_floats[0]
    assert all(line[-1] == "yes" for line in readme_check.compare(timings))
    timings["glassgrad (compiled)"]["median_s"] *= 2
    flagged = [line[0] for line in readme_check.compare(timings) if line[-1] == "NO"]
    assert flagged == ["glassgrad (compiled)"]
    table = "| demo step (x) | ms |\n|---|---|\n| compiled | 1 | 207–211x | 0.5x |\n"
    assert readme_check.quoted_rows(table)[0].vs_micrograd == (207.0, 211.0)
    with pytest.raises(ValueError, match="no single benchmark"):
        readme_check.quoted_rows("| demo step (x) | ms |\n|---|---|\n| mystery | 1 | 2x | 3x |\n")


def test_the_readme_counts_of_the_demo_steps_relus_that_are_off() -> None:
    # README (Semantics) and DECISIONS 20 quote how much of micrograd's demo step the sweep
    # skips at the starting weights; the graph is seeded, so the counts are exact.
    problem = demo_step.make_problem()
    step = demo_step.GlassgradMicrogradStyleStep(problem)
    step.reset()
    scores = [step.model(point) for point in problem.points]
    losses = [(1 - y * s).relu() for y, s in zip(problem.labels, scores, strict=True)]
    loss = sum(losses) * (1.0 / len(losses)) + demo_step.ALPHA * sum(p * p for p in step.params)
    nodes = topological_order(loss)
    neurons = [n for n in nodes if n.op is not None and n.op.name == "neuron_relu"]
    off = [n for n in neurons if n.data == 0.0]
    edges, off_edges = sum(len(n.parents) for n in nodes), sum(len(n.parents) for n in off)
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    quoted = f"{len(off):,} of the demo step's {len(neurons):,} relu neurons are off"
    assert quoted in readme
    assert f"carrying {off_edges:,} of its {edges:,} edges" in " ".join(readme.split())
    decisions = (Path(__file__).resolve().parent.parent / "benchmarks/DECISIONS.md").read_text()
    zero_terms = sum(loss.data == 0.0 for loss in losses)
    assert f"{len(off):,} of the {len(neurons):,} relu neurons are off" in decisions
    assert f"{zero_terms} of the {len(losses)} hinge terms are 0" in " ".join(decisions.split())
