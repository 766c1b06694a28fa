"""Hypothesis strategies for property-testing derivatives: the engine's and your own.

Two kinds of strategy:

* ``finite_floats(min_value, max_value)``: well-conditioned floats (never nan, inf or
  subnormal, always inside the bounds), for the inputs of your own functions.
* ``expressions()``: random expression trees over the whole op table (``+ - * / **`` with
  Value or number operands on either side, ``Value.maximum`` and ``Value.minimum``, every
  one-operand op such as ``exp``, ``log`` or ``gelu``, ``Value.sum``, ``Value.dot`` and the
  table's other ops of many operands), and over your own ops too (``extra_ops``, each
  with the domain you state). Each draw is an ``Expression``: its variables' values, a
  readable formula, and a way to evaluate it on Values or on any other backend (PyTorch,
  plain floats).

Every expression stays inside each op's domain and away from its kinks at the drawn point,
with room to spare (`MARGIN`): ``log`` and ``sqrt`` see inputs > 0.1, ``log1p`` inputs
> -0.9, ``relu``, ``abs``, ``leaky_relu`` and ``elu`` inputs with ``|x| > 0.1``, ``/``
divisors with ``|x| > 0.1``, ``**`` with a Value exponent a base > 0.1, ``maximum`` and
``minimum`` operands 0.1 apart, and every subexpression stays within ``±10`` (`BOUND`). So
finite differences are accurate there and any disagreement is a real bug. Each call of one of
your own ops is multiplied by a number other than 1 (``2.0 * my_op(x0)``), so that its rule
receives an upstream gradient ``g`` other than 1: a rule that forgets ``g`` fails too.

Example (a test file)::

    from hypothesis import given
    from autograd import gradcheck
    from autograd.testing import expressions, finite_floats

    @given(expressions())
    def test_engine_derivatives(expr):
        assert gradcheck(expr, expr.values, order=2)

    @given(finite_floats(-3, 3), finite_floats(0.5, 3))
    def test_my_function(x, y):
        assert gradcheck(lambda a, b: (a / b).tanh() * b.log(), [x, y], order=2)

The parts: ``domains`` (where each op of the table may be applied: one line per op),
``trees`` (the expression trees, the op set read off the table, the backends) and ``strategies``
(the hypothesis strategies). This package needs hypothesis (the ``dev`` extra);
``import autograd`` alone never imports it.
"""

try:
    import hypothesis  # noqa: F401  # checked first, so that the error says what to install
except ImportError as error:  # the tests check this message in a subprocess without hypothesis
    raise ImportError(
        "autograd.testing needs hypothesis: pip install hypothesis "
        "(or install glassgrad with its dev extra: pip install -e '.[dev]')"
    ) from error

from autograd.testing.domains import BOUND, MARGIN
from autograd.testing.strategies import Domain, UserOp, expressions, finite_floats
from autograd.testing.trees import (
    BINARY_OPS,
    FLOAT_OPS,
    OP_NAMES,
    UNARY_OPS,
    VALUE_OPS,
    Backend,
    Call,
    Expression,
    Term,
    Variable,
)

__all__ = [
    "BINARY_OPS",
    "BOUND",
    "FLOAT_OPS",
    "MARGIN",
    "OP_NAMES",
    "UNARY_OPS",
    "VALUE_OPS",
    "Backend",
    "Call",
    "Domain",
    "Expression",
    "Term",
    "UserOp",
    "Variable",
    "expressions",
    "finite_floats",
]
