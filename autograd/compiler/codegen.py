"""Writing a traced graph out as one Python function: the forward pass, then the backward.

The function takes the call's input numbers and the live leaves' numbers and returns the
output, the extra results and the gradient of each live leaf. It is straight-line code:

* **forward**: one assignment per node, parents first, each the op's expression
  (``templates.py``) or a call of the op's own forward (in a large graph, a chain of ``+`` and
  its terms are one sum: `_foldable`);
* **guards**: each comparison the traced function made, checked as soon as its numbers are
  known, among the forward lines (``raise Retrace`` when it comes out differently, and the
  caller traces again);
* **backward**: the engine's sweep (``backward.py``) unrolled: the nodes in the same order,
  each contribution added into its parent's gradient in the same order, so every sum is
  formed exactly as the engine forms it;
* a check that every number is finite (a sum of them all: one inf or nan anywhere makes it
  not finite), so that what the engine would report is never passed over silently.
"""

from __future__ import annotations

import keyword
import math
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from autograd import ops
from autograd.compiler.templates import TEMPLATES, literal, usable
from autograd.compiler.trace import Guard, Trace
from autograd.ops import Op
from autograd.rule_results import is_user_op
from autograd.value import Value

__all__ = ["Generated", "Retrace", "generate"]

MAX_LINE = 100
COMMENTED_NODES = 400  # graphs up to this size get each rule's formula above its lines
CHUNK = 64  # terms per statement of a long sum (CPython's compiler recurses per term)


class Retrace(Exception):  # a signal to the caller, not an error
    """A guard failed: the function would take another branch at this input."""


class NotFinite(Exception):
    """Some number of the compiled code is inf or nan: the engine must say what happened."""


class Replay(Exception):
    """A case the compiled code leaves to the engine: the call is replayed there."""


@dataclass
class Generated:
    """The source of the compiled function, the names it needs, and what its results mean."""

    source: str
    namespace: dict[str, Any]
    names: dict[Value, str]  # every node's variable (a constant has none)
    live: list[Value]  # the leaves whose numbers the function takes, in order


# The generated code makes names from a node's name or an op's with these prefixes (``g_w``
# is w's gradient, ``z_v3`` the sum inside neuron v3, ``forward_gelu`` gelu's forward, ...).
# A label never gets one (it takes ``v_`` before it), so those names are never a node's.
_DERIVED = ("g_", "z_", "local_", "c_", "forward_", "rule_", "op_")
_WORD = re.compile(r"\w")  # (a letter, a digit or _: what may be part of a name)


def python_name(text: str) -> str:
    """``text`` made a Python identifier: ``layers.1.neurons.3.b`` -> ``layers_1_neurons_3_b``.

    Normalised as Python normalises identifiers (NFKC: ``x²`` is ``x2``), so that two
    different names here are two different variables there. Only word characters (``\\w``)
    are kept: Python also takes ``·`` or a combining accent in a name, but the regular
    expressions that read the generated lines (``rolled.py``) would see two names there.
    """
    text = unicodedata.normalize("NFKC", text)
    name = "".join(c if _WORD.fullmatch(c) and ("_" + c).isidentifier() else "_" for c in text)
    name = re.sub("_+", "_", name).strip("_") or "v"
    if not name[0].isidentifier() or keyword.iskeyword(name) or name.startswith(_DERIVED):
        name = f"v_{name}"
    return name


# Names of the generated module that a node's name must not take.
_RESERVED = {"inputs", "live", "fsum", "isfinite", "exp", "log", "sqrt", "tanh", "sin", "cos"}
_RESERVED |= {"sigmoid", "abs", "Retrace", "NotFinite", "Replay", "forward_backward", "check"}
_RESERVED |= {"total", "outputs", "gradients"}


