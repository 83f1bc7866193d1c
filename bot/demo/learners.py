"""Simulated learners from the learning-science literature, who answer the coach's questions.

Each learner has, hidden from the coach:

- an **understanding** θ of every competency (a logit, as in IRT/AFM): what they knew before, plus what
  they learnt, one opportunity at a time, at AFM/PFA-style rates; the learnt part fades slowly;
- a **memory** of every lesson they read, with FSRS's power-law forgetting and stability update: a
  retrieval that succeeds after a longer interval strengthens the memory more (the spacing effect), and a
  retrieval with feedback strengthens it more than re-reading the lesson (the testing effect);
- answers by a 4-parameter item response: P(right) = g·(1 − K) + (1 − s)·K with K = σ(θ + boost·R − b),
  guessing g = 1/options and slips s.

Every parameter, with its source, is listed in docs/engine.md ("The learner simulator"). The coach sees
only the option pressed.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import datetime

LEVEL_DIFFICULTY = {1: -1.2, 2: 0.0, 3: 1.2}
QUESTION_SPREAD = 0.8
"""Questions of a level differ in difficulty by up to ±0.4 logits around the level's."""
SLIP = 0.1
"""P(wrong answer while knowing): BKT slip parameters fitted on tutor data are typically 0.05–0.15."""
MASTERED_P = 0.7
"""A level counts as mastered when a typical question of it is answered right with P ≥ 0.7."""
TYPICAL_OPTIONS = 4

FSRS_DECAY = 0.1542
FSRS_FACTOR = 0.9 ** (1 / -FSRS_DECAY) - 1
"""FSRS-6 power-law forgetting curve R(t, S) = (1 + F·t/S)^(−decay): R = 0.9 when t = S (fsrs 6.3 defaults)."""
FSRS_W = (0.212, 1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001, 1.8722, 0.1666, 0.796, 1.4835, 0.0614,
          0.2629, 1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.1542)
"""The fsrs package's default weights (FSRS-6, fitted on ~10k Anki users' review logs; Ye et al. 2022, 2024)."""
FIRST_STABILITY = FSRS_W[2]
"""Days until recall of a newly read lesson falls to 0.9: FSRS's initial stability after a first 'Good'."""
ITEM_DIFFICULTY = 5.0
"""FSRS difficulty of every lesson's content: the middle of FSRS's 1–10 scale."""
RESTUDY_FACTOR = FSRS_W[15]
"""Re-reading strengthens memory like a retrieval rated 'Hard' (FSRS's hard penalty, 0.60 of the gain of a
successful retrieval): restudy helps, retrieval with feedback helps more (Roediger & Karpicke 2006; Rowland
2014, g ≈ 0.50)."""
DETAIL_BOOST = 2.5
"""Logits that a fresh memory (R = 1) of a lesson adds on that lesson's questions: right after reading, a
novice answers a level-1 question right about 4 times in 5, like immediate recall tests after one reading
(Roediger & Karpicke 2006: 81 % at 5 minutes)."""

STUDY_GAIN = 0.3
"""Understanding gained from reading a new lesson at the right level (AFM learning rates fitted on tutor data
are mostly 0.05–0.3 logits per opportunity; Cen, Koedinger & Junker 2006)."""
RIGHT_GAIN = 0.15
WRONG_GAIN = 0.08
"""PFA (Pavlik, Cen & Koedinger 2009): a right retrieval teaches more than a wrong one followed by feedback."""
RESTUDY_GAIN = 0.1
"""Re-reading a lesson already read: a third of a first reading (restudy gains less than retrieval)."""
READY_BELOW, READY_ABOVE = 2.0, 1.5
"""Learning from a level-L lesson is full when θ is within READY_BELOW logits under and READY_ABOVE over
the level's difficulty, and falls off outside: too hard to follow (region of proximal learning, Metcalfe &
Kornell 2005) or already known (expertise reversal, Kalyuga et al. 2003)."""
UNDERSTANDING_STABILITY = 60.0
"""Days until 90 % of learnt understanding remains (FSRS curve): general skill fades far slower than
details; Arthur et al. (1998) find little loss within a month and about half within a year for cognitive
skills not practised."""


def true_difficulty(item_key: str, level: int) -> float:
    """A question's hidden difficulty: its level's, shifted by a fixed amount per question."""
    digest = int.from_bytes(hashlib.sha256(item_key.encode()).digest()[:4], "big") / 2**32
    return LEVEL_DIFFICULTY[level] + (digest - 0.5) * QUESTION_SPREAD


def p_correct(logit: float, options: int) -> float:
    """P(right): known with probability σ(logit), then slips; otherwise a guess among the options."""
    known = 1.0 / (1.0 + math.exp(-logit))
    return (1.0 - SLIP) * known + (1.0 - known) / max(options, 1)


def mastered_ability(level: int) -> float:
    """The understanding θ at which a typical question of this level (4 options, nothing remembered of its
    lesson) is answered right with P = MASTERED_P."""
    guess = 1.0 / TYPICAL_OPTIONS
    known = (MASTERED_P - guess) / (1.0 - SLIP - guess)
    return LEVEL_DIFFICULTY[level] + math.log(known / (1.0 - known))


