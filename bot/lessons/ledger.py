"""Whether each lesson reached its learner: the one place that records a delivery as sent or hands it back
for a retry, and counts it (`coach_lessons_sent_total`, `coach_send_failures_total`) — for a reply to what a
person did (`bot.chat.pipeline`) and for what the dispatcher sends alike."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.metrics import LESSONS_SENT, SEND_FAILURES
from bot.services import Services
from store import deliveries

log = logging.getLogger(__name__)

AlsoInSession = Callable[[AsyncSession, bool], Awaitable[None]]
"""More to write in the same transaction as the send, told whether the claim was still ours."""


class Ledger:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def sent(self, delivery_id: int, *, platform: str, origin: str, message_ref: dict[str, Any] | None,
                   also: AlsoInSession | None = None) -> bool:
        """Record a posted lesson; False when another process had taken its send over meanwhile (the learner
        may then see it twice: neither platform takes an idempotency key)."""
        async with self.services.database.session() as session:
            ours = await deliveries.mark_sent(session, delivery_id, self.services.worker_id, platform=platform,
                                              message_ref=message_ref, now=self.services.clock())
            if also is not None:
                await also(session, ours)
        if ours:
            LESSONS_SENT.labels(platform, origin).inc()
        else:
            log.warning("lesson %s was posted after another process took its send over", delivery_id)
        return ours

    async def handed_back(self, delivery_id: int, *, platform: str, error: str, retry_at: datetime,
                          status: str = "pending", progress: dict[str, Any] | None = None,
                          counted_as: str = "handed_back") -> None:
        """A lesson the platform refused: the dispatcher retries it from `retry_at` (or it is settled as
        `failed`/`expired`, see `store.deliveries.release_for_retry`). `counted_as` labels the failure."""
        async with self.services.database.session() as session:
            await deliveries.release_for_retry(session, delivery_id, self.services.worker_id, error=error,
                                               retry_at=retry_at, status=status, progress=progress)
        SEND_FAILURES.labels(platform, counted_as).inc()
