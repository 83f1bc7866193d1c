"""The next-lesson policy: which lesson and question is most worth this learner's two minutes now.

In order:
1. a spaced review that is due, if reviews are below their share of recent deliveries;
2. the most urgent competency below its target (priority of its source x relevance, then the gap):
   - the first time, placement questions at the most informative level, climbing while right;
   - after a wrong answer, the same concept again with another question, then a simpler lesson;
   - otherwise an unseen lesson at the working level (preferred formats first, `requires` met),
     or practice of a seen one with a question not asked recently;
3. when every target is met, any due review.
Never the exact same question twice in a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.learner import LearnerContext
from bot.engine.mastery import MasteryModel, SkillState
from bot.engine.targets import Target
from store import learning
from store.learning import PastDelivery
from store.models import Lesson, Question

PLACEMENT_MAX = 3
MIN_EVIDENCE = 2
"""Answers needed before a competency counts as met: one right answer to a multiple-choice question can be
a lucky guess."""
REVIEW_WINDOW = 6


@dataclass
class Plan:
    lesson: Lesson
    question: Question | None
    kind: str  # lesson | review | placement | remediation
    competency: str


@dataclass(frozen=True)
class PolicyConfig:
    mastery_threshold: float = 0.8
    review_share: float = 0.34


def working_gaps(ctx: LearnerContext, model: MasteryModel, threshold: float) -> list[tuple[Target, int]]:
    """Targets not yet met with the learner's level, most urgent first (priority, then size of the gap)."""
    gaps = []
    states = ctx.skill_states()
    for target in ctx.targets.values():
        level = model.level(states.get(target.competency) or SkillState.from_json(None), threshold)
        if level < target.level or ctx.state(target.competency).attempts < MIN_EVIDENCE:
            gaps.append((target, min(level, target.level - 1)))
    gaps.sort(key=lambda tl: (-tl[0].priority, -(tl[0].level - tl[1]), tl[0].competency))
    return gaps


async def plan_next(session: AsyncSession, ctx: LearnerContext, model: MasteryModel, now: datetime,
                    config: PolicyConfig, *, allow_review: bool = True) -> Plan | None:
    """The next delivery for this learner, or None when there is nothing left to learn or review."""
    recent = await learning.recent_deliveries(session, ctx.id)
    last_item = next((d.item_key for d in recent if d.item_key), None)
    if allow_review and _review_allowed(recent, config.review_share):
        plan = await _review(session, ctx, now, last_item)
        if plan is not None:
            return plan
    for target, level in _finish_placement_first(working_gaps(ctx, model, config.mastery_threshold), ctx, recent):
        plan = await _plan_for(session, ctx, model, target, level, recent, last_item)
        if plan is not None:
            return plan
    return await _review(session, ctx, now, last_item) if allow_review else None


async def plan_in(session: AsyncSession, ctx: LearnerContext, model: MasteryModel, competency: str,
                  config: PolicyConfig) -> Plan | None:
    """The next lesson in one of the learner's targets, whatever its rank among the others (a focus just set
    comes after an older one in `plan_next`); None when the competency has no lesson for their level."""
    target = ctx.targets.get(competency)
    if target is None:
        return None
    level = model.level(ctx.skill_states().get(competency) or SkillState.from_json(None), config.mastery_threshold)
    recent = await learning.recent_deliveries(session, ctx.id)
    last_item = next((d.item_key for d in recent if d.item_key), None)
    return await _plan_for(session, ctx, model, target, min(level, target.level - 1), recent, last_item)


def _finish_placement_first(gaps: list[tuple[Target, int]], ctx: LearnerContext,
                            recent: list[PastDelivery]) -> list[tuple[Target, int]]:
    """A placement that is climbing (the last answer was a right placement answer) continues before the other
    competencies of its priority, so a learner who knows a competency gets through it in a few questions in a
    row — but a manager's focus or a goal still comes first."""
    last = next((d for d in recent if d.answered), None)
    if last is None or last.kind != "placement" or not last.correct or ctx.state(last.competency).placed:
        return gaps
    return sorted(gaps, key=lambda tl: (-tl[0].priority, tl[0].competency != last.competency))


async def plan_lesson(session: AsyncSession, ctx: LearnerContext, lesson: Lesson, recent: list[PastDelivery],
                      kind: str = "lesson") -> Plan:
    """Deliver a given lesson (a topic search, a trigger), with the question the learner most needs."""
    last_item = next((d.item_key for d in recent if d.item_key), None)
    question = await _fresh_question(session, ctx.id, lesson, last_item)
    if question is None:  # its only question was the last one asked: a lesson asked for still gets it
        question = await _fresh_question(session, ctx.id, lesson, None)
    return Plan(lesson, question, kind, lesson.competency_id)


def _review_allowed(recent: list[PastDelivery], share: float) -> bool:
    """Interleave: never two reviews in a row, and at most `share` of the last deliveries, counting this one."""
    if recent and recent[0].kind == "review":
        return False
    window = recent[: REVIEW_WINDOW - 1]
    return (sum(d.kind == "review" for d in window) + 1) / REVIEW_WINDOW <= share


async def _review(session: AsyncSession, ctx: LearnerContext, now: datetime, last_item: str | None) -> Plan | None:
    for lesson, question in await learning.due_reviews(session, ctx.id, now, avoid=last_item, limit=1):
        return Plan(lesson, question, "review", lesson.competency_id)
    return None


