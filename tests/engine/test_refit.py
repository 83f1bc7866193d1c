"""`coach fit`: the model is refitted on the organisation's own answers, and used from then on."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.engine.fitted import load_model
from bot.engine.refit import refit
from bot.errors import CoachError
from store.db import Database
from store.models import Answer, Delivery, ItemParam, Lesson, ModelFit, Person, Question


async def seed_answers(db: Database, learners: int, per_learner: int) -> tuple[str, str]:
    """Answers where one question is almost always missed and another almost always right."""
    rng = random.Random(3)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    async with db.session() as session:
        lessons = (await session.exec(select(Lesson).where(Lesson.competency_id == "infosec",
                                                            Lesson.format != "reflection"))).all()
        questions = []
        for lesson in lessons:
            questions += (await session.exec(select(Question).where(
                Question.lesson_version_id == lesson.current_version_id))).all()
        hard, easy = questions[0], questions[1]
        for n in range(learners):
            person = Person(email=f"l{n}@x.com", name=f"L{n}")
            session.add(person)
            await session.flush()
            for k in range(per_learner):
                question = questions[k % len(questions)]
                lesson = next(lesson for lesson in lessons if lesson.current_version_id == question.lesson_version_id)
                at = start + timedelta(hours=k)
                delivery = Delivery(person_id=person.id, lesson_id=lesson.id, question_id=question.id,
                                    lesson_version_id=question.lesson_version_id, kind="lesson", status="sent",
                                    due_at=at, created_at=at)
                session.add(delivery)
                await session.flush()
                chance = 0.1 if question.id == hard.id else 0.95 if question.id == easy.id else 0.6
                session.add(Answer(delivery_id=delivery.id, person_id=person.id, competency_id="infosec",
                                   lesson_version_id=question.lesson_version_id, question_id=question.id,
                                   item_key=question.item_key, choice=0, correct=rng.random() < chance,
                                   answered_at=at))
    return hard.item_key, easy.item_key


async def test_refit_stores_params_and_difficulties_that_the_engine_then_uses(db: Database) -> None:
    hard, easy = await seed_answers(db, learners=24, per_learner=30)
    report = await refit(db)
    assert report.answers == 720 and report.learners == 24 and report.questions > 2
    async with db.session() as session:
        assert len((await session.exec(select(ModelFit))).all()) == 1
        stored = dict((await session.exec(select(ItemParam.item_key, ItemParam.difficulty)
                                          .where(col(ItemParam.item_key).in_([hard, easy])))).all())
        model = await load_model(session, [hard, easy])
    assert stored[hard] > stored[easy]
    assert model.predict({}, "infosec", item=hard, level=1) < model.predict({}, "infosec", item=easy, level=1)


async def test_refit_refuses_too_little_history(db: Database) -> None:
    await seed_answers(db, learners=5, per_learner=10)
    with pytest.raises(CoachError, match="only 50 graded answers from 5 learners"):
        await refit(db)
    async with db.session() as session:
        assert (await session.exec(select(ModelFit))).all() == []
