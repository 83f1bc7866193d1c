"""What topic search reads from the catalogue: every active lesson's searchable text, the packs' synonyms, and
a cheap version stamp that changes with every import (so a cached index knows it is stale)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.search import SearchDoc
from store.models import Competency, Lesson, LessonVersion, Pack, Question


async def catalogue_stamp(session: AsyncSession) -> tuple[int, int, str]:
    """(active lessons, sum of their current version ids, latest import): any import that changes a lesson
    changes the first two, and every import (new synonyms too) the last."""
    count, total = (await session.exec(
        select(func.count(col(Lesson.id)), func.coalesce(func.sum(Lesson.current_version_id), 0))
        .where(col(Lesson.active))
    )).one()
    imported = (await session.exec(select(func.max(Pack.imported_at)))).one()
    return int(count), int(total), str(imported)


async def synonym_groups(session: AsyncSession) -> list[list[str]]:
    """Every loaded pack's synonym groups (synonyms.yaml), for the search index."""
    packs = (await session.exec(select(Pack.synonyms).order_by(col(Pack.id)))).all()
    return [list(group) for groups in packs for group in groups or ()]


async def pack_phrasing(session: AsyncSession) -> list[str]:
    """Every loaded pack's question phrasing (phrasing.yaml), which search ignores besides the bundled list."""
    packs = (await session.exec(select(Pack.phrasing).order_by(col(Pack.id)))).all()
    return [phrase for phrases in packs for phrase in phrases or ()]


async def lesson_documents(session: AsyncSession) -> list[SearchDoc]:
    """Each active lesson's title, tags, text, check questions (with options and explanations) and competency."""
    rows = (await session.exec(
        select(Lesson, LessonVersion.body, LessonVersion.prompt, Competency.name, Competency.description)
        .join(LessonVersion, col(LessonVersion.id) == Lesson.current_version_id)
        .join(Competency, col(Competency.id) == Lesson.competency_id)
        .where(col(Lesson.active)).order_by(col(Lesson.id))
    )).all()
    questions: dict[int, list[str]] = {}
    for version_id, ask, options, explain in (await session.exec(
        select(Question.lesson_version_id, Question.ask, Question.options, Question.explain)
        .join(Lesson, col(Lesson.current_version_id) == Question.lesson_version_id)
        .where(col(Lesson.active)).order_by(col(Question.position))
    )).all():
        texts = [ask, *(str(option.get("text", "")) for option in options), explain]
        questions.setdefault(version_id, []).append(" ".join(texts))
    return [
        SearchDoc(lesson_id=lesson.id, title=lesson.title, competency=lesson.competency_id, level=lesson.level,
                  tags=tuple(lesson.tags or ()), asks=tuple(lesson.asks or ()), text=body,
                  questions=" ".join([*questions.get(lesson.current_version_id or 0, []), prompt or ""]),
                  competency_name=f"{name} {description}")
        for lesson, body, prompt, name, description in rows
    ]
