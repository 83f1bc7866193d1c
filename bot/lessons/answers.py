"""Use case: a learner answers (or reflects on, or rates) a lesson — recorded exactly once.

The answer row's unique `delivery_id` is the guarantee: a double click, a platform retry or two processes
racing all end with one answer, one mastery update and one review update; the losers get the same result
back without a second grading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.evidence import Evidence, day_of, decided_level
from bot.engine.fitted import load_model
from bot.engine.learner import load_learner
from bot.engine.reviews import review
from bot.lessons.lessons import lesson_card
from bot.lessons.placing import settle, settle_others
from bot.lessons.rewards import award_badges
from bot.replies import AnswerResult, Button, Notice, Reply
from store import deliveries, search_log
from store.models import (
    Answer,
    Competency,
    Delivery,
    Lesson,
    LessonFeedback,
    MasteryState,
    Question,
    ReviewState,
)

if TYPE_CHECKING:
    from datetime import datetime

    from bot.services import Services

FEEDBACK = (("useful", "👍 Useful"), ("too_easy", "Too easy"), ("too_hard", "Too hard"),
            ("not_relevant", "Not relevant"))
RELEVANCE_STEP = 0.5
RELEVANCE_FLOOR = 0.125


async def answer(services: Services, person_id: int, delivery_id: int, choice: int, *, via: str) -> Reply:
    """Grade a pressed option; the same press twice returns the first result and changes nothing."""
    async with services.database.session() as session:
        delivery = await deliveries.delivery_for(session, delivery_id, person_id)
        question = await session.get(Question, delivery.question_id) if delivery and delivery.question_id else None
        if delivery is None or question is None:
            return Reply.text("That lesson isn't one of yours, or it has no question to answer.", ephemeral=True)
        if not 0 <= choice < len(question.options):
            return Reply.text("That option doesn't exist (the lesson may have changed).", ephemeral=True)
        celebrations: list[str] | None = None
        target: int | None = None
        for _attempt in range(3):
            existing = await _existing_answer(session, delivery_id)
            if existing is not None:
                break
            try:
                async with session.begin_nested():
                    existing, celebrations, target = await _grade(services, session, delivery, question, choice, via)
                break
            except IntegrityError:
                continue  # another request answered it, or created this competency's state first
        if existing is None:
            return Reply.text("I couldn't record that answer just now; please press the button again.",
                              ephemeral=True)
        return await _result(session, delivery, question, existing, celebrations, target)


async def reflect(services: Services, person_id: int, delivery_id: int, text: str, *, via: str) -> Reply:
    """Store a reflection's free text (once; a second submission keeps the first)."""
    text = text.strip()
    if not text:
        return Reply.text("Write a sentence or two, then send it.", ephemeral=True)
    async with services.database.session() as session:
        found = await _own_delivery(session, delivery_id, person_id)
        if found is None:
            return Reply.text("That reflection isn't one of yours.", ephemeral=True)
        delivery, lesson = found
        if delivery.question_id is not None or lesson.format != "reflection":
            return Reply.text("That lesson asks a question: answer it with its buttons.", ephemeral=True)
        stored, fresh = await _existing_answer(session, delivery_id), False
        if stored is None:
            try:
                async with session.begin_nested():
                    stored = Answer(delivery_id=delivery_id, person_id=person_id, competency_id=lesson.competency_id,
                                    lesson_version_id=delivery.lesson_version_id, text=text[:4000], via=via,
                                    answered_at=services.clock())
                    session.add(stored)
                fresh = True
            except IntegrityError:
                stored = await _existing_answer(session, delivery_id)
        assert stored is not None
        card = await lesson_card(session, delivery, chosen=(stored.text or "")[:200])
    if not fresh:
        return Reply(update=card)
    thanks = Notice("Thank you — your reflection is saved. It is yours alone: your manager never sees it.",
                    [Button("Next lesson", "next", {}, "primary")])
    return Reply(update=card, messages=[thanks])


