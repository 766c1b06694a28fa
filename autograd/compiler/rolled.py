"""A batch written as a loop: the part of the graph that each sample repeats, written once.

A training step scores every sample of a batch with the same model and then combines the
losses, so its graph holds one copy of the same computation per sample. Written out node by
node (``codegen.py``), the code grows with the batch. When the copies are alike, node for
node, `generate_rolled` writes one copy inside a ``for`` loop over the samples instead:

* forward: what no sample needs (the L2 penalty, say); then a loop that runs one sample's
  nodes and keeps its numbers for the backward pass (``saved``); then what combines the
  samples (the sum of the losses);
* backward: the engine's sweep, in its order, except that the per-sample part is a loop
  over the samples in the order the sweep meets them. A gradient that every sample adds to
  (a weight's) grows inside the loop one contribution at a time (``g_w += c``), starting
  from the contributions it had before the loop, so its terms are added in the sweep's own
  order and its bits are the engine's. (Where nothing came before, it starts from ``-0.0``:
  ``-0.0 + c`` is ``c`` for every float, to the sign of a zero, where ``0.0 + -0.0`` is
  ``0.0``.)

`find_samples` decides whether a trace can be written so and says how; it returns None when
it cannot (a guard, samples that differ, an order the loop cannot follow, a small graph),
and the trace is then written out whole.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from keyword import iskeyword
from typing import Any

from autograd.compiler.codegen import (
    CHUNK,
    COMMENTED_NODES,
    MAX_LINE,
    Generated,
    _fitted,
    _joined,
    _label,
    _summary,
    _Writer,
    python_name,
)
from autograd.compiler.trace import Trace
from autograd.rule_results import is_user_op
from autograd.value import Value

__all__ = ["Samples", "find_samples", "generate_rolled"]

MIXED = -1  # the "sample" of a node computed from several samples
_ASSIGNED = re.compile(r"^ {8}(\w+) = ")  # a statement of the loop's body that sets a name
_ASSIGNED_OUTSIDE = re.compile(r"^ {4}(\w+) = ")  # one outside the loops
_SETS = re.compile(r"^ +(\w+) = ")  # a statement that sets a name
_NOT_AN_ATTRIBUTE = re.compile(r"(?<![.\w])[^\W\d]\w*")  # a name, but not ``x.append``'s
_FIRST_NAMES = 240  # of the 256 a function reaches with one instruction: room for the others
_NAME = re.compile(r"\b[^\W\d]\w*")  # a name (``é_2`` too: any letter may start one)
_FROM_MINUS_ZERO = "# these gradients grow one term at a time from -0.0 (-0.0 + c is c, exactly)"
_KEEP, _KEPT = "# (each sample's numbers: kept)", "# (each sample's numbers: read back)"
_SAMPLES, _KEPT_TOO = "# forward: the {} samples, one at a time", "; each one's numbers are kept"


@dataclass
class Samples:
    """How a trace splits into samples that repeat the same nodes.

    ``blocks[s]`` holds sample s's op nodes in forward order (node j of every block does
    the same thing); ``inputs[key][s]`` is the position in ``trace.inputs`` of sample s's
    input ``key`` (``(argument, rest of its path)``). ``outputs`` are the positions in a
    block of the nodes used outside it, ``fed`` of those that the nodes that combine samples
    send a gradient back to. In the sweep, ``trace.sweep[start:stop]`` holds the
    blocks, sample by sample in ``order``, each in ``sweep_positions`` order, and the
    combining nodes of ``hoisted`` and the shared nodes of ``deferred`` between them.
    """

    count: int
    sample_of: dict[Value, int]
    blocks: list[list[Value]]
    inputs: dict[tuple[int, ...], list[int]]
    argument_names: dict[int, str]
    local_leaves: list[set[Value]]  # each sample's own constant leaves
    outputs: list[int]
    fed: list[int]  # the outputs whose gradient the nodes that combine samples send back
    start: int
    stop: int
    order: list[int]
    sweep_positions: list[int]
    hoisted: list[Value]
    deferred: list[Value]


def find_samples(trace: Trace) -> Samples | None:
    """How ``trace`` repeats per sample, or None when it cannot be written as a loop."""
    if (
        trace.guards
        or len(trace.forward) <= COMMENTED_NODES
        or len(trace.paths) != len(trace.inputs)
    ):
        return None
    # The batch: the arguments that are lists of one length, >= 2: the first list's length,
    # or another one's if that fails (the first list may be, say, the weights of classes).
    lengths: dict[int, int] = {}
    for path in trace.paths:
        if len(path) >= 2:
            lengths[path[0]] = max(lengths.get(path[0], 0), path[1] + 1)
    for count in dict.fromkeys(lengths.values()):
        batch = {argument for argument, n in lengths.items() if n == count}
        samples = _split(trace, batch, count) if count >= 2 else None
        if samples is not None:
            return samples
    return None


def _split(trace: Trace, batch: set[int], count: int) -> Samples | None:
    """How ``trace`` repeats for each of the ``count`` samples of the arguments ``batch``."""
    sample_of: dict[Value, int] = {}
    inputs: dict[tuple[int, ...], list[int]] = {}
    key_of: dict[Value, tuple[int, ...]] = {}
    argument_names: dict[int, str] = {}
    for k, ((leaf, name), path) in enumerate(zip(trace.inputs, trace.paths, strict=True)):
        if path[0] in batch and len(path) >= 2:
            key = (path[0], *path[2:])
            sample_of[leaf] = path[1]
            key_of[leaf] = key
            inputs.setdefault(key, [-1] * count)[path[1]] = k
            argument_names[path[0]] = name.split("[", 1)[0]
    if any(-1 in positions for positions in inputs.values()):
        return None  # a sample without one of the others' numbers: ragged rows
    for node in trace.forward:
        found: int | None = None
        for parent in node.parents:
            s = sample_of.get(parent)
            if s is None or s == found:
                continue
            found = s if found is None else MIXED
            if found == MIXED:
                break
        if found is not None:
            sample_of[node] = found
    _adopt(trace, sample_of)
    blocks: list[list[Value]] = [[] for _ in range(count)]
    for node in trace.forward:
        s = sample_of.get(node, MIXED)
        if s != MIXED:
            blocks[s].append(node)
    _set_apart_reductions(blocks, sample_of)
    if len({len(block) for block in blocks}) != 1 or not blocks[0]:
        return None
    local_leaves = _local_constants(trace, sample_of, count)
    if not _samples_stay_inside(trace, sample_of, key_of, local_leaves):
        return None
    shapes = [_shape(blocks[s], key_of, local_leaves[s]) for s in range(count)]
    if any(shape != shapes[0] for shape in shapes):
        return None
    handed = _outputs(trace, blocks, sample_of)
    if handed is None:
        return None
    outputs, fed = handed
    return _in_sweep(trace, sample_of, blocks, outputs, fed, inputs, argument_names, local_leaves)


def _adopt(trace: Trace, sample_of: dict[Value, int]) -> None:
    """Give a node that depends on no sample to the one sample that uses it, if one does.

    ``expr(x, w)`` built anew for each sample makes its parts that read only ``w`` anew for
    each sample too: such a part is that sample's, computed in the loop as the engine
    computes it, once per sample. (A node also used by another sample, or by the nodes that
    combine them, or returned, stays outside the loop.)
    """
    users: dict[Value, set[int]] = {}
    for value in [trace.root, *trace.extra_values()]:
        users.setdefault(value, set()).add(MIXED)
    for node in reversed(trace.forward):
        s = sample_of.get(node)
        if s is None:
            used_by = users.get(node, set())
            if len(used_by) == 1 and MIXED not in used_by:
                s = sample_of[node] = next(iter(used_by))
        for parent in node.parents:
            users.setdefault(parent, set()).add(MIXED if s is None else s)


def _set_apart_reductions(blocks: list[list[Value]], sample_of: dict[Value, int]) -> None:
    """Move the start of a reduction out of the first sample's block.

    ``sum(losses)`` begins ``0 + loss_0``: a node that depends on sample 0 alone, but that
    combines samples like the rest of the sum. A block with more nodes than the others loses
    its last nodes (used by no node of its block) unlike every last node of a shortest block
    (another op or constant, or operands from elsewhere: ``total * gamma``, where the
    samples end with a product of two of their own nodes).
    """
    shortest = min(blocks, key=len)

    def ends(block: list[Value]) -> dict[Value, Any]:
        inside = set(block)
        used = {parent for node in block for parent in node.parents}
        return {
            node: (node.op, node.const, tuple(parent in inside for parent in node.parents))
            for node in block
            if node not in used
        }

    usual = set(ends(shortest).values())
    for block in blocks:
        while len(block) > len(shortest):
            odd = [node for node, kind in ends(block).items() if kind not in usual]
            if not odd:
                break
            for node in odd:
                sample_of[node] = MIXED
            block[:] = [node for node in block if node not in odd]


def _samples_stay_inside(
    trace: Trace,
    sample_of: dict[Value, int],
    key_of: dict[Value, tuple[int, ...]],
    local_leaves: list[set[Value]],
) -> bool:
    """Whether only the loop reads a sample's inputs and own constants: the code outside it
    has no name for them (a node that combines samples and adds ``X[5][0]`` itself, or a
    function that returns an input, is written out whole)."""
    local = set(key_of).union(*local_leaves)
    outside = [node for node in trace.forward if sample_of.get(node, MIXED) == MIXED]
    reads = {parent for node in outside for parent in node.parents}
    results = {trace.root, *trace.extra_values()}
    return not (reads & local or results & local)


def _local_constants(trace: Trace, sample_of: dict[Value, int], count: int) -> list[set[Value]]:
    """Each sample's constant leaves: those the function made that only its nodes use."""
    users: dict[Value, set[int]] = {}
    for node in trace.forward:
        for parent in node.parents:
            if parent.op is None and id(parent) in trace.constants:
                users.setdefault(parent, set()).add(sample_of.get(node, MIXED))
    local: list[set[Value]] = [set() for _ in range(count)]
    for leaf, samples in users.items():
        if len(samples) == 1 and MIXED not in samples:
            local[next(iter(samples))].add(leaf)
    return local


