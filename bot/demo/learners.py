"""Simulated learners with a hidden true skill per competency, who answer by a standard learner model.

- Answers: a 3-parameter logistic (IRT) model — P(right) = g + (1 - g) · σ(θ + boost · r − b): the learner's
  general understanding θ of the competency, what they still remember of the lesson the question is about
  (r, from 1 right after reading it down to 0), the question's true difficulty b (its level plus a fixed
  per-question offset), and guessing g for multiple choice.
- Learning: reading a lesson raises θ most when the lesson sits just above what the learner can do (the
  zone of proximal development), and puts the lesson's details fresh in memory.
- Forgetting: details fade exponentially with a stability that grows each time they are retrieved
  (answering a question on them) — the spacing effect, which is why spaced review pays off; general
  understanding fades too, much more slowly.
None of this is visible to the coach: it only sees answers.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import datetime

LEVEL_DIFFICULTY = {1: -1.2, 2: 0.0, 3: 1.2}
GUESS = 0.2
MASTERED_P = 0.7
"""The product's definition (bot.engine.mastery): a level is mastered when a typical question of it is
answered right with probability of about two in three or more."""
LEARNING_RATE = 0.35
DETAIL_BOOST = 2.5
DETAIL_STABILITY_DAYS = 4.0
UNDERSTANDING_STABILITY_DAYS = 30.0
UNDERSTANDING_GROWTH = 1.25
"""Each study or successful retrieval makes understanding last longer (stability x 1.25)."""


def true_difficulty(item_key: str, level: int) -> float:
    """A question's hidden difficulty: its level's, shifted by a fixed amount per question."""
    digest = int.from_bytes(hashlib.sha256(item_key.encode()).digest()[:4], "big") / 2**32
    return LEVEL_DIFFICULTY[level] + (digest - 0.5) * 0.8


def mastered_ability(level: int) -> float:
    """The understanding θ at which a typical question of this level is answered right with P = MASTERED_P."""
    inner = (MASTERED_P - GUESS) / (1 - GUESS)
    return LEVEL_DIFFICULTY[level] + math.log(inner / (1 - inner))


def _days(later: datetime, earlier: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds() / 86400)


@dataclass
class Understanding:
    """General understanding of one competency: what the learner knew before, what they learned."""

    floor: float
    learned: float
    last: datetime | None = None
    stability: float = UNDERSTANDING_STABILITY_DAYS

    def at(self, now: datetime) -> float:
        if self.last is None:
            return self.learned
        fade = math.exp(-_days(now, self.last) / self.stability)
        return self.floor + (self.learned - self.floor) * fade

    def practise(self, now: datetime, gain: float, strengthen: bool) -> None:
        self.learned = self.at(now) + gain
        self.last = now
        if strengthen:
            self.stability *= UNDERSTANDING_GROWTH


@dataclass
class Detail:
    """What the learner remembers of one lesson."""

    last: datetime
    stability: float = DETAIL_STABILITY_DAYS

    def at(self, now: datetime) -> float:
        return math.exp(-_days(now, self.last) / self.stability)


@dataclass(frozen=True)
class Question:
    """A question of the catalogue as the simulation sees it."""

    competency: str
    level: int
    lesson: str
    item_key: str

    @property
    def difficulty(self) -> float:
        return true_difficulty(self.item_key, self.level)


@dataclass
class SimulatedLearner:
    email: str
    rng: random.Random
    understanding: dict[str, Understanding] = field(default_factory=dict)
    details: dict[str, Detail] = field(default_factory=dict)

    def of(self, competency: str) -> Understanding:
        if competency not in self.understanding:
            start = self.rng.gauss(-1.8, 0.5)
            self.understanding[competency] = Understanding(floor=start, learned=start)
        return self.understanding[competency]

    def knows(self, competency: str, ability: float) -> None:
        """Prior knowledge: the learner already understands this competency this well."""
        self.understanding[competency] = Understanding(floor=ability, learned=ability)

    def p_right(self, question: Question, now: datetime) -> float:
        detail = self.details.get(question.lesson)
        remembered = detail.at(now) if detail else 0.0
        logit = self.of(question.competency).at(now) + DETAIL_BOOST * remembered - question.difficulty
        return GUESS + (1 - GUESS) / (1 + math.exp(-logit))

    def study(self, competency: str, lesson: str, level: int, now: datetime) -> None:
        """Read a lesson: understanding grows most just above the current level; the details are fresh."""
        understanding = self.of(competency)
        stretch = LEVEL_DIFFICULTY[level] - understanding.at(now)
        understanding.practise(now, LEARNING_RATE * math.exp(-((stretch - 0.6) ** 2) / 2.0), strengthen=True)
        detail = self.details.get(lesson)
        self.details[lesson] = Detail(last=now, stability=detail.stability if detail else DETAIL_STABILITY_DAYS)

    def answer(self, question: Question, now: datetime) -> bool:
        """Answer a question; retrieving strengthens the memory of its lesson (more when it succeeds)."""
        right = self.rng.random() < self.p_right(question, now)
        detail = self.details.get(question.lesson)
        if detail is not None:
            detail.stability *= 2.2 if right else 1.2
            detail.last = now
        elif not right:
            self.details[question.lesson] = Detail(last=now)  # the explanation teaches a little
        self.of(question.competency).practise(now, 0.06 if right else 0.02, strengthen=right)
        return right

    def level_chance(self, questions: list[Question], competency: str, level: int, now: datetime) -> float:
        """The chance of answering a typical question of this competency and level right, now."""
        pool = [q for q in questions if q.competency == competency and q.level == level]
        return sum(self.p_right(q, now) for q in pool) / len(pool) if pool else 0.0

    def meets(self, targets: dict[str, int], questions: list[Question], now: datetime) -> bool:
        return all(self.level_chance(questions, c, level, now) >= MASTERED_P for c, level in targets.items())

    def target_mastery(self, targets: dict[str, int], questions: list[Question], now: datetime) -> float:
        """Average true chance of a right answer on the role's target-level questions."""
        if not targets:
            return 1.0
        return sum(self.level_chance(questions, c, lv, now) for c, lv in targets.items()) / len(targets)
