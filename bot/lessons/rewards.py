"""Badges: one at each level-up and when all of a role's (or the goal role's) targets are met. A goal is
voluntary: a goal that is the learner's own role earns the role's badge only (and no shout-out)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.evidence import Evidence, target_met
from bot.engine.learner import LearnerContext
from store.models import Badge, Competency, Focus, MasteryState, Person, Role


async def award_badges(session: AsyncSession, ctx: LearnerContext, state: MasteryState, now: datetime) -> list[str]:
    """Award what this answer earned (unique rows: never twice) and say it in one line each."""
    said: list[str] = []
    if state.level > state.best_level:
        competency = await session.get(Competency, state.competency_id)
        name = competency.name if competency else state.competency_id
        for level in range(state.best_level + 1, state.level + 1):
            if await _award(session, ctx.id, "level_up", f"{state.competency_id}:{level}", now):
                said.append(f"🏅 Level {level} in {name}!")
        state.best_level = state.level
        session.add(state)
    said += await _complete_focuses(session, ctx, state, now)
    goal = ctx.settings.goal_role_id if ctx.settings.goal_role_id != ctx.person.role_id else None  # voluntary only
    for kind, role_id, needed in (("role_complete", ctx.person.role_id, ctx.role_needs),
                                  ("goal_complete", goal, ctx.goal_needs)):
        met = bool(role_id and needed) and _all_met(ctx, needed, state)
        if met and role_id and await _award(session, ctx.id, kind, role_id, now):
            role = await session.get(Role, role_id)
            said.append(f"🎉 You meet every target of {role.name if role else role_id}!")
    return said


async def _complete_focuses(session: AsyncSession, ctx: LearnerContext, state: MasteryState,
                            now: datetime) -> list[str]:
    """A manager's focus ends when its level is reached: the engine stops putting it first, the team view
    stops showing it, and the learner hears that they did it."""
    target = ctx.targets.get(state.competency_id)
    if target is None or not target_met(Evidence.of(state.state), target.level):
        return []
    focuses = (await session.exec(select(Focus).where(Focus.person_id == ctx.id,
                                                      Focus.competency_id == state.competency_id,
                                                      col(Focus.cleared_at).is_(None)))).all()
    said = []
    for focus in focuses:
        focus.cleared_at = now
        session.add(focus)
        asker = await session.get(Person, focus.assigned_by) if focus.assigned_by else None
        competency = await session.get(Competency, state.competency_id)
        name = competency.name if competency else state.competency_id
        said.append(f"🎯 Focus complete: {name}" + (f", as {asker.name} asked." if asker else "."))
    return said


def _all_met(ctx: LearnerContext, needed: dict[str, int], updated: MasteryState) -> bool:
    """Every needed level met by the engine's own test (bot.engine.evidence)."""
    rows = {**ctx.states, updated.competency_id: updated}
    return all(c in rows and target_met(Evidence.of(rows[c].state), lv) for c, lv in needed.items())


async def _award(session: AsyncSession, person_id: int, kind: str, key: str, now: datetime) -> bool:
    exists = (await session.exec(select(Badge.id).where(Badge.person_id == person_id, Badge.kind == kind,
                                                        Badge.key == key))).first()
    if exists is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(Badge(person_id=person_id, kind=kind, key=key, awarded_at=now))
    except IntegrityError:
        return False
    return True
