"""Typed expressions such as ``"tanh(a*b + c)"``: parsed with `ast`, checked, then built.

This is what ``glassgrad graph`` reads from its command line. The text is parsed by
``ast.parse`` (which only builds a syntax tree; nothing runs) and then every node of the tree
is checked against a small grammar. Only then is the expression built, by walking the tree
and calling autograd ops: it is never given to ``eval``, ``exec`` or ``compile``.

The grammar:

* numbers (``2``, ``-0.5``, ``1e-3``; no bools, complex numbers or strings),
* variables: names given values on the command line (``a=2``),
* the operators of the op table (``+ - * / **``) and unary minus, with parentheses,
* calls of one argument to the op table's functions of one Value (`FUNCTIONS`: ``abs exp
  log sqrt tanh sigmoid relu sin cos ...``).

The operators and functions are read off the op table (``autograd.ops.OPS``): an op added
there, with its method in ``value.py``, can be written here at once.

Anything else (attribute access, other calls, keyword arguments, subscripts, lambdas,
comprehensions, f-strings, comparisons, ...) is an `ExpressionError` naming what was found
and where.
"""

from __future__ import annotations

import ast
import builtins
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from autograd import Value
from autograd.ops import OPS

__all__ = [
    "FUNCTIONS",
    "MAX_LENGTH",
    "Expression",
    "ExpressionError",
    "check_variable_name",
    "parse_expression",
]


def _functions() -> dict[str, Callable[[Value], Value]]:
    """The op table's ops of one Value (leaky_relu and elu with their parameter at its
    default), in table order: each called as Value's method of that name, looked up when
    called, or as the builtin of that name (``abs``)."""
    functions: dict[str, Callable[[Value], Value]] = {}
    for name, op in OPS.items():
        if len(op.names) - (op.constant is not None) != 1 or op.names[0].endswith("_i"):
            continue
        if hasattr(Value, name):
            functions[name] = operator.methodcaller(name)
        elif callable(getattr(builtins, name, None)):
            functions[name] = getattr(builtins, name)
    return functions


FUNCTIONS: dict[str, Callable[[Value], Value]] = _functions()
"""The functions an expression may call, by name (read off the op table)."""

MAX_LENGTH = 2000
"""The longest expression accepted, in characters (a guard against pathological input)."""

# Python's binary operators: their symbols, and what each computes.
_PYTHON_OPERATORS: dict[type[ast.operator], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add), ast.Sub: ("-", operator.sub), ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv), ast.Pow: ("**", operator.pow),
    ast.FloorDiv: ("//", operator.floordiv), ast.Mod: ("%", operator.mod),
    ast.MatMult: ("@", operator.matmul), ast.LShift: ("<<", operator.lshift),
    ast.RShift: (">>", operator.rshift), ast.BitAnd: ("&", operator.and_),
    ast.BitOr: ("|", operator.or_), ast.BitXor: ("^", operator.xor),
}  # fmt: skip

# The operators an expression may use: those the op table has an op of two Values for.
_BINARY = {
    kind: function
    for kind, (symbol, function) in _PYTHON_OPERATORS.items()
    if any(op.symbol == symbol and len(op.names) == 2 and not op.constant for op in OPS.values())
}
_OPERATORS_TEXT = " ".join(_PYTHON_OPERATORS[kind][0] for kind in _BINARY)

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


class ExpressionError(ValueError):
    """An expression (or a ``NAME=VALUE``) that is not in the accepted grammar."""


