"""When a learner's scheduled lessons fall: their days, local window and lessons per day, in their zone.

Slots are spread evenly over the window, each learner at their own offset (from their id) so that a
whole office is not messaged in the same minute. A slot is never outside the window; DST is handled by
building local times in the zone and converting to UTC.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from store.models import LearnerSettings, Person

SEARCH_DAYS = 15


@dataclass(frozen=True)
class Slot:
    at: datetime  # UTC
    key: str  # "YYYY-MM-DD#n" in the learner's local calendar

    @property
    def local_date(self) -> date:
        return date.fromisoformat(self.key.split("#")[0])


def slot_day(key: str | None) -> date | None:
    """The local date of a scheduled slot's key (`2026-12-01#1`); None for no key or another kind of key."""
    head, sep, _n = (key or "").partition("#")
    try:
        return date.fromisoformat(head) if sep else None
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def parse_clock(value: str) -> time:
    """'HH:MM' -> time; raises ValueError with a sentence a person can act on. Remembered: a dispatch tick asks
    for every learner's window several times, and windows are few."""
    try:
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    except (ValueError, TypeError):
        raise ValueError(f"'{value}' is not a time of day like 09:30") from None


def slots_on(day: date, *, person_id: int, days: str, start: str, end: str, per_day: int,
             zone: str) -> list[Slot]:
    """The learner's slots on one local date (none on days off)."""
    if str(day.isoweekday()) not in days or per_day < 1:
        return []
    tz = ZoneInfo(zone)
    opens = datetime.combine(day, parse_clock(start), tz)
    closes = datetime.combine(day, parse_clock(end), tz)
    length = (closes.astimezone(UTC) - opens.astimezone(UTC)).total_seconds()
    if length <= 0:
        return []
    offset = _offset(person_id)
    result = []
    for n in range(per_day):
        seconds = length * (n + offset) / per_day
        at = (opens.astimezone(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)
        result.append(Slot(at=at, key=f"{day.isoformat()}#{n + 1}"))
    return result


def next_slot(after: datetime, *, person_id: int, days: str, start: str, end: str, per_day: int, zone: str,
              not_before: date | None = None) -> Slot | None:
    """The first slot strictly after `after` (and on or after `not_before`, e.g. the day back from leave)."""
    local_today = after.astimezone(ZoneInfo(zone)).date()
    first = max(local_today, not_before) if not_before else local_today
    for ahead in range(SEARCH_DAYS):
        for slot in slots_on(first + timedelta(days=ahead), person_id=person_id, days=days, start=start,
                             end=end, per_day=per_day, zone=zone):
            if slot.at > after:
                return slot
    return None


def inside_window(moment: datetime, *, days: str, start: str, end: str, zone: str) -> bool:
    """Whether a moment falls in the learner's window on one of their days (for on-the-spot sends)."""
    local = moment.astimezone(ZoneInfo(zone))
    if str(local.isoweekday()) not in days:
        return False
    return parse_clock(start) <= local.time().replace(tzinfo=None) < parse_clock(end)


def _offset(person_id: int) -> float:
    """A stable fraction in [0, 0.5) per learner: slots sit in the first half of their share of the window."""
    digest = hashlib.sha256(str(person_id).encode()).digest()
    return (int.from_bytes(digest[:4], "big") / 2**32) * 0.5


def zone_of(settings: LearnerSettings, person: Person, default: str = "UTC") -> str:
    """The learner's zone: their own choice, else the org chart's (or, failing that, the chat profile's, which
    `Coach.identify` and the dispatcher copy onto the person), else the organisation's default
    (`COACH_DEFAULT_TIMEZONE`). A name the zone database does not know counts as unset."""
    return own_zone(settings, person) or default


def own_zone(settings: LearnerSettings, person: Person) -> str | None:
    """The zone the learner or the org chart or their chat profile gave, or None: then it is worth asking the
    chat platform before their first scheduled lesson."""
    return known_zone(settings.timezone) or known_zone(person.timezone)


def known_zone(name: str | None) -> str | None:
    """The name if the zone database knows it (a chat profile may report anything), else None."""
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def away_on(settings: LearnerSettings, day: date) -> bool:
    """Whether the learner said they are away on that local date (`away_until` is their last day off)."""
    return settings.away_until is not None and day <= settings.away_until


def in_window(settings: LearnerSettings, zone: str, moment: datetime) -> bool:
    """Whether the learner is reachable by schedule at `moment`: one of their days, inside their window, not away."""
    local_day = moment.astimezone(ZoneInfo(zone)).date()
    return not away_on(settings, local_day) and inside_window(
        moment, days=settings.days, start=settings.window_start, end=settings.window_end, zone=zone)


def due_slot(settings: LearnerSettings, zone: str, now: datetime) -> Slot | None:
    """The slot to deliver at `now`: today's latest slot that has come, and only while `now` is in the window.

    A dispatcher that was down for hours sends one lesson for the slots it missed today, not a pile of them,
    and never one after the window has closed.
    """
    if settings.paused or not in_window(settings, zone, now):
        return None
    today = now.astimezone(ZoneInfo(zone)).date()
    passed = [slot for slot in slots_on(today, person_id=_person(settings), days=settings.days,
                                        start=settings.window_start, end=settings.window_end,
                                        per_day=settings.lessons_per_day, zone=zone) if slot.at <= now]
    return passed[-1] if passed else None


def window_opening(settings: LearnerSettings, zone: str, now: datetime) -> datetime:
    """When a lesson held for the learner's window can go: now if inside it, else the next time it opens."""
    if in_window(settings, zone, now):
        return now
    tz = ZoneInfo(zone)
    day = now.astimezone(tz).date()
    days_away = max(0, (settings.away_until - day).days) if settings.away_until else 0
    for ahead in range(SEARCH_DAYS + days_away):
        local = day + timedelta(days=ahead)
        opens = datetime.combine(local, parse_clock(settings.window_start), tz).astimezone(UTC)
        if opens > now and str(local.isoweekday()) in settings.days and not away_on(settings, local):
            return opens
    return now + timedelta(days=1)


def _person(settings: LearnerSettings) -> int:
    assert settings.person_id is not None
    return settings.person_id


def slots_from(settings: LearnerSettings, zone: str, day: date) -> Iterator[Slot]:
    """The learner's slots from the local date `day` on, that whole day included, honouring their days and
    time away: where a lesson owed from an earlier day can go without a second lesson on any day."""
    back = settings.away_until + timedelta(days=1) if settings.away_until else None
    first = max(day, back) if back else day
    for ahead in range(SEARCH_DAYS):
        yield from slots_on(first + timedelta(days=ahead), person_id=_person(settings), days=settings.days,
                            start=settings.window_start, end=settings.window_end,
                            per_day=settings.lessons_per_day, zone=zone)


def upcoming_lesson(settings: LearnerSettings, zone: str, now: datetime) -> datetime | None:
    """When to tell the learner their next scheduled lesson comes. The stored slot while it lies ahead; one
    that has passed is owed and goes at the dispatcher's next tick if their window is open now, else at
    their next slot — a time in the past is never what they are told."""
    if settings.paused or settings.next_slot_at is None:
        return None
    if settings.next_slot_at > now:
        return settings.next_slot_at
    if in_window(settings, zone, now):
        return now
    slot = next_slot_for(settings, zone, now)
    return slot.at if slot else None


def next_slot_for(settings: LearnerSettings, zone: str, after: datetime) -> Slot | None:
    """The learner's next slot after `after`, honouring time away (`away_until` is their last day off)."""
    assert settings.person_id is not None
    back = settings.away_until + timedelta(days=1) if settings.away_until else None
    return next_slot(after, person_id=settings.person_id, days=settings.days, start=settings.window_start,
                     end=settings.window_end, per_day=settings.lessons_per_day, zone=zone, not_before=back)
