"""Streaks: consecutive scheduled days with at least one answer. Days off, pauses and time away never
break a streak, and today does not break it before the day is over."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

LOOKBACK_DAYS = 400


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
