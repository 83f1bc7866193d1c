"""Queries about one learner's learning: what they need, what they were sent, and what is due.

Every query here is bounded by the learner (indexes on person_id) and returns at most a small, fixed
number of rows, so deciding the next lesson does not grow with the size of the catalogue or the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import (
    Answer,
    Delivery,
    Focus,
    LearnerSettings,
    Lesson,
    MasteryState,
    Person,
    Question,
    ReviewState,
    Role,
    RoleRequirement,
)

DEFAULT_ROLE = "everyone"
RECENT = 12
TAUGHT = ("lesson", "remediation")
"""Delivery kinds that showed the lesson's text; a placement or review question alone does not count."""


@dataclass(frozen=True)
class PastDelivery:
    """A recent delivery with its answer, newest first in lists."""

    id: int
    lesson_id: str
    competency: str
    level: int
    kind: str
    item_key: str | None
    created_at: datetime
    answered: bool
    correct: bool | None


@dataclass(frozen=True)
class QuestionRef:
    """A question of a lesson's current version, enough to deliver it."""

    lesson_id: str
    version_id: int
    question_id: int | None
    item_key: str | None
    level: int


async def role_requirements(session: AsyncSession, role_id: str | None) -> dict[str, int]:
    """The levels a role needs; people without a role get the `everyone` role's, if a pack defines it."""
    role_id = role_id or DEFAULT_ROLE
    rows = await session.exec(select(RoleRequirement).where(RoleRequirement.role_id == role_id))
    return {r.competency_id: r.level for r in rows.all()}


async def active_focuses(session: AsyncSession, person_id: int) -> list[Focus]:
    rows = await session.exec(
        select(Focus).where(Focus.person_id == person_id, col(Focus.cleared_at).is_(None))
        .order_by(col(Focus.created_at))
    )
    return list(rows.all())


async def mastery_states(session: AsyncSession, person_id: int, *, lock: bool = False) -> dict[str, MasteryState]:
    """The learner's state per competency; `lock` holds the rows (PostgreSQL) while an answer is graded."""
    query = select(MasteryState).where(MasteryState.person_id == person_id)
    if lock:
        query = query.with_for_update()
    return {s.competency_id: s for s in (await session.exec(query)).all()}


async def recent_deliveries(session: AsyncSession, person_id: int, limit: int = RECENT) -> list[PastDelivery]:
    rows = await session.exec(
        select(Delivery, Lesson.competency_id, Lesson.level, Question.item_key, Answer.correct, Answer.id)
        .join(Lesson, col(Lesson.id) == Delivery.lesson_id)
        .outerjoin(Question, col(Question.id) == Delivery.question_id)
        .outerjoin(Answer, col(Answer.delivery_id) == Delivery.id)
        .where(Delivery.person_id == person_id)
        .order_by(col(Delivery.created_at).desc(), col(Delivery.id).desc())
        .limit(limit)
    )
    return [
        PastDelivery(id=d.id, lesson_id=d.lesson_id, competency=competency, level=level, kind=d.kind,
                     item_key=item_key, created_at=d.created_at, answered=answer_id is not None,
                     correct=correct)
        for d, competency, level, item_key, correct, answer_id in rows.all()
    ]


async def due_reviews(session: AsyncSession, person_id: int, now: datetime, *, avoid: str | None = None,
                      limit: int = 5, competencies: list[str] | None = None) -> list[tuple[Lesson, Question]]:
    """The learner's most overdue reviews that can still be asked: the lesson is active and its current
    version still has that question (a retired lesson or a removed question never blocks real reviews);
    `competencies`, if given, limits them to those."""
    query = (
        select(Lesson, Question)
        .join(ReviewState, col(ReviewState.lesson_id) == Lesson.id)
        .join(Question, (col(Question.lesson_version_id) == Lesson.current_version_id)
              & (col(Question.item_key) == ReviewState.item_key))
        .where(ReviewState.person_id == person_id, ReviewState.due_at <= now, col(Lesson.active),
               col(ReviewState.item_key) != (avoid or ""))
    )
    if competencies is not None:
        query = query.where(col(ReviewState.competency_id).in_(competencies))
    rows = await session.exec(query.order_by(col(ReviewState.due_at), col(ReviewState.item_key)).limit(limit))
    return list(rows.all())


