"""One simulated learner through the live coach, the way a person uses it: `/learn` once a working day.

Phase one counts the graded lessons (placement, lessons, reviews, every question) until the coach's own model
counts every target of the learner's role met *and* their hidden skill meets them (the symmetric stop; the
first lesson after which the hidden skill alone met them, the oracle stop, is noted on the way), or the cap;
when the coach has nothing to send (it judges the targets met), the learner comes back the day a review falls
due, as scheduled lessons would. Phase two keeps them with the coach for 90 days more from the stop,
answering whatever it sends (the maintenance it judges due), to measure retention with it against the same
learner left alone at the stop.
"""

from __future__ import annotations

from collections import Counter
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.chat.coach import Coach
from bot.demo.chat import PLATFORM, SimulatedChat
from bot.demo.learners import SimulatedLearner
from bot.demo.simulation import (
    REFLECTION_TEXT,
    ArmResult,
    Learner,
    SimClock,
    answer_card,
    next_working_day,
    wait_for_review,
)
from bot.replies import LessonCard

HORIZONS = (30, 90)
"""Days after the count at which retention is measured."""


@dataclass
class Trial:
    lessons: int | None
    """Symmetric stop: graded lessons until the coach's model counted every target met and the hidden skill
    met them (None: not within the cap)."""
    oracle: int | None
    """Oracle stop: graded lessons until the hidden skill first met every target (None: not within the cap)."""
    given: int
    counted_at: datetime
    kinds: Counter[str] = field(default_factory=Counter)
    """What the graded deliveries up to the (symmetric) stop were (placement, lesson, review, remediation)."""
    after: Counter[str] = field(default_factory=Counter)
    """What the coach sent in the 90 days after the count."""
    with_coach: dict[int, float] = field(default_factory=dict)
    left_alone: dict[int, float] = field(default_factory=dict)
    """Retention HORIZONS days after the symmetric stop: staying with the coach, and left alone at the stop."""
    oracle_with_coach: dict[int, float] = field(default_factory=dict)
    oracle_left_alone: dict[int, float] = field(default_factory=dict)
    """The same, HORIZONS days after the oracle stop (the coach teaches on until its own stop, then maintains)."""


def retention(sim: SimulatedLearner, learner: Learner, start: datetime) -> dict[int, float]:
    """True chance of a right answer on the role's target-level questions, HORIZONS days after `start`."""
    return {days: sim.target_mastery(learner.targets, learner.questions, start + timedelta(days=days))
            for days in HORIZONS}


async def coach_trial(coach: Coach, clock: SimClock, learner: Learner, cap: int) -> Trial:
    """Run both phases for one learner; the clock starts at the learner's first working day."""
    chat = SimulatedChat()
    result = ArmResult(learners=[learner], end=clock.now, chat=chat)
    kinds: Counter[str] = Counter()
    oracle_with: dict[int, float] = {}
    while learner.stopped is None and learner.graded < cap:
        _measure(oracle_with, learner, _marks(learner.at_oracle), clock.now)
        kind = await _one(coach, learner, chat, result)
        if kind is None:  # nothing now (the coach judges the targets met): back when a review is due
            if not await wait_for_review(coach, clock, learner.person_id):
                break
            continue
        kinds[kind] += 1
        if learner.stopped is None:
            clock.now = next_working_day(clock.now)
    trial = Trial(lessons=learner.stopped, oracle=learner.lessons_to_targets, given=learner.graded,
                  counted_at=clock.now, kinds=kinds, oracle_with_coach=oracle_with)
    trial.left_alone = retention(learner.sim, learner, clock.now)
    if learner.at_oracle is None:  # never there: both stops are the cap
        learner.at_oracle = (clock.now, deepcopy(learner.sim))
    trial.oracle_left_alone = retention(learner.at_oracle[1], learner, learner.at_oracle[0])
    marks, oracle_marks = _marks((clock.now, learner.sim)), _marks(learner.at_oracle)
    end = marks[max(HORIZONS)]
    clock.now = next_working_day(clock.now)
    while clock.now < end:
        _measure(trial.with_coach, learner, marks, clock.now)
        _measure(trial.oracle_with_coach, learner, oracle_marks, clock.now)
        kind = await _one(coach, learner, chat, result)
        if kind is not None:
            trial.after[kind] += 1
            clock.now = next_working_day(clock.now)
        elif not await wait_for_review(coach, clock, learner.person_id):
            break
    _measure(trial.with_coach, learner, marks, end + timedelta(days=1))
    _measure(trial.oracle_with_coach, learner, oracle_marks, end + timedelta(days=1))
    return trial


def _marks(stop: tuple[datetime, object] | None) -> dict[int, datetime]:
    """The moments HORIZONS days after a stop (none before the stop is known)."""
    return {days: stop[0] + timedelta(days=days) for days in HORIZONS} if stop else {}


def _measure(into: dict[int, float], learner: Learner, marks: dict[int, datetime], now: datetime) -> None:
    """Record retention at every mark the clock is about to pass (before anything later is answered)."""
    for days, mark in marks.items():
        if days not in into and now > mark:
            into[days] = learner.sim.target_mastery(learner.targets, learner.questions, mark)


async def _one(coach: Coach, learner: Learner, chat: SimulatedChat, result: ArmResult) -> str | None:
    """Ask for a lesson and take it; the kind of graded delivery, "reflection", or None when nothing came."""
    reply = await coach.command(learner.person_id, "")
    card = next((m for m in reply.messages if isinstance(m, LessonCard)), None)
    if card is None:
        return None
    await coach.sent(card.delivery_id, platform=PLATFORM, message_ref=None)
    if not card.options:
        await coach.reflect(learner.person_id, card.delivery_id, REFLECTION_TEXT, via=PLATFORM)
        return "reflection"
    await answer_card(coach, chat, learner, card, result)
    return card.kind
