"""A simulated cohort through the live coach and through the two fixed courses, learner by learner.

Used by `bench/learning.py`: one population and one seed on a fresh SQLite file with the starter pack and
a sample org; the coach arm runs the real `/learn` path (store, engine, answers), the courses run on fresh
copies of the same learners.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.chat.coach import Coach
from bot.config import Settings
from bot.demo.courses import CourseRun, lessons_of, role_course, sit
from bot.demo.org import sample_org
from bot.demo.population import make_learner
from bot.demo.run import roster_of
from bot.demo.simulation import Learner, SimClock, graded_catalogue
from bot.demo.trial import coach_trial, retention
from bot.imports.org_chart import import_org_chart
from bot.imports.packs import ensure_starter_content
from store.db import Database

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
"""A Monday, 09:00 UTC: every learner's first working day."""


@dataclass
class Figures:
    """One learner's figures in every arm (lessons None: targets not met within the cap). `coach`,
    `role_course`, `catalogue`: the symmetric stop (bot.demo.trial, bot.demo.courses); `*_oracle`: the
    oracle stop, the first lesson after which the hidden skill met every target."""

    role: str
    coach: int | None
    role_course: int | None
    catalogue: int | None
    coach_oracle: int | None
    role_course_oracle: int | None
    catalogue_oracle: int | None
    kinds: Counter[str]
    after: Counter[str]
    with_coach: dict[int, float]
    left_alone: dict[int, float]
    after_role_course: dict[int, float]
    """Retention after each arm's symmetric stop (bot.demo.trial.HORIZONS days later)."""
    oracle_with_coach: dict[int, float]
    oracle_left_alone: dict[int, float]
    oracle_after_role_course: dict[int, float]
    """The same after each arm's oracle stop."""


def _oracle_retention(course: CourseRun, learner: Learner) -> dict[int, float]:
    """Retention after the course's oracle stop (after its end, if never there)."""
    moment, sim = course.at_oracle or (course.ended, course.sim)
    return retention(sim, learner, moment)


def cohort(path: Path, population: str, seed: int, learners: int, cap: int) -> list[Figures]:
    """Every learner of the cohort in every arm, on a fresh SQLite file at `path` (one process's work)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    csv_text, employees = sample_org(learners, random.Random(f"{seed}:{population}"))
    chart = path.with_suffix(".csv")
    chart.write_text(csv_text)
    return asyncio.run(_cohort(f"sqlite:///{path.resolve()}", chart, employees, population, seed, cap))


async def _cohort(url: str, chart: Path, employees: list[tuple[str, str, str]], population: str, seed: int,
                  cap: int) -> list[Figures]:
    database = Database(url)
    await ensure_starter_content(database)
    await import_org_chart(database, chart)
    roster = await roster_of(database, employees)
    questions = await graded_catalogue(database)
    figures = []
    for person_id, email, role, targets in roster:
        learner = make_learner(person_id, email, role, targets, seed, questions, population)
        clock = SimClock(START)
        coach = Coach(database, Settings(_env_file=None, database_url=url), clock=clock, worker_id="bench")
        trial = await coach_trial(coach, clock, learner, cap)
        course_learner = make_learner(person_id, email, role, targets, seed, questions, population)
        course = sit(course_learner, role_course(questions, targets), START, cap)
        catalogue = sit(make_learner(person_id, email, role, targets, seed, questions, population),
                        lessons_of(questions), START, cap)
        figures.append(Figures(role=role, coach=trial.lessons, role_course=course.lessons,
                               catalogue=catalogue.lessons, coach_oracle=trial.oracle,
                               role_course_oracle=course.oracle, catalogue_oracle=catalogue.oracle,
                               kinds=trial.kinds, after=trial.after,
                               with_coach=trial.with_coach, left_alone=trial.left_alone,
                               after_role_course=retention(course.sim, course_learner, course.ended),
                               oracle_with_coach=trial.oracle_with_coach, oracle_left_alone=trial.oracle_left_alone,
                               oracle_after_role_course=_oracle_retention(course, course_learner)))
    await database.dispose()
    return figures