async def recent_results(session: AsyncSession, person_id: int, item_keys: list[str],
                         per_item: int = 2) -> dict[str, list[bool]]:
    """The last answers (right or wrong, newest first, at most `per_item`) to each of these questions, in any
    version. Per question version, the k-th latest answered delivery is one backward step on the (person,
    question, time) index, so the cost stays bounded by `per_item`, not by how often a question was asked."""
    if not item_keys:
        return {}
    columns = []
    for k in range(per_item):
        nth = (select(Delivery.created_at, Answer.correct)
               .join(Answer, col(Answer.delivery_id) == Delivery.id)
               .where(Delivery.person_id == person_id, Delivery.question_id == Question.id,
                      col(Answer.correct).is_not(None))
               .order_by(col(Delivery.created_at).desc(), col(Delivery.id).desc()).offset(k).limit(1))
        columns += [nth.with_only_columns(Delivery.created_at).scalar_subquery().label(f"at{k}"),
                    nth.with_only_columns(Answer.correct).scalar_subquery().label(f"right{k}")]
    rows = await session.exec(select(Question.item_key, *columns).where(col(Question.item_key).in_(item_keys)))
    answered: dict[str, list[tuple[datetime, bool]]] = {}
    for item_key, *pairs in rows.all():
        found = answered.setdefault(item_key, [])
        found += [(at, bool(right)) for at, right in zip(pairs[::2], pairs[1::2], strict=True) if at is not None]
    return {key: [right for _, right in sorted(found, key=lambda a: a[0], reverse=True)[:per_item]]
            for key, found in answered.items() if found}


async def taught_questions(session: AsyncSession, person_id: int, competency: str, level: int,
                           before: datetime, limit: int = 40) -> list[tuple[Lesson, Question]]:
    """Questions of the current versions of lessons at this level that the learner was taught before
    `before` (their text shown), in catalogue order: what a retrieval can ask without the lesson in view."""
    taught = select(Delivery.id).where(Delivery.person_id == person_id, Delivery.lesson_id == Lesson.id,
                                       col(Delivery.kind).in_(TAUGHT), Delivery.created_at < before)
    rows = await session.exec(
        select(Lesson, Question)
        .join(Question, col(Question.lesson_version_id) == Lesson.current_version_id)
        .where(Lesson.competency_id == competency, Lesson.level == level, col(Lesson.active), taught.exists())
        .order_by(col(Lesson.id), col(Question.position)).limit(limit)
    )
    return list(rows.all())


async def delivered_lessons(session: AsyncSession, person_id: int, lesson_ids: list[str]) -> set[str]:
    """Which of these lessons the learner has already been taught (for `requires`)."""
    if not lesson_ids:
        return set()
    rows = await session.exec(
        select(Delivery.lesson_id).where(Delivery.person_id == person_id, col(Delivery.lesson_id).in_(lesson_ids),
                                         col(Delivery.kind).in_(TAUGHT))
        .distinct()
    )
    return set(rows.all())


async def lessons_up_to_level(session: AsyncSession, lesson_ids: list[str], level: int) -> set[str]:
    """Which of these lessons sit at or below a level (prerequisites a learner has placed out of)."""
    if not lesson_ids or level < 1:
        return set()
    rows = await session.exec(select(Lesson.id).where(col(Lesson.id).in_(lesson_ids), Lesson.level <= level))
    return set(rows.all())


