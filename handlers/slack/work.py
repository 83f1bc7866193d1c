"""Work done after Slack has its answer: tracked background tasks.

Slack wants an HTTP answer within 3 seconds, so listeners acknowledge first and `spawn` the rest. The
tasks are kept (not fire-and-forget) so that shutdown can let them finish and tests can wait for them.
Events and lesson-creating button presses are acted on once with `bot.chat.once.Once`.

A task that only waits — for the `Retry-After` of a 429, say — gives its slot back while it waits
(`waiting`), so a burst of rate-limited calls does not stall everyone else's follow-ups behind it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

log = logging.getLogger(__name__)

OnError = Callable[[Exception], Awaitable[None]]

CONCURRENCY = 8
"""How many acknowledged requests are worked on at once. The rest wait their turn, so a burst of work does
not crowd out the next requests' acknowledgements (bench/slack_ack.py: p50 about 3x a bare Bolt app
without the cap, about 1.5x with it)."""


class _Slot:
    """One task's hold on a work slot; `held` is false while the task gave it back to wait."""

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self.slots = slots
        self.held = True


_SLOT: ContextVar[_Slot | None] = ContextVar("slack_work_slot", default=None)
"""The slot of the background task running (each task has its own context)."""


class Background:
    """The tasks started after acknowledging a request, at most `concurrency` working at a time."""

    def __init__(self, concurrency: int = CONCURRENCY) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(concurrency)

    def spawn(self, work: Awaitable[None], *, on_error: OnError | None = None) -> None:
        """Run `work` as soon as a slot is free; if it fails, log it and run `on_error` with the exception
        (say sorry)."""
        task = asyncio.ensure_future(self._limited(work, on_error))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every task, including those started meanwhile, is done (bound it with a timeout)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    def __len__(self) -> int:
        return len(self._tasks)

    async def _limited(self, work: Awaitable[None], on_error: OnError | None) -> None:
        await self._slots.acquire()
        slot = _Slot(self._slots)
        _SLOT.set(slot)
        try:
            await self._run(work, on_error)
        finally:
            if slot.held:
                self._slots.release()

    @staticmethod
    async def _run(work: Awaitable[None], on_error: OnError | None) -> None:
        try:
            await work
        except Exception as exc:
            log.exception("Slack work failed")
            if on_error is not None:
                try:
                    await on_error(exc)
                except Exception:
                    log.exception("could not tell the person that something failed")


@asynccontextmanager
async def waiting() -> AsyncIterator[None]:
    """Inside, the running background task holds no work slot: waiting is not work, and the others should
    not queue behind it. It takes a slot again (waiting its turn) before going on. Outside background
    work (a request being answered, the dispatcher) this changes nothing."""
    slot = _SLOT.get()
    if slot is None or not slot.held:
        yield
        return
    slot.held = False
    slot.slots.release()
    try:
        yield
    finally:
        await slot.slots.acquire()
        slot.held = True
