"""Use case: `/learn progress` — levels against targets, mastery, streak, and what the manager sees."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.fitted import load_model
from bot.engine.learner import LearnerContext, load_learner
from bot.engine.mastery import MasteryModel, SkillState
from bot.lessons.schedule import upcoming_lesson, zone_of
from bot.lessons.streaks import learner_streak
from bot.replies import Button, CompetencyRow, ProgressView, Reply
from bot.services import Services
from store.models import Badge, Competency, Person
from store.people import MAX_DEPTH

MANAGER_SEES = ("your level in each competency your role asks for or they set as a focus (not your goal role or "
                "interests: those are your own plan), or “no answers yet”; how many lessons you answered in the last "
                "7 and 30 days, your streak and when you were last active; whether you are on their “needs "
                "attention” list (no answer for 14 days, not counting a pause or time away, or mastery falling); how "
                "many answers were right per competency over the last 30 days and the lesson ratings you gave — "
                "never your reflections' text. They can download the same as a spreadsheet. Press “What my manager "
                "sees” to see it exactly as they do")


def competency_rows(ctx: LearnerContext, model: MasteryModel, names: dict[str, str],
                    threshold: float) -> list[CompetencyRow]:
    """One row per competency with a target, plus any other competency the learner has practised."""
    states = ctx.skill_states()
    rows = []
    for competency in sorted(set(ctx.targets) | set(ctx.states), key=lambda c: names.get(c, c)):
        state = states.get(competency) or SkillState.from_json(None)
        target = ctx.targets.get(competency)
        target_level = target.level if target else 0
        stored = ctx.states.get(competency)
        rows.append(CompetencyRow(
            competency_id=competency,
            name=names.get(competency, competency),
            level=model.level(state, threshold),
            target=target_level,
            mastery=round(model.mastery(state, max(target_level, 1)), 3),
            attempts=stored.attempts if stored else 0,
            correct=stored.correct if stored else 0,
            why=target.source if target else "practised",
            explanation=model.explain(state, max(target_level, 1)),
        ))
    return rows


async def competency_names(session: AsyncSession) -> dict[str, str]:
    return dict((await session.exec(select(Competency.id, Competency.name))).all())


async def progress(services: Services, person_id: int) -> Reply:
    async with services.database.session() as session:
        ctx = await load_learner(session, person_id)
        model = await load_model(session)
        names = await competency_names(session)
        rows = competency_rows(ctx, model, names, services.config.mastery_threshold)
        streak = await learner_streak(session, ctx, services.clock())
        badges = (await session.exec(select(Badge).where(Badge.person_id == person_id)
                                     .order_by(col(Badge.awarded_at)))).all()
        managers = await managers_above(session, ctx.person)
    manager = managers[0] if managers else None
    zone = zone_of(ctx.settings, ctx.person)
    view = ProgressView(
        name=ctx.person.name,
        streak_days=streak,
        rows=rows,
        next_lesson_at=upcoming_lesson(ctx.settings, zone, services.clock()),
        timezone=zone,
        paused=ctx.settings.paused,
        manager_sees=_who_sees(managers),
        badges=[_badge_label(b, names) for b in badges],
        buttons=[Button("Lesson now", "next", {}, "primary"), Button("Settings", "settings", {}),
                 *([Button("What my manager sees", "manager_view", {})] if manager else [])],
    )
    return Reply(messages=[view])


async def managers_above(session: AsyncSession, person: Person) -> list[Person]:
    """The person's managers up the org chart, nearest first, as far as `/team` reaches: those still in the
    org chart (a manager who left sees nothing, the one above them still does)."""
    chain: list[Person] = []
    seen = {person.id}
    current = person.manager_id
    while current is not None and current not in seen and len(seen) <= MAX_DEPTH:
        seen.add(current)
        above = await session.get(Person, current)
        if above is None:
            break
        if above.active:
            chain.append(above)
        current = above.manager_id
    return chain


def _who_sees(managers: list[Person]) -> str:
    if not managers:
        return "No manager is set for you in the org chart, so no one sees a summary of you."
    first, *above = managers
    also = f" — as do the managers above them ({', '.join(p.name for p in above)}) —" if above else ""
    return f"{first.name} (your manager) sees{also} {MANAGER_SEES}."


def _badge_label(badge: Badge, names: dict[str, str]) -> str:
    if badge.kind == "level_up":
        competency, _, level = badge.key.partition(":")
        return f"Level {level} · {names.get(competency, competency)}"
    return f"All targets met · {badge.key}"
