"""A scripted learner: ask for the next lesson, answer it right or wrong, and inspect what was sent."""

from __future__ import annotations

from sqlmodel import select

from bot.chat.coach import Coach
from bot.replies import LessonCard, Reply
from store.models import Delivery, Lesson, Question
from tests.support.testbot import TestPlatform


async def next_card(coach: Coach, person_id: int) -> LessonCard:
    """`/learn` through the in-process test platform: the lesson is shown and recorded as sent."""
    card = (await TestPlatform(coach).person(person_id).say(""))[0]
    assert isinstance(card, LessonCard), f"expected a lesson, got {card!r}"
    return card


async def option_for(coach: Coach, card: LessonCard, correct: bool) -> int:
    async with coach.services.database.session() as session:
        delivery = await session.get(Delivery, card.delivery_id)
        assert delivery is not None and delivery.question_id is not None
        question = await session.get(Question, delivery.question_id)
        assert question is not None
        return next(i for i, o in enumerate(question.options) if bool(o.get("correct")) == correct)


async def answer(coach: Coach, person_id: int, card: LessonCard, correct: bool) -> Reply:
    """Press the right (or a wrong) option; a reflection gets a sentence instead."""
    if not card.options:
        return await coach.reflect(person_id, card.delivery_id, "I will try this at work this week.", via="test")
    choice = await option_for(coach, card, correct)
    return await coach.press(person_id, "answer", {"d": card.delivery_id, "o": choice}, via="test")


async def delivery_facts(coach: Coach, delivery_id: int) -> tuple[Delivery, Lesson, Question | None]:
    async with coach.services.database.session() as session:
        delivery = await session.get(Delivery, delivery_id)
        assert delivery is not None
        lesson = await session.get(Lesson, delivery.lesson_id)
        assert lesson is not None
        question = await session.get(Question, delivery.question_id) if delivery.question_id else None
        return delivery, lesson, question


async def all_deliveries(coach: Coach, person_id: int) -> list[Delivery]:
    async with coach.services.database.session() as session:
        rows = await session.exec(select(Delivery).where(Delivery.person_id == person_id).order_by(Delivery.id))
        return list(rows.all())
