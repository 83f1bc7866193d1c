"""What the trigger API needs to keep an integration bug from flooding a person: the learner's lock, the
delivery an idempotency key or an identical recent trigger already made, and how many trigger lessons the
learner got since a moment. All in the database, so every process serving the API sees the same."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import Delivery, Person


async def lock_learner(session: AsyncSession, person_id: int) -> None:
    """Hold the learner's row until the transaction ends, so triggers for one person are decided one at a time
    (PostgreSQL; SQLite's transactions take the single writer lock anyway)."""
    await session.exec(select(Person.id).where(col(Person.id) == person_id).with_for_update())


async def delivery_for_key(session: AsyncSession, key: str) -> Delivery | None:
    return (await session.exec(select(Delivery).where(col(Delivery.trigger_key) == key))).first()


async def recent_identical(session: AsyncSession, person_id: int, fingerprint: str, since: datetime) -> Delivery | None:
    """The newest trigger lesson asking for the same thing, created after `since`."""
    return (await session.exec(
        select(Delivery).where(col(Delivery.person_id) == person_id, col(Delivery.origin) == "trigger",
                               col(Delivery.trigger_fingerprint) == fingerprint, col(Delivery.created_at) > since)
        .order_by(col(Delivery.created_at).desc()).limit(1)
    )).first()


async def triggered_since(session: AsyncSession, person_id: int, since: datetime) -> int:
    """Trigger lessons recorded for the learner from `since` on."""
    return (await session.exec(
        select(func.count()).select_from(Delivery)
        .where(col(Delivery.person_id) == person_id, col(Delivery.origin) == "trigger",
               col(Delivery.created_at) >= since)
    )).one()
