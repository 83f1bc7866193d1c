"""Ending a competency's placement once its prior and answers decide (bot.engine.placement), wherever the answer
that decides it falls.

Placement's prior is the learner's record in their *other* competencies, so an answer in one competency can
settle the placement still open in another: a learner who tests out of procurement is more likely to know
inclusion, and the one right answer they gave on inclusion may now be enough. The planner reads the same prior
and stops asking; if nothing recorded the end, the learner would be taught from level 1 what placement had just
found they know. So every answer settles, with the same rule, each open placement it has decided.
"""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.evidence import Evidence
from bot.engine.learner import LearnerContext
from bot.engine.mastery import MasteryModel, SkillState
from bot.engine.next_lesson import untaught_per_level
from bot.engine.placement import learner_prior, log_odds, next_level, placed_level, posterior
from bot.engine.reads import SessionReads
from store.models import MasteryState


async def settle(session: AsyncSession, model: MasteryModel, ctx: LearnerContext, competency: str, target: int,
                 state: MasteryState, evidence: Evidence) -> bool:
    """End the competency's placement if nothing more is worth asking: teaching starts above the level it
    settled on, or the learner tested out (nothing was read, so nothing to confirm on a later day). Changes
    `state` and `evidence` in place; whether placement ended."""
    chances = learner_prior(model, ctx, competency, target)
    lessons = await untaught_per_level(SessionReads(session), ctx.id, competency, target)
    if next_level(chances, evidence.placement, lessons) is not None:
        return False
    placed_at = placed_level(chances, evidence.placement)
    state.placed, state.floor = True, max(state.floor, placed_at)
    state.level = max(state.level, placed_at)
    if placed_at >= target:
        evidence.tested = evidence.confirmed = target
    else:
        evidence.prior = max(0.0, log_odds(posterior(chances, evidence.placement)[target - 1]))
    return True


async def settle_others(session: AsyncSession, model: MasteryModel, ctx: LearnerContext, answered: str,
                        day: date) -> None:
    """Settle every other target's placement that is under way (asked, not ended, nothing taught yet) and that
    the answer just given in `answered` has decided."""
    for competency, target in ctx.targets.items():
        state = ctx.states.get(competency)
        if competency == answered or state is None or state.placed:
            continue
        evidence = Evidence.of(state.state)
        if evidence.answers or not evidence.placement:
            continue
        if await settle(session, model, ctx, competency, target.level, state, evidence):
            evidence.shown(state.level, day)
            state.state = evidence.stored_with(SkillState.from_json(state.state))
            session.add(state)
