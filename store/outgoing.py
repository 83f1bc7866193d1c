"""Queries behind the messages the coach sends on its own beyond lessons: managers' weekly digests (claimed
once per manager and week) and shout-outs for completed voluntary goals (claimed once per badge)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import Badge, DigestSent, LearnerSettings, Person, Role


async def digest_subscribers(session: AsyncSession) -> list[tuple[Person, LearnerSettings]]:
    """Everyone who asked for the weekly team digest."""
    rows = await session.exec(
        select(Person, LearnerSettings).join(LearnerSettings, col(LearnerSettings.person_id) == Person.id)
        .where(col(LearnerSettings.digest_opt_in), col(Person.active)).order_by(col(Person.id))
    )
    return list(rows.all())


async def claim_digest(session: AsyncSession, person_id: int, week: str, worker: str, now: datetime,
                       stale_before: datetime) -> bool:
    """Take this manager's digest for the week: a new claim, or one a dead process left unsent."""
    existing = (await session.exec(select(DigestSent).where(DigestSent.person_id == person_id,
                                                            DigestSent.week == week))).first()
    if existing is None:
        try:
            async with session.begin_nested():
                session.add(DigestSent(person_id=person_id, week=week, claimed_by=worker, claimed_at=now))
        except IntegrityError:
            return False
        return True
    result = await session.exec(
        update(DigestSent).where(col(DigestSent.id) == existing.id, col(DigestSent.sent_at).is_(None),
                                 col(DigestSent.claimed_at) < stale_before)
        .values(claimed_by=worker, claimed_at=now)
    )
    return (result.rowcount or 0) > 0  # type: ignore[attr-defined]


async def digest_sent(session: AsyncSession, person_id: int, week: str, worker: str, now: datetime) -> None:
    await session.exec(update(DigestSent).where(col(DigestSent.person_id) == person_id, col(DigestSent.week) == week,
                                                col(DigestSent.claimed_by) == worker).values(sent_at=now))


async def release_digest(session: AsyncSession, person_id: int, week: str, worker: str) -> None:
    """Give the claim up so that the next tick tries again."""
    await session.exec(delete(DigestSent).where(col(DigestSent.person_id) == person_id, col(DigestSent.week) == week,
                                                col(DigestSent.claimed_by) == worker,
                                                col(DigestSent.sent_at).is_(None)))


async def unannounced_goals(session: AsyncSession, since: datetime, limit: int = 50) -> list[tuple[Badge, Person, str]]:
    """Goal roles completed since `since`, not yet announced, by people who opted in to shout-outs."""
    rows = await session.exec(
        select(Badge, Person, Role.name).join(Person, col(Person.id) == Badge.person_id)
        .join(LearnerSettings, col(LearnerSettings.person_id) == Badge.person_id)
        .outerjoin(Role, col(Role.id) == Badge.key)
        .where(Badge.kind == "goal_complete", col(Badge.announced_at).is_(None), Badge.awarded_at >= since,
               col(LearnerSettings.shoutout_opt_in))
        .order_by(col(Badge.id)).limit(limit)
    )
    return [(badge, person, role or badge.key) for badge, person, role in rows.all()]


async def claim_announcement(session: AsyncSession, badge_id: int, now: datetime) -> bool:
    result = await session.exec(update(Badge).where(col(Badge.id) == badge_id, col(Badge.announced_at).is_(None))
                                .values(announced_at=now))
    return (result.rowcount or 0) > 0  # type: ignore[attr-defined]


async def release_announcement(session: AsyncSession, badge_id: int) -> None:
    await session.exec(update(Badge).where(col(Badge.id) == badge_id).values(announced_at=None))
