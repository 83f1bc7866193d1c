"""Reflections: free text stored once; the card shows what was stored; thanks only the first time."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlmodel import select

from bot.chat.coach import Coach
from bot.lessons.lessons import card_for, given_lesson
from bot.replies import LessonCard, Notice
from store.db import Database
from store.models import Answer
from tests.support.org import load_sample_org


async def test_a_reflection_is_stored_once(coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    delivery = await given_lesson(coach.services, ben, "procurement-fix-the-friction", origin="topic")
    assert delivery is not None and delivery.id is not None
    card = await card_for(coach.services, delivery.id)
    assert card.prompt and not card.options and card.body
    first, second = await asyncio.gather(
        coach.reflect(ben, delivery.id, "Approvals wait on one person; I'd add a deputy.", via="test"),
        coach.reflect(ben, delivery.id, "A different second thought", via="test"),
    )
    async with db.session() as session:
        rows = (await session.exec(select(Answer).where(Answer.delivery_id == delivery.id))).all()
    assert len(rows) == 1 and rows[0].correct is None and rows[0].text in (
        "Approvals wait on one person; I'd add a deputy.", "A different second thought")
    thanked = [r for r in (first, second) if any(isinstance(m, Notice) for m in r.messages)]
    assert len(thanked) == 1
    for reply in (first, second):
        assert isinstance(reply.update, LessonCard) and reply.update.chosen == rows[0].text
    empty = await coach.reflect(ben, delivery.id, "   ", via="test")
    assert "Write a sentence" in empty.messages[0].text
    stranger = await coach.reflect(ids["cara@example.com"], delivery.id, "not mine", via="test")
    assert "isn't one of yours" in stranger.messages[0].text


async def test_free_text_cannot_answer_a_graded_lesson(coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    card = (await coach.command(ben, "")).messages[0]
    assert isinstance(card, LessonCard) and card.options
    refused = await coach.reflect(ben, card.delivery_id, "some text", via="test")
    assert "answer it with its buttons" in refused.messages[0].text
    async with db.session() as session:
        assert (await session.exec(select(Answer))).all() == []
    graded = await coach.press(ben, "answer", card.options[0].value, via="test")
    assert isinstance(graded.update, LessonCard) and graded.update.chosen == card.options[0].label
