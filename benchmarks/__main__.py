"""``python -m benchmarks [--quick]``: run every benchmark, print the tables, write the JSON.

The full run takes about a minute on a slow 2-core machine (micrograd is run only a few times);
``--quick`` uses small sizes and few repeats, to check that everything works. Targets are
checked and reported, not asserted: a slow or busy machine prints "no" rather than failing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks import (
    compiled,
    demo_step,
    graphs,
    higher_order,
    live_view,
    memory,
    readme_check,
    startup,
)
from benchmarks.harness import (
    Case,
    format_table,
    log,
    machine_info,
    measure_interleaved,
    milliseconds,
    write_json,
)


@dataclass(frozen=True)
class Sizes:
    """How big and how often: one instance for the full run, one for ``--quick``."""

    demo_points: int
    demo_repeats: int
    micrograd_repeats: int
    wide_terms: int
    chain_nodes: int
    graph_repeats: int
    chain_repeats: int
    memory_nodes: int
    higher_order_repeats: int
    import_repeats: int
    compiled_nodes: int
    fit_repeats: int
    live_repeats: int = 0  # fits of notebook 05 per mode (benchmarks/live_view.py); 0: skipped


FULL = Sizes(
    demo_points=100,
    demo_repeats=21,
    micrograd_repeats=5,
    wide_terms=333_333,  # 3n + 1 = 10^6 nodes
    chain_nodes=1_000_000,
    graph_repeats=5,
    chain_repeats=5,
    memory_nodes=200_000,
    higher_order_repeats=3,
    import_repeats=9,
    compiled_nodes=100_000,
    fit_repeats=3,
    live_repeats=9,
)
QUICK = Sizes(
    demo_points=100,
    demo_repeats=5,
    micrograd_repeats=2,
    wide_terms=33_333,
    chain_nodes=100_000,
    graph_repeats=1,
    chain_repeats=2,
    memory_nodes=20_000,
    higher_order_repeats=1,
    import_repeats=3,
    compiled_nodes=10_000,
    fit_repeats=1,
    live_repeats=2,
)

MICROGRAD = demo_step.MicrogradStep.name
FLOATS = demo_step.HandFloatStep.name
COMPILED = demo_step.GlassgradCompiledStep.name


@dataclass(frozen=True)
class Target:
    """One target of the speed issue, with the measured value."""

    name: str
    measured: float
    limit: float
    at_least: bool  # True: measured must be >= limit; False: <= limit
    unit: str

    @property
    def met(self) -> bool:
        """Whether the measured value is on the right side of the limit."""
        return self.measured >= self.limit if self.at_least else self.measured <= self.limit

    def row(self) -> list[str]:
        """The row of the targets table."""
        sign = ">=" if self.at_least else "<="
        return [
            self.name,
            f"{self.measured:,.3g} {self.unit}",
            f"{sign} {self.limit:g} {self.unit}",
            "yes" if self.met else "NO",
        ]


def run_demo(sizes: Sizes) -> dict[str, Any]:
    """The demo step in every available implementation, interleaved."""
    problem = demo_step.make_problem(sizes.demo_points)
    steps, missing = demo_step.available_implementations(problem)
    for name, reason in missing.items():
        log(f"  skipping {name}: {reason}")
    losses = demo_step.check_agreement(steps)
    cases = [
        Case(
            step.name,
            step.step,
            step.reset,
            sizes.micrograd_repeats if step.name == MICROGRAD else sizes.demo_repeats,
        )
        for step in steps
    ]
    timings = measure_interleaved(cases)
    return {
        "timings": {name: timing.as_dict() for name, timing in timings.items()},
        "losses_after_agreement_check": losses,
        "missing": missing,
    }


def _summary(runs: list[graphs.GraphTiming]) -> dict[str, float]:
    return {
        "nodes": runs[0].nodes,
        "build_s": statistics.median(run.build_s for run in runs),
        "backward_s": statistics.median(run.backward_s for run in runs),
        "total_s": statistics.median(run.total_s for run in runs),
        "min_backward_s": min(run.backward_s for run in runs),
    }


def run_graphs(sizes: Sizes) -> dict[str, Any]:
    """The wide graph, and the chain at full and half length (linear time)."""
    wide = [graphs.time_wide(sizes.wide_terms) for _ in range(sizes.graph_repeats)]
    chain: list[graphs.GraphTiming] = []
    half: list[graphs.GraphTiming] = []
    graphs.time_chain(sizes.chain_nodes)  # warm-up: the first run also pays for fresh memory
    for _ in range(sizes.chain_repeats):  # interleaved, so drift hits both lengths alike
        half.append(graphs.time_chain(sizes.chain_nodes // 2))
        chain.append(graphs.time_chain(sizes.chain_nodes))
    # Growth from the fastest runs: for work this deterministic, the minimum is the best
    # estimate of the undisturbed time, and a ratio of two noisy medians is noisier still.
    growth = min(run.backward_s for run in chain) / min(run.backward_s for run in half)
    return {
        "wide": _summary(wide),
        "chain": _summary(chain),
        "chain_half": _summary(half),
        "chain_backward_growth": growth,
        "recursion_limit": sys.getrecursionlimit(),
    }


def run_memory(sizes: Sizes) -> dict[str, Any]:
    """Bytes per node of the chain and of the wide sum of products."""
    chain = memory.chain_bytes(sizes.memory_nodes)
    wrapped = memory.chain_bytes_wrapping_constants(sizes.memory_nodes)
    wide = memory.wide_bytes(sizes.memory_nodes // 2)
    return {
        "chain": {"nodes": chain.nodes, "bytes_per_node": chain.bytes_per_node},
        "chain_wrapping_constants": {
            "nodes": wrapped.nodes,
            "bytes_per_node": wrapped.bytes_per_node,
        },
        "wide": {"nodes": wide.nodes, "bytes_per_node": wide.bytes_per_node},
    }


def run_higher_order(sizes: Sizes) -> dict[str, Any]:
    """create_graph=True on the demo loss: medians over a few runs, and a correctness check."""
    problem = demo_step.make_problem(sizes.demo_points)
    runs = [higher_order.time_second_derivative(problem) for _ in range(sizes.higher_order_repeats)]
    analytic, estimate = higher_order.check_second_derivative(problem)
    return {
        "first_s": statistics.median(run.first_s for run in runs),
        "first_differentiable_s": statistics.median(run.first_differentiable_s for run in runs),
        "second_s": statistics.median(run.second_s for run in runs),
        "overhead": statistics.median(run.overhead for run in runs),
        "second_derivative": analytic,
        "central_difference": estimate,
    }


def run_compiled(sizes: Sizes) -> dict[str, Any]:
    """autograd.compile: the demo step's first call and source, a 10^5-node graph, fit."""
    first = compiled.first_call(sizes.demo_points)
    return {
        "first_call_s": first.seconds,
        "source_bytes": first.source_bytes,
        "source_lines": first.source_lines,
        "large_graph": compiled.large_graph(sizes.compiled_nodes),
        "fit_digits": compiled.fit_digits(sizes.fit_repeats),
    }


