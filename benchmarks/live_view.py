"""What recording a training run and watching it live cost, and how big the recorded page is.

Issue 23's targets: at most 10% extra time on the moons lesson's fit (notebook 05's run:
``MLP(2, [16, 16, 1])``, 150 moons points, Adam lr 0.03, 40 epochs in batches of 32, with
validation) at the default refresh; at most 2 MB for the page of 100 recorded epochs of
``MLP(2, [16, 16, 1])``.

* **plain / record / live**: the same fit three ways, interleaved in rotating order, medians;
  and, measured inside each run, the time spent in fit's calls into the view (making it,
  each epoch, closing it) as a share of the rest of the fit: the view's direct cost, which
  the run-to-run noise of a shared machine (10-20% here) would hide in the totals.
  The live fits run inside a real Jupyter kernel (``jupyter_client`` starts one; ``ipykernel``
  runs it), so every update leaves as the display messages a notebook would get; all three
  are timed inside that kernel. Without jupyter_client or ipykernel the three run in this
  process, and "live" can only record (it says so in the results). The progress bar is off in
  all three (it is not what is measured).
* **page size**: the same run for 100 epochs with ``record=True``, ``history.save_html``.

Run it alone with ``.venv/bin/python -m benchmarks.live_view``; it prints one table.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

MODES = ("plain", "record", "live")

# Notebook 05's data and fit, timed: defined in this process or in the kernel alike.
SETUP = """
import gc, json, time
from nn import MLP, data, fit, losses, optim

X, y = data.moons(200, noise=0.15, seed=0)
(X_train, y_train), validation = data.train_test_split(X, y, test_fraction=0.25, seed=0)
OPTIONS = {"plain": {}, "record": {"record": True}, "live": {"live": True}}


# The time spent inside fit's calls into the view (making it, each epoch, closing it).
import nn.live
SPENT = [0.0]


def timed(method):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            SPENT[0] += time.perf_counter() - start
    return wrapper


for name in ("__init__", "add_epoch", "close"):
    setattr(nn.live.TrainingView, name, timed(getattr(nn.live.TrainingView, name)))


def notebook_05_fit(mode, epochs=40):
    model = MLP(2, [16, 16, 1], seed=0)
    optimizer = optim.Adam(model.parameters(), lr=0.03)
    gc.collect()
    SPENT[0] = 0.0
    start = time.perf_counter()
    history = fit(model, X_train, y_train, loss=losses.binary_cross_entropy,
                  optimizer=optimizer, epochs=epochs, batch_size=32, validation=validation,
                  seed=0, progress=False, **OPTIONS[mode])
    return time.perf_counter() - start, SPENT[0], history


def interleaved(repeats, epochs):
    times = {mode: [] for mode in OPTIONS}
    for mode in OPTIONS:  # warm-up
        notebook_05_fit(mode, epochs)
    modes = list(OPTIONS)
    for round_index in range(repeats):
        shift = round_index % len(modes)
        for mode in modes[shift:] + modes[:shift]:
            times[mode].append(notebook_05_fit(mode, epochs)[:2])
    return times
"""


Samples = dict[str, list[list[float]]]  # per mode: [seconds of the fit, seconds in the view]


def _in_process(repeats: int, epochs: int) -> Samples:
    scope: dict[str, Any] = {}
    exec(SETUP, scope)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # live=True outside Jupyter warns that it only records
        times: Samples = scope["interleaved"](repeats, epochs)
    return times


def _in_kernel(repeats: int, epochs: int) -> Samples | None:
    """The interleaved fits inside a fresh Jupyter kernel, or None without one."""
    try:
        from jupyter_client.manager import start_new_kernel
    except ImportError:
        return None
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    try:
        manager, client = start_new_kernel(kernel_name="python3", cwd=root, env=env)
    except Exception:  # no ipykernel, or a kernel that would not start
        return None
    printed: list[str] = []
    errors: list[str] = []

    def collect(message: dict[str, Any]) -> None:
        kind, content = message["msg_type"], message["content"]
        if kind == "stream" and content.get("name") == "stdout":
            printed.append(content["text"])
        elif kind == "error":
            errors.append("\n".join(content.get("traceback", [])))

    try:
        code = SETUP + f"\nprint(json.dumps(interleaved({repeats}, {epochs})))\n"
        client.execute_interactive(code, output_hook=collect, timeout=1800)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    if errors:
        raise RuntimeError("the live-view benchmark failed in the kernel:\n" + errors[0])
    times: Samples = json.loads("".join(printed).strip().splitlines()[-1])
    return times


def time_fits(repeats: int = 9, epochs: int = 40, kernel: bool = True) -> dict[str, Any]:
    """Medians of notebook 05's fit, plain, with ``record=True`` and with ``live=True``."""
    times = _in_kernel(repeats, epochs) if kernel else None
    where = "a Jupyter kernel"
    if times is None:
        times = _in_process(repeats, epochs)
        where = "this process (no Jupyter kernel: live only records)"
    medians = {mode: statistics.median(run[0] for run in times[mode]) for mode in MODES}
    fastest = {mode: min(run[0] for run in times[mode]) for mode in MODES}
    # The view's own share of each run: the direct cost, which the machine's noise (runs of
    # the same fit differ by 10-20% here) does not hide.
    share = {
        mode: statistics.median(run[1] / (run[0] - run[1]) for run in times[mode])
        for mode in ("record", "live")
    }
    return {
        "where": where,
        "epochs": epochs,
        "runs": repeats,
        "median_s": medians,
        "min_s": fastest,
        "samples_s": times,
        "record_overhead": share["record"],
        "live_overhead": share["live"],
        "live_overhead_end_to_end": medians["live"] / medians["plain"] - 1,
    }


def page_size(epochs: int = 100) -> int:
    """Bytes of the recorded page of notebook 05's run trained for ``epochs`` epochs."""
    scope: dict[str, Any] = {}
    exec(SETUP, scope)
    history = scope["notebook_05_fit"]("record", epochs)[2]
    with tempfile.TemporaryDirectory() as folder:
        return int(history.save_html(Path(folder) / "training.html").stat().st_size)


def main() -> int:
    """Print the table."""
    fits = time_fits()
    size = page_size()
    medians = fits["median_s"]
    print(
        f"notebook 05's fit ({fits['epochs']} epochs), medians of {fits['runs']} runs in "
        f"{fits['where']}:\n"
    )
    print("| measure | value |")
    print("|---|---|")
    for mode in MODES:
        print(
            f"| fit, {mode}: median (fastest) | {medians[mode] * 1000:.0f} ms "
            f"({fits['min_s'][mode] * 1000:.0f} ms) |"
        )
    print(f"| record=True: time in the view / rest of the fit | {fits['record_overhead']:.1%} |")
    print(f"| live=True (default refresh): same | {fits['live_overhead']:.1%} |")
    print(f"| live=True: medians, live / plain - 1 | {fits['live_overhead_end_to_end']:+.1%} |")
    print(f"| recorded page, 100 epochs of MLP(2, [16, 16, 1]) | {size / 1e6:.3f} MB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
