"""The next-lesson policy: which lesson and question is most worth this learner's two minutes now.

In order:
1. while any target is unmet, a review only if it is due — FSRS predicts recall below the desired
   retention — for a question at the level of an unmet target whose target-level lessons are all taught
   (new material first), not retired (two right answers in a row), within the review share of recent
   deliveries;
2. the most urgent unmet target (priority of its source x relevance, then the gap):
   - the first time, adaptive placement (bot.engine.placement), while its questions can pay for themselves;
   - after two misses in a row, a simpler lesson;
   - once the target level is shown and the sequential test accepts it, the question alone on a later day
     that is all its confirmation lacks (bot.engine.evidence), before any further lesson;
   - the next unseen lesson at the working level, then above it up to the target (preferred formats
     first, `requires` met) — never a lesson taught again while an unseen one is left;
   - once the target level is shown but not yet confirmed on a later day, a question alone at that level;
   - when every lesson up to the target is taught, retrieval practice: a question alone of a taught lesson;
   - a level below the working one with unseen lessons (a gap in the content), down to the level shown;
   - a lesson taught again only when no open target has any of the above to give (a level waiting for its
     later-day confirmation does not hold the learner on lessons they have just had);
3. when every target is met, any due review (maintenance).
Never the exact same question twice in a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from bot.engine.decision import sprt_confirms
from bot.engine.evidence import Evidence, day_of, target_met
from bot.engine.learner import LearnerContext
from bot.engine.mastery import MasteryModel
from bot.engine.placement import learner_prior, next_level
from bot.engine.reads import LearningReads
from bot.engine.targets import Target
from store.learning import PastDelivery
from store.models import Lesson, Question

REVIEW_WINDOW = 6
RETIRE_AFTER = 2
"""A question answered right this many times in a row is retired while targets are open (Qstream's rule;
Kerfoot et al. 2007, 2009)."""


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


async def working_gaps(reads: LearningReads, ctx: LearnerContext) -> list[tuple[Target, int]]:
    """Targets not yet met with the learner's level, most urgent first (priority, then size of the gap).

    Met: tested out in placement, or confirmed by the sequential test and a right answer on a later day
    (bot.engine.evidence) — the competency the target asks for, not the coverage of every lesson at its level:
    the lessons left stay available through /learn (docs/engine.md, "Competency, not coverage")."""
    gaps = []
    for target in ctx.targets.values():
        state = ctx.view(target.competency)
        if not target_met(Evidence.of(state.state), target.level):
            gaps.append((target, min(state.level, target.level)))
    gaps.sort(key=lambda tl: (-tl[0].priority, -(tl[0].level - tl[1]), tl[0].competency))
    return gaps


async def plan_next(reads: LearningReads, ctx: LearnerContext, model: MasteryModel, now: datetime,
                    config: PolicyConfig, *, allow_review: bool = True) -> Plan | None:
    """The next delivery for this learner, or None when there is nothing left to learn or review."""
    recent = await reads.recent_deliveries(ctx.id)
    last_item = next((d.item_key for d in recent if d.item_key), None)
    gaps = await working_gaps(reads, ctx)
    if allow_review and gaps and _review_allowed(recent, config.review_share):
        taught = [target.competency for target, _ in gaps
                  if not await reads.fresh_lessons(ctx.id, target.competency, target.level, limit=1)]
        plan = await _review(reads, ctx, now, last_item, taught) if taught else None
        if plan is not None:
            return plan
    for again in (False, True):  # a lesson taught again only when no open target has anything else to give
        for target, level in gaps:
            plan = await _plan_for(reads, ctx, model, target, level, recent, last_item, now, again=again)
            if plan is not None:
                return plan
    return await _review(reads, ctx, now, last_item) if allow_review else None


async def plan_in(reads: LearningReads, ctx: LearnerContext, model: MasteryModel, competency: str,
                  config: PolicyConfig, now: datetime) -> Plan | None:
    """The next lesson in one of the learner's targets, whatever its rank among the others (a focus just set
    comes after an older one in `plan_next`); None when the competency has no lesson for their level."""
    target = ctx.targets.get(competency)
    if target is None:
        return None
    recent = await reads.recent_deliveries(ctx.id)
    last_item = next((d.item_key for d in recent if d.item_key), None)
    level = min(ctx.view(competency).level, target.level)
    return await _plan_for(reads, ctx, model, target, level, recent, last_item, now)


async def plan_lesson(reads: LearningReads, ctx: LearnerContext, lesson: Lesson, recent: list[PastDelivery],
                      kind: str = "lesson") -> Plan:
    """Deliver a given lesson (a topic search, a trigger), with the question the learner most needs."""
    last_item = next((d.item_key for d in recent if d.item_key), None)
    question = await _fresh_question(reads, ctx.id, lesson, last_item)
    if question is None:  # its only question was the last one asked: a lesson asked for still gets it
        question = await _fresh_question(reads, ctx.id, lesson, None)
    return Plan(lesson, question, kind, lesson.competency_id)


def _review_allowed(recent: list[PastDelivery], share: float) -> bool:
    """Interleave: never two reviews in a row, and at most `share` of the last deliveries, counting this one."""
    if recent and recent[0].kind == "review":
        return False
    window = recent[: REVIEW_WINDOW - 1]
    return (sum(d.kind == "review" for d in window) + 1) / REVIEW_WINDOW <= share


async def _review(reads: LearningReads, ctx: LearnerContext, now: datetime, last_item: str | None,
                  competencies: list[str] | None = None) -> Plan | None:
    """The most overdue review: while targets are open, only of questions at the level of an open target
    (what the target asks for), never a retired one; once every target is met (maintenance), of a question at
    a target's level first — a right answer there keeps the target's evidence up to date, a miss reopens a
    target passed by a lucky run — then of any question."""
    due = await reads.due_reviews(ctx.id, now, avoid=last_item, limit=10,
                                  competencies=list(ctx.targets) if competencies is None else competencies)
    at_target = [(lesson, question) for lesson, question in due if lesson.competency_id in ctx.targets
                 and lesson.level >= ctx.targets[lesson.competency_id].level]
    if competencies is not None:
        retired = await _retired(reads, ctx.id, [question.item_key for _, question in at_target])
        at_target = [(lesson, question) for lesson, question in at_target if question.item_key not in retired]
    elif not at_target:
        at_target = await reads.due_reviews(ctx.id, now, avoid=last_item, limit=1, competencies=None)
    for lesson, question in at_target[:1]:
        return Plan(lesson, question, "review", lesson.competency_id)
    return None


async def _retired(reads: LearningReads, person_id: int, item_keys: list[str]) -> set[str]:
    """The questions answered right the last RETIRE_AFTER times they were asked."""
    results = await reads.recent_results(person_id, item_keys, per_item=RETIRE_AFTER)
    return {key for key, answers in results.items() if len(answers) == RETIRE_AFTER and all(answers)}


async def _plan_for(reads: LearningReads, ctx: LearnerContext, model: MasteryModel, target: Target, level: int,
                    recent: list[PastDelivery], last_item: str | None, now: datetime, *,
                    again: bool = True) -> Plan | None:
    """The target's next delivery; with `again` False, never a lesson taught again (the last resort, kept for
    when no other open target has anything new, a placement, a confirmation or a retrieval to give)."""
    competency = target.competency
    state = ctx.view(competency)
    evidence = Evidence.of(state.state)
    if not state.placed and not evidence.answers:
        plan = await _placement(reads, ctx, model, target, evidence)
        if plan is not None:
            return plan
    if evidence.misses >= 2:
        plan = await _simpler(reads, ctx, competency, recent, last_item, shown=max(level, state.floor))
        if plan is not None:
            return plan
    working = min(max(level + 1, state.floor, 1) + state.level_offset, target.level)
    shown = max(level, state.floor)
    upward = list(range(max(working, 1), target.level + 1))
    today = _start_of_day(now)
    waiting = (level >= target.level and evidence.confirmed < target.level
               and evidence.shown_before(target.level, today.date()))
    if waiting and sprt_confirms((right == 1 for at, right in evidence.answers if at >= target.level),
                                 evidence.prior):
        plan = await _confirmation(reads, ctx, competency, target.level, today, last_item)  # all that is missing
        if plan is not None:
            return plan
    for candidate in upward:
        plan = await _unseen_at(reads, ctx, competency, candidate, last_item, shown=shown)
        if plan is not None:
            return plan
    if waiting:
        plan = await _confirmation(reads, ctx, competency, target.level, today, last_item)
        if plan is not None:
            return plan
    for candidate in reversed(upward):
        plan = await _retrieval(reads, ctx, competency, candidate, today, last_item)
        if plan is not None:
            return plan
    for candidate in range(max(working, 1) - 1, shown, -1):  # a gap in the content: the levels below, not shown
        plan = await _unseen_at(reads, ctx, competency, candidate, last_item, shown=shown)
        if plan is not None:
            return plan
    if not again:
        return None
    for candidate in _nearby(max(working, 1), target.level):  # everything taught and retired: practise again
        plan = await _taught_again_at(reads, ctx, competency, candidate, last_item)
        if plan is not None:
            return plan
    return None


async def _placement(reads: LearningReads, ctx: LearnerContext, model: MasteryModel, target: Target,
                     evidence: Evidence) -> Plan | None:
    """The next placement question: an unasked one at the most informative level (bot.engine.placement),
    or the nearest level that still has one; None when the prior or the answers so far already decide."""
    level = next_level(learner_prior(model, ctx, target.competency, target.level), evidence.placement,
                       await untaught_per_level(reads, ctx.id, target.competency, target.level))
    if level is None:
        return None
    for candidate in _nearby(level, target.level):
        ref = await reads.placement_question(ctx.id, target.competency, candidate)
        if ref is not None:
            lesson = await reads.lesson(ref.lesson_id)
            question = await reads.question(ref.question_id)
            if lesson is not None and question is not None:
                return Plan(lesson, question, "placement", target.competency)
    return None


async def untaught_per_level(reads: LearningReads, person_id: int, competency: str, target: int) -> list[int]:
    """The graded lessons not yet taught at each level 1..target: what placement could let the learner skip
    (bot.engine.placement weighs a question against them)."""
    return [sum(_graded(lesson) for lesson in await reads.fresh_lessons(person_id, competency, level))
            for level in range(1, target + 1)]


async def _simpler(reads: LearningReads, ctx: LearnerContext, competency: str, recent: list[PastDelivery],
                   last_item: str | None, *, shown: int) -> Plan | None:
    """After two misses in a row: an unseen lesson one level below the last one missed."""
    missed = next((d for d in recent if d.competency == competency and d.answered and d.correct is False), None)
    if missed is None or missed.level <= 1:
        return None
    plan = await _unseen_at(reads, ctx, competency, missed.level - 1, last_item, shown=shown)
    return Plan(plan.lesson, plan.question, "remediation", competency) if plan is not None else None


async def _confirmation(reads: LearningReads, ctx: LearnerContext, competency: str, level: int,
                        today: datetime, last_item: str | None) -> Plan | None:
    """The level was shown on an earlier day: a question alone at that level — of a lesson taught before
    today, else of one never taught (a quick check, as in placement) — whose right answer confirms it."""
    plan = await _retrieval(reads, ctx, competency, level, today, last_item)
    if plan is not None:
        return plan
    ref = await reads.placement_question(ctx.id, competency, level)
    if ref is None:
        return None
    lesson = await reads.lesson(ref.lesson_id)
    question = await reads.question(ref.question_id)
    if lesson is None or question is None:
        return None
    return Plan(lesson, question, "placement", competency)


async def _retrieval(reads: LearningReads, ctx: LearnerContext, competency: str, level: int, today: datetime,
                     last_item: str | None) -> Plan | None:
    """A question alone of a lesson at this level taught before today, not retired: never asked first, else
    the one asked longest ago (retrieval practice; the testing effect)."""
    candidates = [(lesson, question) for lesson, question
                  in await reads.taught_questions(ctx.id, competency, level, today)
                  if question.item_key != last_item]
    keys = [question.item_key for _, question in candidates]
    retired = await _retired(reads, ctx.id, keys)
    asked = await reads.asked_items(ctx.id, keys)
    open_ones = [(lesson, question) for lesson, question in candidates if question.item_key not in retired]
    if not open_ones:
        return None
    lesson, question = min(open_ones, key=lambda lq: (lq[1].item_key in asked,
                                                     asked.get(lq[1].item_key) or today))
    return Plan(lesson, question, "review", competency)


def _start_of_day(now: datetime) -> datetime:
    """Midnight (UTC) of the day of `now` (bot.engine.evidence counts days in UTC)."""
    return datetime.combine(day_of(now), time(0), tzinfo=UTC)


async def _unseen_at(reads: LearningReads, ctx: LearnerContext, competency: str, level: int,
                     last_item: str | None, *, shown: int) -> Plan | None:
    """An unseen lesson at this level: preferred formats first, `requires` met."""
    fresh = await reads.fresh_lessons(ctx.id, competency, level)
    ready = await _requirements_met(reads, ctx.id, fresh, shown)
    for lesson in _by_preference(ready, ctx.settings.formats or []):
        question = await _fresh_question(reads, ctx.id, lesson, last_item)
        if question is not None or not _graded(lesson):
            return Plan(lesson, question, "lesson", competency)
    return None


async def _taught_again_at(reads: LearningReads, ctx: LearnerContext, competency: str, level: int,
                           last_item: str | None) -> Plan | None:
    """A lesson taught before, sent again with its question asked longest ago: the last resort."""
    for lesson in await reads.practised_lessons(ctx.id, competency, level):
        question = await _fresh_question(reads, ctx.id, lesson, last_item)
        if question is not None:
            return Plan(lesson, question, "lesson", competency)
    return None


async def _requirements_met(reads: LearningReads, person_id: int, lessons: list[Lesson], shown: int) -> list[Lesson]:
    """Lessons whose `requires` were all taught — or sit at a level the learner has already shown (a
    right placement answer skips the lessons below it, prerequisites included)."""
    needed = sorted({r for lesson in lessons for r in lesson.requires})
    done = await reads.delivered_lessons(person_id, needed)
    done |= await reads.lessons_up_to_level(needed, shown)
    return [lesson for lesson in lessons if all(r in done for r in lesson.requires)]


def _by_preference(lessons: list[Lesson], formats: list[str]) -> list[Lesson]:
    rank = {f: i for i, f in enumerate(formats)}
    return sorted(lessons, key=lambda lesson: (rank.get(lesson.format, len(rank)), lesson.id))


def _graded(lesson: Lesson) -> bool:
    return lesson.format != "reflection"


async def _fresh_question(reads: LearningReads, person_id: int, lesson: Lesson,
                          avoid: str | None) -> Question | None:
    """The lesson's question asked least recently (never asked first), never the one just asked."""
    questions = [q for q in await reads.lesson_questions(lesson) if q.item_key != avoid]
    if not questions:
        return None
    asked = await reads.asked_items(person_id, [q.item_key for q in questions])
    never = [q for q in questions if q.item_key not in asked]
    if never:
        return never[0]
    return min(questions, key=lambda q: asked[q.item_key])


def _nearby(level: int, top: int) -> list[int]:
    """The working level first, then the levels around it, so a content gap never stalls the learner."""
    order = [level, level - 1, level + 1, level - 2, level + 2]
    return [lv for lv in order if 1 <= lv <= top]