def run_startup(sizes: Sizes) -> dict[str, Any]:
    """Import time in fresh interpreters, and the DOT source of a 1,000-node graph."""
    imported = startup.time_import(sizes.import_repeats)
    return {
        "import_median_s": imported.median_s,
        "import_samples_s": imported.samples_s,
        "heavy_modules_loaded": imported.heavy_modules,
        "dot_source_1000_nodes_s": startup.time_dot_source(1000),
    }


def run_live_view(sizes: Sizes) -> dict[str, Any]:
    """Recording and the live view on notebook 05's fit; the recorded page's size."""
    if not sizes.live_repeats:
        return {"skipped": "live_repeats is 0"}
    results = live_view.time_fits(repeats=sizes.live_repeats)
    results["page_bytes_100_epochs"] = live_view.page_size(100)
    return results


def glassgrad_row(timings: dict[str, Any]) -> str:
    """The glassgrad implementation the targets are checked on: nn if present, else engine."""
    for name in (demo_step.GlassgradMicrogradStyleStep.name, demo_step.GlassgradNNStep.name):
        if name in timings:
            return name
    raise RuntimeError("no glassgrad implementation of the demo step could run")


def targets(results: dict[str, Any], quick: bool) -> list[Target]:
    """The issue's targets, with this run's measurements."""
    demo = results["demo_step"]["timings"]
    ours = glassgrad_row(demo)
    found = []
    # The engine, as micrograd's demo runs it (issue 22): model(x) per point, Python's sum.
    if MICROGRAD in demo:
        speedup = demo[MICROGRAD]["median_s"] / demo[ours]["median_s"]
        found.append(Target(f"demo step: micrograd / {ours}", speedup, 15, True, "x"))
    floats = demo[FLOATS]["median_s"]
    found.append(
        Target(f"demo step: {ours} / hand floats", demo[ours]["median_s"] / floats, 5.0, False, "x")
    )
    found.append(
        Target(
            "chain: bytes per node", results["memory"]["chain"]["bytes_per_node"], 160, False, "B"
        )
    )
    found += compiled_targets(results, quick)
    if not quick:  # about the full size; small quick runs are too noisy for it
        found.append(
            Target(
                "chain backward: time(n) / time(n/2) (linear: 2)",
                results["graphs"]["chain_backward_growth"],
                2.5,
                False,
                "x",
            )
        )
    found.append(
        Target("import autograd", results["startup"]["import_median_s"] * 1000, 50, False, "ms")
    )
    live = results.get("live_view", {})
    if "live_overhead" in live:
        found.append(
            Target(
                "live view: time in it / rest of 05's fit",
                100 * live["live_overhead"],
                10,
                False,
                "%",
            )
        )
        found.append(
            Target(
                "recorded page, 100 epochs of 2-16-16-1",
                live["page_bytes_100_epochs"] / 1e6,
                2,
                False,
                "MB",
            )
        )
    return found


