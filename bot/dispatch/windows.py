"""When a claimed delivery may be posted: inside the learner's window, and as the lesson of a day that has not
got one yet.

- Scheduled lessons and managers' nudges are posted only inside the learner's window (their days, their
  hours, not while away) — on their first try and on every retry, and checked again just before posting, so
  neither an outage nor a long tick brings one at night.
- What a person or their own systems asked for (`/learn`, a topic, a trigger) goes at once: they are there
  right now. If it is held up (an outage) for more than `FRESH_FOR`, "right now" has passed; from then on it
  waits for the learner's window like a scheduled lesson.
- A scheduled lesson whose local day passed before it could be posted is not lost and not doubled: it becomes
  the lesson of the learner's next slot that has none (today's if today is one of their days), and the
  planner, finding that slot taken, plans nothing more for it. If that slot is on a later day, it waits for it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.lessons.schedule import Slot, in_window, next_slot_for, slot_day, slots_from, window_opening
from store import dispatch as claims
from store.db import Database
from store.models import LearnerSettings

FRESH_FOR = timedelta(minutes=30)
IN_WINDOW_ONLY = ("scheduled", "nudge")
NEVER_EXPIRE = ("scheduled",)
"""A scheduled lesson keeps its place in the learner's days however long an outage lasts."""
RETRY_UNSCHEDULABLE = timedelta(days=1)
"""A schedule with no slot in sight (it cannot happen through the settings form) is looked at again daily."""


def next_at(settings: LearnerSettings, zone: str, now: datetime) -> datetime:
    """When the learner's next slot after `now` comes (a day later when their schedule has none in sight)."""
    slot = next_slot_for(settings, zone, now)
    return slot.at if slot else now + RETRY_UNSCHEDULABLE


def keeps_to_window(origin: str, created_at: datetime, moment: datetime) -> bool:
    """Whether this delivery, posted at `moment`, must fall inside the learner's window."""
    return origin in IN_WINDOW_ONLY or moment - created_at > FRESH_FOR


def retry_time(origin: str, created_at: datetime, settings: LearnerSettings, zone: str, at: datetime) -> datetime:
    """The retry after a backoff ending `at`: then, or when the learner's window next opens."""
    return window_opening(settings, zone, at) if keeps_to_window(origin, created_at, at) else at


async def current_slot(database: Database, delivery_id: int, slot: str | None, settings: LearnerSettings,
                       zone: str, moment: datetime) -> Slot | None:
    """For a scheduled lesson whose slot's day has passed: the next slot without a lesson, from today on, which
    it now takes. None when its slot is still today's (or later), or no free slot is in sight."""
    day = slot_day(slot)
    today = moment.astimezone(ZoneInfo(zone)).date()
    if day is None or day >= today:
        return None
    async with database.session() as session:
        for candidate in slots_from(settings, zone, today):
            if await claims.move_to_slot(session, delivery_id, candidate.key):
                return candidate
    return None


REMIND_AFTER = timedelta(hours=3)
REMINDED_ORIGINS = ("scheduled", "trigger")
"""Lessons the learner asked for themselves (`/learn`, a topic) get no reminder: they were there."""


def remind_time(settings: LearnerSettings, zone: str, sent_at: datetime) -> datetime | None:
    """When to remind, or None when that would fall outside the window or on another day."""
    at = sent_at + REMIND_AFTER
    tz = ZoneInfo(zone)
    if at.astimezone(tz).date() != sent_at.astimezone(tz).date() or not in_window(settings, zone, at):
        return None
    return at
