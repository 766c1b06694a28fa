"""Exercises that check themselves: the checker the course's notebooks call.

Each ``check_*`` function judges one answer and prints a one-line verdict:

* ``✓ what: right.`` when it is right;
* ``✗ what: ...`` saying what is wrong (the expected value is not given away);
* ``… what: not answered yet.`` while the answer is still ``None``, the placeholder an
  exercise starts with.

It returns True only for a right answer, so a solution cell can ``assert`` it. A wrong answer
does not raise: a learner who runs the whole notebook reads the verdict and goes on.

>>> from nn import exercises
>>> exercises.check_number(6.0, 6.0, what="a.grad")
✓ a.grad: right.
True
>>> exercises.check_number(None, 6.0, what="a.grad")
… a.grad: not answered yet (replace the None).
False

A function answer is run at a few points and compared with a reference; a derivative rule
(an op made with ``define_op``, say) is also graded by `autograd.gradcheck`::

    exercises.check_function(my_step, reference_step, [(0.5,), (2.0,)], what="step")
    exercises.check_gradient(my_exp, math.exp, [-1.0, 0.0, 2.5], what="exp's rule")

And a property, such as a hypothesis test, is judged by running it::

    exercises.check_property(test_my_softplus, what="softplus's rule")
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Callable, Sequence
from typing import Any

from autograd import GradcheckError, Value, gradcheck

__all__ = ["NOT_ANSWERED", "check_function", "check_gradient", "check_number", "check_property"]

NOT_ANSWERED = "not answered yet (replace the None)"


def _verdict(right: bool, what: str, problem: str = "") -> bool:
    """Print the verdict line and return ``right``."""
    print(f"✓ {what}: right." if right else f"✗ {what}: {problem}")
    return right


def _not_answered(what: str) -> bool:
    print(f"… {what}: {NOT_ANSWERED}.")
    return False


def _as_number(x: Any) -> float | None:
    """A finite float from a number or a Value, or None for anything else."""
    if isinstance(x, Value):
        x = x.data
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    number = float(x)
    return number if math.isfinite(number) else None


def _close(a: float, b: float, rel_tol: float, abs_tol: float) -> bool:
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)


def check_number(
    answer: Any,
    expected: float | Value,
    *,
    what: str,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-9,
) -> bool:
    """Judge a numeric answer (a number or a Value) against ``expected``.

    Right when ``math.isclose(answer, expected, rel_tol=rel_tol, abs_tol=abs_tol)``; a wrong
    answer's verdict says whether it is too large, too small or of the wrong sign.
    """
    if answer is None:
        return _not_answered(what)
    target = _as_number(expected)
    if target is None:
        raise ValueError(f"check_number: expected must be a finite number, got {expected!r}")
    given = _as_number(answer)
    if given is None:
        return _verdict(False, what, f"expected a finite number, got {answer!r}.")
    if _close(given, target, rel_tol, abs_tol):
        return _verdict(True, what)
    if given * target < 0:
        hint = "the sign is wrong."
    else:
        hint = "too large." if abs(given) > abs(target) else "too small."
    return _verdict(False, what, f"{given!r} is not it: {hint}")


def check_function(
    candidate: Callable[..., Any] | None,
    reference: Callable[..., Any],
    points: Sequence[Sequence[Any]],
    *,
    what: str,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-9,
) -> bool:
    """Judge a function by calling it and ``reference`` with each tuple of arguments in
    ``points`` and comparing the results (numbers, Values, or flat sequences of them).

    The first point where they differ, or where ``candidate`` raises, is named in the verdict.
    A function that still returns ``None`` (or only Nones) counts as not answered yet.
    """
    if candidate is None:
        return _not_answered(what)
    if not callable(candidate):
        return _verdict(False, what, f"expected a function, got {candidate!r}.")
    for args in points:
        shown = ", ".join(repr(a) for a in args)
        try:
            got = candidate(*args)
        except Exception as error:  # the learner's code: report whatever it raised
            return _verdict(False, what, f"at ({shown}) it raised {type(error).__name__}: {error}")
        if _is_placeholder(got):
            return _not_answered(what)
        wanted = reference(*args)
        if not _results_agree(got, wanted, rel_tol, abs_tol):
            return _verdict(False, what, f"at ({shown}) it gives {_describe(got)}, which is wrong.")
    return _verdict(True, what)


def _is_placeholder(result: Any) -> bool:
    """None, or a sequence of Nones: what a function still returning ``None`` gives."""
    if result is None:
        return True
    if isinstance(result, Sequence) and not isinstance(result, str) and result:
        return all(entry is None for entry in result)
    return False


def _results_agree(got: Any, wanted: Any, rel_tol: float, abs_tol: float) -> bool:
    """Whether two results agree: numbers/Values by isclose, sequences entry by entry."""
    if isinstance(wanted, Sequence) and not isinstance(wanted, str):
        if not isinstance(got, Sequence) or isinstance(got, str) or len(got) != len(wanted):
            return False
        return all(_results_agree(g, w, rel_tol, abs_tol) for g, w in zip(got, wanted, strict=True))
    got_number, wanted_number = _as_number(got), _as_number(wanted)
    if got_number is None or wanted_number is None:
        return False
    return _close(got_number, wanted_number, rel_tol, abs_tol)


def _describe(result: Any) -> str:
    """A short description of a result: long sequences are cut (reprlib)."""
    if isinstance(result, Value):
        return f"a Value with data {result.data!r}"
    return reprlib.repr(result)


def check_gradient(
    candidate: Callable[[Value], Value] | None,
    reference: Callable[[float], float],
    points: Sequence[float],
    *,
    what: str,
) -> bool:
    """Judge a one-input function on Values, such as an op made with ``define_op``: at each
    point its value must match ``reference`` (a function on floats) and its derivative must
    pass `autograd.gradcheck` (autograd's derivative against a finite difference). That
    includes gradcheck's test that each rule scales with the upstream gradient ``g``, so a
    rule that forgets to multiply by ``g``, right only when g is 1, is judged wrong.
    """
    if candidate is None:
        return _not_answered(what)
    if not callable(candidate):
        return _verdict(False, what, f"expected a function, got {candidate!r}.")
    for x in points:
        try:
            out = candidate(Value(x))
        except Exception as error:  # the learner's code: report whatever it raised
            return _verdict(False, what, f"at {x!r} it raised {type(error).__name__}: {error}")
        if not isinstance(out, Value):
            return _verdict(False, what, f"at {x!r} it returned {out!r}, not a Value.")
        if not _close(out.data, reference(x), 1e-9, 1e-12):
            return _verdict(False, what, f"at {x!r} its value {out.data!r} is wrong.")
        try:
            gradcheck(candidate, [x])
        except GradcheckError as error:
            return _verdict(False, what, f"its derivative is wrong: {error}")
        except Exception as error:  # a rule that raises is a wrong rule too
            problem = f"at {x!r} its derivative raised {type(error).__name__}: {error}"
            return _verdict(False, what, problem)
    return _verdict(True, what)


def check_property(test: Callable[[], Any] | None, *, what: str) -> bool:
    """Judge a property by running ``test``, a function of no arguments that raises when the
    property fails: a hypothesis ``@given`` test, say. Right when it returns; the verdict of a
    failure names the error and, for hypothesis, the falsifying example it shrank to.
    """
    if test is None:
        return _not_answered(what)
    if not callable(test):
        return _verdict(False, what, f"expected a test function, got {test!r}.")
    try:
        test()
    except Exception as error:  # the learner's property: report whatever it raised
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        # hypothesis adds the example it shrank to as a note ("Falsifying example: ..." or
        # "Failing test case: ...", depending on its version), on several lines
        notes = [
            " ".join(note.split())
            for note in getattr(error, "__notes__", [])
            if note.startswith(("Falsifying example", "Failing test case"))
        ]
        found = f" ({notes[0]})" if notes else ""
        return _verdict(False, what, f"{type(error).__name__}: {first_line}{found}")
    return _verdict(True, what)
