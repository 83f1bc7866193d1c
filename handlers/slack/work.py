"""Work done after Slack has its answer: tracked background tasks.

Slack wants an HTTP answer within 3 seconds, so listeners acknowledge first and `spawn` the rest. The
tasks are kept (not fire-and-forget) so that shutdown can let them finish and tests can wait for them.
Events and lesson-creating button presses are acted on once with `bot.once.Once`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

OnError = Callable[[Exception], Awaitable[None]]

CONCURRENCY = 8
"""How many acknowledged requests are worked on at once. The rest wait their turn, so a burst of work does
not crowd out the next requests' acknowledgements (bench/slack_ack.py: p50 about 3x a bare Bolt app
without the cap, about 1.5x with it)."""


class Background:
    """The tasks started after acknowledging a request, at most `concurrency` running at a time."""

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
        async with self._slots:
            await self._run(work, on_error)

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
