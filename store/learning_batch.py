"""Queries that load, in a few statements, what the engine needs to choose lessons for a whole batch of learners.

`store.learning` asks small questions about one learner (a dozen bounded queries per choice), which is right
for one person pressing a button. The dispatcher chooses for hundreds at once, so it loads instead the
catalogue (cached per process, see `bot.engine.catalogue`) and each learner's history in one query per kind
of row, and `bot.engine.memory_reads` answers the same questions from that in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import (
    Answer,
    Delivery,
    Focus,
    LearnerSettings,
    Lesson,
    MasteryState,
    ModelFit,
    Person,
    Question,
    ReviewState,
    RoleRequirement,
)


@dataclass(frozen=True)
class DeliveryRow:
    """One past delivery of a learner, with its answer."""

    id: int
    lesson_id: str
    question_id: int | None
    kind: str
    created_at: datetime
    answered: bool
    correct: bool | None


@dataclass(frozen=True)
class ReviewRow:
    """A spaced-review card's due time (the card itself is not needed to choose)."""

    item_key: str
    competency_id: str
    lesson_id: str
    due_at: datetime


@dataclass
class LearnerRows:
    """Everything about one learner that the next-lesson policy reads."""

    person: Person
    settings: LearnerSettings
    states: dict[str, MasteryState]
    focuses: list[str]
    deliveries: list[DeliveryRow]
    reviews: list[ReviewRow]


async def catalogue_rows(session: AsyncSession) -> tuple[list[Lesson], list[Question], dict[str, dict[str, int]],
                                                           dict | None]:
    """The whole catalogue: every lesson, every question of every version, each role's requirements, and the
    newest fitted parameters (None: the defaults)."""
    lessons = list((await session.exec(select(Lesson).order_by(col(Lesson.id)))).all())
    rows = await session.exec(select(Question).order_by(col(Question.lesson_version_id), col(Question.position)))
    questions = list(rows.all())
    roles: dict[str, dict[str, int]] = {}
    for requirement in (await session.exec(select(RoleRequirement))).all():
        roles.setdefault(requirement.role_id, {})[requirement.competency_id] = requirement.level
    fit = (await session.exec(select(ModelFit.params).order_by(col(ModelFit.id).desc()).limit(1))).first()
    return lessons, questions, roles, fit


async def learners(session: AsyncSession,
                   people: Iterable[int] | Iterable[tuple[LearnerSettings, Person]]) -> dict[int, LearnerRows]:
    """The learners' people, settings, mastery states, active focuses, deliveries (newest first) and review
    cards: five queries whatever the batch's size (four when given the learners' settings and person, as the
    dispatcher's claim already read them). Learners without settings are left out."""
    wanted = list(people)
    asked = [item for item in wanted if isinstance(item, int)]
    given = [item for item in wanted if not isinstance(item, int)]
    if asked:
        given += (await session.exec(
            select(LearnerSettings, Person).join(Person, col(Person.id) == LearnerSettings.person_id)
            .where(col(LearnerSettings.person_id).in_(sorted(set(asked)))))).all()
    found: dict[int, LearnerRows] = {}
    for settings, person in given:
        found[settings.person_id] = LearnerRows(person, settings, {}, [], [], [])
    ids = sorted(found)
    if not ids:
        return {}
    for state in (await session.exec(select(MasteryState).where(col(MasteryState.person_id).in_(ids)))).all():
        if state.person_id in found:
            found[state.person_id].states[state.competency_id] = state
    for person_id, competency in (await session.exec(
            select(Focus.person_id, Focus.competency_id)
            .where(col(Focus.person_id).in_(ids), col(Focus.cleared_at).is_(None))
            .order_by(col(Focus.created_at)))).all():
        if person_id in found:
            found[person_id].focuses.append(competency)
    for row in (await session.exec(
            select(Delivery.person_id, Delivery.id, Delivery.lesson_id, Delivery.question_id, Delivery.kind,
                   Delivery.created_at, Answer.id, Answer.correct)
            .outerjoin(Answer, col(Answer.delivery_id) == Delivery.id)
            .where(col(Delivery.person_id).in_(ids))
            .order_by(col(Delivery.created_at).desc(), col(Delivery.id).desc()))).all():
        person_id, delivery_id, lesson_id, question_id, kind, created_at, answer_id, correct = row
        if person_id in found:
            found[person_id].deliveries.append(DeliveryRow(delivery_id, lesson_id, question_id, kind, created_at,
                                                           answer_id is not None, correct))
    for person_id, item_key, competency, lesson_id, due_at in (await session.exec(
            select(ReviewState.person_id, ReviewState.item_key, ReviewState.competency_id, ReviewState.lesson_id,
                   ReviewState.due_at)
            .where(col(ReviewState.person_id).in_(ids))
            .order_by(col(ReviewState.due_at), col(ReviewState.item_key)))).all():
        if person_id in found:
            found[person_id].reviews.append(ReviewRow(item_key, competency, lesson_id, due_at))
    return found
