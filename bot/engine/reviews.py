"""Spaced review of every answered question with FSRS (the `fsrs` package).

A chat coach sends at most a few lessons a day, so the scheduler runs without FSRS's minute-long
learning steps: a missed question comes back the next day, a known one after days to months.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fsrs import Card, Rating, Scheduler

_SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False, desired_retention=0.9)


def review(card_data: dict[str, Any] | None, correct: bool, when: datetime, *,
           known_before: bool = False) -> tuple[dict[str, Any], datetime]:
    """Grade one answer on the question's card; returns the new card and when to ask it again.

    ``known_before``: answered right before being taught (a placement question) — the learner already
    knew it, so it is rated Easy and first comes back after about a week instead of two days."""
    card = Card.from_dict(card_data) if card_data else Card(card_id=1, due=when)  # type: ignore[arg-type]
    rating = (Rating.Easy if known_before else Rating.Good) if correct else Rating.Again
    card, _log = _SCHEDULER.review_card(card, rating, review_datetime=when)
    return dict(card.to_dict()), card.due


def postpone(card_data: dict[str, Any], by: timedelta) -> tuple[dict[str, Any], datetime]:
    """Move a card's due date later (time away does not count as forgetting time)."""
    card = Card.from_dict(card_data)  # type: ignore[arg-type]
    card.due = card.due + by
    if card.last_review is not None:
        card.last_review = card.last_review + by
    return dict(card.to_dict()), card.due