def _shape(
    block: list[Value], key_of: dict[Value, tuple[int, ...]], local: set[Value]
) -> list[Any]:
    """What block ``s`` computes, with nothing that names its sample: equal for two samples
    exactly when their blocks are copies of each other."""
    position = {node: j for j, node in enumerate(block)}
    shape: list[Any] = []
    for node in block:
        parts: list[Any] = []
        for parent in node.parents:
            if parent in position:
                parts.append(("node", position[parent]))
            elif parent in key_of:
                parts.append(("input", key_of[parent]))
            elif parent in local:
                parts.append(("constant", float(parent.data).hex()))
            else:  # a live leaf, a shared constant, a node no sample depends on
                parts.append(("shared", id(parent)))
        const = None if node.const is None else node.const.hex()
        shape.append((node.op, const, tuple(parts)))
    return shape


def _outputs(
    trace: Trace, blocks: list[list[Value]], sample_of: dict[Value, int]
) -> tuple[list[int], list[int]] | None:
    """The positions of the nodes each block hands on (to the nodes that combine samples,
    or as results), and of those among them whose gradient comes from the nodes that combine
    samples (first: the sweep meets those before the block; a node of the block that uses
    one adds to that in the loop, as in an activity penalty on a hidden layer)."""
    in_sweep = set(trace.sweep)
    handed: set[Value] = {trace.root, *trace.extra_values()}
    fed: set[Value] = set()
    for node in trace.forward:
        if sample_of.get(node, MIXED) == MIXED:
            handed.update(node.parents)
            if node in in_sweep:
                fed.update(node.parents)
    positions = [j for j, node in enumerate(blocks[0]) if node in handed]
    fed_positions = [j for j, node in enumerate(blocks[0]) if node in fed]
    for block in blocks:
        if [j for j, node in enumerate(block) if node in handed] != positions:
            return None
        if [j for j, node in enumerate(block) if node in fed] != fed_positions:
            return None
    return (positions, fed_positions) if positions else None


