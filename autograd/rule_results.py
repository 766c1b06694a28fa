"""What a user's derivative rule returns, checked; and the errors the sweep raises about nodes.

A built-in rule (``ops.py``) always returns one float per operand (or one Value, under
``create_graph=True``): the tests show it, so the sweep takes its results as they are. A rule
given to `define_op` may return anything, and a wrong result must not reach a ``.grad``. So
the sweep (``backward.py``) and compiled code hand every user op's results to
`check_contributions`, which either gives back one clean contribution per operand or raises
an error naming the op and the operand, before any ``.grad`` changes.

`refuse_complex` explains one way a graph itself can be wrong: a node whose operands were
changed after it was built, so that its rule meets numbers its forward would refuse.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autograd.ops import DefinedOp, Op
from autograd.order import describe
from autograd.validate import shown

if TYPE_CHECKING:
    from autograd.value import Value

__all__ = [
    "check_contributions",
    "is_user_op",
    "operand_name",
    "refuse_complex",
]


def is_user_op(op: Op | None) -> bool:
    """Whether ``op`` was made with `define_op` (and not ``trusted``, as nn's neuron is): the
    ops whose rules' results are checked."""
    return isinstance(op, DefinedOp) and not op.trusted


def check_contributions(
    op: Op, contributions: Any, n_operands: int, as_values: bool
) -> Sequence[Any]:
    """What a user op's rule returned, as one contribution per operand; or an error.

    Args:
        op: the op whose rule ran (its name and operand names go into the messages).
        contributions: what ``op.derivative(g, out, *operands)`` returned.
        n_operands: how many Value operands the node has (one contribution each).
        as_values: True under ``grad(..., create_graph=True)``, where a contribution may be a
            Value that belongs to the new graph.

    Each entry becomes:

    - ``None`` ("no gradient", as in PyTorch and JAX): ``0.0``;
    - a real number (int, float, bool, ``Fraction``, a numpy scalar): that number as a float;
    - a Value: with ``as_values`` the Value itself; otherwise (a plain ``backward()`` or
      ``grad()``, where the rule closed over a Value) its number, so ``.grad`` stays a float.

    Raises TypeError for a result that is not a list or tuple (a dict, a generator, a str)
    and for an entry of another kind (complex, str, a list); ValueError for a wrong count;
    OverflowError for an entry that is not finite (inf, nan, ``10**400``). Each names the op
    and, for an entry, the operand. Nothing is changed: the caller has touched no ``.grad``.

    Returns ``contributions`` itself when it holds finite floats only (no copy is made, and
    it is not changed), else a new list.
    """
    name = op.name
    kind = type(contributions)
    if kind is not tuple and kind is not list and not isinstance(contributions, list | tuple):
        raise TypeError(
            f"{name}: its derivative rule must return a sequence (a list or tuple), one"
            f" contribution per operand, got {type(contributions).__name__} {shown(contributions)}"
        )
    if len(contributions) != n_operands:
        raise ValueError(
            f"{name}: its derivative rule returned {len(contributions)} contributions for"
            f" {n_operands} operand{'s' * (n_operands != 1)}; it must return one per operand"
        )
    for entry in contributions:
        if type(entry) is not float or entry - entry != 0.0:  # x - x is nan for inf and nan
            break
    else:  # every entry a finite float, the common case: taken as it is, no new list
        checked: Sequence[Any] = contributions
        return checked
    return [_contribution(op, i, entry, as_values) for i, entry in enumerate(contributions)]


def _contribution(op: Op, i: int, entry: object, as_values: bool) -> Any:
    """One entry of a rule's result, made a float (or kept as a Value), or an error."""
    if entry is None:
        return 0.0
    if hasattr(entry, "parents"):  # a Value (value.py imports this module: no isinstance)
        node: Any = entry
        return node if as_values else node.data  # a Value's data is always finite
    where = f"{op.name}: its derivative rule returned"
    operand = operand_name(op, i)
    if not isinstance(entry, numbers.Real):
        raise TypeError(
            f"{where} {type(entry).__name__} {shown(entry)} for operand {operand}; a"
            " contribution must be a real number, a Value or None (no gradient)"
        )
    try:
        number = float(entry)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise OverflowError(f"{where} {shown(entry)} for operand {operand}: it is not finite")
    return number


def operand_name(op: Op, i: int) -> str:
    """``x`` for a named operand, ``xs[2]`` for one of a variadic op's operands."""
    names = op.names
    if len(names) == 1 and names[0].endswith("_i"):
        return f"{names[0].removesuffix('_i')}[{i}]"
    return repr(names[i]) if i < len(names) else f"#{i}"


def refuse_complex(node: Value, g: Any, contributions: Sequence[Any]) -> None:
    """A sweep's ``on_step`` that raises at the first node whose rule turned a real ``g`` into
    a complex number: its operands are ones its forward refuses (``x ** 1.5`` after
    ``x.data = -1``), which only happens when an operand's ``.data`` changed after the node
    was built."""
    if isinstance(g, complex) or not any(isinstance(c, complex) for c in contributions):
        return
    assert node.op is not None
    operands = node.rule_operands()
    try:
        now = f"its forward now gives {node.op.forward(*operands)!r}"
    except (ArithmeticError, ValueError) as error:
        now = f"its forward now refuses them: {error}"
    raise ValueError(
        f"{node.op.symbol}: the derivative of the {describe(node)} is not a real number at"
        f" operands {tuple(operands)} ({now}); an operand's .data was changed after the node"
        " was built: build the graph again from the new numbers"
    )