def compiled_targets(results: dict[str, Any], quick: bool) -> list[Target]:
    """autograd.compile's targets (issue 20)."""
    demo = results["demo_step"]["timings"]
    c = results["compiled"]
    found = []
    if COMPILED in demo:
        step = demo[COMPILED]["median_s"]
        found.append(
            Target(
                f"demo step: {COMPILED} / hand floats",
                step / demo[FLOATS]["median_s"],
                0.35,
                False,
                "x",
            )
        )
        if MICROGRAD in demo:
            found.append(
                Target(
                    f"demo step: micrograd / {COMPILED}",
                    demo[MICROGRAD]["median_s"] / step,
                    200,
                    True,
                    "x",
                )
            )
    found.append(Target("compiled demo step: first call", c["first_call_s"], 1.0, False, "s"))
    found.append(Target("compiled demo step: source", c["source_bytes"] / 1e6, 5.0, False, "MB"))
    if not quick:
        found.append(
            Target(
                "10^5-node graph: first call (compile)",
                c["large_graph"]["first_call_s"],
                5.0,
                False,
                "s",
            )
        )
    fit = c["fit_digits"]
    if fit is not None:
        speedup = statistics.median(fit["engine_s"]) / statistics.median(fit["compiled_s"])
        found.append(Target("fit on digits: engine / compiled", speedup, 2.0, True, "x"))
    return found


def demo_table(results: dict[str, Any]) -> str:
    """The demo-step table: median ms per step and the two ratios."""
    demo = results["demo_step"]["timings"]
    floats = demo[FLOATS]["median_s"]
    micrograd = demo[MICROGRAD]["median_s"] if MICROGRAD in demo else None
    rows = []
    for name, timing in sorted(demo.items(), key=lambda item: item[1]["median_s"]):
        median = timing["median_s"]
        rows.append(
            [
                name,
                milliseconds(median),
                f"{timing['runs']}",
                f"{micrograd / median:,.1f}x" if micrograd else "-",
                f"{median / floats:.2f}x",
            ]
        )
    headers = ["demo step", "ms (median)", "runs", "micrograd / this", "this / hand floats"]
    return format_table(headers, rows)


