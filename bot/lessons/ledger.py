"""Whether each lesson reached its learner: the one place that records a delivery as sent or hands it back
for a retry, and counts it (`coach_lessons_sent_total`, `coach_send_failures_total`) — for a reply to what a
person did (`bot.chat.pipeline`) and for what the dispatcher sends alike.

Sends are recorded by group commit: a send that finishes while another group is being written waits for that
write and goes into the next one, so a dispatcher posting hundreds a second writes a few transactions a second
instead of one each (on SQLite, each one a turn of the single write lock), while a lone send is written at
once, as before. Should a group's transaction fail, each of its sends is written alone, so one bad record
never costs the others theirs (an unrecorded send is posted again after its lease).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.metrics import LESSONS_SENT, SEND_FAILURES
from bot.services import Services
from store import deliveries

log = logging.getLogger(__name__)

AlsoInSession = Callable[[AsyncSession, bool], Awaitable[None]]
"""More to write in the same transaction as the send, told whether the claim was still ours."""


@dataclass
class _Send:
    """One posted lesson waiting for its record."""

    delivery_id: int
    platform: str
    message_ref: dict[str, Any] | None
    remind_at: datetime | None
    also: AlsoInSession | None
    done: asyncio.Future[bool]


class Ledger:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._waiting: list[_Send] = []
        self._writer: asyncio.Task[None] | None = None

    async def sent(self, delivery_id: int, *, platform: str, origin: str, message_ref: dict[str, Any] | None,
                   remind_at: datetime | None = None, also: AlsoInSession | None = None) -> bool:
        """Record a posted lesson (and when to remind the learner, if ever); False when another process had taken
        its send over meanwhile (the learner may then see it twice: neither platform takes an idempotency key)."""
        send = _Send(delivery_id, platform, message_ref, remind_at, also, asyncio.get_running_loop().create_future())
        self._waiting.append(send)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_groups())
        ours = await asyncio.shield(send.done)  # a cancelled sender never cancels the others' records
        if ours:
            LESSONS_SENT.labels(platform, origin).inc()
        else:
            log.warning("lesson %s was posted after another process took its send over", delivery_id)
        return ours

    async def _write_groups(self) -> None:
        """Write what is waiting, one transaction a group, until nothing is."""
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                results = await self._write(group)
            except Exception as exc:
                if len(group) == 1:
                    group[0].done.set_exception(exc)
                    continue
                log.warning("recording %d sends together failed; recording each alone", len(group), exc_info=True)
                for send in group:
                    try:
                        results = await self._write([send])
                    except Exception as exc:
                        send.done.set_exception(exc)
                    else:
                        send.done.set_result(results[0])
                continue
            for send, ours in zip(group, results, strict=True):
                send.done.set_result(ours)

    async def _write(self, group: list[_Send]) -> list[bool]:
        records = [deliveries.SentRecord(s.delivery_id, s.platform, s.message_ref, s.remind_at) for s in group]
        async with self.services.database.session() as session:
            ours = await deliveries.mark_many_sent(session, self.services.worker_id, records,
                                                   self.services.clock())
            for send in group:
                if send.also is not None:
                    await send.also(session, send.delivery_id in ours)
        return [send.delivery_id in ours for send in group]

    async def handed_back(self, delivery_id: int, *, platform: str, error: str, retry_at: datetime,
                          status: str = "pending", progress: dict[str, Any] | None = None,
                          counted_as: str = "handed_back") -> None:
        """A lesson the platform refused: the dispatcher retries it from `retry_at` (or it is settled as
        `failed`/`expired`, see `store.deliveries.release_for_retry`). `counted_as` labels the failure."""
        async with self.services.database.session() as session:
            await deliveries.release_for_retry(session, delivery_id, self.services.worker_id, error=error,
                                               retry_at=retry_at, status=status, progress=progress)
        SEND_FAILURES.labels(platform, counted_as).inc()
