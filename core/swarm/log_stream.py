"""A running job's output lines, sent on while it runs so an operator can follow them (`f` in
the console's job detail), through the node's link and fenced by the job's lease.

Lines are batched: a batch goes when SEND_AT_LINES lines wait or SEND_EVERY_S after the first
of them, but never sooner than MIN_GAP_S after the one before, so a job's first lines show at
once and a chatty job costs at most one write a second, not one per line (over HTTP a node's
agents share one request budget, LCN_GATEWAY_NODE_RATE). Everything is bounded:
each line is cut and made printable (core.log_lines: logs are hostile text), at most
MAX_LOG_LINES wait at once (the newest: a tail is what an operator follows; the lines pushed
out are counted and said), and a job streams at most MAX_STREAMED_LINES lines in all, then one
line saying the live log stops there. The job's result carries its logs in any case.

Sending is best effort and never holds the job up: a failing store or gateway loses that
batch (with a warning), and a refusal of the lease (the job was reassigned, cancelled or is
over) stops the stream, as the node no longer has the right to write to the job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from core.errors import Conflict, InvalidInput, NotFound
from core.jobs import MAX_LOG_LINE, MAX_LOG_LINES
from core.log_lines import printable
from core.swarm.link import NodeLink
from core.swarm.retry import STORE_ERRORS_OR_REFUSALS
from core.tasks import stop_task

log = logging.getLogger("lcn.agent")

SEND_EVERY_S = 0.25
SEND_AT_LINES = 50
MIN_GAP_S = 1.0
# Per job: ten times what a job keeps, so a long job's tail stays live for a good while.
MAX_STREAMED_LINES = 10 * MAX_LOG_LINES


def stop_note(lines: int) -> str:
    return f"… the live log stops after {lines:,} lines; the job's logs come with its result"


def skipped_note(lines: int) -> str:
    return f"… {lines:,} lines came faster than they could be sent"


class LogStream:
    """Takes a job's lines as the executor hands them over (`line`, from the event loop) and
    sends them in batches from a task of its own, started with the first line."""

    def __init__(
        self,
        link: NodeLink,
        job_id: str,
        token: str,
        *,
        every_s: float = SEND_EVERY_S,
        at_lines: int = SEND_AT_LINES,
        min_gap_s: float = MIN_GAP_S,
        budget: int = MAX_STREAMED_LINES,
    ) -> None:
        self.link = link
        self.job_id = job_id
        self.token = token
        self.every_s = every_s
        self.min_gap_s = min_gap_s
        self.at_lines = max(1, min(at_lines, MAX_LOG_LINES))
        self.budget = budget
        self.taken = 0  # lines accepted, counted against the budget
        self.sent = 0  # lines the link took
        self.refused = False  # the lease was refused: nothing more is sent
        self._waiting: deque[str] = deque(maxlen=MAX_LOG_LINES)
        self._skipped = 0  # lines pushed out of `_waiting` before they were sent
        self._full = False  # the budget is spent: no more lines are taken
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def line(self, text: str) -> None:
        """One line the job wrote. Never blocks and never raises: the job runs on regardless."""
        if self._full or self.refused:
            return
        if self.taken >= self.budget:
            self._full = True
            self._add(stop_note(self.taken))
        else:
            self.taken += 1
            self._add(printable(text, MAX_LOG_LINE))
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    def _add(self, text: str) -> None:
        if len(self._waiting) == self._waiting.maxlen:
            self._skipped += 1
        self._waiting.append(text)
        if len(self._waiting) in (1, self.at_lines) or self._full:
            self._wake.set()

    async def close(self) -> None:
        """Stop sending (the job is over: its report carries the whole log)."""
        task, self._task = self._task, None
        self.refused = True
        await stop_task(task)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last_sent = -self.min_gap_s
        while not self.refused:
            await self._wake.wait()
            self._wake.clear()
            deadline = loop.time() + self.every_s
            while len(self._waiting) < self.at_lines and not self._full:
                left = deadline - loop.time()
                if left <= 0:
                    break
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), left)
            wait = last_sent + self.min_gap_s - loop.time()
            if wait > 0:  # lines keep coming meanwhile: the newest MAX_LOG_LINES are kept
                await asyncio.sleep(wait)
            batch = self._take()
            if batch:
                await self._send(batch)
                last_sent = loop.time()
            if self._full and not self._waiting:
                return
            if self._waiting:
                self._wake.set()

    def _take(self) -> list[str]:
        batch = list(self._waiting)
        self._waiting.clear()
        if self._skipped:
            room = MAX_LOG_LINES - 1  # the note takes a line of the batch
            skipped = self._skipped + max(0, len(batch) - room)
            batch = [skipped_note(skipped), *batch[-room:]]
            self._skipped = 0
        return batch

    async def _send(self, batch: list[str]) -> None:
        try:
            await self.link.append_logs(self.job_id, self.token, batch)
            self.sent += len(batch)
        except (Conflict, NotFound, InvalidInput) as exc:
            # The lease is gone (or the lines were refused): this node may not write here now.
            self.refused = True
            log.info("live log of %s stopped: %s", self.job_id, exc)
        except STORE_ERRORS_OR_REFUSALS as exc:
            log.warning("live log of %s: %d lines not sent (%s)", self.job_id, len(batch), exc)
