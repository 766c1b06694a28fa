"""autograd.mode: one no_grad()/enable_grad() object shared by threads and asyncio tasks."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from autograd import Value, enable_grad, is_grad_enabled, no_grad


def test_nested_blocks_restore_the_mode_they_found() -> None:
    with no_grad():
        assert not is_grad_enabled()
        with enable_grad():
            assert is_grad_enabled()
            assert Value(2.0) * Value(3.0) is not None
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_one_object_entered_again_inside_itself() -> None:
    NG = no_grad()
    with NG:
        with NG:
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_one_object_in_two_overlapping_threads() -> None:
    """Thread A enters, B enters, A exits, B exits: each sees its own mode throughout."""
    NG = no_grad()
    a_entered, b_entered, a_exited = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, list[bool]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def a() -> None:
        try:
            with NG:
                seen["a"].append(is_grad_enabled())
                a_entered.set()
                assert b_entered.wait(5)
            seen["a"].append(is_grad_enabled())
        except BaseException as error:
            errors.append(error)
        finally:
            a_exited.set()

    def b() -> None:
        try:
            assert a_entered.wait(5)
            with NG:
                b_entered.set()
                assert a_exited.wait(5)
                seen["b"].append(is_grad_enabled())
            seen["b"].append(is_grad_enabled())
        except BaseException as error:
            errors.append(error)
            b_entered.set()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []
    assert seen == {"a": [False, True], "b": [False, True]}
    assert is_grad_enabled()


def test_one_object_in_overlapping_asyncio_tasks() -> None:
    """Task A enters, B enters, A exits, B exits, with the same object."""
    NG = no_grad()

    async def main() -> list[list[bool]]:
        a_in, b_in, a_out = asyncio.Event(), asyncio.Event(), asyncio.Event()

        async def a() -> list[bool]:
            with NG:
                a_in.set()
                await b_in.wait()
                seen = [is_grad_enabled()]
            a_out.set()
            return [*seen, is_grad_enabled()]

        async def b() -> list[bool]:
            await a_in.wait()
            with NG:
                b_in.set()
                await a_out.wait()
                seen = [is_grad_enabled()]
            return [*seen, is_grad_enabled()]

        return list(await asyncio.gather(a(), b()))

    assert asyncio.run(main()) == [[False, True], [False, True]]
    assert is_grad_enabled()


def test_many_threads_share_one_object() -> None:
    NG = no_grad()
    barrier = threading.Barrier(8)
    results: list[tuple[bool, bool, bool]] = []

    def work() -> None:
        barrier.wait(5)
        for _ in range(200):
            with NG:
                inside = is_grad_enabled()
                leaf = (Value(1.0) * 2.0).parents == ()
            results.append((inside, leaf, is_grad_enabled()))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 8 * 200
    assert set(results) == {(False, True, True)}


def test_a_second_exit_is_an_error_that_keeps_the_mode() -> None:
    NG = no_grad()
    with NG:
        pass
    with pytest.raises(RuntimeError, match=r"no_grad.*without a matching"):
        NG.__exit__(None, None, None)
    assert is_grad_enabled()
    with NG:  # still usable afterwards
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_an_exit_in_another_context_does_not_lose_this_ones_mode() -> None:
    NG = no_grad()
    NG.__enter__()
    try:
        elsewhere = contextvars.copy_context()
        elsewhere.run(NG.__exit__, None, None, None)  # leaves the copy's block, not ours
        assert elsewhere.run(is_grad_enabled)
        assert not is_grad_enabled()
        fresh = contextvars.Context()
        with pytest.raises(RuntimeError, match="without a matching"):
            fresh.run(NG.__exit__, None, None, None)
        assert not is_grad_enabled()
    finally:
        NG.__exit__(None, None, None)
    assert is_grad_enabled()


def test_blocks_left_out_of_order() -> None:
    """Leaving an outer block before an inner one (ExitStack misuse, generators) keeps the
    inner block's mode and restores the outer one's starting mode at the end."""
    outer, inner = no_grad(), enable_grad()
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)
    assert is_grad_enabled()  # the inner enable_grad block is still open
    inner.__exit__(None, None, None)
    assert is_grad_enabled()  # the mode before `outer` was entered


def test_decorator_use_from_threads() -> None:
    @no_grad()
    def evaluate() -> bool:
        return is_grad_enabled()

    results: list[bool] = []

    def work() -> None:
        for _ in range(100):
            results.append(evaluate())
            results.append(not is_grad_enabled())

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 800
    assert not any(results)


def test_exceptions_inside_a_block_restore_the_mode() -> None:
    NG = no_grad()
    with pytest.raises(KeyError), NG:
        raise KeyError("x")
    assert is_grad_enabled()
