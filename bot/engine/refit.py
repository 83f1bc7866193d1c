"""Refitting the mastery model on the organisation's own answers (`coach fit`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from bot.engine.mastery import AnswerRow, fit
from bot.errors import CoachError
from store import model_params
from store.db import Database

MIN_ANSWERS = 500
MIN_LEARNERS = 20


@dataclass(frozen=True)
class RefitReport:
    answers: int
    learners: int
    questions: int


async def refit(database: Database, progress: Callable[[int], None] | None = None,
                minimum: int = MIN_ANSWERS) -> RefitReport:
    """Fit on every graded answer so far and store the new parameters and question difficulties.

    The fit itself is CPU-bound, so it runs in a worker thread; the stored fit is used by every process
    from its next decision on. Too little history would fit noise: below `minimum` answers (or 20 learners)
    the defaults stay in use and this says so."""
    rows: list[AnswerRow] = []
    async with database.session() as session:
        async for person_id, competency, item_key, level, correct in model_params.graded_answers(session):
            rows.append(AnswerRow(user=str(person_id), skill=competency, correct=bool(correct), item=item_key,
                                  level=level))
    learners = len({row.user for row in rows})
    if len(rows) < minimum or learners < MIN_LEARNERS:
        raise CoachError(f"only {len(rows)} graded answers from {learners} learners so far; refitting needs at "
                         f"least {minimum} from {MIN_LEARNERS} learners — the default parameters stay in use")
    params, difficulties = await asyncio.to_thread(fit, rows, progress)
    async with database.session() as session:
        await model_params.save_fit(session, params.to_json(), difficulties, len(rows))
    return RefitReport(answers=len(rows), learners=learners, questions=len(difficulties))
