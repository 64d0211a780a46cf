"""Archive transactions that a cancelled caller never cuts in half.

Cancelling a task while SQLAlchemy awaits the database makes it throw the connection away
("terminate") rather than roll it back. With SQLite the terminated connection is closed with
`sqlite3_close_v2`, which only marks it a zombie while any statement of it is still alive (the
cancelled task's traceback keeps its cursor): the zombie keeps its open write transaction, so the
archive's write lock stays taken and every later writer (the archiver's next run, a restore)
waits for it — forever once they retry. So a write transaction runs in its own task, shielded:
a cancelled caller waits for it to commit or roll back, and the connection goes back to the pool
clean, then the cancellation goes on. A write is one batch, bounded by the busy timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def whole(work: Callable[[], Awaitable[T]]) -> T:
    """Run `work()` to its end even if the caller is cancelled meanwhile; the caller's
    cancellation is raised once it has ended (its own error, if any, is then dropped: the
    batch did not land, and the caller is going away anyway)."""
    task: asyncio.Future[T] = asyncio.ensure_future(work())
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled():  # the work itself was cancelled (the loop is closing)
                raise
            cancelled = True
        except Exception:
            break  # task.done(): its error is raised below, or dropped for the cancellation
    if cancelled:
        if not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log it as never retrieved
        raise asyncio.CancelledError
    return task.result()