async def fresh_lessons(session: AsyncSession, person_id: int, competency: str, level: int,
                        limit: int = 20) -> list[Lesson]:
    """Active lessons at this competency and level that the learner has never been taught."""
    sent = select(Delivery.id).where(Delivery.person_id == person_id, Delivery.lesson_id == Lesson.id,
                                     col(Delivery.kind).in_(TAUGHT))
    rows = await session.exec(
        select(Lesson).where(Lesson.competency_id == competency, Lesson.level == level, col(Lesson.active),
                             ~sent.exists())
        .order_by(col(Lesson.id)).limit(limit)
    )
    return list(rows.all())


async def practised_lessons(session: AsyncSession, person_id: int, competency: str, level: int,
                            limit: int = 20) -> list[Lesson]:
    """Active graded lessons at this level the learner was sent before, least recently sent first.

    The last-sent time comes from the (person, lesson, created_at) index, one probe per lesson, so the
    cost does not grow with the learner's history."""
    last_sent = (
        select(func.max(Delivery.created_at))
        .where(Delivery.person_id == person_id, Delivery.lesson_id == Lesson.id)
        .scalar_subquery()
    )
    rows = await session.exec(
        select(Lesson, last_sent.label("last_sent"))
        .where(Lesson.competency_id == competency, Lesson.level == level, col(Lesson.active),
               Lesson.format != "reflection", last_sent.is_not(None))
        .order_by(last_sent, col(Lesson.id)).limit(limit)
    )
    return [lesson for lesson, _ in rows.all()]


async def lesson_questions(session: AsyncSession, lesson: Lesson) -> list[Question]:
    """The questions of the lesson's current version, in order."""
    rows = await session.exec(
        select(Question).where(Question.lesson_version_id == lesson.current_version_id)
        .order_by(col(Question.position))
    )
    return list(rows.all())


async def asked_items(session: AsyncSession, person_id: int, item_keys: list[str]) -> dict[str, datetime]:
    """When each of these questions was last put to the learner (one index probe per question version)."""
    if not item_keys:
        return {}
    last_asked = (
        select(func.max(Delivery.created_at))
        .where(Delivery.person_id == person_id, Delivery.question_id == Question.id)
        .scalar_subquery()
    )
    rows = await session.exec(
        select(Question.item_key, func.max(last_asked))
        .where(col(Question.item_key).in_(item_keys))
        .group_by(col(Question.item_key))
    )
    return {item_key: asked for item_key, asked in rows.all() if asked is not None}


async def placement_question(session: AsyncSession, person_id: int, competency: str, level: int) -> QuestionRef | None:
    """A question at this level of the competency that the learner has never been asked (in any version):
    one index probe per candidate, never a scan of the learner's history."""
    asked = aliased(Question)
    ever_asked = (
        select(Delivery.id).join(asked, col(asked.id) == Delivery.question_id)
        .where(Delivery.person_id == person_id, col(asked.item_key) == Question.item_key)
    )
    row = (await session.exec(
        select(Lesson.id, Lesson.current_version_id, Question.id, Question.item_key, Lesson.level)
        .join(Question, col(Question.lesson_version_id) == Lesson.current_version_id)
        .where(Lesson.competency_id == competency, Lesson.level == level, col(Lesson.active), ~ever_asked.exists())
        .order_by(col(Question.position), col(Lesson.id)).limit(1)
    )).first()
    if row is None:
        return None
    lesson_id, version_id, question_id, item_key, lesson_level = row
    return QuestionRef(lesson_id, version_id, question_id, item_key, lesson_level)


async def learner(session: AsyncSession, person_id: int) -> tuple[Person, LearnerSettings]:
    """The person and their settings. Everyone the org chart loads is enrolled; someone added another way
    (a script, an older database) is enrolled with the default schedule the first time they are looked at."""
    person = await session.get(Person, person_id)
    if person is None:
        raise LookupError(f"person {person_id} does not exist")
    settings = await session.get(LearnerSettings, person_id)
    if settings is None:
        settings = LearnerSettings(person_id=person_id)
        session.add(settings)
        await session.flush()
    return person, settings


async def role_names(session: AsyncSession) -> dict[str, str]:
    return dict((await session.exec(select(Role.id, Role.name).order_by(Role.name))).all())