def _in_sweep(
    trace: Trace,
    sample_of: dict[Value, int],
    blocks: list[list[Value]],
    outputs: list[int],
    fed: list[int],
    inputs: dict[tuple[int, ...], list[int]],
    argument_names: dict[int, str],
    local_leaves: list[set[Value]],
) -> Samples | None:
    """Where the blocks sit in the sweep; None unless a loop can follow its order: the
    blocks one after another (the same order inside each), and between them only

    * nodes that combine samples (``hoisted``, written before the loop) and send nothing to
      what the blocks read but their outputs (a weight's gradient grows in the loop;
      ``Value(0.0)``, where a sum starts, is fine);
    * nodes that no sample depends on (``deferred``, written after the loop: the sweep
      meets ``temperature.exp()``, read by every sample, among the first sample's nodes),
      which send nothing to what the blocks read, nor to what a hoisted node sends to."""
    count = len(blocks)
    position = {node: j for block in blocks for j, node in enumerate(block)}
    where = [i for i, node in enumerate(trace.sweep) if sample_of.get(node, MIXED) != MIXED]
    where = [i for i in where if trace.sweep[i].op is not None]
    if not where:
        return None  # the output does not depend on the samples (they are only returned)
    start, stop = where[0], where[-1] + 1
    handed = {block[j] for block in blocks for j in outputs}
    read_in_blocks = {parent for block in blocks for node in block for parent in node.parents}
    runs: list[tuple[int, list[int]]] = []
    hoisted: list[Value] = []
    deferred: list[Value] = []
    for node in trace.sweep[start:stop]:
        if node.op is None:
            continue
        s = sample_of.get(node)
        if s is None:  # written after the loop: it must send nothing that grows in it
            if any(p in read_in_blocks for p in node.parents):
                return None
            deferred.append(node)
        elif s == MIXED:  # written before the loop: it must send nothing that grows in it
            if any(p in read_in_blocks and p not in handed for p in node.parents):
                return None
            hoisted.append(node)
        elif runs and runs[-1][0] == s:
            runs[-1][1].append(position[node])
        else:
            runs.append((s, [position[node]]))
    order = [s for s, _ in runs]
    if sorted(order) != list(range(count)) or order not in (
        list(range(count)),
        list(range(count - 1, -1, -1)),
    ):
        return None
    if any(run != runs[0][1] for _, run in runs):
        return None
    sent_before = {parent for node in hoisted for parent in node.parents}
    if any(parent in sent_before for node in deferred for parent in node.parents):
        return None  # its contributions would come in another order
    return Samples(
        count,
        sample_of,
        blocks,
        inputs,
        argument_names,
        local_leaves,
        outputs,
        fed,
        start,
        stop,
        order,
        runs[0][1],
        hoisted,
        deferred,
    )


