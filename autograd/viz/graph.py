"""What drawings and step-throughs read from a graph: its nodes, their names, each op's rule.

* `walk` lists a graph's nodes in topological order, refusing a graph over ``max_nodes``
  while it counts, so a huge graph is refused in the time it takes to count ``max_nodes``.
* `node_names` and `full_name` name each node the same way in pictures and in words.
* `op_symbol`, `rule_of`, `local_derivatives` and `rule_with_numbers` read each op's entry in
  the op table (``autograd.ops``): its symbol, operand names, local-derivative formulas
  (``Op.names``, ``Op.formula``) and the same with the forward pass's numbers.
* `format_number` writes every number the pictures show.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from autograd.order import topological_order
from autograd.rule_results import check_contributions, is_user_op
from autograd.value import Value
from autograd.viz.errors import GraphTooLargeError

__all__ = [
    "check_max_nodes",
    "constant_side",
    "format_number",
    "formula",
    "full_name",
    "general_rules",
    "local_derivatives",
    "node_names",
    "op_name",
    "op_symbol",
    "operand_labels",
    "owner_of",
    "rule_of",
    "rule_with_numbers",
    "shown_label",
    "walk",
]


def format_number(x: float) -> str:
    """A number as drawings show it: 4 decimals, or scientific notation when tiny or huge."""
    if x == 0.0:
        return "0.0000"  # also for -0.0, which is the same number to a learner
    if 1e-3 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.4e}"


def check_max_nodes(max_nodes: object, what: str) -> int:
    """``max_nodes`` itself, after checking that it is a positive int."""
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"{what}: max_nodes must be a positive int, got {max_nodes!r}")
    return max_nodes


def walk(root: Value, max_nodes: int, what: str) -> list[Value]:
    """``root``'s graph in topological order, refused early if it has over ``max_nodes`` boxes.

    A box is one value or one op (a node made by an op is two boxes). The count runs first and
    stops as soon as it passes the limit: refusing a graph of a million nodes costs a walk of
    ``max_nodes`` of them, not of the whole graph.
    """
    boxes = 0
    seen = {root}
    waiting = [root]
    while waiting:
        node = waiting.pop()
        parents = node.parents
        boxes += 2 if parents else 1
        if boxes > max_nodes:
            raise GraphTooLargeError(what, max_nodes)
        for parent in parents:
            if parent not in seen:
                seen.add(parent)
                waiting.append(parent)
    return topological_order(root)


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


def shown_label(label: object) -> str:
    """A label as a drawing shows it: characters that cannot be drawn written as escapes.

    Control characters (``"\\x00"``, the escape that starts ``"\\x1b[31m"``) and lone
    surrogates make graphviz fail or cannot be encoded at all; they are written the way
    Python writes them in a string (``a\\x00b``), so the label still reads as what it is.
    """
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {type(label).__name__}: {label!r}")
    if label.isprintable():
        return label
    return "".join(_shown_char(ch) for ch in label)


def _shown_char(ch: str) -> str:
    if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp"):
        return ch.encode("unicode_escape", errors="backslashreplace").decode("ascii")
    return ch


def owner_of(node: Value) -> str | None:
    """The module name a parameter belongs to (nn's ``Parameter.owner``), else None."""
    owner = getattr(node, "owner", None)
    return owner if isinstance(owner, str) and owner else None


def node_names(nodes: Sequence[Value]) -> list[str]:
    """Each node's name in drawings, for nodes in topological order.

    The label when there is one; else ``out`` for the root (the last node) and ``#i`` (the
    node's position) for the others.
    """
    last = len(nodes) - 1
    return [
        shown_label(node.label) or ("out" if i == last else f"#{i}") for i, node in enumerate(nodes)
    ]


def full_name(node: Value, name: str) -> str:
    """A name no other node of a model shares: a parameter's module, then its label.

    ``w3`` of ``layers.1.neurons.0`` is ``layers.1.neurons.0.w3``; other nodes keep ``name``.
    """
    owner = owner_of(node)
    return f"{owner}.{name}" if owner is not None else name


# --------------------------------------------------------------------------------------------
# Each op's entry in the op table
# --------------------------------------------------------------------------------------------


def op_symbol(node: Value) -> str:
    """The op as drawings show it (``*``, ``tanh``, ``tanh(w·x+b)``); "" for a leaf."""
    return "" if node.op is None else node.op.symbol


def op_name(node: Value) -> str:
    """The op's name in the op table (``mul``, ``tanh``, ``neuron_tanh``); "" for a leaf."""
    return "" if node.op is None else node.op.name


def constant_side(node: Value) -> str | None:
    """``"left"`` or ``"right"``: where a node's plain-number operand stands; None if none."""
    if node.const is None or node.op is None:
        return None
    return node.op.constant or "right"


def local_derivatives(node: Value) -> list[float]:
    """d(node)/d(parent) for each parent in operand order, at the values of the forward pass.

    The op's rule with an upstream gradient of 1 (``Op.local``), on the numbers the node was
    computed from. A user's rule (`define_op`) is read as the sweep reads it: ``None`` is
    0.0, and a result that is not one number per operand raises, naming the op.
    """
    if node.op is None:
        return []
    local = node.op.local(node.data, *node.rule_operands())
    if is_user_op(node.op):
        local = check_contributions(node.op, local, len(node.parents), False)
    return list(local)


def rule_of(node: Value) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The op's operand names and local-derivative formulas from the op table, or None.

    None for a leaf and for an op defined without formulas (its rule exists only as code).
    """
    if node.op is None or not node.op.formula:
        return None
    return tuple(node.op.names), tuple(node.op.formula)


def _layout(names: Sequence[str], formula: Sequence[str], count: int) -> list[tuple[str, int]]:
    """For each Value operand in order: which name it has and its index in that name's group.

    Single names stand for one operand each; ``_i`` names share what is left equally, in the
    order the names are given (a neuron's (w_0..w_n-1, x_0..x_n-1, b)).
    """
    value_names = list(names[: len(formula)])
    groups = [name for name in value_names if name.endswith("_i")]
    singles = len(value_names) - len(groups)
    size = (count - singles) // len(groups) if groups else 0
    layout: list[tuple[str, int]] = []
    for name in value_names:
        layout += [(name, i) for i in range(size)] if name.endswith("_i") else [(name, 0)]
    return layout


def general_rules(node: Value) -> list[str]:
    """The op's rule once per operand name: ``∂out/∂w_i = (1 − out²)·x_i``, ...; [] if none."""
    rule = rule_of(node)
    if rule is None:
        return []
    names, formula = rule
    return [f"∂out/∂{name} = {text}" for name, text in zip(names, formula, strict=False)]


def operand_labels(node: Value) -> list[str]:
    """Each Value operand's name in the op's formula (``a``, ``x``, ``w3``, ``x_1`` ...)."""
    rule = rule_of(node)
    count = len(node.parents)
    if rule is None:
        return [f"operand {k + 1}" for k in range(count)]
    layout = _layout(*rule, count)
    if len(layout) != count:
        return [f"operand {k + 1}" for k in range(count)]
    return [name.replace("_i", str(i)) if name.endswith("_i") else name for name, i in layout]


_TOKEN = re.compile(r"(?<![A-Za-z0-9_])([A-Za-z]\w*?)(?![A-Za-z0-9_])", re.ASCII)


def rule_with_numbers(node: Value) -> list[tuple[str, str]]:
    """For each Value operand: its formula ``∂out/∂x = 1 − out²`` and that with numbers.

    The numbers are the forward pass's: ``1 − 0.7071²``. Without a formula in the op table
    both are "" (the rule exists only as code, as a user's op may have it).
    """
    rule = rule_of(node)
    count = len(node.parents)
    if rule is None:
        return [("", "")] * count
    names, formula = rule
    layout = _layout(names, formula, count)
    if len(layout) != count:
        return [("", "")] * count
    operands = node.rule_operands()
    values: dict[str, list[float]] = {}
    for (name, _), number in zip(layout, operands, strict=False):
        values.setdefault(name, []).append(number)
    for name in names[len(formula) :]:  # plain-number operands come after the Values
        if node.const is not None:
            values[name] = [node.const]
    values["out"] = [node.data]
    if "w_i" in values and "x_i" in values and "b" in values:  # a neuron's pre-activation
        weights, inputs = values["w_i"], values["x_i"]
        values["z"] = [sum(w * x for w, x in zip(weights, inputs, strict=True)) + values["b"][0]]
    rows = []
    for name, i in layout:
        text = formula[names.index(name)]
        shown = name.replace("_i", str(i)) if name.endswith("_i") else name
        # A formula that is itself a derivative symbol (a user's op without one written out,
        # "∂softsign/∂x") has nothing to put numbers into.
        numbers = "" if "∂" in text else _substitute(text, values, i)
        rows.append((f"∂out/∂{shown} = {text}", numbers))
    return rows


def _substitute(text: str, values: dict[str, list[float]], i: int) -> str:
    """``text`` with each operand name replaced by its number (member ``i`` for ``_i``)."""

    def number(match: re.Match[str]) -> str:
        token = match.group(1)
        if token not in values:
            return token
        group = values[token]
        x = group[i] if token.endswith("_i") and i < len(group) else group[0]
        shown = format_number(x)
        return f"({shown})" if x < 0 else shown

    return _TOKEN.sub(number, text)


def formula(node: Value, operands: Sequence[str]) -> str:
    """How ``node`` was computed from ``operands`` (names or numbers): ``a * b``, ``tanh(n)``."""
    symbol, name = op_symbol(node), op_name(node)
    side = constant_side(node)
    if side is not None and node.const is not None:
        number = f"{node.const:.6g}"
        if symbol.isidentifier():  # a function with a parameter: leaky_relu(x, 0.01)
            return f"{symbol}({operands[0]}, {number})"
        pair = (number, operands[0]) if side == "left" else (operands[0], number)
        return f"{pair[0]} {symbol} {pair[1]}"
    if len(operands) == 2 and name in ("add", "sub", "mul", "div", "pow"):
        return f"{operands[0]} {symbol} {operands[1]}"
    if name == "sum":
        return " + ".join(operands)
    if name == "dot":  # parents are (x..., y...)
        k = len(operands) // 2
        return " + ".join(f"{x}·{y}" for x, y in zip(operands[:k], operands[k:], strict=True))
    if name.startswith("neuron_"):  # parents are (w..., x..., b)
        k = (len(operands) - 1) // 2
        terms = [f"{w}·{x}" for w, x in zip(operands[:k], operands[k : 2 * k], strict=True)]
        z = " + ".join([*terms, operands[-1]])
        activation = name.removeprefix("neuron_")
        return z if activation == "linear" else f"{activation}({z})"
    # Inside f(...) a negative number needs no parentheses of its own.
    bare = [
        text[1:-1] if text.startswith("(") and text.endswith(")") else text for text in operands
    ]
    return f"{symbol}({', '.join(bare)})"
