"""Lesson ratings: one per delivery, a new click replaces it, simultaneous clicks count once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlmodel import select

from bot.chat.coach import Coach
from store.db import Database
from store.models import LessonFeedback, MasteryState
from tests.support.learner import answer, delivery_facts, next_card
from tests.support.org import load_sample_org


async def test_simultaneous_ratings_count_once_and_a_change_of_mind_undoes_the_first(
        coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    card = await next_card(coach, ben)
    await answer(coach, ben, card, correct=True)
    competency = (await delivery_facts(coach, card.delivery_id))[1].competency_id
    value = {"d": card.delivery_id, "r": "not_relevant"}
    replies = await asyncio.gather(*(coach.press(ben, "feedback", value, via="test") for _ in range(4)))
    assert sum("Noted" in r.messages[0].text for r in replies) == 1
    async with db.session() as session:
        state = await session.get(MasteryState, (ben, competency))
        ratings = (await session.exec(select(LessonFeedback))).all()
    assert state is not None and state.relevance == 0.5 and [r.rating for r in ratings] == ["not_relevant"]

    await coach.press(ben, "feedback", {"d": card.delivery_id, "r": "too_easy"}, via="test")
    async with db.session() as session:
        state = await session.get(MasteryState, (ben, competency))
        rating = (await session.exec(select(LessonFeedback))).one()
    assert state is not None and state.relevance == 1.0 and state.level_offset == 1
    assert rating.rating == "too_easy" and rating.created_at == coach.services.clock()