def check_variable_name(name: str) -> str:
    """Return ``name`` if it can name a variable, else raise an ExpressionError saying why."""
    if not _NAME.match(name):
        raise ExpressionError(
            f"{name!r} is not a variable name: use letters, digits and _, starting with a letter"
        )
    if name in FUNCTIONS:
        raise ExpressionError(f"{name!r} is a function, so it cannot be a variable name")
    return name


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, its syntax tree and the variables it uses.

    Build it with `parse_expression`; compute it with `evaluate`.
    """

    text: str
    tree: ast.Expression
    variables: tuple[str, ...]

    def evaluate(self, values: Mapping[str, Value]) -> Value | float:
        """The expression computed with autograd ops on ``values`` (one Value per variable).

        Parts made only of numbers are computed as numbers (``2 * 3`` is ``6.0``), so the
        result is a plain float when no variable is used. Domain errors (``log(-1)``) raise
        the engine's ValueError, ZeroDivisionError or OverflowError.
        """
        missing = [name for name in self.variables if name not in values]
        if missing:
            raise ExpressionError(f"no value given for {', '.join(missing)}")
        try:
            return _evaluate(self.tree.body, values)
        except RecursionError:
            raise ExpressionError("the expression is nested too deeply") from None


def parse_expression(text: str) -> Expression:
    """Parse and check ``text``; raise `ExpressionError` for anything outside the grammar.

    >>> parse_expression("tanh(a*b + c)").variables
    ('a', 'b', 'c')
    """
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be a str, got {type(text).__name__}")
    if not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters; at most {MAX_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        where = f" at column {error.offset}" if error.offset else ""
        raise ExpressionError(f"syntax error{where}: {error.msg}") from None
    except (RecursionError, MemoryError, ValueError) as error:  # absurd nesting, big literals
        raise ExpressionError(f"cannot parse the expression: {error}") from None
    variables: list[str] = []
    try:
        _check(tree.body, variables)
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply") from None
    return Expression(text, tree, tuple(variables))


def _where(node: ast.AST) -> str:
    return f"at column {getattr(node, 'col_offset', 0) + 1}"


def _check(node: ast.expr, variables: list[str]) -> None:
    """Raise ExpressionError unless ``node`` (and all below it) is in the grammar."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ExpressionError(f"{value!r} {_where(node)} is not a number")
        _number(value, node)
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise ExpressionError(f"{node.id} {_where(node)} is a function: call it, {node.id}(x)")
        check_variable_name(node.id)
        if node.id not in variables:
            variables.append(node.id)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            symbol = _PYTHON_OPERATORS.get(type(node.op), (type(node.op).__name__,))[0]
            raise ExpressionError(
                f"operator {symbol} {_where(node)} is not supported; use {_OPERATORS_TEXT}"
            )
        _check(node.left, variables)
        _check(node.right, variables)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub):
            raise ExpressionError(
                f"unary {type(node.op).__name__} {_where(node)}: only - is allowed"
            )
        _check(node.operand, variables)
    elif isinstance(node, ast.Call):
        _check_call(node, variables)
    else:
        raise ExpressionError(
            f"{_describe(node)} {_where(node)} is not allowed; use numbers, variables, "
            f"{_OPERATORS_TEXT}, unary - and {', '.join(FUNCTIONS)}"
        )


def _check_call(node: ast.Call, variables: list[str]) -> None:
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
        shown = node.func.id if isinstance(node.func, ast.Name) else _describe(node.func)
        raise ExpressionError(
            f"call of {shown} {_where(node)} is not allowed; "
            f"the functions are {', '.join(FUNCTIONS)}"
        )
    name = node.func.id
    if node.keywords:
        raise ExpressionError(f"{name}() {_where(node)} takes no keyword arguments")
    if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
        raise ExpressionError(f"{name}() {_where(node)} takes exactly one argument")
    _check(node.args[0], variables)


def _describe(node: ast.AST) -> str:
    """A few words for a syntax-tree node that is not allowed."""
    names = {
        ast.Attribute: "attribute access", ast.Subscript: "subscript", ast.Lambda: "lambda",
        ast.ListComp: "list comprehension", ast.SetComp: "set comprehension",
        ast.DictComp: "dict comprehension", ast.GeneratorExp: "generator expression",
        ast.JoinedStr: "f-string", ast.Compare: "comparison", ast.BoolOp: "and/or",
        ast.IfExp: "if-else expression", ast.NamedExpr: "assignment (:=)",
        ast.List: "list", ast.Tuple: "tuple", ast.Dict: "dict", ast.Set: "set",
        ast.Starred: "star", ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
        ast.Slice: "slice",
    }  # fmt: skip
    return names.get(type(node), type(node).__name__)


def _number(value: int | float, node: ast.AST) -> float:
    try:
        number = float(value)
    except OverflowError:
        raise ExpressionError(f"number {_where(node)} is too large for a float") from None
    if not math.isfinite(number):
        raise ExpressionError(f"number {_where(node)} is too large for a float")
    return number


def _evaluate(node: ast.expr, values: Mapping[str, Value]) -> Value | float:
    """Compute a checked tree. Numbers stay floats until they meet a Value."""
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)  # _check refuses other constants
        return _number(node.value, node)
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, values), _evaluate(node.right, values)
        if isinstance(left, float) and isinstance(right, float):
            # Two numbers: computed by the engine's forward (as Value op number, which allows
            # (-2) ** 2), so that its domain checks and error messages apply here too.
            result = _BINARY[type(node.op)](Value(left), right)
            assert isinstance(result, Value)
            return result.data
        combined: Value = _BINARY[type(node.op)](left, right)
        return combined
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values)
        return -operand
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        argument = _evaluate(node.args[0], values)
        function = FUNCTIONS[node.func.id]
        if isinstance(argument, float):
            return function(Value(argument)).data
        return function(argument)
    raise AssertionError(f"unchecked node {type(node).__name__}")  # _check refuses these
