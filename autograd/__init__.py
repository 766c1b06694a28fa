"""glassgrad's autograd: a glass-box scalar automatic-differentiation engine.

>>> from autograd import Value
>>> x = Value(3.0, label="x")
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad
8.0

Public names: `Value`, `grad`, `no_grad`, `enable_grad`, `is_grad_enabled`,
`topological_order`, `gradcheck`, `GradcheckError`, `define_op` (your own op), `compile`
(a function's forward and backward written out as Python) and `CompileError`. The functions
of a float or a Value that derivative rules are written with are in `autograd.functions`.
Drawings live in `autograd.viz` and hypothesis strategies in `autograd.testing`; both import
their heavy dependencies only there.
"""

from autograd.check import GradcheckError, gradcheck
from autograd.compiler import CompileError, compile
from autograd.define import define_op
from autograd.gradients import grad
from autograd.mode import enable_grad, is_grad_enabled, no_grad
from autograd.order import topological_order
from autograd.removed import RemovedModuleError
from autograd.value import Value

__all__ = [
    "CompileError",
    "GradcheckError",
    "RemovedModuleError",
    "Value",
    "compile",
    "define_op",
    "enable_grad",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
]
__version__ = "0.1.0"
