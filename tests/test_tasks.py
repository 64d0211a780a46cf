"""core.tasks.stop_task: a helper task is stopped, and the caller's own cancellation survives."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from core.tasks import stop_task


async def slow_to_stop(cleaned: asyncio.Event) -> None:
    """A helper whose clean-up takes a moment after it is cancelled (a log stream's last send)."""
    try:
        await asyncio.sleep(3600)
    finally:
        await asyncio.sleep(0.05)
        cleaned.set()


async def test_a_helper_is_cancelled_and_waited_for() -> None:
    cleaned = asyncio.Event()
    helper = asyncio.create_task(slow_to_stop(cleaned))
    await asyncio.sleep(0)
    await stop_task(helper)  # does not raise: the cancellation was the helper's
    assert helper.cancelled() and cleaned.is_set()
    await stop_task(None)


async def test_the_callers_cancellation_is_not_swallowed() -> None:
    """A caller cancelled while it waits for its helper to stop is still cancelled: the old
    `with suppress(CancelledError): await task` let it carry on as if nothing had happened."""
    cleaned = asyncio.Event()
    carried_on = asyncio.Event()

    async def caller(use_helper: bool) -> None:
        helper = asyncio.create_task(slow_to_stop(cleaned))
        await asyncio.sleep(0)
        if use_helper:
            await stop_task(helper)
        else:
            helper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await helper
        carried_on.set()

    for use_helper, survives in ((True, True), (False, False)):
        cleaned.clear()
        carried_on.clear()
        task = asyncio.create_task(caller(use_helper))
        await asyncio.sleep(0.01)  # the caller now waits for its helper's clean-up
        task.cancel()
        if survives:
            with pytest.raises(asyncio.CancelledError):
                await task
            assert not carried_on.is_set()
        else:  # the old pattern: the caller's cancellation is lost
            await task
            assert carried_on.is_set()


async def test_a_task_cancelled_already_is_not_cancelled_again() -> None:
    """A node cancels all its agents at once, then waits for each: a second cancellation
    would cut short the clean-up of an agent that had already begun it."""
    cleaned = asyncio.Event()
    helper = asyncio.create_task(slow_to_stop(cleaned))
    await asyncio.sleep(0)
    helper.cancel()
    await asyncio.sleep(0.01)  # its clean-up is under way
    await stop_task(helper)
    assert cleaned.is_set()