def _slice(positions: list[int]) -> str | None:
    """``inputs[a:b:c]`` for positions evenly spaced, else None."""
    first = positions[0]
    step = positions[1] - first if len(positions) > 1 else 1
    if step <= 0 or positions != list(range(first, first + step * len(positions), step)):
        return None
    end = positions[-1] + 1
    return f"inputs[{first}:{end}]" if step == 1 else f"inputs[{first}:{end}:{step}]"


def generate_rolled(trace: Trace, check: Any = None) -> Generated | None:
    """The trace written with its samples as a loop (see the module's docstring), or None
    when `find_samples` finds it cannot be."""
    samples = find_samples(trace)
    if samples is None:
        return None
    slices = {key: _slice(positions) for key, positions in samples.inputs.items()}
    if any(text is None for text in slices.values()):
        return None
    w = _Writer(trace, check)
    w.comments = False
    # (a node of a sample is written in the loop, with its name: only the rest is folded)
    w.foldable = {
        node: user
        for node, user in w.foldable.items()
        if samples.sample_of.get(node, MIXED) == MIXED
        and samples.sample_of.get(user, MIXED) == MIXED
    }
    names = w.names
    names.taken.update({"saved", "loop_total", "k", "sample", "rows", "zip", "range", "list"})
    for node in trace.forward:
        op_writer = getattr(node.op, "writer", None)
        if op_writer is not None:
            names.taken.update(op_writer.namespace())
    first, count = samples.blocks[0], samples.count
    per_sample = set(samples.blocks[0]) | samples.local_leaves[0]
    # The first sample's inputs stand for every sample's: X_i_0 is X[i][0].
    loop_names = []
    for key, positions in samples.inputs.items():
        leaf = trace.inputs[positions[0]][0]
        rest = "".join(f"_{part}" for part in key[1:])
        loop_names.append(names.fresh(python_name(f"{samples.argument_names[key[0]]}_i{rest}")))
        names.of[leaf] = loop_names[-1]
        per_sample.add(leaf)
    batch_leaves = {leaf for leaf, _ in trace.inputs if leaf in samples.sample_of}
    for k, (leaf, name) in enumerate(trace.inputs):
        if leaf not in batch_leaves:
            w.emit(f"{names.add(leaf, name)} = inputs[{k}]")
    live_names = [names.add(leaf, _label(leaf) or "leaf") for leaf in trace.live]
    if live_names:
        w.emit("# the live leaves, read at this call")
        _unpack(w, live_names, "live")

    # -- forward ---------------------------------------------------------------------------
    w.emit("# forward: what no sample needs")
    for node in trace.forward:
        if node not in samples.sample_of:
            w.forward(node)
    at = _Sections(samples_heading=len(w.lines))
    w.emit(f"{_SAMPLES.format(count)}{_KEPT_TOO}")
    w.emit("saved = []")
    w.emit("loop_total = 0.0  # every number of the loop, summed: finite, or one is not")
    lists_at = len(w.lines)  # where the lists of the samples' outputs begin (below)
    zipped = [text for text in slices.values() if text is not None]
    head = f"for {', '.join(loop_names)} in "
    unpacked = len(w.indent + head) + 10 > MAX_LINE  # too many names for the line
    if len(zipped) == 1:
        w.emit(f"{head}{zipped[0]}:")
    else:
        w.emit_joined(f"{'for sample in ' if unpacked else head}zip(", zipped, ", ", "):")
    w.indent = "        "
    if len(zipped) > 1 and unpacked:  # each sample's numbers, then their names
        _unpack(w, loop_names, "sample")
    checked_before = set(w.finite)
    body_start = len(w.lines)
    for node in first:
        w.forward(node)
    forward_body = w.lines[body_start:]
    assigned = [_ASSIGNED.match(line) for line in forward_body]
    kept = list(dict.fromkeys(loop_names + [m.group(1) for m in assigned if m]))
    w.emit(_KEEP)  # which of them: the names the backward loop reads (below)
    lists = [names.fresh(f"{w.expr(first[j])}_per_sample") for j in samples.outputs]
    w.lines[lists_at:lists_at] = [f"    {name} = []" for name in lists]
    for j, name in zip(samples.outputs, lists, strict=True):
        w.emit(f"{name}.append({w.expr(first[j])})")
    checks_start = len(w.lines)
    _emit_loop_checks(w, checked_before)
    forward_checks = w.lines[checks_start:]
    w.indent = "    "
    at.combine = len(w.lines)
    output_names: set[str] = set()
    for j, name in zip(samples.outputs, lists, strict=True):
        for s in range(1, count):  # sample s's output: v7_s3 (sample 0's is the loop's v7)
            names.of[samples.blocks[s][j]] = names.fresh(f"{names.of[first[j]]}_s{s}")
        output_names.update(names.of[samples.blocks[s][j]] for s in range(count))
        _unpack(w, [names.of[samples.blocks[s][j]] for s in range(count)], name)
    w.emit("# forward: what combines the samples")
    for node in trace.forward:
        if samples.sample_of.get(node) == MIXED:
            w.forward(node)

    # -- backward ------------------------------------------------------------------------------
    at.backward_heading = len(w.lines)
    w.emit("# backward: the sweep, node by node in reverse topological order")
    w.pending[trace.root] = ["1.0"]
    for node in trace.sweep[: samples.start]:
        if node.op is not None:
            w.rule(node)
    for node in samples.hoisted:
        w.rule(node)
    gradient_lists = []
    for j, name in zip(samples.outputs, lists, strict=True):
        if j not in samples.fed:
            continue
        each = [w.flush(samples.blocks[s][j]) for s in range(count)]
        gradient_lists.append(names.fresh(f"g_{name}"))
        w.emit_joined(f"{gradient_lists[-1]} = [", each, ", ", "]")
    # What every sample adds to: its gradient grows inside the loop.
    receivers: dict[Value, None] = {}
    for node in first:
        for parent in node.parents:
            if parent not in per_sample:
                receivers[parent] = None
    starts = [receiver for receiver in receivers if receiver not in w.pending]
    if starts:
        w.emit(_FROM_MINUS_ZERO)
    for receiver in receivers:
        if receiver in w.pending:  # (in a variable of its own: two may not grow in one)
            w.flush(receiver, own=True)
        else:
            name = names.of.get(receiver) or names.fresh("const")
            w.gname[receiver] = f"g_{name}"
            w.emit(f"g_{name} = -0.0")
        w.written.add(w.gname[receiver])
        w.running.add(receiver)
    steps = "range(" + (f"{count}" if samples.order[0] == 0 else f"{count - 1}, -1, -1") + ")"
    at.backward_loop = len(w.lines)
    w.emit(f"for k in {steps}:  # the samples in the order the sweep meets them")
    w.indent = "        "
    checked_before = set(w.finite)
    w.emit(_KEPT)
    body_start = at.backward_body = len(w.lines)
    for j, name in zip(samples.fed, gradient_lists, strict=True):
        g = f"g_{names.of[first[j]]}"
        w.emit(f"{g} = {name}[k]")
        w.gname[first[j]] = g
        w.written.add(g)
    skipped_whole = _skip_sample_when_off(w, [first[j] for j in samples.fed])
    growing = _skip_when_off(w, [n for n in first if n not in skipped_whole], per_sample)
    for j in samples.sweep_positions:
        w.rule(first[j])
    for leaf in [leaf for leaf in w.pending if leaf in per_sample]:
        w.flush(leaf)
    for node in growing:  # a leaf's gradient grown in the loop: nobody reads it, but the
        if node.op is None:  # engine checks it
            w.check(w.gname[node])
        w.running.discard(node)
    if any(node in w.pending for node in per_sample):
        return None  # (cannot happen: every node of a block has had its turn)
    _emit_loop_checks(w, checked_before)
    w.indent = "    "
    read = {name for line in w.lines[body_start:] for name in _NAME.findall(line)}
    kept = [name for name in kept if name in read]
    rows = (_rows(zipped), loop_names)
    if _can_fuse(
        w.lines, at, output_names, {w.expr(first[j]) for j in samples.outputs}
    ):  # one loop: each sample's forward, then backward
        handed = [(name, w.expr(first[j])) for j, name in zip(samples.outputs, lists, strict=True)]
        w.lines = _fuse(w.lines, at, count, steps, rows, forward_body, handed, forward_checks)
    elif kept:
        tail = ",))" if len(kept) == 1 else "))"  # (a,) is a tuple, (a) is not
        _replace(w, _KEEP, lambda: w.emit_joined("saved.append((", kept, ", ", tail))
        _replace(w, _KEPT, lambda: _unpack(w, kept, "saved[k]"))
    else:  # the backward loop reads no number of a sample: nothing to keep
        for line in ("    saved = []", f"        {_KEEP}", f"        {_KEPT}"):
            w.lines.remove(line)
        heading = w.lines.index(f"    {_SAMPLES.format(count)}{_KEPT_TOO}")
        w.lines[heading] = f"    {_SAMPLES.format(count)}"
    w.running.clear()
    for receiver in receivers:  # a constant's gradient: nobody reads it, the engine checks it
        if receiver.op is None and receiver not in w.live_set:
            w.check(w.gname[receiver])
    rest_at = len(w.lines)
    for node in [*samples.deferred, *trace.sweep[samples.stop :]]:
        if node.op is not None:
            w.rule(node)
    grads = w.leaf_gradients()
    if rest_at < len(w.lines) and at.fused:  # (below the forward of what combines samples)
        w.lines.insert(rest_at, "    # backward: the rest of the sweep")
    w.check("loop_total")
    _name_the_loops_first(w)
    return _finish(w, trace, grads, samples, w.named())