class _Names:
    """Unique variable names, from labels where nodes have them."""

    def __init__(self) -> None:
        self.taken: set[str] = set(_RESERVED)
        self.of: dict[Value, str] = {}
        self.count = 0

    def add(self, node: Value, label: str) -> str:
        """A name for ``node``'s variable (``expr`` uses it from then on)."""
        if label:
            name = self.fresh(python_name(label))
        else:
            self.count += 1
            name = self.fresh(f"v{self.count}")
        self.of[node] = name
        return name

    def fresh(self, base: str) -> str:
        """``base``, or ``base_2``, ``base_3``, ...: a name not taken yet."""
        name, k = base, 1
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return name


def _label(node: Value) -> str:
    owner = getattr(node, "owner", "")  # nn's Parameter knows the module that owns it
    label = node.label
    return f"{owner}.{label}" if owner and label else label


def _joined(head: str, parts: Sequence[str], separator: str, tail: str = "") -> list[str]:
    """``head + separator.join(parts) + tail`` as lines of at most MAX_LINE characters.

    A long one is broken between parts, inside the bracket ``head`` ends with (or inside
    parentheses added for it): an operator starts a continued line, a comma ends one.
    """
    one = f"{head}{separator.join(parts)}{tail}"
    if len(one) <= MAX_LINE:
        return [one]
    opened = head.endswith(("(", "["))
    if not opened:
        head, tail = f"{head}(", f"){tail}"
    comma = separator.strip() == ","
    pieces = [
        (f"{part}," if comma and i < len(parts) - 1 else part)
        if comma or i == 0
        else f"{separator.strip()} {part}"
        for i, part in enumerate(parts)
    ]
    indent = " " * (len(head) - len(head.lstrip()) + 4)
    lines, line = [], head
    for i, piece in enumerate(pieces):
        room = MAX_LINE - (len(tail) if i == len(pieces) - 1 else 0)  # the last line ends it
        if line.strip() and len(line) + len(piece) + 1 > room and line != head:
            lines.append(line.rstrip())
            line = indent
        line += piece if line in (head, indent) else f" {piece}"
    lines.append(line + tail)
    return lines


def _terms(expression: str) -> list[str]:
    """The terms of ``expression`` at its ``+`` signs outside brackets: ``w * (-0.5) + b``
    is two terms, ``g * (1.0 + x)`` one."""
    terms, depth, start = [], 0, 0
    for i, c in enumerate(expression):
        depth += (c in "([") - (c in ")]")
        if depth == 0 and expression.startswith(" + ", i):
            terms.append(expression[start:i])
            start = i + 3
    return [*terms, expression[start:]]


_STATEMENT = re.compile(r"( *)(\w+(?:\[k\])? \+?= |if )(.+?)(:?)$")  # an assignment, an if's test


def _fitted(line: str) -> list[str]:
    """``line``, or, if it is longer than MAX_LINE (long labels make long names), the same
    statement broken between its words inside brackets (``v = (a if a > 0.0`` and, on the
    next line, ``else 0.0)``), with a comment at its end moved above it. Generated code has
    no strings, so a space is always between two tokens, where a bracketed line may break."""
    if len(line) <= MAX_LINE or line.lstrip().startswith("#"):
        return [line]
    code, mark, comment = line.partition("  # ")
    above = [f"{code[: len(code) - len(code.lstrip())]}# {comment}"] if mark else []
    statement = _STATEMENT.match(code)
    if statement is None or len(code) <= MAX_LINE or " = " in statement.group(3):
        return [*above, code]  # (short enough once the comment is above, or a = b = c)
    indent, head, expression, colon = statement.groups()
    if _bracketed(expression):  # (a + b) already: its own brackets will do
        expression = expression[1:-1]
    lines, current, start = [], f"{indent}{head}(", f"{indent}    "
    words = expression.split(" ")
    for i, word in enumerate(words):
        end = f"){colon}" if i == len(words) - 1 else ""
        joined = current + ("" if current.endswith("(") else " ") + word
        if len(joined + end) > MAX_LINE and current != start:
            lines.append(current)
            joined = start + word
        current = joined
    return [*above, *lines, current + f"){colon}"]


