"""What learners told L&D: lesson ratings counted per lesson, and the topics they suggested."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import Lesson, LessonFeedback, Suggestion


@dataclass(frozen=True)
class LessonRatings:
    lesson_id: str
    title: str
    competency: str
    level: int
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def ratings_by_lesson(session: AsyncSession) -> list[LessonRatings]:
    """Every rated lesson with how often it got each rating (one rating per delivery, the latest click)."""
    rows = await session.exec(
        select(Lesson.id, Lesson.title, Lesson.competency_id, Lesson.level, LessonFeedback.rating, func.count())
        .join(LessonFeedback, col(LessonFeedback.lesson_id) == Lesson.id)
        .group_by(col(Lesson.id), col(Lesson.title), col(Lesson.competency_id), col(Lesson.level),
                  col(LessonFeedback.rating))
    )
    found: dict[str, LessonRatings] = {}
    for lesson_id, title, competency, level, rating, count in rows.all():
        entry = found.setdefault(lesson_id, LessonRatings(lesson_id, title, competency, level, {}))
        entry.counts[rating] = int(count)
    return sorted(found.values(), key=lambda r: r.lesson_id)


async def suggestions(session: AsyncSession) -> list[tuple[int, str, datetime]]:
    """(person, text, when) of every topic suggestion, oldest first."""
    rows = await session.exec(select(Suggestion.person_id, Suggestion.text, Suggestion.created_at)
                              .order_by(col(Suggestion.created_at)))
    return list(rows.all())
