"""A lesson another system asks for (`POST /api/triggers`): for a person, by lesson id, competency or topic.

It goes at once — people's own systems fire triggers while they are at work — unless the learner paused
(held until they resume) or is away (held until their first window back). `defer` holds it for the
learner's next window instead. A trigger's lesson is extra: it never uses up the day's scheduled slot.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.fitted import load_model
from bot.engine.learner import LearnerContext, load_learner
from bot.engine.next_lesson import Plan, plan_lesson, plan_next
from bot.engine.targets import PRIORITY, Target
from bot.lessons.lessons import create_from_plan, policy_config
from bot.lessons.schedule import away_on, window_opening, zone_of
from bot.lessons.topics import find_lessons
from bot.services import Services
from content.search import confident
from store import learning, people
from store.models import Competency, Lesson

TOP_LEVEL = 3


class TriggerNotFound(LookupError):
    """No such learner or content; `closest` names the nearest lessons when a topic matched nothing well."""

    def __init__(self, message: str, closest: list[str] | None = None) -> None:
        super().__init__(message)
        self.closest = closest or []


@dataclass(frozen=True)
class Triggered:
    delivery_id: int
    status: str
    """sending (now) | deferred (held for the learner's window) | held (paused: until they resume)"""
    due_at: datetime


async def trigger(services: Services, *, email: str, lesson: str | None = None, competency: str | None = None,
                  topic: str | None = None, reason: str | None = None, defer: bool = False) -> Triggered:
    """Record the lesson for the learner; the caller sends it when the status is `sending`."""
    async with services.database.session() as session:
        person = await people.person_by_email(session, email)
        if person is None or not person.active or person.id is None:
            raise TriggerNotFound(f"no one with the email {email} is in the org chart")
        ctx = await load_learner(session, person.id)
        plan = await _plan(services, session, ctx, lesson=lesson, competency=competency, topic=topic)
        now = services.clock()
        zone = zone_of(ctx.settings, person, services.config.default_timezone)
        if ctx.settings.paused:
            status, due = "held", now
        else:
            away = away_on(ctx.settings, now.astimezone(ZoneInfo(zone)).date())
            due = window_opening(ctx.settings, zone, now) if defer or away else now
            status = "deferred" if due > now else "sending"
        delivery = await create_from_plan(services, session, person.id, plan, origin="trigger", reason=reason,
                                          pending_from=None if status == "sending" else due)
        assert delivery.id is not None
        return Triggered(delivery.id, status, due)


async def _plan(services: Services, session: AsyncSession, ctx: LearnerContext, *, lesson: str | None,
                competency: str | None, topic: str | None) -> Plan:
    recent = await learning.recent_deliveries(session, ctx.id)
    if lesson is not None:
        found = await session.get(Lesson, lesson)
        if found is None or not found.active:
            raise TriggerNotFound(f"there is no active lesson with the id {lesson}")
        return await plan_lesson(session, ctx, found, recent)
    if competency is not None:
        return await _competency_plan(services, session, ctx, competency, recent)
    assert topic is not None
    hits = await find_lessons(services, session, ctx, topic)
    if not confident(hits):
        raise TriggerNotFound(f"no lesson matches the topic “{topic}” well enough",
                              [hit.doc.lesson_id for hit in hits])
    found = await session.get(Lesson, hits[0].doc.lesson_id)
    assert found is not None
    return await plan_lesson(session, ctx, found, recent)


async def _competency_plan(services: Services, session: AsyncSession, ctx: LearnerContext, competency: str,
                           recent: list[learning.PastDelivery]) -> Plan:
    """The engine's next step in that competency alone (placement, remediation or the working level's lesson);
    for someone who has mastered it all, its most advanced lesson again."""
    if await session.get(Competency, competency) is None:
        raise TriggerNotFound(f"there is no competency with the id {competency}")
    focused = replace(ctx, targets={competency: Target(competency, TOP_LEVEL, "focus", PRIORITY["focus"])})
    plan = await plan_next(session, focused, await load_model(session), services.clock(), policy_config(services),
                           allow_review=False)
    if plan is not None:
        return plan
    top = (await session.exec(
        select(Lesson).where(Lesson.competency_id == competency, col(Lesson.active))
        .order_by(col(Lesson.level).desc(), col(Lesson.id)).limit(1)
    )).first()
    if top is None:
        raise TriggerNotFound(f"the competency {competency} has no lessons yet")
    return await plan_lesson(session, ctx, top, recent)
