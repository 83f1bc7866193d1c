"""One arm of the demo: simulated learners going through the real store, engine and dispatcher.

A simulated clock moves an hour at a time; every hour the real `Dispatcher` ticks (schedules, windows,
reminders), the simulated chat hands each lesson to its learner, and the learner reads, answers through
`Coach.press` like a button, sometimes rates the lesson or asks for one more — exactly the calls the Slack
and Teams handlers make.
"""

from __future__ import annotations

import asyncio
import random
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select

from bot.chat.coach import Coach
from bot.config import Settings
from bot.demo.chat import PLATFORM, SimulatedChat
from bot.demo.learners import Question, SimulatedLearner
from bot.dispatch.dispatcher import Dispatcher
from bot.engine.learner import load_learner
from bot.engine.next_lesson import working_gaps
from bot.engine.reads import SessionReads
from bot.lessons.schedule import zone_of
from bot.replies import AnswerResult, LessonCard, Reply
from store.db import Database
from store.models import Delivery, LearnerSettings, Lesson, Person, ReviewState
from store.models import Question as QuestionRow

ANSWER_RATE = 0.85
WORKDAY_START, WORKDAY_END = 8, 18
TICK = timedelta(hours=2)
"""The simulated dispatcher ticks every two hours of working time (a deployment ticks every minute): slots
sit in the first half of each learner's window, so every one is still sent inside it."""
EXTRA_LESSON_RATE = 0.3
RATING_NOISE = 0.15
REFLECTION_TEXT = "I'll try this with my team this week and see what changes."


@dataclass
class Learner:
    """A simulated learner in the org: their hidden model, targets and what the run measured."""

    person_id: int
    email: str
    role: str
    targets: dict[str, int]
    sim: SimulatedLearner
    rng: random.Random
    questions: list[Question]
    graded: int = 0
    lessons_to_targets: int | None = None
    """Oracle stop: the first graded lesson after which the hidden skill met every target."""
    at_oracle: tuple[datetime, SimulatedLearner] | None = None
    """The moment of the oracle stop and the learner as they were then (for retention from that moment)."""
    stopped: int | None = None
    """Symmetric stop: the first graded lesson after which the coach's own model counted every target met
    *and* the hidden skill met them (a false stop, the model alone, is not a stop)."""


@dataclass
class ArmResult:
    learners: list[Learner]
    end: datetime
    chat: SimulatedChat
    lessons_sent: int = 0
    answers: int = 0
    notes: list[str] = field(default_factory=list)


class SimClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


async def run_arm(url: str, learners: list[Learner], start: datetime, weeks: int, *, review_share: float,
                  featured: int | None) -> ArmResult:
    """Simulate `weeks` of coaching for these learners on the database at `url`."""
    clock = SimClock(start)
    config = Settings(_env_file=None, database_url=url, review_share=review_share, dispatch_concurrency=1)
    database = Database(url)
    coach = Coach(database, config, clock=clock, worker_id="demo")
    chat = SimulatedChat(featured=featured)
    dispatcher = Dispatcher(coach.services, {chat.platform: chat}, config)
    by_id = {learner.person_id: learner for learner in learners}
    result = ArmResult(learners=learners, end=start + timedelta(weeks=weeks), chat=chat)
    zones = await _zones(database)
    while clock.now < result.end:
        if _anyone_at_work(clock.now, zones):
            await dispatcher.tick()
        for person_id, reply in chat.take():
            learner = by_id.get(person_id)
            if learner is not None:
                await _react(coach, chat, learner, reply, result, extra=True)
        clock.now += TICK
    result.lessons_sent = chat.sent
    await database.dispose()
    return result


async def catch_up(url: str, learners: list[Learner], start: datetime, *, cap: int) -> list[Learner]:
    """After the scheduled weeks, each learner the coach has not yet stopped for (its own model counting
    every target met while the hidden skill meets them) asks for a lesson every working day (`/learn`) until
    it does, to count how many lessons the coach needed — or `cap` lessons. When the coach has nothing to
    send (it judges the targets met and the learner is not there: a false stop), they come back the day a
    review falls due, as scheduled lessons would. Learners go side by side, each on their own clock; they are
    returned, counted, because the catch-up runs in another process."""
    database = Database(url)
    await asyncio.gather(*(_catch_up_one(database, url, learner, start, cap) for learner in learners))
    await database.dispose()
    return learners


