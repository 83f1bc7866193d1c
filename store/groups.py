"""Queries about a group of people at once (a manager's reports, a learner's teammates).

Each takes the group's ids and reads through indexes that start with `person_id`, so its cost follows the
size of the group and its recent activity, never the size of the organisation or of its whole history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import (
    Answer,
    Delivery,
    Focus,
    LearnerSettings,
    Lesson,
    LessonFeedback,
    LessonVersion,
    MasteryState,
    PausePeriod,
    Person,
    RoleRequirement,
)


@dataclass(frozen=True)
class AnswerMark:
    """One answer of a group member, as much as summaries need."""

    person_id: int
    competency: str
    answered_at: datetime
    correct: bool | None
    mastery_after: float | None


@dataclass(frozen=True)
class RecentAnswer:
    competency: str
    lesson_title: str
    answered_at: datetime
    correct: bool | None


@dataclass(frozen=True)
class GivenFeedback:
    lesson_title: str
    rating: str
    created_at: datetime


def _wanted(ids: Iterable[int]) -> list[int]:
    return sorted(set(ids))


async def direct_reports(session: AsyncSession, manager_id: int) -> list[Person]:
    """The people who report to the manager now: leavers (`active` false) are no longer anyone's team."""
    rows = await session.exec(select(Person).where(Person.manager_id == manager_id, col(Person.active))
                              .order_by(Person.name))
    return list(rows.all())


async def settings_of(session: AsyncSession, ids: Iterable[int]) -> dict[int, LearnerSettings]:
    wanted = _wanted(ids)
    if not wanted:
        return {}
    rows = await session.exec(select(LearnerSettings).where(col(LearnerSettings.person_id).in_(wanted)))
    return {s.person_id: s for s in rows.all()}


async def states_of(session: AsyncSession, ids: Iterable[int]) -> dict[int, dict[str, MasteryState]]:
    wanted = _wanted(ids)
    result: dict[int, dict[str, MasteryState]] = {i: {} for i in wanted}
    if wanted:
        rows = await session.exec(select(MasteryState).where(col(MasteryState.person_id).in_(wanted)))
        for state in rows.all():
            result[state.person_id][state.competency_id] = state
    return result


async def focuses_of(session: AsyncSession, ids: Iterable[int]) -> dict[int, list[Focus]]:
    """Active focuses per person, oldest first."""
    wanted = _wanted(ids)
    result: dict[int, list[Focus]] = {i: [] for i in wanted}
    if wanted:
        rows = await session.exec(
            select(Focus).where(col(Focus.person_id).in_(wanted), col(Focus.cleared_at).is_(None))
            .order_by(col(Focus.created_at))
        )
        for focus in rows.all():
            result[focus.person_id].append(focus)
    return result


async def requirements_of(session: AsyncSession, role_ids: Iterable[str]) -> dict[str, dict[str, int]]:
    """role id -> competency -> level, for the given roles only."""
    wanted = sorted(set(role_ids))
    result: dict[str, dict[str, int]] = {r: {} for r in wanted}
    if wanted:
        rows = await session.exec(select(RoleRequirement).where(col(RoleRequirement.role_id).in_(wanted)))
        for need in rows.all():
            result[need.role_id][need.competency_id] = need.level
    return result


async def answers_since(session: AsyncSession, ids: Iterable[int], since: datetime,
                        until: datetime | None = None) -> list[AnswerMark]:
    """Every answer of the group from `since` on (up to `until`: the coach's clock), oldest first
    (ix_answer_person_time)."""
    wanted = _wanted(ids)
    if not wanted:
        return []
    query = select(Answer.person_id, Answer.competency_id, Answer.answered_at, Answer.correct, Answer.mastery_after) \
        .where(col(Answer.person_id).in_(wanted), Answer.answered_at >= since)
    if until is not None:
        query = query.where(Answer.answered_at <= until)
    rows = await session.exec(query.order_by(col(Answer.answered_at), col(Answer.id)))
    return [AnswerMark(*row) for row in rows.all()]