async def rate(services: Services, person_id: int, delivery_id: int, rating: str) -> Reply:
    """Lesson feedback: stored for L&D, and it adapts the engine (level up/down, lower priority). One rating
    per delivery: a new click replaces it, the same click twice (or two at once) counts once."""
    labels = dict(FEEDBACK)
    if rating not in labels:
        return Reply.text("I don't know that rating.", ephemeral=True)
    async with services.database.session() as session:
        found = await _own_delivery(session, delivery_id, person_id)
        if found is None:
            return Reply.text("That lesson isn't one of yours.", ephemeral=True)
        _, lesson = found
        for _attempt in range(3):
            try:
                async with session.begin_nested():
                    changed = await _store_rating(session, person_id, delivery_id, lesson, rating, services.clock())
                break
            except IntegrityError:
                continue  # a simultaneous click stored its rating first: look again
        else:
            return Reply.text("I couldn't record that just now; please press it again.", ephemeral=True)
    if not changed:
        return Reply.text(f"Already noted: {labels[rating]}.", ephemeral=True)
    return Reply.text(_rating_reply(rating), Button("Next lesson", "next", {}, "primary"), ephemeral=True)


async def _store_rating(session: AsyncSession, person_id: int, delivery_id: int, lesson: Lesson, rating: str,
                        now: datetime) -> bool:
    """Store or replace the rating and move the learner's adjustments; False when it was already this."""
    previous = (await session.exec(select(LessonFeedback).where(LessonFeedback.delivery_id == delivery_id)
                                   .with_for_update())).first()
    if previous is not None and previous.rating == rating:
        return False
    state = (await session.exec(select(MasteryState).where(MasteryState.person_id == person_id,
                                                           MasteryState.competency_id == lesson.competency_id)
                                .with_for_update())).first()
    state = state or MasteryState(person_id=person_id, competency_id=lesson.competency_id)
    if previous is not None:
        _apply_rating(state, previous.rating, undo=True)
        previous.rating, previous.created_at = rating, now
        session.add(previous)
    else:
        session.add(LessonFeedback(delivery_id=delivery_id, person_id=person_id, lesson_id=lesson.id, rating=rating,
                                   created_at=now))
    _apply_rating(state, rating)
    session.add(state)
    await search_log.rated(session, delivery_id, rating, now)  # a lesson a search sent: evidence for its words
    await session.flush()
    return True


async def _own_delivery(session: AsyncSession, delivery_id: int, person_id: int) -> tuple[Delivery, Lesson] | None:
    """The delivery and its lesson, if the delivery was made to this person."""
    delivery = await deliveries.delivery_for(session, delivery_id, person_id)
    if delivery is None:
        return None
    lesson = await session.get(Lesson, delivery.lesson_id)
    assert lesson is not None
    return delivery, lesson


async def _grade(services: Services, session: AsyncSession, delivery: Delivery, question: Question, choice: int,
                 via: str) -> tuple[Answer, list[str], int | None]:
    """Record and grade the answer; returns it, what to celebrate, and the competency's target level."""
    now = services.clock()
    lesson = await session.get(Lesson, delivery.lesson_id)
    assert lesson is not None and delivery.id is not None
    correct = bool(question.options[choice].get("correct"))
    ctx = await load_learner(session, delivery.person_id, lock=True)
    model = await load_model(session, [question.item_key])
    state = ctx.state(lesson.competency_id)
    states = ctx.skill_states()
    model.update(states, lesson.competency_id, correct, item=question.item_key, level=lesson.level,
                 guess=1.0 / len(question.options))
    goal = ctx.targets.get(lesson.competency_id)
    target = goal.level if goal else lesson.level
    skill = states[lesson.competency_id]
    day = day_of(now)
    before = Evidence.of(state.state)
    placing = delivery.kind == "placement" and not state.placed and not before.answers  # not a confirmation
    evidence = before.after(delivery.kind, lesson.level, correct, day, placing=placing,
                                              options=len(question.options))
    state.attempts, state.correct = state.attempts + 1, state.correct + int(correct)
    threshold = services.config.mastery_threshold
    previous, state.level = state.level, decided_level(model, skill, state.level, evidence, threshold)
    if state.level != previous:
        state.level_offset = 0  # "too easy"/"too hard" was about the level the learner has now left
    if placing:
        await settle(session, model, ctx, lesson.competency_id, target, state, evidence)
    if state.placed or delivery.kind != "placement":  # a level is shown once placement is over
        evidence.shown(state.level, day)
    state.state = evidence.stored_with(skill)
    state.updated_at = now
    session.add(state)
    ctx.states[lesson.competency_id] = state
    await settle_others(session, model, ctx, lesson.competency_id, day)
    row = Answer(delivery_id=delivery.id, person_id=delivery.person_id, competency_id=lesson.competency_id,
                 lesson_version_id=delivery.lesson_version_id, question_id=question.id,
                 item_key=question.item_key, choice=choice, correct=correct,
                 mastery_after=model.mastery(skill, target), level_after=state.level, via=via, answered_at=now)
    session.add(row)
    await session.flush()
    if correct or delivery.kind != "placement":  # a placement miss is about what was never taught yet
        await _schedule_review(session, delivery.person_id, question, lesson, correct, now,
                               known_before=delivery.kind == "placement")
    return row, await award_badges(session, ctx, state, now), goal.level if goal else None