async def _catch_up_one(database: Database, url: str, learner: Learner, start: datetime, cap: int) -> None:
    clock = SimClock(start)
    coach = Coach(database, Settings(_env_file=None, database_url=url), clock=clock, worker_id="demo")
    chat = SimulatedChat()
    result = ArmResult(learners=[learner], end=start, chat=chat)
    while learner.stopped is None and learner.graded < cap:
        reply = await coach.command(learner.person_id, "")
        card = next((m for m in reply.messages if isinstance(m, LessonCard)), None)
        if card is None:
            if not await wait_for_review(coach, clock, learner.person_id):
                return
            continue
        await coach.sent(card.delivery_id, platform=PLATFORM, message_ref=None, origin=card.origin)
        if card.options:
            await answer_card(coach, chat, learner, card, result)
        else:
            await coach.reflect(learner.person_id, card.delivery_id, REFLECTION_TEXT, via=PLATFORM)
        clock.now = next_working_day(clock.now)


def _anyone_at_work(now: datetime, zones: set[str]) -> bool:
    """Ticks matter only around working hours (windows, reminders, Monday digests); skipping the others
    keeps the simulation fast without changing what is sent."""
    return any(WORKDAY_START <= (local := now.astimezone(ZoneInfo(zone))).hour <= WORKDAY_END
               and local.isoweekday() <= 5 for zone in zones)


async def _zones(database: Database) -> set[str]:
    async with database.session() as session:
        rows = (await session.exec(
            select(LearnerSettings, Person).join(Person, Person.id == LearnerSettings.person_id)  # type: ignore[arg-type]
        )).all()
    return {zone_of(settings, person) for settings, person in rows}


async def _react(coach: Coach, chat: SimulatedChat, learner: Learner, reply: Reply, result: ArmResult, *,
                 extra: bool) -> None:
    for card in (m for m in reply.messages if isinstance(m, LessonCard)):
        if learner.rng.random() > ANSWER_RATE:
            continue
        if card.prompt and not card.options:
            answered = await coach.reflect(learner.person_id, card.delivery_id, REFLECTION_TEXT, via="demo")
            chat.record(learner.person_id, "learner", REFLECTION_TEXT)
            chat.record(learner.person_id, "coach", answered.messages[0] if answered.messages else None)
            continue
        await answer_card(coach, chat, learner, card, result)
        if extra and learner.rng.random() < EXTRA_LESSON_RATE:
            chat.record(learner.person_id, "learner", "(presses Next lesson)")
            more = await coach.press(learner.person_id, "next", {}, via="demo")
            for message in more.messages:
                chat.record(learner.person_id, "coach", message)
                if isinstance(message, LessonCard):
                    await coach.sent(message.delivery_id, platform="demo", message_ref=None, origin=message.origin)
            await _react(coach, chat, learner, more, result, extra=False)


async def answer_card(coach: Coach, chat: SimulatedChat, learner: Learner, card: LessonCard, result: ArmResult) -> None:
    """The learner reads the lesson (if the card teaches one), answers by their hidden skill, presses the option
    like a button, and sometimes rates the lesson."""
    now = coach.services.clock()
    question, options = await _question_of(coach, card.delivery_id)
    if card.kind in ("lesson", "remediation"):
        learner.sim.study(question.competency, question.lesson, question.level, now)
    p_right = learner.sim.p_right(question, now)
    right = learner.sim.answer(question, now)
    wrong = [i for i, o in enumerate(options) if not o.get("correct")]
    choice = next(i for i, o in enumerate(options) if o.get("correct")) if right else learner.rng.choice(wrong)
    chat.record(learner.person_id, "learner", f"(presses “{options[choice]['text']}”)")
    reply = await coach.press(learner.person_id, "answer", {"d": card.delivery_id, "o": choice}, via="demo")
    for message in reply.messages:
        chat.record(learner.person_id, "coach", message)
    result.answers += 1
    learner.graded += 1
    there = learner.sim.meets(learner.targets, learner.questions, now)
    if learner.lessons_to_targets is None and there:
        learner.lessons_to_targets, learner.at_oracle = learner.graded, (now, deepcopy(learner.sim))
    if learner.stopped is None and there and await coach_counts_met(coach, learner.person_id):
        learner.stopped = learner.graded
    rating = _rating(p_right, learner.rng)
    if rating and any(isinstance(m, AnswerResult) for m in reply.messages):
        chat.record(learner.person_id, "learner", f"(rates the lesson: {rating.replace('_', ' ')})")
        await coach.press(learner.person_id, "feedback", {"d": card.delivery_id, "r": rating}, via="demo")


