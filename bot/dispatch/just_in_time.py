"""A lesson another system asks for (`POST /api/triggers`): for a person, by lesson id, competency or topic.

It goes at once — people's own systems fire triggers while they are at work — unless the learner paused
(held until they resume) or is away (held until their first window back). `defer` holds it for the
learner's next window instead. A trigger's lesson is extra: it never uses up the day's scheduled slot.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.fitted import load_model
from bot.engine.learner import LearnerContext, load_learner
from bot.engine.next_lesson import Plan, plan_lesson, plan_next
from bot.engine.reads import SessionReads
from bot.engine.targets import PRIORITY, Target
from bot.lessons.lessons import create_from_plan, policy_config
from bot.lessons.schedule import away_on, window_opening, zone_of
from bot.lessons.topics import find_lessons
from bot.services import Services
from content.search import confident
from store import learning, people
from store import trigger_limits as limits
from store.models import Competency, Lesson

TOP_LEVEL = 3


class TriggerNotFound(LookupError):
    """No such learner or content; `closest` names the nearest lessons when a topic matched nothing well."""

    def __init__(self, message: str, closest: list[str] | None = None) -> None:
        super().__init__(message)
        self.closest = closest or []


class TriggerLimited(Exception):
    """The learner had their day's share of trigger lessons (COACH_TRIGGER_DAILY_CAP): ask again after
    `retry_after` seconds (their next local midnight)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Triggered:
    delivery_id: int
    status: str
    """sending (now) | deferred (held for the learner's window) | held (paused: until they resume); for a
    duplicate, what became of the first one: sending | sent | pending | failed | expired"""
    due_at: datetime
    deduplicated: bool = False
    """The same key, or the same request within COACH_TRIGGER_MERGE_MINUTES: the first one's lesson, no new one."""


async def trigger(services: Services, *, email: str, lesson: str | None = None, competency: str | None = None,
                  topic: str | None = None, reason: str | None = None, defer: bool = False,
                  key: str | None = None) -> Triggered:
    """Record the lesson for the learner; the caller sends it when the status is `sending`.

    An integration bug must not flood a person: a trigger whose idempotency `key` was seen before, or that
    asks for the same as one in the last COACH_TRIGGER_MERGE_MINUTES, is answered with that one's lesson;
    past COACH_TRIGGER_DAILY_CAP trigger lessons in the learner's day, TriggerLimited. The learner's row is
    locked while this is decided, so concurrent triggers for one person are counted one after another.
    """
    wanted = {"lesson": lesson, "competency": competency, "topic": topic}
    fingerprint = hashlib.sha256(json.dumps(
        [email.casefold(), [(k, v.casefold()) for k, v in wanted.items() if v], reason, defer]).encode()).hexdigest()
    try:
        return await _trigger(services, email, wanted, reason, defer, key, fingerprint)
    except IntegrityError:
        if key is None:
            raise
        # Another request with this key (for someone else) committed first: its lesson is the answer.
        return await _trigger(services, email, wanted, reason, defer, key, fingerprint)


async def _trigger(services: Services, email: str, wanted: dict[str, str | None], reason: str | None, defer: bool,
                   key: str | None, fingerprint: str) -> Triggered:
    async with services.database.session() as session:
        person = await people.person_by_email(session, email)
        if person is None or not person.active or person.id is None:
            raise TriggerNotFound(f"no one with the email {email} is in the org chart")
        await limits.lock_learner(session, person.id)
        now = services.clock()
        config = services.config
        earlier = await limits.delivery_for_key(session, key) if key is not None else None
        if earlier is None and config.trigger_merge_minutes > 0:
            earlier = await limits.recent_identical(session, person.id, fingerprint,
                                                    now - timedelta(minutes=config.trigger_merge_minutes))
        if earlier is not None:
            assert earlier.id is not None
            return Triggered(earlier.id, earlier.status, earlier.due_at, deduplicated=True)
        ctx = await load_learner(session, person.id)
        zone = zone_of(ctx.settings, person, config.default_timezone)
        if config.trigger_daily_cap > 0:
            await _within_cap(session, person.id, ZoneInfo(zone), now, config.trigger_daily_cap)
        plan = await _plan(services, session, ctx, **wanted)
        if ctx.settings.paused:
            status, due = "held", now
        else:
            away = away_on(ctx.settings, now.astimezone(ZoneInfo(zone)).date())
            due = window_opening(ctx.settings, zone, now) if defer or away else now
            status = "deferred" if due > now else "sending"
        delivery = await create_from_plan(services, session, person.id, plan, origin="trigger", reason=reason,
                                          pending_from=None if status == "sending" else due)
        delivery.trigger_key, delivery.trigger_fingerprint = key, fingerprint
        session.add(delivery)
        await session.flush()
        assert delivery.id is not None
        return Triggered(delivery.id, status, due)


async def _within_cap(session: AsyncSession, person_id: int, zone: ZoneInfo, now: datetime, cap: int) -> None:
    """Raise TriggerLimited when the learner's local day already holds `cap` trigger lessons."""
    local = now.astimezone(zone)
    midnight = datetime.combine(local.date(), time(), zone)
    if await limits.triggered_since(session, person_id, midnight.astimezone(UTC)) < cap:
        return
    tomorrow = datetime.combine(local.date() + timedelta(days=1), time(), zone)
    wait = math.ceil((tomorrow.astimezone(UTC) - now).total_seconds())
    raise TriggerLimited(f"this learner already had {cap} lessons from triggers today (COACH_TRIGGER_DAILY_CAP); "
                         "their own /learn is never limited", max(1, wait))


async def _plan(services: Services, session: AsyncSession, ctx: LearnerContext, *, lesson: str | None,
                competency: str | None, topic: str | None) -> Plan:
    recent = await learning.recent_deliveries(session, ctx.id)
    if lesson is not None:
        found = await session.get(Lesson, lesson)
        if found is None or not found.active:
            raise TriggerNotFound(f"there is no active lesson with the id {lesson}")
        return await plan_lesson(SessionReads(session), ctx, found, recent)
    if competency is not None:
        return await _competency_plan(services, session, ctx, competency, recent)
    assert topic is not None
    hits = await find_lessons(services, session, ctx, topic)
    if not confident(hits):
        raise TriggerNotFound(f"no lesson matches the topic “{topic}” well enough",
                              [hit.doc.lesson_id for hit in hits])
    found = await session.get(Lesson, hits[0].doc.lesson_id)
    assert found is not None
    return await plan_lesson(SessionReads(session), ctx, found, recent)


async def _competency_plan(services: Services, session: AsyncSession, ctx: LearnerContext, competency: str,
                           recent: list[learning.PastDelivery]) -> Plan:
    """The engine's next step in that competency alone (placement, remediation or the working level's lesson);
    for someone who has mastered it all, its most advanced lesson again."""
    if await session.get(Competency, competency) is None:
        raise TriggerNotFound(f"there is no competency with the id {competency}")
    focused = replace(ctx, targets={competency: Target(competency, TOP_LEVEL, "focus", PRIORITY["focus"])})
    plan = await plan_next(SessionReads(session), focused, await load_model(session), services.clock(),
                           policy_config(services), allow_review=False)
    if plan is not None:
        return plan
    top = (await session.exec(
        select(Lesson).where(Lesson.competency_id == competency, col(Lesson.active))
        .order_by(col(Lesson.level).desc(), col(Lesson.id)).limit(1)
    )).first()
    if top is None:
        raise TriggerNotFound(f"the competency {competency} has no lessons yet")
    return await plan_lesson(SessionReads(session), ctx, top, recent)