@dataclass
class _Sections:
    """Where the parts of the rolled code begin in its lines (so `_fuse` can rearrange them)."""

    samples_heading: int  # the forward loop's comment
    combine: int = 0  # the samples' outputs unpacked, then the nodes that combine them
    backward_heading: int = 0  # then the sweep down to the samples
    backward_loop: int = 0  # the backward loop's ``for``
    backward_body: int = 0  # its body, after the numbers it reads back
    fused: bool = False


def _rows(zipped: list[str]) -> list[str]:
    """``rows = ...``: the samples' numbers, one row per sample (its lines)."""
    if len(zipped) == 1:
        return [f"    rows = {zipped[0]}"]
    return _joined("    rows = list(zip(", zipped, ", ", "))")


def _can_fuse(
    lines: list[str], at: _Sections, output_names: set[str], loop_names: set[str]
) -> bool:
    """Whether each sample's backward can follow its forward in one loop: when neither the
    sweep down to the samples nor the backward loop reads a number of what combines the
    samples (a mean or a sum of the losses sends each sample the same constant gradient; a
    product of them would send each the others' numbers, known only after every forward)."""
    combined = set(output_names)
    for line in lines[at.combine : at.backward_heading]:
        match = _ASSIGNED_OUTSIDE.match(line)
        if match:
            combined.add(match.group(1))
    in_loop = combined - set(loop_names)  # (in the loop, the loop's names are its sample's)

    def reads(lines: list[str], names: set[str]) -> bool:
        return any(names.intersection(_NAME.findall(line.split("#")[0])) for line in lines)

    before = lines[at.backward_heading + 1 : at.backward_loop]
    return not reads(before, combined) and not reads(lines[at.backward_body :], in_loop)