def _bracketed(expression: str) -> bool:
    """Whether ``expression`` is one bracketed whole, ``(...)``: its first ``(`` closes last."""
    depth = 0
    for i, c in enumerate(expression):
        depth += (c == "(") - (c == ")")
        if depth == 0:
            return i == len(expression) - 1 and c == ")"
    return False


class _Writer:
    def __init__(self, trace: Trace, check: Callable[..., Any] | None) -> None:
        self.trace = trace
        self.names = _Names()
        self.namespace: dict[str, Any] = {
            "fsum": math.fsum,
            "isfinite": math.isfinite,
            "exp": math.exp,
            "log": math.log,
            "sqrt": math.sqrt,
            "tanh": math.tanh,
            "sin": math.sin,
            "cos": math.cos,
            "sigmoid": ops.OPS["sigmoid"].forward,
            "Retrace": Retrace,
            "NotFinite": NotFinite,
            "Replay": Replay,
            "check": check,
        }
        self.lines: list[str] = []
        self.indent = "    "  # deeper inside a loop (``rolled.py``)
        self.finite: dict[str, None] = {}  # the names whose numbers must all be finite
        self.pending: dict[Value, list[str]] = {}  # contributions not yet summed
        self.gname: dict[Value, str] = {}  # each node's gradient, once written
        self.running: set[Value] = set()  # gradients added to one contribution at a time
        self.runs_when: dict[Value, str] = {}  # rules that send only zeros unless this holds
        self.written: set[str] = set()
        self.live_set = set(trace.live)
        self.reaches_live: set[Value] = set(trace.live)
        for node in trace.forward:
            if any(p in self.reaches_live for p in node.parents):
                self.reaches_live.add(node)
        self.comments = len(trace.forward) <= COMMENTED_NODES
        # Whether the engine may skip nodes here (a relu that is off, and what only it reaches)
        self.skips = any(n.op is not None and n.op.off_at_zero for n in trace.forward)
        # The nodes written inside their one user's sum (`_foldable`: each with that user), and
        # the text each one is written as there
        self.foldable: dict[Value, Value] = {} if self.comments else _foldable(trace)
        self.folded: dict[Value, str] = {}

    def expr(self, node: Value) -> str:
        """The expression for ``node``'s number: its variable, or a constant's literal (or the
        sum it is written in, if it is one: see `_foldable`)."""
        name = self.names.of.get(node)
        if name is not None:
            return name
        if node in self.folded:
            return f"({self.folded[node]})"
        return literal(node.data)

    def named(self) -> dict[Value, str]:
        """Each node's variable; for a node written inside its user's sum, that user's."""
        named = dict(self.names.of)
        for node in self.folded:
            user = node
            while user not in named:
                user = self.foldable[user]
            named[node] = named[user]
        return named

    def op_function(self, op: Op, what: str) -> str:
        """A name in the namespace for the op's forward or rule (``what``)."""
        return self.bind(what, op, op.forward if what == "forward" else op.derivative)

    def bind(self, what: str, op: Op, thing: Any) -> str:
        """``thing`` (of ``op``) in the namespace as ``what_<op's name>``, or ``..._2`` when
        another op's took that name (``my_op`` and ``my__op`` make the same name)."""
        base = name = f"{what}_{python_name(op.name)}"
        k = 1
        while self.namespace.get(name, thing) is not thing:
            k += 1
            name = f"{base}_{k}"
        self.namespace[name] = thing
        return name

    def emit(self, line: str) -> None:
        self.lines += _fitted(f"{self.indent}{line}")

    def emit_comment(self, text: str) -> None:
        """``# text``, wrapped at MAX_LINE characters (continued lines indented)."""
        words, line = text.split(" "), "    #"
        for word in words:
            if len(line) + 1 + len(word) > MAX_LINE and line.strip() != "#":
                self.lines.append(line)
                line = "    #  "
            line += f" {word}"
        self.lines.append(line)

    def emit_long(self, statement: str) -> None:
        """``target = a + b + ...``, broken at its ``+`` signs if it is too long; a comment
        after it (``local = g  # on: ...``) on a line of its own then, above it."""
        code, _, comment = statement.partition("  # ")
        if comment and len(self.indent + statement) > MAX_LINE:  # (not inside the brackets)
            self.emit(f"# {comment}")
            statement = code
        target, _, expression = statement.partition(" = ")
        # (never cut a conditional expression: it binds more loosely than its + signs)
        parts = [expression] if " if " in expression else _terms(expression)
        if len(parts) > CHUNK:  # too deep for CPython's compiler in one expression
            for i in range(0, len(parts), CHUNK):
                self.emit_joined(
                    f"{target} = ", ([target] if i else []) + parts[i : i + CHUNK], " + "
                )
        else:
            self.emit_joined(f"{target} = ", parts, " + ")

    def emit_joined(self, head: str, parts: Sequence[str], separator: str, tail: str = "") -> None:
        """`_joined` in the function's body (one part too long for a line: `_fitted`)."""
        lines = _joined(f"{self.indent}{head}", parts, separator, tail)
        self.lines += _fitted(lines[0]) if len(lines) == 1 else lines

    # -- forward -------------------------------------------------------------------------

    def forward(self, node: Value) -> None:
        op = node.op
        assert op is not None
        if node in self.foldable:  # written inside its user's sum, below
            inside = [self.folded.get(p) or self.expr(p) for p in node.parents]
            self.folded[node] = TEMPLATES[op.name].forward(inside, node.const)
            return
        name = self.names.add(node, _label(node))
        operands = [self.expr(p) for p in node.parents]
        writer = getattr(op, "writer", None)  # an op that says how it is written (define_op)
        if writer is not None:
            self.namespace.update(writer.namespace())
            statements, checked = writer.forward(name, operands)
            for statement in statements:
                self.emit_long(statement)
            for checked_name in checked:
                self.check(checked_name)
            return
        if op.name == "sum":  # fsum((a, b, ...,)), broken over lines like a call
            self.emit_joined(f"{name} = fsum((", operands, ", ", ",))")
        elif any(p in self.folded for p in node.parents):  # a sum (see _foldable)
            inside = [self.folded.get(p) or self.expr(p) for p in node.parents]
            self.emit_long(f"{name} = {TEMPLATES[op.name].forward(inside, node.const)}")
        elif usable(op.name, node.const):
            self.emit(f"{name} = {TEMPLATES[op.name].forward(operands, node.const)}")
        else:
            args = [*operands, *([literal(node.const)] if node.const is not None else [])]
            self.emit_joined(f"{name} = {self.op_function(op, 'forward')}(", args, ", ", ")")
        if not _passes_on_inf(op, node.const):
            for operand in operands:
                self.check(operand)

    # -- guards ----------------------------------------------------------------------------

    def forward_and_guards(self) -> None:
        """The forward pass, each guard checked as soon as the numbers it compares are known.

        That is before any node of the branch the function took (``trace`` puts the nodes a
        guard compares first), which might raise at an input where it takes the other one:
        then the function is traced again instead of replayed on the engine.
        """
        position = {node: i for i, node in enumerate(self.trace.forward)}
        ready: dict[int, list[Guard]] = {}
        for guard in self.trace.guards:
            compared = [x for x in (guard.value, guard.other) if isinstance(x, Value)]
            ready.setdefault(max(position.get(x, -1) for x in compared), []).append(guard)
        self.guards(ready.get(-1, []))
        for i, node in enumerate(self.trace.forward):
            self.forward(node)
            self.guards(ready.get(i, []))

    def guards(self, guards: list[Guard]) -> None:
        for guard in guards:
            left = self.expr(guard.value)
            right = (
                self.expr(guard.other) if isinstance(guard.other, Value) else literal(guard.other)
            )
            test = f"{left} {guard.symbol} {right}"
            condition = f"not ({test})" if guard.result else f"{test}"
            comment = f"# traced with {test} {guard.result}: "
            self.emit(comment + _short(guard.where, MAX_LINE - 4 - len(comment)))
            self.emit(f"if {condition}:")
            self.emit("    raise Retrace")

    # -- backward --------------------------------------------------------------------------

    def backward(self) -> list[str]:
        """The sweep written out; returns the gradient expressions of the live leaves.

        A node's gradient is the sum of the contributions its users send it, in the order
        the sweep sends them. They are collected as the users are written, and the sum is
        written in one statement (``g_x = c1 + c2 + ...``, which Python adds left to right,
        as the sweep does) just before the node's own rule, when it is complete. Leaves get
        theirs at the end. The gradients of the arguments and constants, which nobody reads,
        are written too: the engine raises when one of them is not finite, and so must this.
        """
        trace = self.trace
        self.pending[trace.root] = ["1.0"]
        for node in trace.sweep:
            if node.op is not None:
                self.rule(node)
        return self.leaf_gradients()

    def rule(self, node: Value) -> None:
        """One step of the sweep: ``node``'s gradient (complete by now), then its rule's
        contributions, each pending in its parent until that parent's turn."""
        op = node.op
        assert op is not None
        g = self.flush(node)
        # A gradient that reaches no live leaf is checked here. One that does shows in
        # theirs (built-in rules multiply g into every contribution), unless a user's rule
        # leaves g out: so a user op's g is checked too.
        condition = self.runs_when.get(node)  # (a relu neuron: its slope is 0 when off)
        if node not in self.reaches_live or is_user_op(op) or condition is not None:
            self.check(g)  # (a skipped rule would hide an inf in g)
        out = self.expr(node)
        operands = [self.expr(p) for p in node.parents]
        if self.comments:
            self.emit_comment(_formula(op))
        if condition is not None:  # its parents' gradients are running: see rolled.py
            self.emit(f"if {condition}:")
            self.indent += "    "
        writer = getattr(op, "writer", None)
        if writer is not None:
            # (a writer with runs_when may write its rule shorter where that condition holds)
            on = {"on": True} if condition is not None and hasattr(writer, "runs_when") else {}
            statements, contributions = writer.derivative(g, out, operands, **on)
            for statement in statements:
                self.emit_long(statement)
        elif usable(op.name, node.const):
            contributions = list(TEMPLATES[op.name].derivative(g, out, operands, node.const))
        else:
            contributions = self.rule_call(node, g, out, operands)
        if self.skips and is_user_op(op) and g.isidentifier():
            # The engine skips a node that nothing reached (what reached it was off); here its
            # rule runs at g = 0. The same, unless a user's rule sends more than zeros then.
            # (Nor does the engine run the rule of the user's own off_at_zero op at 0.)
            parts = [f"({c})" for c in contributions]
            zero = f"({g} == 0.0 or {out} == 0.0)" if op.off_at_zero else f"{g} == 0.0"
            self.emit_joined(f"if {zero} and (", parts, " or ", "):")
            self.emit("    raise Replay  # (the engine may have skipped it)")
        for parent, contribution in zip(node.parents, contributions, strict=True):
            if parent in self.running:  # a gradient that grows inside a loop (rolled.py)
                self.emit(f"{self.gname[parent]} += {contribution}")
            else:
                self.pending.setdefault(parent, []).append(contribution)
        if condition is not None:
            self.indent = self.indent[:-4]
        if self.comments:  # a small graph: each leaf's gradient grows under its rule
            for parent in dict.fromkeys(node.parents):
                if parent.op is None and parent in self.pending:
                    self.flush(parent)

    def leaf_gradients(self) -> list[str]:
        """The leaves' gradients still pending, written; the live leaves' gradient names."""
        for leaf in [leaf for leaf in self.pending if leaf.op is None]:
            self.flush(leaf)
        return [self.gname.get(leaf, "0.0") for leaf in self.trace.live]

    def flush(self, node: Value, own: bool = False) -> str:
        """Write ``node``'s gradient, the sum of its pending contributions; its name.

        ``own``: in a variable of its own, even when it is another node's gradient unchanged
        (a loop is going to add to it, see ``rolled.py``)."""
        begun = node in self.gname  # a leaf of a small graph, or grown in a loop
        terms = self.pending.pop(node, []) if begun else self.pending.pop(node)
        if not terms:  # (begun, and nothing more since)
            return self.gname[node]
        # In a large graph, a gradient that is another node's, unchanged (both operands of a
        # `+`), takes that node's name instead of a line of its own (unless it has begun: it
        # grew in a loop, and the term adds to that).
        if not (self.comments or begun or own) and len(terms) == 1 and terms[0] in self.written:
            g = terms[0]
        else:
            if begun:
                g = self.gname[node]
            else:
                name = self.names.of.get(node)
                if name is None:  # a constant leaf (its number is a literal): its gradient
                    name = self.names.fresh("const")  # is computed (and checked) all the same
                g = f"g_{name}"
            for i in range(0, len(terms), CHUNK):  # ((g + c1) + c2) + ..., not g + (c1 + c2)
                head = [g] if i or begun else []
                self.emit_joined(f"{g} = ", head + terms[i : i + CHUNK], " + ")
            self.written.add(g)
        self.gname[node] = g
        if node.op is None and node not in self.live_set:  # an argument's or a constant's:
            self.check(g)  # nobody reads it, but the engine checks it
        return g

    def finish(self, grads: list[str]) -> None:
        """The end of the function: the check that every number is finite, then the results
        and the live leaves' gradients ``grads``."""
        trace = self.trace
        self.emit("# every number above is finite, or the engine must say what went wrong")
        for value in [trace.root, *trace.extra_values()]:
            self.check(self.expr(value))
        checked = list(self.finite)
        # A sum of thousands of terms in one expression is too deep for CPython's compiler.
        chunks = [checked[i : i + CHUNK] for i in range(0, len(checked), CHUNK)] or [["0.0"]]
        if len(chunks) == 1:
            self.emit_joined("if not isfinite(", chunks[0], " + ", "):")
        else:
            for i, chunk in enumerate(chunks):
                self.emit_joined("total = " if i == 0 else "total += ", chunk, " + ")
            self.emit("if not isfinite(total):")
        self.emit("    raise NotFinite")
        results = [self.expr(trace.root)] + [self.expr(v) for v in trace.extra_values()]
        self.emit_joined("outputs = [", results, ", ", "]")
        self.emit_joined("gradients = [", grads, ", ", "]")
        self.emit("return outputs, gradients")

    def check(self, name: str) -> None:
        """``name``'s number must be finite (checked once, at the end)."""
        if name.isidentifier():
            self.finite[name] = None

    def rule_call(self, node: Value, g: str, out: str, operands: list[str]) -> list[str]:
        """The op's own rule, called; a user op's results go through ``check`` first."""
        op = node.op
        assert op is not None
        rule = self.op_function(op, "rule")
        args = [g, out, *operands, *([literal(node.const)] if node.const is not None else [])]
        target = f"c_{self.names.of[node]}"
        call = f"{rule}("
        if is_user_op(op) and self.namespace["check"] is not None:
            op_name = self.bind("op", op, op)
            call = f"check({op_name}, {len(node.parents)}, {rule}("
            self.emit_joined(f"{target} = {call}", args, ", ", "))")
        else:
            self.emit_joined(f"{target} = {call}", args, ", ", ")")
        return [f"{target}[{i}]" for i in range(len(node.parents))]


