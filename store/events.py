"""Claims on platform events, so that a retried event (or a button pressed twice) is acted on once.

The protocol: `claim_event` before acting, `finish_event` after, `release_event` when the attempt failed.
A key that is done stays quiet (for a week: the dispatcher then forgets it); a key whose attempt died (its lease
ran out without `finish_event`) is taken over by the next retry, so a crash never makes the platform's retries
useless.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import ProcessedEvent


async def claim_event(session: AsyncSession, key: str, now: datetime, lease: timedelta) -> bool:
    """True when this caller should act: the key is new, or an earlier attempt died without finishing."""
    try:
        async with session.begin_nested():
            session.add(ProcessedEvent(key=key, created_at=now, lease_until=now + lease))
        return True
    except IntegrityError:
        pass
    result = await session.exec(
        update(ProcessedEvent)
        .where(col(ProcessedEvent.key) == key, col(ProcessedEvent.done_at).is_(None),
               col(ProcessedEvent.lease_until) < now)
        .values(lease_until=now + lease)
    )
    return (result.rowcount or 0) > 0  # type: ignore[attr-defined]


async def finish_event(session: AsyncSession, key: str, now: datetime) -> None:
    await session.exec(update(ProcessedEvent).where(col(ProcessedEvent.key) == key)
                       .values(done_at=now, lease_until=None))


async def release_event(session: AsyncSession, key: str) -> None:
    """Forget an attempt that failed, so that the platform's next retry acts on the event."""
    await session.exec(delete(ProcessedEvent).where(col(ProcessedEvent.key) == key,
                                                    col(ProcessedEvent.done_at).is_(None)))


async def forget_events(session: AsyncSession, before: datetime) -> int:
    """Drop finished keys older than `before`: platforms retry within minutes, so old keys guard nothing and
    would otherwise grow with every message and click forever."""
    result = await session.exec(
        delete(ProcessedEvent).where(col(ProcessedEvent.done_at).is_not(None), col(ProcessedEvent.created_at) < before)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]
