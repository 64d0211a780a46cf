"""Stopping a helper task without losing the caller's own cancellation.

`task.cancel()` then `with suppress(CancelledError): await task` is the usual way, and it has a
hole: if the *caller* is cancelled while it waits there, the CancelledError meant for it is
swallowed too, and the caller carries on as if nothing had asked it to stop. A node shutting
down cancels its agents once; an agent that loses that cancellation in a `finally` keeps going,
and the node's shutdown waits on it."""

from __future__ import annotations

import asyncio
from typing import Any


async def stop_task(task: asyncio.Task[Any] | None) -> None:
    """Cancel `task` and wait for it to end; a cancellation of the caller still goes up."""
    if task is None:
        return
    if not task.cancelling():  # cancelled once already: a second would cut its clean-up short
        task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # it was meant for us, not (only) for the task


__all__ = ["stop_task"]
