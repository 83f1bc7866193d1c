"""Use case: give a learner a lesson now — the engine's choice, a given lesson, or a topic's best match."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.fitted import load_model
from bot.engine.learner import LearnerContext, load_learner
from bot.engine.next_lesson import Plan, PolicyConfig, plan_lesson, plan_next
from bot.engine.reads import SessionReads
from bot.replies import Button, LessonCard, Notice, Reply
from bot.services import Services
from store import deliveries, learning
from store.deliveries import Claim
from store.models import Competency, Delivery, Lesson, LessonVersion, Question

KIND_NOTES = {
    "review": "Quick review — it keeps what you learned fresh.",
    "placement": "A quick check of what you already know, so I can skip what you don't need.",
    "remediation": "Let's look at this one again from another angle.",
}


def policy_config(services: Services) -> PolicyConfig:
    return PolicyConfig(mastery_threshold=services.config.mastery_threshold, review_share=services.config.review_share)


async def next_plan(services: Services, session: AsyncSession, ctx: LearnerContext) -> Plan | None:
    """The engine's choice for this learner now."""
    model = await load_model(session)
    return await plan_next(SessionReads(session), ctx, model, services.clock(), policy_config(services))


async def create_from_plan(services: Services, session: AsyncSession, person_id: int, plan: Plan, *, origin: str,
                           reason: str | None = None, requested_by: int | None = None, slot: str | None = None,
                           pending_from: datetime | None = None) -> Delivery:
    """Record the delivery before anything is sent (so nothing gets lost): claimed by this process for the
    configured lease, to send now; or, given `pending_from`, pending for the dispatcher from then."""
    delivery = Delivery(**delivery_from_plan(services, person_id, plan, origin=origin, reason=reason,
                                             requested_by=requested_by, slot=slot, pending_from=pending_from))
    session.add(delivery)
    await session.flush()
    return delivery


def delivery_from_plan(services: Services, person_id: int, plan: Plan, *, origin: str, reason: str | None = None,
                       requested_by: int | None = None, slot: str | None = None,
                       pending_from: datetime | None = None) -> dict[str, Any]:
    """The columns of the delivery `create_from_plan` records (the dispatcher inserts a batch of them at once)."""
    assert plan.lesson.current_version_id is not None
    lease = timedelta(seconds=services.config.dispatch_lease_seconds)
    claim = Claim(services.worker_id, lease) if pending_from is None else None
    return deliveries.delivery_values(
        person_id=person_id, lesson_id=plan.lesson.id, version_id=plan.lesson.current_version_id,
        question_id=plan.question.id if plan.question else None, kind=plan.kind, origin=origin,
        now=services.clock(), claim=claim, due_at=pending_from, reason=reason, requested_by=requested_by, slot=slot,
    )


async def lesson_now(services: Services, person_id: int, *, origin: str = "on_demand") -> Reply:
    """`/learn` and the Next lesson button: the engine's next lesson, sent now."""
    async with services.database.session() as session:
        ctx = await load_learner(session, person_id)
        plan = await next_plan(services, session, ctx)
        if plan is None:
            return Reply.text(
                "You have reached every target I know of for you, and no review is due. "
                "Ask for any topic with `/learn <words>`, or set a goal with `/learn goal <role>`."
            )
        delivery = await create_from_plan(services, session, person_id, plan, origin=origin)
        card = await lesson_card(session, delivery)
    return Reply(messages=[card])


async def given_lesson(services: Services, person_id: int, lesson_id: str, *, origin: str,
                       reason: str | None = None, requested_by: int | None = None) -> Delivery | None:
    """A specific lesson (a topic pick, a trigger); None when no active lesson has that id."""
    async with services.database.session() as session:
        lesson = await session.get(Lesson, lesson_id)
        if lesson is None or not lesson.active:
            return None
        ctx = await load_learner(session, person_id)
        recent = await learning.recent_deliveries(session, ctx.id)
        plan = await plan_lesson(SessionReads(session), ctx, lesson, recent)
        return await create_from_plan(services, session, person_id, plan, origin=origin, reason=reason,
                                      requested_by=requested_by)


async def card_for(services: Services, delivery_id: int) -> LessonCard:
    async with services.database.session() as session:
        delivery = await session.get(Delivery, delivery_id)
        assert delivery is not None
        return await lesson_card(session, delivery)


async def lesson_card(session: AsyncSession, delivery: Delivery, *, chosen: str | None = None,
                      correct: bool | None = None) -> LessonCard:
    """The card of one delivery (a batch of them: `store.dispatch.addressees` loads what `card_from` needs)."""
    version = await session.get(LessonVersion, delivery.lesson_version_id)
    lesson = await session.get(Lesson, delivery.lesson_id)
    assert version is not None and lesson is not None
    competency = await session.get(Competency, lesson.competency_id)
    question = await session.get(Question, delivery.question_id) if delivery.question_id else None
    return card_from(delivery, version, lesson, competency.name if competency else lesson.competency_id, question,
                     chosen=chosen, correct=correct)


def card_from(delivery: Delivery, version: LessonVersion, lesson: Lesson, competency_name: str,
              question: Question | None, *, chosen: str | None = None, correct: bool | None = None) -> LessonCard:
    """The platform-neutral card for a delivery: header, text (not for reviews/placements), question."""
    assert delivery.id is not None
    show_text = delivery.kind in ("lesson", "remediation")
    notes = [n for n in (delivery.reason, KIND_NOTES.get(delivery.kind)) if n]
    return LessonCard(
        delivery_id=delivery.id,
        kind=delivery.kind,
        competency=competency_name,
        level=lesson.level,
        minutes=lesson.minutes if show_text else 1,
        title=version.title,
        format=lesson.format,
        body=version.body if show_text else "",
        media=version.media if show_text else None,
        reason=" ".join(notes) or None,
        question=question.ask if question else None,
        options=[
            Button(label=option["text"], action="answer", value={"d": delivery.id, "o": index})
            for index, option in enumerate(question.options if question else [])
        ],
        prompt=version.prompt,
        chosen=chosen,
        correct=correct,
        origin=delivery.origin,
    )


def no_lesson_found(words: str, offers: list[tuple[str, str]], *, search_id: int | None = None) -> Reply:
    """No lesson is clearly right: offer the close ones as buttons (a pick teaches search, through
    `search_id`), or say plainly that nothing fits."""
    if not offers:
        return Reply.text(f"I have no lesson about “{words}” yet. Tell L&D with `/learn suggest {words}`.")
    found = {"s": search_id} if search_id is not None else {}
    buttons = [Button(label=title[:75], action="lesson", value={"l": lesson_id, **found})
               for lesson_id, title in offers]
    return Reply(messages=[Notice(f"I’m not sure which lesson fits “{words}”. Is it one of these?", buttons)])
