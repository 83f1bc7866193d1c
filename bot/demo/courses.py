"""The one-size-fits-all baselines the coach is compared with, sat by a copy of the same simulated learner.

- **Role course**: the role's own competencies, levels 1 up to the target in level order, each lesson once
  per pass (read, then one of its questions, a new one each pass), passes repeated until the learner's true
  skill meets every target or the cap.
- **Catalogue course**: every graded lesson of the catalogue in catalogue order, the same way.

One lesson a working day, like the coach's learners in the benchmark. A course is charged in whole passes:
it ends at the end of the first pass after which the learner's hidden skill meets every target (an
end-of-course check given free, which favours the course: a real one would need a test). The oracle count —
the first lesson after which the hidden skill meets the targets, which no real course can stop at — is
noted as well, for the second line of `bench/learning.py`.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime

from bot.demo.learners import Question, SimulatedLearner
from bot.demo.simulation import Learner, next_working_day


@dataclass
class CourseRun:
    lessons: int | None
    """Symmetric stop: lessons until the end of the first whole pass after which the hidden skill met every
    target (None: no such pass ended within the cap)."""
    oracle: int | None
    """Oracle stop: the first lesson after which the hidden skill met every target (None: not within the cap)."""
    at_oracle: tuple[datetime, SimulatedLearner] | None
    """The moment of the oracle stop and the learner as they were then."""
    given: int
    ended: datetime
    sim: SimulatedLearner
    """The learner as they were when the course ended for them (the symmetric stop, or the cap)."""


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
    """A fresh copy of the learner sits the course, one lesson a working day, until a whole pass ends with the
    targets met, or the cap (a pass cut by the cap does not count); the first lesson at which they were met
    (the oracle) is noted on the way."""
    sim = deepcopy(learner.sim)
    moment, given, oracle, at_oracle = start, 0, None, None
    while given < cap:
        lesson = course[given % len(course)]
        question = lesson[(given // len(course)) % len(lesson)]
        sim.study(question.competency, question.lesson, question.level, moment)
        sim.answer(question, moment)
        given += 1
        there = sim.meets(learner.targets, learner.questions, moment)
        if oracle is None and there:
            oracle, at_oracle = given, (moment, deepcopy(sim))
        if there and given % len(course) == 0:  # the end of a pass: the course's own check, given free
            return CourseRun(given, oracle, at_oracle, given, moment, sim)
        moment = next_working_day(moment)
    return CourseRun(None, oracle, at_oracle, given, moment, sim)
