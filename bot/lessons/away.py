"""Use case: `/learn away <date>` — time off. No scheduled lessons until the day after, streaks are excused,
and every spaced review moves back by the days away, so a vacation stretches review intervals instead of
piling reviews up for the first day back. Changing or cancelling the date moves them again by the difference.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.reviews import postpone
from bot.lessons.schedule import next_slot_for, zone_of
from bot.replies import Moment, Phrase, Reply
from bot.services import Services
from store.models import LearnerSettings, PausePeriod, Person, ReviewState

CLEAR = {"off", "back", "cancel", "none", "no"}
MAX_AHEAD = timedelta(days=366)


def parse_day(text: str, today: date) -> date | None:
    """The last day away from what someone typed (`2026-12-24`, `until 2026-12-24`); None for `off`/`back`.
    Raises ValueError with a sentence to show them."""
    words = text.strip().lower().removeprefix("until").strip()
    if words in CLEAR:
        return None
    try:
        day = date.fromisoformat(words)
    except ValueError:
        raise ValueError(f"“{text.strip()}” is not a date like {today + timedelta(days=7):%Y-%m-%d}.") from None
    if day < today:
        raise ValueError("That date has already passed: give the last day you will be away.")
    if day - today > MAX_AHEAD:
        raise ValueError("That is more than a year away: pause instead with `/learn pause`.")
    return day


async def away(services: Services, person_id: int, text: str) -> Reply:
    async with services.database.session() as session:
        settings = await session.get(LearnerSettings, person_id)
        person = await session.get(Person, person_id)
        assert settings is not None and person is not None
        zone = zone_of(settings, person)
        now = services.clock()
        today = now.astimezone(ZoneInfo(zone)).date()
        if not text.strip():
            current = (Phrase.of("You're away until ", Moment.on(settings.away_until, zone), ". ")
                       if settings.away_until and settings.away_until >= today else "")
            return Reply.text(current + "Tell me your last day off: `/learn away 2026-12-24` "
                              "(`/learn away off` to cancel).")
        try:
            last_day = parse_day(text, today)
        except ValueError as exc:
            return Reply.text(str(exc))
        await set_away(session, settings, zone, last_day, now)
    if last_day is None:
        return Reply.text("Welcome back — scheduled lessons resume in your next window.")
    first = Phrase.of(" Your next lesson comes on ", Moment(settings.next_slot_at, zone, day=True), ".") if (
        settings.next_slot_at) else ""
    return Reply.text(Phrase.of("Enjoy your time off! No scheduled lessons up to and including ",
                                Moment.on(last_day, zone), ".") + first
                      + (" Your reviews wait too, so nothing piles up, and your streak is safe. "
                         "`/learn away off` if your plans change."))


async def set_away(session: AsyncSession, settings: LearnerSettings, zone: str, last_day: date | None,
                   now: datetime) -> None:
    """Record (or clear, with None) the learner's last day away, and move reviews and streak excuses to match."""
    assert settings.person_id is not None
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    shift = _back(last_day, today) - _back(settings.away_until, today)
    if shift:
        for row in (await session.exec(select(ReviewState).where(ReviewState.person_id == settings.person_id))).all():
            row.card, row.due_at = postpone(row.card, shift)
            session.add(row)
    await session.exec(update(PausePeriod).where(col(PausePeriod.person_id) == settings.person_id,
                                                 col(PausePeriod.ended_at) > now).values(ended_at=now))
    if last_day is not None:
        back = datetime.combine(last_day + timedelta(days=1), time(0), tz) - timedelta(seconds=1)
        session.add(PausePeriod(person_id=settings.person_id, started_at=now, ended_at=back.astimezone(tz)))
    settings.away_until = last_day
    slot = next_slot_for(settings, zone, now)
    settings.next_slot_at = slot.at if slot else None
    session.add(settings)


def _back(last_day: date | None, today: date) -> timedelta:
    """Days from today until the learner is back (0 when not away)."""
    if last_day is None or last_day < today:
        return timedelta(0)
    return last_day + timedelta(days=1) - today