def _fuse(
    lines: list[str],
    at: _Sections,
    count: int,
    steps: str,
    rows: tuple[list[str], list[str]],
    forward_body: list[str],
    per_sample: list[tuple[str, str]],
    forward_checks: list[str],
) -> list[str]:
    """The two loops made one: sample k's forward, then at once its backward, so nothing is
    kept between them. The sweep down to the samples moves above the loop (it reads no
    sample's number: `_can_fuse`), what combines the samples below it."""
    at.fused = True
    rows_lines, loop_names = rows
    fused = lines[: at.samples_heading]
    fused.append(
        "    # backward, begun: the sweep down to the samples (it reads no number of theirs)"
    )
    fused += lines[at.backward_heading + 1 : at.backward_loop]
    fused.append(
        f"    # the {count} samples in the order the sweep meets them: forward, then backward"
    )
    fused.append("    loop_total = 0.0  # every number of the loop, summed: finite, or one is not")
    fused += [f"    {name} = [0.0] * {count}" for name, _ in per_sample]
    fused += rows_lines
    fused.append(f"    for k in {steps}:")
    fused += (
        _joined("        ", loop_names, ", ", " = rows[k]")
        if len(loop_names) > 1
        else [f"        {loop_names[0]} = rows[k]"]
    )
    fused += forward_body
    fused += [
        line for name, value in per_sample for line in _fitted(f"        {name}[k] = {value}")
    ]
    fused += forward_checks
    fused += lines[at.backward_body :]
    fused += lines[at.combine : at.backward_heading]
    return fused