def recall(days: float, stability: float) -> float:
    """FSRS's power-law forgetting curve."""
    return (1.0 + FSRS_FACTOR * max(days, 0.0) / stability) ** -FSRS_DECAY


def recall_stability(stability: float, retrievability: float, factor: float = 1.0) -> float:
    """FSRS's stability after a successful retrieval: the gain grows as recall had fallen (spacing effect)."""
    w = FSRS_W
    gain = (math.exp(w[8]) * (11 - ITEM_DIFFICULTY) * stability ** -w[9]
            * (math.exp((1 - retrievability) * w[10]) - 1))
    return stability * (1 + gain * factor)


def forget_stability(stability: float, retrievability: float) -> float:
    """FSRS's stability after a failed retrieval (then the feedback shows the answer)."""
    w = FSRS_W
    long_term = (w[11] * ITEM_DIFFICULTY ** -w[12] * ((stability + 1) ** w[13] - 1)
                 * math.exp((1 - retrievability) * w[14]))
    return min(long_term, stability / math.exp(w[17] * w[18]))


def _days(later: datetime, earlier: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds() / 86400)


@dataclass
class Understanding:
    """General understanding of one competency: what the learner knew before, plus what they learnt."""

    floor: float
    learned: float
    last: datetime | None = None

    def at(self, now: datetime) -> float:
        if self.last is None:
            return self.learned
        return self.floor + (self.learned - self.floor) * recall(_days(now, self.last), UNDERSTANDING_STABILITY)

    def gain(self, now: datetime, amount: float) -> None:
        self.learned = self.at(now) + amount
        self.last = now


@dataclass
class Memory:
    """What the learner remembers of one lesson: FSRS stability and the last time it was refreshed."""

    last: datetime
    stability: float = FIRST_STABILITY

    def at(self, now: datetime) -> float:
        return recall(_days(now, self.last), self.stability)


@dataclass(frozen=True)
class Question:
    """A question of the catalogue as the simulation sees it."""

    competency: str
    level: int
    lesson: str
    item_key: str
    options: int = TYPICAL_OPTIONS

    @property
    def difficulty(self) -> float:
        return true_difficulty(self.item_key, self.level)


@dataclass
class SimulatedLearner:
    email: str
    rng: random.Random
    novice_ability: float = -1.8
    """Understanding of a competency the learner knows nothing of (a level-1 question: P(right) ≈ 0.45)."""
    understanding: dict[str, Understanding] = field(default_factory=dict)
    memories: dict[str, Memory] = field(default_factory=dict)

    def of(self, competency: str) -> Understanding:
        if competency not in self.understanding:
            self.understanding[competency] = Understanding(floor=self.novice_ability, learned=self.novice_ability)
        return self.understanding[competency]

    def knows(self, competency: str, ability: float) -> None:
        """Prior knowledge: the learner already understands this competency this well."""
        self.understanding[competency] = Understanding(floor=ability, learned=ability)

    def p_right(self, question: Question, now: datetime) -> float:
        memory = self.memories.get(question.lesson)
        remembered = memory.at(now) if memory else 0.0
        logit = self.of(question.competency).at(now) + DETAIL_BOOST * remembered - question.difficulty
        return p_correct(logit, question.options)

    def study(self, competency: str, lesson: str, level: int, now: datetime) -> None:
        """Read a lesson: a first reading teaches most; re-reading refreshes the memory, less than a retrieval."""
        understanding = self.of(competency)
        memory = self.memories.get(lesson)
        if memory is None:
            self.memories[lesson] = Memory(last=now)
            understanding.gain(now, STUDY_GAIN * _readiness(understanding.at(now), level))
            return
        memory.stability = recall_stability(memory.stability, memory.at(now), RESTUDY_FACTOR)
        memory.last = now
        understanding.gain(now, RESTUDY_GAIN * _readiness(understanding.at(now), level))

    def answer(self, question: Question, now: datetime) -> bool:
        """Answer, then see the feedback: the retrieval updates the lesson's memory as FSRS does, and the
        competency's understanding grows by the PFA rate for a right or a wrong answer."""
        right = self.rng.random() < self.p_right(question, now)
        memory = self.memories.get(question.lesson)
        if memory is not None:
            r = memory.at(now)
            memory.stability = recall_stability(memory.stability, r) if right else forget_stability(memory.stability, r)
            memory.last = now
        elif not right:
            self.memories[question.lesson] = Memory(last=now, stability=FSRS_W[0])  # the explanation, once
        understanding = self.of(question.competency)
        understanding.gain(now, (RIGHT_GAIN if right else WRONG_GAIN) * _readiness(understanding.at(now),
                                                                                   question.level))
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


def _readiness(ability: float, level: int) -> float:
    """How much of a learning opportunity at this level lands, given the current understanding (0..1)."""
    bar = LEVEL_DIFFICULTY[level]
    below = 1.0 / (1.0 + math.exp(-2.0 * (ability - (bar - READY_BELOW))))
    above = 1.0 / (1.0 + math.exp(2.0 * (ability - (bar + READY_ABOVE))))
    return min(1.0, 2.0 * min(below, above))