def other_table(results: dict[str, Any]) -> str:
    """Graphs, memory, create_graph and start-up, one row each."""
    g, m, h, s = results["graphs"], results["memory"], results["higher_order"], results["startup"]
    wide, chain, half = g["wide"], g["chain"], g["chain_half"]
    dot = s["dot_source_1000_nodes_s"]
    rows = [
        [
            f"wide graph, {wide['nodes']:,} nodes",
            f"build {milliseconds(wide['build_s'])} ms + backward "
            f"{milliseconds(wide['backward_s'])} ms = {milliseconds(wide['total_s'])} ms",
        ],
        [
            f"chain, {chain['nodes']:,} nodes",
            f"build {milliseconds(chain['build_s'])} ms, backward "
            f"{milliseconds(chain['backward_s'])} ms",
        ],
        [
            f"chain, {half['nodes']:,} nodes",
            f"build {milliseconds(half['build_s'])} ms, backward "
            f"{milliseconds(half['backward_s'])} ms (growth x{g['chain_backward_growth']:.2f})",
        ],
        ["bytes per node, chain", f"{m['chain']['bytes_per_node']:.1f}"],
        [
            "bytes per op node, chain with numbers wrapped in leaves",
            f"{m['chain_wrapping_constants']['bytes_per_node']:.1f}",
        ],
        ["bytes per node, wide sum of products", f"{m['wide']['bytes_per_node']:.1f}"],
        [
            "d2 loss / dw2 (create_graph=True)",
            f"first {milliseconds(h['first_s'])} ms; differentiable first "
            f"{milliseconds(h['first_differentiable_s'])} ms + second "
            f"{milliseconds(h['second_s'])} ms (x{h['overhead']:.1f})",
        ],
        [
            "compiled demo step: first call; source",
            f"{milliseconds(results['compiled']['first_call_s'])} ms; "
            f"{results['compiled']['source_bytes'] / 1e6:.2f} MB, "
            f"{results['compiled']['source_lines']:,} lines",
        ],
        [
            f"compiled chain of {results['compiled']['large_graph']['nodes']:,.0f} nodes",
            f"first call {milliseconds(results['compiled']['large_graph']['first_call_s'])} ms,"
            f" then {milliseconds(results['compiled']['large_graph']['call_s'])} ms",
        ],
        [
            "fit on digits (lesson 07), compiled vs engine",
            "skipped (no scikit-learn)"
            if results["compiled"]["fit_digits"] is None
            else "compiled "
            + ", ".join(f"{t:.2f}" for t in results["compiled"]["fit_digits"]["compiled_s"])
            + " s; engine "
            + ", ".join(f"{t:.2f}" for t in results["compiled"]["fit_digits"]["engine_s"])
            + " s",
        ],
        [
            "import autograd",
            f"{milliseconds(s['import_median_s'])} ms"
            + (
                f" (loaded {', '.join(s['heavy_modules_loaded'])}!)"
                if s["heavy_modules_loaded"]
                else ""
            ),
        ],
        [
            "draw_dot(1,000 nodes).source",
            f"{milliseconds(dot)} ms" if dot is not None else "autograd.viz not available",
        ],
    ]
    return format_table(["benchmark", "result"], rows)


def run_all(sizes: Sizes, quick: bool) -> dict[str, Any]:
    """Every benchmark at the given sizes, and the targets checked: the JSON-ready results."""
    results: dict[str, Any] = {"machine": machine_info(), "quick": quick}
    sections: list[tuple[str, Callable[[Sizes], dict[str, Any]]]] = [
        ("demo_step", run_demo),
        ("graphs", run_graphs),
        ("memory", run_memory),
        ("higher_order", run_higher_order),
        ("compiled", run_compiled),
        ("startup", run_startup),
        ("live_view", run_live_view),
    ]
    for key, run in sections:
        log(f"running {key} ...")
        results[key] = run(sizes)
    results["targets"] = [
        {"name": t.name, "measured": t.measured, "limit": t.limit, "unit": t.unit, "met": t.met}
        for t in targets(results, quick)
    ]
    return results


def report(results: dict[str, Any]) -> str:
    """The three tables (demo step, other benchmarks, targets) under a line on the machine."""
    machine = results["machine"]
    found = targets(results, results["quick"])
    return "\n\n".join(
        [
            f"{machine['date_utc']}; {machine['cpu_model']}, {machine['nproc']} cores; "
            f"Python {machine['python']}{' (quick run)' if results['quick'] else ''}",
            demo_table(results),
            other_table(results),
            format_table(["target", "measured", "limit", "met"], [t.row() for t in found]),
            "The README's speed table against this run (vs micrograd, vs the floats; 'NO' when\n"
            f"a ratio moved by over {readme_check.TOLERANCE:.0%}: time to update the README):\n"
            + format_table(
                ["README row", "README says", "this run", "close"],
                readme_check.compare(results["demo_step"]["timings"]),
            ),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run everything; print the tables; write ``benchmarks/results/*.json``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--no-json", action="store_true", help="do not write the JSON files")
    args = parser.parse_args(argv)
    results = run_all(QUICK if args.quick else FULL, args.quick)
    print("\n" + report(results))
    if not args.no_json:
        path = write_json(results)
        log(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