async def last_answer_at(session: AsyncSession, ids: Iterable[int],
                         until: datetime | None = None) -> dict[int, datetime]:
    """When each person last answered anything up to `until` (only asked for people quiet over the
    summaries' look-back)."""
    wanted = _wanted(ids)
    if not wanted:
        return {}
    query = select(Answer.person_id, func.max(Answer.answered_at)).where(col(Answer.person_id).in_(wanted))
    if until is not None:
        query = query.where(Answer.answered_at <= until)
    rows = await session.exec(query.group_by(col(Answer.person_id)))
    return dict(rows.all())


async def pauses_of(session: AsyncSession, ids: Iterable[int], since: datetime) -> dict[int, list[PausePeriod]]:
    """Pauses that were open at some point after `since`, per person."""
    wanted = _wanted(ids)
    result: dict[int, list[PausePeriod]] = {i: [] for i in wanted}
    if wanted:
        rows = await session.exec(
            select(PausePeriod).where(col(PausePeriod.person_id).in_(wanted),
                                      col(PausePeriod.ended_at).is_(None) | (col(PausePeriod.ended_at) >= since))
        )
        for period in rows.all():
            result[period.person_id].append(period)
    return result


async def recent_answers(session: AsyncSession, person_id: int, since: datetime, limit: int = 50) -> list[RecentAnswer]:
    """One person's answers since `since` (never a reflection's text), newest first, each titled as its lesson
    is now (`Lesson.title`, kept equal to the current version's on import), as `feedback_given` titles them:
    an answer to a since-renamed version is listed under the title the manager sees everywhere else."""
    rows = await session.exec(
        select(Answer.competency_id, Lesson.title, Answer.answered_at, Answer.correct)
        .join(LessonVersion, col(LessonVersion.id) == Answer.lesson_version_id)
        .join(Lesson, col(Lesson.id) == LessonVersion.lesson_id)
        .where(Answer.person_id == person_id, Answer.answered_at >= since)
        .order_by(col(Answer.answered_at).desc()).limit(limit)
    )
    return [RecentAnswer(*row) for row in rows.all()]


async def feedback_given(session: AsyncSession, person_id: int, limit: int = 10) -> list[GivenFeedback]:
    """The person's latest lesson ratings, newest first, titled as the lessons are now (as `recent_answers`)."""
    rows = await session.exec(
        select(Lesson.title, LessonFeedback.rating, LessonFeedback.created_at)
        .join(Lesson, col(Lesson.id) == LessonFeedback.lesson_id)
        .where(LessonFeedback.person_id == person_id)
        .order_by(col(LessonFeedback.created_at).desc()).limit(limit)
    )
    return [GivenFeedback(*row) for row in rows.all()]


async def learning_since(session: AsyncSession, ids: Iterable[int], since: datetime) -> dict[int, set[str]]:
    """Competencies of the lessons each person was sent (and did not just get reviewed on) since `since`."""
    wanted = _wanted(ids)
    result: dict[int, set[str]] = {i: set() for i in wanted}
    if wanted:
        rows = await session.exec(
            select(Delivery.person_id, Lesson.competency_id).join(Lesson, col(Lesson.id) == Delivery.lesson_id)
            .where(col(Delivery.person_id).in_(wanted), Delivery.created_at >= since,
                   col(Delivery.kind).in_(["lesson", "remediation", "placement"]),
                   col(Delivery.status) == "sent")
            .distinct()
        )
        for person_id, competency in rows.all():
            result[person_id].add(competency)
    return result


async def recent_nudge(session: AsyncSession, person_id: int, since: datetime) -> bool:
    """Whether someone already nudged this person (or assigned them a focus lesson) since `since`."""
    row = (await session.exec(
        select(Delivery.id).where(Delivery.person_id == person_id, Delivery.created_at >= since,
                                  col(Delivery.origin).in_(["nudge", "focus"])).limit(1)
    )).first()
    return row is not None
