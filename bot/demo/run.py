"""The whole demo: set up the org, run the adaptive coach (with and without spaced review) and the fixed
course on the same simulated learners, and collect what `coach demo` prints."""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import shutil
import tempfile
import time as timer
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlmodel import select

from bot.chat.coach import Coach
from bot.config import Settings
from bot.demo.courses import role_course, sit
from bot.demo.org import MANAGERS, sample_org
from bot.demo.population import make_learner
from bot.demo.simulation import ArmResult, Learner, SimClock, catch_up, fixed_course, graded_catalogue, run_arm
from bot.imports.org_chart import import_org_chart
from bot.imports.packs import ensure_starter_content
from bot.replies import Reply
from store.db import Database
from store.models import RoleRequirement
from store.people import people_by_email

AFTER = timedelta(days=30)
DEFAULT_REVIEW_SHARE = 0.34
CATCH_UP_CAP = 90

RosterEntry = tuple[int, str, str, dict[str, int]]
"""(person id, email, role, the role's targets)"""
T = TypeVar("T")
WORKERS = 2
"""The arms, and the two halves of the catch-up, run in separate processes, each on its own copy of the
database: one Python process keeps only one core busy, and the demo should take seconds, not a minute."""


@dataclass(frozen=True)
class DemoOptions:
    seed: int = 7
    learners: int = 12
    weeks: int = 3
    path: Path = Path("coach-demo.db")
    catch_up_cap: int = CATCH_UP_CAP
    """After the weeks, learners who have not met their targets keep asking for lessons, up to this many."""
    start: date | None = None
    """The Monday the simulated weeks begin; by default the one that makes them end by today, so that the
    database left behind reads as recent history to `coach chat` and `/team`."""

    def first_monday(self, today: date) -> datetime:
        """05:00 UTC on the first simulated Monday (before anyone's window opens)."""
        yesterday = today - timedelta(days=1)  # the weeks end on a Monday morning that has passed
        monday = self.start or yesterday - timedelta(days=yesterday.weekday(), weeks=self.weeks)
        monday -= timedelta(days=monday.weekday())
        return datetime.combine(monday, time(5, 0), tzinfo=UTC)


@dataclass
class LearnerOutcome:
    email: str
    name: str
    role: str
    adaptive_needed: int | None
    role_needed: int | None
    """Lessons the role course needed (bot.demo.courses): the fair baseline."""
    fixed_needed: int | None
    lessons_sent: int
    mastery_review: float
    mastery_no_review: float
    mastery_fixed: float


@dataclass
class DemoResult:
    options: DemoOptions
    featured: str
    transcript: list[tuple[str, Any]]
    manager: str
    team: Reply
    outcomes: list[LearnerOutcome]
    course_length: int
    lessons_sent: int
    answers: int
    seconds: float