# Ops whose result is inf or nan whenever an operand is: for the others (relu(-inf) is 0,
# tanh(inf) is 1, 1 / inf is 0) the operands are checked, since the output would hide them.
_PASSING_ON_INF = {"add", "sub", "mul", "add_const", "sub_const", "rsub_const", "mul_const"}
_PASSING_ON_INF |= {"div_const", "neg", "abs", "log", "sqrt", "sum", "dot"}


_SUMS = ("add", "add_const")
_PRODUCTS = ("mul", "mul_const")


def _foldable(trace: Trace) -> dict[Value, Value]:
    """The nodes to write inside their user's sum, each with that user, instead of on a line
    of their own: an unlabelled ``+`` or ``*`` whose one user is a ``+``, a ``+`` as its first
    operand (a chain, as ``sum()`` builds: ``v9 = a * a + 0.0 + b * b + c * c``), a ``*``
    as either (a term). Python adds such a line left to right, so the operations and their
    order are the engine's; and the numbers in between take no variable each, which a
    function keeps until it returns (the demo's L2 penalty alone made 674 of them; measured
    in benchmarks/DECISIONS.md, 21). No rule of these ops reads a ``+``'s result or a term's,
    and a ``+`` passes an inf or a nan on: the checks lose nothing. Small graphs, written
    with each rule's formula, keep one line per node."""
    uses: dict[Value, int] = {}
    user_of: dict[Value, Value] = {}
    for node in trace.forward:
        for parent in node.parents:
            uses[parent] = uses.get(parent, 0) + 1
            user_of[parent] = node
    named = {trace.root, *trace.extra_values()}
    for guard in trace.guards:
        named.update(x for x in (guard.value, guard.other) if isinstance(x, Value))
    foldable: dict[Value, Value] = {}
    for node in trace.forward:
        user = user_of.get(node)
        if user is None or uses[node] != 1 or node in named or _label(node) or node.op is None:
            continue
        if user.op is None or user.op.name not in _SUMS:
            continue
        if node.op.name in _PRODUCTS or (node.op.name in _SUMS and user.parents[0] is node):
            foldable[node] = user
    return foldable