async def coach_counts_met(coach: Coach, person_id: int) -> bool:
    """Whether the coach's own model counts every target of the learner met (bot.engine.next_lesson: no
    working gap left) — what a real course run by the coach can know, unlike the hidden skill."""
    async with coach.services.database.session() as session:
        ctx = await load_learner(session, person_id)
        return not await working_gaps(SessionReads(session), ctx)


async def wait_for_review(coach: Coach, clock: SimClock, person_id: int) -> bool:
    """Move the clock to the working day the learner's next review falls due; False if none ever will."""
    async with coach.services.database.session() as session:
        due = (await session.exec(select(func.min(ReviewState.due_at))
                                  .where(ReviewState.person_id == person_id,
                                         ReviewState.due_at > clock.now))).first()
    if due is None:
        return False
    while clock.now < due:
        clock.now = next_working_day(clock.now)
    return True


def next_working_day(moment: datetime) -> datetime:
    """The same time on the next working day (Monday to Friday)."""
    step = {5: 3, 6: 2}.get(moment.weekday(), 1)
    return moment + timedelta(days=step)


def _rating(p_right: float, rng: random.Random) -> str | None:
    """People say "too easy" when it felt trivial, "too hard" when it felt out of reach. How it felt is their
    true chance blurred by noise: judgements of learning track performance only loosely (Koriat 1997)."""
    felt = p_right + rng.gauss(0.0, RATING_NOISE)
    if felt > 0.97 and rng.random() < 0.3:
        return "too_easy"
    if felt < 0.3 and rng.random() < 0.3:
        return "too_hard"
    return "useful" if rng.random() < 0.08 else None


async def _question_of(coach: Coach, delivery_id: int) -> tuple[Question, list[dict[str, Any]]]:
    async with coach.services.database.session() as session:
        delivery = await session.get(Delivery, delivery_id)
        assert delivery is not None and delivery.question_id is not None
        lesson = await session.get(Lesson, delivery.lesson_id)
        question = await session.get(QuestionRow, delivery.question_id)
        assert lesson is not None and question is not None
        return Question(lesson.competency_id, lesson.level, lesson.id, question.item_key), question.options


async def graded_catalogue(database: Database) -> list[Question]:
    """Every question of every graded lesson, in catalogue order (the order of the one-size-fits-all course)."""
    async with database.session() as session:
        rows = await session.exec(
            select(Lesson.competency_id, Lesson.level, Lesson.id, QuestionRow.item_key, QuestionRow.options)
            .join(QuestionRow, QuestionRow.lesson_version_id == Lesson.current_version_id)  # type: ignore[arg-type]
            .where(Lesson.format != "reflection", col(Lesson.active))
            .order_by(Lesson.pack_id, Lesson.competency_id, Lesson.level, Lesson.id, QuestionRow.position)
        )
        return [Question(*row[:4], options=len(row[4])) for row in rows.all()]


def fixed_course(learner: Learner, start: datetime, end: datetime, lessons: int) -> tuple[int | None, SimulatedLearner]:
    """The same learner (a fresh copy) sitting the fixed course instead: every lesson in catalogue order,
    each followed by its first question.

    Returns how many lessons it takes them to meet their role's targets — to the end of the first whole
    pass after which they meet them (None if two passes through the course are not enough) — and their
    state after the `lessons` lessons the coach gave them in the same weeks — spread evenly over the run, so
    both arms get the same time and the same number of lessons."""
    sim = deepcopy(learner.sim)
    course = list({q.lesson: q for q in reversed(learner.questions)}.values())[::-1]
    needed: int | None = None
    after_run: SimulatedLearner | None = None
    step = (end - start) / max(1, lessons)
    for count, question in enumerate(course * 2, start=1):
        moment = start + step * min(count - 1, lessons)
        sim.study(question.competency, question.lesson, question.level, moment)
        sim.answer(question, moment)
        if needed is None and count % len(course) == 0 and sim.meets(learner.targets, learner.questions, moment):
            needed = count  # charged in whole passes, like the role course (bot.demo.courses)
        if count == lessons:
            after_run = deepcopy(sim)
        if after_run is not None and needed is not None:
            break
    return needed, after_run or deepcopy(sim)