async def run_demo(options: DemoOptions) -> DemoResult:
    started = timer.perf_counter()
    rng = random.Random(options.seed)
    _remove(options.path)
    url = f"sqlite:///{options.path.resolve()}"
    database = Database(url)
    await ensure_starter_content(database)
    csv_text, employees = sample_org(options.learners, rng)
    with tempfile.TemporaryDirectory() as folder:
        chart = Path(folder) / "org.csv"
        chart.write_text(csv_text)
        await import_org_chart(database, chart)
        roster = await roster_of(database, employees)
        course = await graded_catalogue(database)
        await database.dispose()
        baseline = Path(folder) / "before.db"
        shutil.copyfile(options.path, baseline)

        def learners() -> list[Learner]:
            return [make_learner(person_id, email, role, targets, options.seed, course)
                    for person_id, email, role, targets in roster]

        featured = _featured(learners())
        start = options.first_monday(datetime.now(UTC).date())
        spawn = multiprocessing.get_context("spawn")  # forking a process that runs an event loop is unsafe
        with ProcessPoolExecutor(max_workers=WORKERS, mp_context=spawn) as pool:
            loop = asyncio.get_running_loop()

            def elsewhere(job: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> Awaitable[T]:
                return loop.run_in_executor(pool, partial(_run_in_process, job, *args, **kwargs))

            with_review, without_review = await asyncio.gather(
                elsewhere(run_arm, url, learners(), start, options.weeks, review_share=DEFAULT_REVIEW_SHARE,
                          featured=featured.person_id),
                elsewhere(run_arm, f"sqlite:///{baseline}", learners(), start, options.weeks, review_share=0.0,
                          featured=None),
            )
            untouched = learners()
            at_end = with_review.learners  # the catch-up works on copies, in other processes
            halves = [with_review.learners[n::WORKERS] for n in range(WORKERS)]
            copies = [Path(folder) / f"catch-up-{n}.db" for n in range(WORKERS)]  # counted, not kept
            for copy in copies:
                shutil.copyfile(options.path, copy)
            team, *caught = await asyncio.gather(
                _team_summary(url, with_review.end),
                *(elsewhere(catch_up, f"sqlite:///{copy}", half, with_review.end, cap=options.catch_up_cap)
                  for copy, half in zip(copies, halves, strict=True)))
        after = {learner.person_id: learner for half in caught for learner in half}
        with_review.learners = [after[learner.person_id] for learner in with_review.learners]
    names = {email: name for email, name, _ in employees}
    outcomes = _outcomes(with_review, at_end, without_review, untouched, names, start, options.catch_up_cap)
    return DemoResult(options=options, featured=featured.email, transcript=with_review.chat.transcript,
                      manager=MANAGERS[0], team=team, outcomes=outcomes, course_length=len({q.lesson for q in course}),
                      lessons_sent=with_review.lessons_sent, answers=with_review.answers,
                      seconds=timer.perf_counter() - started)


def _run_in_process(job: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    return asyncio.run(job(*args, **kwargs))  # type: ignore[arg-type]


async def roster_of(database: Database, employees: list[tuple[str, str, str]]) -> list[RosterEntry]:
    """Each employee's person id and email, role, and the role's targets."""
    async with database.session() as session:
        found = await people_by_email(session, [email for email, _, _ in employees])
        requirements = (await session.exec(select(RoleRequirement))).all()
    needs: dict[str, dict[str, int]] = {}
    for requirement in requirements:
        needs.setdefault(requirement.role_id, {})[requirement.competency_id] = requirement.level
    roster = []
    for email, _name, role in employees:
        person_id = found[email].id
        assert person_id is not None
        roster.append((person_id, email, role, needs.get(role, {})))
    return roster


def _featured(learners: list[Learner]) -> Learner:
    """The learner whose conversation is printed: someone with some prior knowledge, to show placement."""
    knowing = [lr for lr in learners if any(u.learned > -1 for u in lr.sim.understanding.values())]
    return (knowing or learners)[0]


async def _team_summary(url: str, end: datetime) -> Reply:
    database = Database(url)
    coach = Coach(database, Settings(_env_file=None, database_url=url), clock=SimClock(end))
    async with database.session() as session:
        manager = (await people_by_email(session, [MANAGERS[0]]))[MANAGERS[0]]
    assert manager.id is not None
    reply = await coach.command(manager.id, "", default="team")
    await database.dispose()
    return reply


def _outcomes(with_review: ArmResult, at_end: list[Learner], without_review: ArmResult, untouched: list[Learner],
              names: dict[str, str], start: datetime, cap: int) -> list[LearnerOutcome]:
    """Per learner: lessons to targets under the symmetric stop of `bench/learning.py` (the coach, counted on
    after the run, until its own model counts every target met and the hidden skill meets them; the role
    course and the whole catalogue to the end of the first whole pass after which the hidden skill meets
    them), and true mastery 30 days after the scheduled weeks (`at_end`: the learners as they were then)."""
    later = with_review.end + AFTER
    outcomes = []
    for learner, snapshot, twin, fresh in zip(with_review.learners, at_end, without_review.learners, untouched,
                                              strict=True):
        fixed_needed, fixed_state = fixed_course(fresh, start, with_review.end, max(1, snapshot.graded))
        role = sit(fresh, role_course(learner.questions, learner.targets), start, cap)
        outcomes.append(LearnerOutcome(
            email=learner.email, name=names[learner.email], role=learner.role,
            adaptive_needed=learner.stopped, role_needed=role.lessons, fixed_needed=fixed_needed,
            lessons_sent=learner.graded,
            mastery_review=snapshot.sim.target_mastery(learner.targets, learner.questions, later),
            mastery_no_review=twin.sim.target_mastery(twin.targets, learner.questions, later),
            mastery_fixed=fixed_state.target_mastery(learner.targets, learner.questions, later),
        ))
    return outcomes


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)