def _name_the_loops_first(w: _Writer) -> None:
    """Name the numbers only the loops use before anything else: CPython reaches the first
    256 local names of a function with one instruction, the others with two (an EXTENDED_ARG
    before each), and a loop runs each of its lines once per sample. (The live leaves come
    next, in the rest of the first 256.)"""
    inside: list[str] = []
    outside: list[str] = []
    in_loop = False
    for line in w.lines:
        if line.startswith("    for "):
            in_loop = True
        elif not line.startswith("        "):
            in_loop = False
        (inside if in_loop else outside).append(line.split("#")[0])
    # A name a loop sets (``v = ...``) is a local; so is one only the loops use that is not
    # a keyword, a builtin or a function of the namespace (``k``, ``X_i_0``, ``g_v3``...).
    set_in_loops = {match.group(1) for line in inside if (match := _SETS.match(line))}
    seen_outside = {name for line in outside for name in _NOT_AN_ATTRIBUTE.findall(line)}
    seen_outside.update(("inputs", "live"))  # the function's arguments
    own = {
        name: None
        for line in inside
        for name in _NOT_AN_ATTRIBUTE.findall(line)
        if name in set_in_loops
        or (
            name not in seen_outside
            and name not in w.namespace
            and not iskeyword(name)
            and not hasattr(builtins, name)
        )
    }
    chosen = list(own)[:_FIRST_NAMES]
    if not chosen:
        return
    why = "CPython reaches a function's first 256 names in one step, not two"
    declared = [f"    # the loop's names first: {why}"]
    names: list[str] = []  # a = b = ... = None, as many to a line as fit
    for name in [*chosen, ""]:
        if names and (not name or len(" = ".join([*names, name, "None"])) + 4 > MAX_LINE):
            declared.append("    " + " = ".join([*names, "None"]))
            names = []
        names.append(name)
    w.lines[0:0] = declared


def _skip_sample_when_off(w: _Writer, fed: list[Value]) -> set[Value]:
    """A sample whose one way in for the gradient is off (the hinge's relu of a point outside
    the margin) sends nothing back: the loop goes on to the next sample, as the engine's
    sweep skips everything that only an off node reaches. Its gradient is still checked.
    Returns the node so tested (nothing, when the sample has no such one way in)."""
    if len(fed) != 1 or fed[0].op is None or not fed[0].op.off_at_zero:
        return set()
    out, g = w.expr(fed[0]), w.gname[fed[0]]
    w.emit(f"if {out} == 0.0:  # off: nothing of this sample's goes back")
    w.emit(f"    loop_total = loop_total + {g}")
    w.emit("    continue")
    return {fed[0]}


