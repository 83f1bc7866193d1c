"""Streaks: consecutive scheduled days with at least one answer. Days off, pauses and time away never
break a streak, and today does not break it before the day is over.

One rule and one way of counting it, for one learner (`/learn progress`, `coach report learner`) and for a
whole group at once (`bot.team.roster`: `/team`, the digest, `/learn team`), so no two views disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.learner import LearnerContext
from bot.lessons.schedule import zone_of
from store import groups
from store.models import PausePeriod

LOOKBACK_DAYS = 400
"""How far back a streak is counted: answers and pauses older than this are never read."""


def streak_length(days: int) -> str:
    """`1 day`, `3 days`: the streak as every view words it."""
    return f"{days} day{'' if days == 1 else 's'}"


def streak_days(answered: set[date], days: str, today: date, excused: Iterable[tuple[date, date]] = ()) -> int:
    """`answered`: local dates with an answer; `days`: ISO weekday digits scheduled; `excused`: inclusive
    (first, last) local-date spans of pauses and time away."""
    spans = list(excused)
    streak = 0
    for back in range(LOOKBACK_DAYS):
        day = today - timedelta(days=back)
        if str(day.isoweekday()) not in days:
            continue
        if day in answered:
            streak += 1
        elif day == today or any(first <= day <= last for first, last in spans):
            continue
        else:
            break
    return streak


async def learner_streak(session: AsyncSession, ctx: LearnerContext, now: datetime) -> int:
    """One learner's streak, from their answers and pauses over the look-back (two queries)."""
    since = now - timedelta(days=LOOKBACK_DAYS)
    answered = [mark.answered_at for mark in await groups.answers_since(session, [ctx.id], since, now)]
    pauses = await groups.pauses_of(session, [ctx.id], since)
    streak, _ = counted_streak(ctx, answered, pauses[ctx.id], now, since)
    return streak


async def group_streaks(session: AsyncSession, contexts: Mapping[int, LearnerContext],
                        recent: Mapping[int, list[datetime]], pauses: Mapping[int, list[PausePeriod]], now: datetime,
                        read_since: datetime) -> dict[int, int]:
    """Everyone's streak from the answers already read since `read_since`; only people whose streak may
    reach back past them get their older answers read, in one query for all of them. `pauses` must cover
    the whole look-back."""
    result, longer = {}, []
    for person_id, ctx in contexts.items():
        streak, complete = counted_streak(ctx, recent.get(person_id, []), pauses[person_id], now, read_since)
        result[person_id] = streak
        if not complete:
            longer.append(person_id)
    if longer:
        since = now - timedelta(days=LOOKBACK_DAYS)
        history: dict[int, list[datetime]] = defaultdict(list)
        for mark in await groups.answers_since(session, longer, since, now):
            history[mark.person_id].append(mark.answered_at)
        for person_id in longer:
            result[person_id], _ = counted_streak(contexts[person_id], history[person_id], pauses[person_id], now,
                                                  since)
    return result


def counted_streak(ctx: LearnerContext, answered: Iterable[datetime], pauses: Iterable[PausePeriod], now: datetime,
                   since: datetime) -> tuple[int, bool]:
    """The streak in the learner's time zone, and whether it is certain: False when it may go on before
    `since` (answers before it were not read)."""
    zone = ZoneInfo(zone_of(ctx.settings, ctx.person))
    today = now.astimezone(zone).date()
    days = {moment.astimezone(zone).date() for moment in answered}
    excused = [(p.started_at.astimezone(zone).date(), (p.ended_at or now).astimezone(zone).date()) for p in pauses]
    streak = streak_days(days, ctx.settings.days, today, excused)
    return streak, _broken_since(days, ctx.settings.days, today, excused, since.astimezone(zone).date())


def _broken_since(days: set[date], scheduled: str, today: date, excused: list[tuple[date, date]],
                  since: date) -> bool:
    """Whether a scheduled, not excused day without an answer lies between `since` (exclusive: it was only
    partly read) and today (exclusive: it is not over), which ends the streak inside the known answers."""
    day = today - timedelta(days=1)
    while day > since:
        if str(day.isoweekday()) in scheduled and day not in days and \
                not any(first <= day <= last for first, last in excused):
            return True
        day -= timedelta(days=1)
    return False