async def _plan_for(session: AsyncSession, ctx: LearnerContext, model: MasteryModel, target: Target, level: int,
                    recent: list[PastDelivery], last_item: str | None) -> Plan | None:
    state = ctx.state(target.competency)
    mine = [d for d in recent if d.competency == target.competency]
    if not state.placed and state.attempts < PLACEMENT_MAX:
        plan = await _placement(session, ctx, model, target, mine)
        if plan is not None:
            return plan
    last_answered = next((d for d in mine if d.answered and d.correct is not None), None)
    if last_answered is not None and last_answered.correct is False and last_answered.kind != "placement":
        plan = await _remediate(session, ctx, last_answered, last_item)
        if plan is not None:
            return plan
    working = min(max(level + 1, state.floor, 1) + state.level_offset, target.level)
    shown = max(level, state.floor)
    for candidate_level in _nearby(max(working, 1), target.level):
        plan = await _lesson_at(session, ctx, target.competency, candidate_level, last_item, shown=shown)
        if plan is not None:
            return plan
    return None


async def _placement(session: AsyncSession, ctx: LearnerContext, model: MasteryModel, target: Target,
                     mine: list[PastDelivery]) -> Plan | None:
    """Placement: the most informative level first, then one level up after each right answer — and a
    second question at the target level when the first right answer there is all the evidence."""
    answered = [d for d in mine if d.kind == "placement" and d.answered]
    if answered:
        last = answered[0]
        if not last.correct:
            return None
        levels = [min(last.level + 1, target.level)]
    else:
        states = ctx.skill_states()
        levels = sorted(range(1, target.level + 1), key=lambda lv: -_information(model, states, target, lv))
    for level in levels:
        ref = await learning.placement_question(session, ctx.id, target.competency, level)
        if ref is not None:
            lesson = await session.get(Lesson, ref.lesson_id)
            question = await session.get(Question, ref.question_id)
            if lesson is not None and question is not None:
                return Plan(lesson, question, "placement", target.competency)
    return None


def _information(model: MasteryModel, states: dict[str, SkillState], target: Target, level: int) -> float:
    """Fisher information of a question at this level for this learner: p(1-p), largest near p = 0.5."""
    p = model.predict(states, target.competency, level=level)
    return p * (1.0 - p)


async def _remediate(session: AsyncSession, ctx: LearnerContext, missed: PastDelivery,
                     last_item: str | None) -> Plan | None:
    """After a miss: the same lesson with another question once; after a second miss, a simpler lesson."""
    lesson = await session.get(Lesson, missed.lesson_id)
    if lesson is None:
        return None
    if missed.kind != "remediation":
        question = await _fresh_question(session, ctx.id, lesson, missed.item_key)
        if question is not None and question.item_key != missed.item_key:
            return Plan(lesson, question, "remediation", lesson.competency_id)
    simpler = max(1, missed.level - 1)
    return await _lesson_at(session, ctx, lesson.competency_id, simpler, last_item, exclude=lesson.id, shown=0)


async def _lesson_at(session: AsyncSession, ctx: LearnerContext, competency: str, level: int,
                     last_item: str | None, *, shown: int, exclude: str | None = None) -> Plan | None:
    """A lesson at this level: unseen ones first (preferred formats, `requires` met), else practice."""
    fresh = [lesson for lesson in await learning.fresh_lessons(session, ctx.id, competency, level)
             if lesson.id != exclude]
    ready = await _requirements_met(session, ctx.id, fresh, shown)
    for lesson in _by_preference(ready, ctx.settings.formats or []):
        question = await _fresh_question(session, ctx.id, lesson, last_item)
        if question is not None or not _graded(lesson):
            return Plan(lesson, question, "lesson", competency)
    for lesson in await learning.practised_lessons(session, ctx.id, competency, level):
        if lesson.id == exclude:
            continue
        question = await _fresh_question(session, ctx.id, lesson, last_item)
        if question is not None:
            return Plan(lesson, question, "lesson", competency)
    return None


async def _requirements_met(session: AsyncSession, person_id: int, lessons: list[Lesson], shown: int) -> list[Lesson]:
    """Lessons whose `requires` were all taught — or sit at a level the learner has already shown (a
    right placement answer skips the lessons below it, prerequisites included)."""
    needed = sorted({r for lesson in lessons for r in lesson.requires})
    done = await learning.delivered_lessons(session, person_id, needed)
    done |= await learning.lessons_up_to_level(session, needed, shown)
    return [lesson for lesson in lessons if all(r in done for r in lesson.requires)]


def _by_preference(lessons: list[Lesson], formats: list[str]) -> list[Lesson]:
    rank = {f: i for i, f in enumerate(formats)}
    return sorted(lessons, key=lambda lesson: (rank.get(lesson.format, len(rank)), lesson.id))


def _graded(lesson: Lesson) -> bool:
    return lesson.format != "reflection"


async def _fresh_question(session: AsyncSession, person_id: int, lesson: Lesson,
                          avoid: str | None) -> Question | None:
    """The lesson's question asked least recently (never asked first), never the one just asked."""
    questions = [q for q in await learning.lesson_questions(session, lesson) if q.item_key != avoid]
    if not questions:
        return None
    asked = await learning.asked_items(session, person_id, [q.item_key for q in questions])
    never = [q for q in questions if q.item_key not in asked]
    if never:
        return never[0]
    return min(questions, key=lambda q: asked[q.item_key])


def _nearby(level: int, top: int) -> list[int]:
    """The working level first, then the levels around it, so a content gap never stalls the learner."""
    order = [level, level - 1, level + 1, level - 2, level + 2]
    return [lv for lv in order if 1 <= lv <= top]
