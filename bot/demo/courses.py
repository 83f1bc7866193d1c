"""The one-size-fits-all baselines the coach is compared with, sat by a copy of the same simulated learner.

- **Role course**: the role's own competencies, levels 1 up to the target in level order, each lesson once
  per pass (read, then one of its questions, a new one each pass), passes repeated until the learner's true
  skill meets every target or the cap.
- **Catalogue course**: every graded lesson of the catalogue in catalogue order, the same way.

One lesson a working day, like the coach's learners in the benchmark; the count stops at the same oracle
(the hidden skill meets every target), which favours the courses: a real course runs to its end.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.demo.learners import Question, SimulatedLearner
from bot.demo.simulation import Learner


@dataclass
class CourseRun:
    lessons: int | None
    """Lessons until every target was met (None: not within the cap)."""
    given: int
    ended: datetime
    sim: SimulatedLearner
    """The learner as they were when the course ended for them."""


def next_working_day(moment: datetime) -> datetime:
    """The same time on the next working day (Monday to Friday)."""
    step = {5: 3, 6: 2}.get(moment.weekday(), 1)
    return moment + timedelta(days=step)


def lessons_of(questions: list[Question]) -> list[list[Question]]:
    """The questions grouped by lesson, in the order given."""
    grouped: dict[str, list[Question]] = {}
    for question in questions:
        grouped.setdefault(question.lesson, []).append(question)
    return list(grouped.values())


def role_course(questions: list[Question], targets: dict[str, int]) -> list[list[Question]]:
    """The role's competencies, each from level 1 up to its target, lessons in catalogue order."""
    mine = [q for q in questions if q.level <= targets.get(q.competency, 0)]
    return lessons_of(sorted(mine, key=lambda q: (q.competency, q.level)))


def sit(learner: Learner, course: list[list[Question]], start: datetime, cap: int) -> CourseRun:
    """A fresh copy of the learner sits the course, one lesson a working day, until the targets are met."""
    sim = deepcopy(learner.sim)
    moment, given = start, 0
    while given < cap:
        lesson = course[given % len(course)]
        question = lesson[(given // len(course)) % len(lesson)]
        sim.study(question.competency, question.lesson, question.level, moment)
        sim.answer(question, moment)
        given += 1
        if sim.meets(learner.targets, learner.questions, moment):
            return CourseRun(given, given, moment, sim)
        moment = next_working_day(moment)
    return CourseRun(None, given, moment, sim)
