"""Queries for the mastery model's fitted parameters and question difficulties."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store import catalogue_versions
from store.models import Answer, ItemParam, Lesson, LessonVersion, ModelFit, Question
from store.types import utcnow


async def latest_fit(session: AsyncSession) -> dict[str, Any] | None:
    row = (await session.exec(select(ModelFit).order_by(col(ModelFit.id).desc()).limit(1))).first()
    return row.params if row else None


async def item_difficulties(session: AsyncSession, item_keys: Iterable[str]) -> dict[str, float]:
    wanted = sorted({k for k in item_keys if k})
    if not wanted:
        return {}
    rows = await session.exec(select(ItemParam.item_key, ItemParam.difficulty)
                              .where(col(ItemParam.item_key).in_(wanted)))
    return dict(rows.all())


async def save_fit(session: AsyncSession, params: dict[str, Any], difficulties: dict[str, float],
                   answers: int) -> None:
    """Store a refit: the new global parameters and every fitted question difficulty."""
    session.add(ModelFit(params=params, answers=answers))
    await session.exec(delete(ItemParam))
    now = utcnow()
    for item_key, difficulty in difficulties.items():
        session.add(ItemParam(item_key=item_key, difficulty=difficulty, fitted_at=now))
    await catalogue_versions.bump(session, catalogue_versions.MODEL)  # every process's cached model is stale
    await session.flush()


async def graded_answers(session: AsyncSession, batch: int = 5000):  # type: ignore[no-untyped-def]
    """Every graded answer in order per learner: (person id, competency, item key, level, correct)."""
    query = (
        select(Answer.person_id, Answer.competency_id, Answer.item_key, Lesson.level, Answer.correct)
        .join(LessonVersion, col(LessonVersion.id) == Answer.lesson_version_id)
        .join(Lesson, col(Lesson.id) == LessonVersion.lesson_id)
        .join(Question, col(Question.id) == Answer.question_id)
        .where(col(Answer.correct).is_not(None))
        .order_by(col(Answer.person_id), col(Answer.answered_at), col(Answer.id))
        .execution_options(yield_per=batch)
    )
    result = await session.stream(query)
    async for row in result:
        yield row
