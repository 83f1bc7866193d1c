"""Read-only queries behind progress, streaks and reports, bounded by the people asked about."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import Answer, PausePeriod

STREAK_LOOKBACK = timedelta(days=400)


async def answer_days(session: AsyncSession, person_id: int, now: datetime, zone: str) -> set[date]:
    """The learner's local dates with at least one answer, over the streak look-back."""
    rows = await session.exec(
        select(Answer.answered_at).where(Answer.person_id == person_id,
                                         Answer.answered_at >= now - STREAK_LOOKBACK)
    )
    tz = ZoneInfo(zone)
    return {moment.astimezone(tz).date() for moment in rows.all()}


async def excused_spans(session: AsyncSession, person_id: int, now: datetime, zone: str) -> list[tuple[date, date]]:
    """Pauses and time away as local (first, last) dates; an open pause runs until today."""
    rows = await session.exec(
        select(PausePeriod).where(PausePeriod.person_id == person_id,
                                  (col(PausePeriod.ended_at).is_(None))
                                  | (col(PausePeriod.ended_at) >= now - STREAK_LOOKBACK))
    )
    tz = ZoneInfo(zone)
    return [(p.started_at.astimezone(tz).date(), (p.ended_at or now).astimezone(tz).date()) for p in rows.all()]