def _passes_on_inf(op: Op, const: float | None) -> bool:
    if op.name == "pow_const":
        return const is not None and const > 0
    return op.name in _PASSING_ON_INF


def _formula(op: Op) -> str:
    names = list(op.names[: len(op.formula)])
    if op.constant is not None:
        names = names[:1]
    parts = [f"∂out/∂{n} = {f}" for n, f in zip(names, op.formula, strict=False)]
    return f"{op.symbol}: " + ", ".join(parts)


def _short(where: str, room: int) -> str:
    """``file:line: code`` in ``room`` characters: the file without its folders, then the
    code, cut short if need be."""
    path, colon, rest = where.partition(":")
    where = os.path.basename(path) + colon + rest
    return where if len(where) <= room else where[: max(room - 3, 0)] + "..."


def generate(trace: Trace, check: Callable[..., Any] | None = None) -> Generated:
    """The Python source of ``trace``'s forward and backward, and what it needs to run."""
    writer = _Writer(trace, check)
    names = writer.names
    for node in trace.forward:  # what an op's writer calls: no variable may take its name
        op_writer = getattr(node.op, "writer", None)
        if op_writer is not None:
            names.taken.update(op_writer.namespace())
    input_names = [names.add(leaf, name) for leaf, name in trace.inputs]
    live_names = [names.add(leaf, _label(leaf) or "leaf") for leaf in trace.live]
    header = [
        "def forward_backward(inputs, live):",
        f'    """{_summary(trace)}"""',
    ]
    if len(input_names) == 1:
        writer.emit(f"({input_names[0]},) = inputs")
    elif input_names:
        writer.emit_joined("", input_names, ", ", " = inputs")
    if live_names:
        writer.emit("# the live leaves, read at this call")
        if len(live_names) == 1:
            writer.emit(f"({live_names[0]},) = live")
        else:
            writer.emit_joined("", live_names, ", ", " = live")
    writer.emit("# forward")
    writer.forward_and_guards()
    writer.emit("# backward: the sweep, node by node in reverse topological order")
    grads = writer.backward()
    for guard in trace.guards:
        writer.check(writer.expr(guard.value))
        if isinstance(guard.other, Value):
            writer.check(writer.expr(guard.other))
    writer.finish(grads)
    source = "\n".join(header + writer.lines) + "\n"
    return Generated(source, writer.namespace, writer.named(), list(trace.live))


def _summary(trace: Trace) -> str:
    return (
        f"Nodes: {len(trace.forward)}; inputs: {len(trace.inputs)}; live leaves: "
        f"{len(trace.live)}; guards: {len(trace.guards)}."
    )
