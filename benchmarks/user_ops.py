"""What a user's op (``define_op``) costs per node against the same op built in.

Both build a chain ``y = op(op(...op(x)...))`` of ``n`` softplus nodes and run ``backward()``
on it: the built-in ``Value.softplus`` and a ``define_op("bench_softplus", ...)`` with the same
forward and the same rule. The two chains give the same value and gradient to the last bit
(`compare` checks), so the difference is the price of going through a user's op: the
function that converts its operands, and the checks ``define_op`` wraps around the user's
forward and rule.

Run ``python -m benchmarks.user_ops [n]``; the numbers are in ``benchmarks/DECISIONS.md``.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from autograd import Value, define_op
from autograd.functions import sigmoid, softplus_float

user_softplus = define_op(
    "bench_softplus",
    softplus_float,
    lambda g, out, x: (g * sigmoid(x),),
    symbol="softplus",
    formula="sigmoid(x)",
)
"""softplus as a user would define it: the built-in op's forward and rule."""


def builtin_softplus(x: Value) -> Value:
    """The built-in op, as a function like ``user_softplus``."""
    return x.softplus()


@dataclass(frozen=True)
class ChainTiming:
    """Seconds to build a chain of ``n`` nodes and to run ``backward()`` on it."""

    n: int
    build_s: float
    backward_s: float
    value: float
    gradient: float

    @property
    def per_node_us(self) -> float:
        """Microseconds per node, build and backward together."""
        return (self.build_s + self.backward_s) / self.n * 1e6


def time_chain(op: Callable[[Value], Value], n: int) -> ChainTiming:
    """One run: build the chain of ``n`` ``op`` nodes, then ``backward()`` through it."""
    gc.collect()
    x = Value(-3.0)
    start = time.perf_counter()
    y = x
    for _ in range(n):
        y = op(y)
    built = time.perf_counter()
    y.backward()
    done = time.perf_counter()
    return ChainTiming(n, built - start, done - built, y.data, x.grad)


def _median(timings: list[ChainTiming]) -> ChainTiming:
    """The run whose total time is the median."""
    ordered = sorted(timings, key=lambda t: t.per_node_us)
    return ordered[len(ordered) // 2]


def compare(n: int, repeats: int = 5) -> tuple[ChainTiming, ChainTiming]:
    """Built-in and user softplus chains of ``n`` nodes, runs interleaved, medians; the two
    must agree to the last bit."""
    builtin_runs, user_runs = [], []
    for _ in range(repeats):
        builtin_runs.append(time_chain(builtin_softplus, n))
        user_runs.append(time_chain(user_softplus, n))
    builtin, user = _median(builtin_runs), _median(user_runs)
    if (builtin.value, builtin.gradient) != (user.value, user.gradient):
        raise AssertionError(f"the chains disagree: built-in {builtin}, user {user}")
    return builtin, user


def main(argv: list[str]) -> None:
    """Print the per-node cost of each, and the ratio."""
    n = int(argv[0]) if argv else 100_000
    builtin, user = compare(n)
    for name, timing in (("built-in softplus", builtin), ("define_op softplus", user)):
        print(
            f"{name:>20}: build {timing.build_s * 1e6 / n:.2f} µs/node, "
            f"backward {timing.backward_s * 1e6 / n:.2f} µs/node, "
            f"total {timing.per_node_us:.2f} µs/node"
        )
    print(f"{'user / built-in':>20}: {user.per_node_us / builtin.per_node_us:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
