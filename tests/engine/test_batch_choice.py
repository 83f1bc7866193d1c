"""The dispatcher's batched choice (`bot.engine.memory_reads`, the cached catalogue) against the per-learner
path (`SessionReads`, a query per question) on the same data, at every step of several learners' histories."""

from __future__ import annotations

import random
from pathlib import Path

from bot.chat.coach import Coach
from bot.engine.catalogue import CATALOGUES
from bot.engine.fitted import load_model
from bot.engine.learner import learner_context, load_learner
from bot.engine.memory_reads import MemoryReads
from bot.engine.next_lesson import Plan, plan_next
from bot.engine.reads import SessionReads
from bot.lessons.lessons import policy_config
from bot.replies import LessonCard
from store import learning_batch
from store.db import Database
from store.models import Focus, LearnerSettings
from tests.conftest import Clock
from tests.support.learner import answer
from tests.support.org import load_sample_org


def summary(plan: Plan | None) -> tuple[str, int | None, str, str] | None:
    if plan is None:
        return None
    return plan.lesson.id, plan.question.id if plan.question else None, plan.kind, plan.competency


async def both_choices(coach: Coach, people: list[int]) -> tuple[dict[int, object], dict[int, object]]:
    """Each learner's next lesson chosen alone (as `/learn` does) and all of them together (as a tick does)."""
    services = coach.services
    alone = {}
    async with services.database.session() as session:
        model = await load_model(session)
        for person_id in people:
            ctx = await load_learner(session, person_id)
            alone[person_id] = summary(await plan_next(SessionReads(session), ctx, model, services.clock(),
                                                       policy_config(services)))
    together = {}
    async with services.database.session() as session:
        catalogue = await CATALOGUES.current(services.database, session)
        rows = await learning_batch.learners(session, people)
    for person_id in people:
        learner = rows[person_id]
        goal = catalogue.role_needs(learner.settings.goal_role_id) if learner.settings.goal_role_id else {}
        ctx = learner_context(learner.person, learner.settings, learner.states,
                              catalogue.role_needs(learner.person.role_id), goal, learner.focuses)
        together[person_id] = summary(await plan_next(MemoryReads(catalogue, learner), ctx, catalogue.model,
                                                      services.clock(), policy_config(services)))
    return alone, together


async def test_the_batched_choice_is_the_per_learner_choice_at_every_step(coach: Coach, db: Database,
                                                                        clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    people = [ids[e] for e in ("ben@example.com", "cara@example.com", "eli@example.com", "fay@example.com",
                               "gus@example.com", "mia@example.com")]
    async with db.session() as session:  # a manager's focus and a goal role: targets from every source
        session.add(Focus(person_id=ids["cara@example.com"], competency_id="infosec",
                          assigned_by=ids["mia@example.com"],
                          reason="test", created_at=clock()))
        settings = await session.get(LearnerSettings, ids["eli@example.com"])
        assert settings is not None
        settings.goal_role_id = "buyer"
        session.add(settings)
    rng = random.Random(17)
    kinds: set[str] = set()
    for step in range(14):
        alone, together = await both_choices(coach, people)
        assert together == alone, f"step {step}"
        kinds |= {choice[2] for choice in alone.values() if choice}
        for person_id in people:  # each learner takes the lesson chosen and answers it, mostly right
            reply = await coach.command(person_id, "")
            card = reply.messages[0]
            if isinstance(card, LessonCard):
                await answer(coach, person_id, card, correct=rng.random() < 0.7)
        clock.advance(hours=rng.choice([3, 20, 50]))  # later the same day, the next day, days later: reviews fall due
    assert {"placement", "lesson", "review"} <= kinds, kinds  # the histories reached every kind of choice
