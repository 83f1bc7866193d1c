"""Learning records on their way out (CSV, xAPI, a Learning Record Store): answers and badges read in id
order, one page at a time (keyset pagination on the primary key), and the LRS cursors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import (
    Answer,
    Badge,
    Competency,
    Delivery,
    Lesson,
    LessonVersion,
    LrsCursor,
    Person,
    Question,
)
from store.types import utcnow


@dataclass(frozen=True)
class AnswerRecord:
    """One answer with what it answered (never a reflection's text: that stays the learner's)."""

    id: int
    delivery_id: int
    answered_at: datetime
    email: str
    name: str
    manager_email: str | None
    role: str | None
    competency: str
    competency_name: str
    lesson_id: str
    lesson_title: str
    lesson_version: int
    lesson_level: int
    lesson_format: str
    kind: str
    origin: str
    question_key: str | None
    question: str | None
    options: list[dict[str, Any]] | None
    choice: int | None
    correct: bool | None
    mastery_after: float | None
    level_after: int | None
    via: str


@dataclass(frozen=True)
class BadgeRecord:
    id: int
    awarded_at: datetime
    email: str
    name: str
    kind: str
    key: str
    competency_name: str | None


async def answers_after(session: AsyncSession, after_id: int, limit: int) -> list[AnswerRecord]:
    """The next page of answers after `after_id`, in id order."""
    manager = aliased(Person)
    rows = await session.exec(
        select(Answer, Person.email, Person.name, manager.email, Person.role_id, Competency.name, Delivery.kind,
               Delivery.origin, LessonVersion.lesson_id, LessonVersion.title, LessonVersion.version, Lesson.level,
               Lesson.format, Question.key, Question.ask, Question.options)
        .join(Person, col(Person.id) == Answer.person_id)
        .outerjoin(manager, col(manager.id) == Person.manager_id)
        .join(Delivery, col(Delivery.id) == Answer.delivery_id)
        .join(LessonVersion, col(LessonVersion.id) == Answer.lesson_version_id)
        .join(Lesson, col(Lesson.id) == LessonVersion.lesson_id)
        .join(Competency, col(Competency.id) == Answer.competency_id)
        .outerjoin(Question, col(Question.id) == Answer.question_id)
        .where(Answer.id > after_id)  # type: ignore[operator]
        .order_by(col(Answer.id)).limit(limit)
    )
    records = []
    for (answer, email, name, manager_email, role, competency_name, kind, origin, lesson_id, title, version,
         level, lesson_format, question_key, ask, options) in rows.all():
        assert answer.id is not None
        records.append(AnswerRecord(
            id=answer.id, delivery_id=answer.delivery_id, answered_at=answer.answered_at, email=email, name=name,
            manager_email=manager_email, role=role, competency=answer.competency_id,
            competency_name=competency_name, lesson_id=lesson_id, lesson_title=title, lesson_version=version,
            lesson_level=level, lesson_format=lesson_format, kind=kind, origin=origin, question_key=question_key,
            question=ask, options=options, choice=answer.choice, correct=answer.correct,
            mastery_after=answer.mastery_after, level_after=answer.level_after, via=answer.via,
        ))
    return records


async def badges_after(session: AsyncSession, after_id: int, limit: int) -> list[BadgeRecord]:
    """The next page of level-up badges (each one a level mastered) after `after_id`."""
    rows = await session.exec(
        select(Badge, Person.email, Person.name)
        .join(Person, col(Person.id) == Badge.person_id)
        .where(Badge.id > after_id, Badge.kind == "level_up")  # type: ignore[operator]
        .order_by(col(Badge.id)).limit(limit)
    )
    found = [(badge, email, name) for badge, email, name in rows.all()]
    wanted = {badge.key.partition(":")[0] for badge, _, _ in found}
    names = dict((await session.exec(select(Competency.id, Competency.name)
                                     .where(col(Competency.id).in_(sorted(wanted))))).all()) if wanted else {}
    result = []
    for badge, email, name in found:
        assert badge.id is not None
        result.append(BadgeRecord(id=badge.id, awarded_at=badge.awarded_at, email=email, name=name, kind=badge.kind,
                                  key=badge.key, competency_name=names.get(badge.key.partition(":")[0])))
    return result


async def count_records(session: AsyncSession) -> tuple[int, int]:
    """How many answers and level-up badges there are (for progress bars)."""
    answers = (await session.exec(select(func.count()).select_from(Answer))).one()
    badges = (await session.exec(select(func.count()).select_from(Badge).where(Badge.kind == "level_up"))).one()
    return int(answers), int(badges)


async def cursor(session: AsyncSession, endpoint: str, source: str) -> LrsCursor:
    """The cursor for this LRS and source (a fresh one at the start)."""
    return await session.get(LrsCursor, (endpoint, source)) or LrsCursor(endpoint=endpoint, source=source)


async def advance(session: AsyncSession, position: LrsCursor, last_id: int, sent: int) -> None:
    position.last_id = max(position.last_id, last_id)
    position.sent += sent
    position.updated_at = utcnow()
    session.add(position)