def _skip_when_off(w: _Writer, block: list[Value], per_sample: set[Value]) -> list[Value]:
    """Let the rules that send only zeros back at some numbers (a relu neuron that is off:
    ``runs_when`` of its op's writer; an op marked ``off_at_zero``, such as relu, whose
    result is 0) run only when they send more; return the nodes of the
    sample whose gradients then grow one contribution at a time, from -0.0, set up here.

    A gradient written as one sum cannot leave out a term that exists only at some numbers;
    grown term by term in the sweep's order it adds the same numbers in the same order. The
    saving: at micrograd's starting weights about half of the demo's relu neurons are off.
    What is skipped is zeros, whose signs might differ from the engine's sum of them: no
    built-in rule can tell, but a user's rule might (``copysign(1.0, g)``), so a graph with
    a user's op skips nothing.
    """
    if any(is_user_op(node.op) for node in w.trace.forward if node.op is not None):
        return []
    for node in block:
        writer = getattr(node.op, "writer", None)
        runs_when = getattr(writer, "runs_when", None)
        condition = runs_when(w.expr(node)) if runs_when is not None else None
        if condition is None and node.op is not None and node.op.off_at_zero:  # (a relu)
            condition = f"{w.expr(node)} != 0.0"
        if condition is not None:
            w.runs_when[node] = condition
    growing = list(dict.fromkeys(p for n in w.runs_when for p in n.parents if p in per_sample))
    targets = []
    for node in growing:
        w.running.add(node)
        if node in w.gname:  # an output whose gradient the loop began with (fed)
            continue
        name = w.names.of.get(node) or w.names.fresh("const")
        w.gname[node] = f"g_{name}"
        w.written.add(f"g_{name}")
        targets.append(f"g_{name}")
    if targets:
        w.emit(_FROM_MINUS_ZERO)
    line: list[str] = []  # g_a = g_b = ... = -0.0, as many to a line as fit
    for target in [*targets, ""]:
        if line and (not target or len(" = ".join([*line, target, "-0.0"])) + 8 > MAX_LINE):
            w.emit(" = ".join([*line, "-0.0"]))
            line = []
        line.append(target)
    return growing


def _replace(w: _Writer, marker: str, write: Any) -> None:
    """The line ``marker`` replaced by what ``write()`` emits (at the marker's indent)."""
    at = next(i for i, line in enumerate(w.lines) if line.strip() == marker)
    indent, end = w.indent, len(w.lines)
    w.indent = w.lines[at][: len(w.lines[at]) - len(w.lines[at].lstrip())]
    write()
    w.indent = indent
    written = w.lines[end:]
    del w.lines[end:]
    w.lines[at : at + 1] = written


def _unpack(w: _Writer, targets: list[str], source: str) -> None:
    """``a, b, c = source`` (``(a,) = source`` for one name), broken over lines."""
    if len(targets) == 1:
        w.emit(f"({targets[0]},) = {source}")
        return
    lines = _joined(w.indent, targets, ", ", f" = {source}")
    if len(lines[-1]) > MAX_LINE:  # (long names) the source on a line of its own
        lines = [*_joined(w.indent, targets, ", ", " = ("), f"{w.indent}    {source})"]
    w.lines += lines


def _emit_loop_checks(w: _Writer, before: set[str]) -> None:
    """The names the loop's body added to the finite check: summed into ``loop_total``."""
    new = [name for name in w.finite if name not in before]
    for name in new:
        del w.finite[name]
    for i in range(0, len(new), CHUNK):
        w.emit_joined("loop_total = loop_total + (", new[i : i + CHUNK], " + ", ")")


def _finish(
    w: _Writer, trace: Trace, grads: list[str], samples: Samples, named: dict[Value, str]
) -> Generated:
    """The checks, the results and the function around the lines."""
    w.finish(grads)
    header = [
        "def forward_backward(inputs, live):",
        f'    """{_summary(trace)}',
        f'    The {samples.count} samples are written once, as a loop."""',
    ]
    source = "\n".join(header + w.lines) + "\n"
    names = dict(named)
    for block in samples.blocks[1:]:  # another sample's node: the loop's line for it
        for node, same in zip(block, samples.blocks[0], strict=True):
            names.setdefault(node, named[same])
    return Generated(source, w.namespace, names, list(trace.live))