async def _schedule_review(session: AsyncSession, person_id: int, question: Question, lesson: Lesson,
                           correct: bool, now: datetime, *, known_before: bool) -> None:
    row = await session.get(ReviewState, (person_id, question.item_key))
    card, due = review(row.card if row else None, correct, now, known_before=known_before)
    if row is None:
        row = ReviewState(person_id=person_id, item_key=question.item_key, competency_id=lesson.competency_id,
                          lesson_id=lesson.id, card=card, due_at=due, reviewed_at=now)
    row.card, row.due_at, row.reviewed_at = card, due, now
    session.add(row)


async def _existing_answer(session: AsyncSession, delivery_id: int) -> Answer | None:
    return (await session.exec(select(Answer).where(Answer.delivery_id == delivery_id))).first()


async def current(services: Services, person_id: int, delivery_id: int) -> Reply:
    """The lesson card as it stands now, and once answered its result again — for a card shown afresh (a
    Teams card refreshing itself, the same answer pressed twice), which must never lose what the learner
    was told. Nothing is recorded, and the result says it is a repeat, so it is not counted again; the
    celebrations were news once and are not repeated."""
    async with services.database.session() as session:
        found = await _own_delivery(session, delivery_id, person_id)
        if found is None:
            return Reply.text("That lesson isn't one of yours.", ephemeral=True)
        delivery, lesson = found
        row = await _existing_answer(session, delivery_id)
        question = await session.get(Question, delivery.question_id) if delivery.question_id else None
        if row is None:
            return Reply(update=await lesson_card(session, delivery))
        if question is None or row.choice is None:  # a reflection: its text is the answer
            return Reply(update=await lesson_card(session, delivery, chosen=(row.text or "")[:200]))
        goal = (await load_learner(session, person_id)).targets.get(lesson.competency_id)
        return await _result(session, delivery, question, row, [], goal.level if goal else None, repeat=True)


async def _result(session: AsyncSession, delivery: Delivery, question: Question, row: Answer,
                  celebrations: list[str] | None, target: int | None, *, repeat: bool = False) -> Reply:
    """The updated card, and — the first time only, or when asked to `repeat` it — right or wrong, why, and
    what next."""
    lesson = await session.get(Lesson, delivery.lesson_id)
    assert lesson is not None and row.choice is not None and delivery.id is not None
    chosen = question.options[row.choice]["text"]
    right = next(o["text"] for o in question.options if o.get("correct"))
    card = await lesson_card(session, delivery, chosen=chosen, correct=row.correct)
    if celebrations is None:
        return Reply(update=card)
    competency = await session.get(Competency, lesson.competency_id)
    name = competency.name if competency else lesson.competency_id
    level = row.level_after or 0
    progress = f"{name}: level {level}" + (f", target {target}" + (" ✓" if level >= target else "")
                                           if target else "")
    result = AnswerResult(
        delivery_id=delivery.id, correct=row.correct, chosen=chosen, right_answer=None if row.correct else right,
        explain=question.explain, progress_line=progress, celebrations=celebrations,
        buttons=[Button("Next lesson", "next", {}, "primary")],
        feedback=[Button(label, "feedback", {"d": delivery.id, "r": key}) for key, label in FEEDBACK],
        repeat=repeat,
    )
    return Reply(update=card, messages=[result])


def _apply_rating(state: MasteryState, rating: str, *, undo: bool = False) -> None:
    sign = -1 if undo else 1
    if rating == "too_easy":
        state.level_offset = max(-2, min(2, state.level_offset + sign))
    elif rating == "too_hard":
        state.level_offset = max(-2, min(2, state.level_offset - sign))
    elif rating == "not_relevant":
        factor = RELEVANCE_STEP if not undo else 1 / RELEVANCE_STEP
        state.relevance = min(1.0, max(RELEVANCE_FLOOR, state.relevance * factor))


def _rating_reply(rating: str) -> str:
    return {
        "useful": "Thanks — glad it helped.",
        "too_easy": "Noted — I'll pick harder lessons in this topic.",
        "too_hard": "Noted — I'll step back to simpler lessons in this topic.",
        "not_relevant": "Noted — I'll send less of this topic, and L&D will see the feedback.",
    }[rating]

