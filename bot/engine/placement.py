"""Adaptive placement: find where a learner stands in a competency in as few questions as possible.

Placement is a sequential Bayesian test (a mastery decision, as in computerised classification testing;
Spray & Reckase 1996, Eggen 1999). The unknown is the highest level the learner already masters, m in
0..target. The answers are read as bot.engine.decision reads them: a learner who masters a question's level
answers right with 1 − slip, one who does not with the middle of guessing (1/options) and the mastery bar —
partial knowledge, not blind guessing, so that a lucky run of a learner short of the bar does not test them out.

- **Prior**: the learner's ability in their other competencies. The mastery model's learner-wide belief
  (bot.engine.ability) gives P(m ≥ k) for each level; the share of the learner's other competencies that
  placement found them to know already updates the chance that they know this one at all (a Beta prior
  worth PRIOR_WEIGHT competencies, centred on the model's — experience is broad, so someone who knew none
  of their first competencies probably knows little of the next).
- **The most informative question first**: at the level whose P(m ≥ k) is nearest one half, where an
  answer moves the decision most (ties: the higher level, the cut the target sets).
- **Stop as soon as the posterior is confident** (CONFIDENT = 0.9, the usual 0.9 / 0.1 stopping rule):
  when every level is decided (P(m ≥ k) ≥ 0.9 or ≤ 0.1), when the target level is mastered with P ≥ 0.9
  (a test-out: it needs a right answer at the target level), when level 1 is not mastered with P ≥ 0.9
  (someone who clearly does not know: teaching starts at level 1, after one or two misses), or after
  PLACEMENT_MAX questions. No question at all when the prior already decides.
- **Ask only while the questions still to come pay for themselves**: the Bayes decision by backward
  induction (optimal stopping; DeGroot 1970, ch. 12; Raiffa & Schlaifer 1961). What placement is worth is the
  untaught lessons of every level it lets the learner skip (and, for a test-out, the later-day question that
  would confirm the taught target: CONFIRMATION_SAVED). Another question costs QUESTION_COST; it is asked
  when, looking ahead over every run of answers the remaining questions (up to PLACEMENT_MAX) could give and
  stopping wherever stopping is better, the expected worth less the expected questions beats stopping now. A
  novice whose other competencies show little, or anyone after a miss that leaves no run of answers able to
  test them out, is not asked on. The expected value of perfect information, used before, only bounds this
  from above: it kept asking questions that no run of answers could turn into a skipped lesson.

Placement ends at the highest level mastered with P ≥ 0.9; teaching starts above it. With four options a
test-out from an even prior takes four right answers at the target level (fewer when the learner's other
competencies were known).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache

from bot.engine.decision import TYPICAL_OPTIONS, p_master, p_non_master
from bot.engine.learner import LearnerContext
from bot.engine.mastery import MasteryModel, SkillState

PLACEMENT_MAX = 4
"""A bound, not the rule: the posterior and the value of another question decide when placement ends."""
CONFIDENT = 0.9
"""Posterior that decides a level either way (mastered ≥ 0.9, not mastered ≤ 0.1)."""
QUESTION_COST = 1.0
"""What a placement question costs, in lessons: the benchmark counts it as one."""
CONFIRMATION_SAVED = 1.0
"""What a test-out saves besides the lessons: a taught target is met only after a right answer on a later day
without the lesson in view (bot.engine.evidence), a question a test-out does not need."""
TEST_OUT_RIGHT = 4
"""Right answers at the target level a test-out needs, however strong the prior: a test-out skips every lesson
and every later check of the competency, and a learner short of the bar answers a question right about half
the time (bot.engine.decision; nearer two in three just below the bar on three-option questions): three right
answers in a row one time in ten to one in four, four one in twenty to one in six. The prior cannot stand in
for them: it is itself read from placements that can be lucky. Three let a learner right 63 % of the time test
out of a three-option competency and never be taught it (`bench/learning.py`, mixed population)."""
PRIOR_WEIGHT = 1.0
"""How many competencies the model's prior counts for, against the learner's own placements."""


def prior(model: MasteryModel, states: Mapping[str, SkillState], competency: str, target: int,
          known: int, placed: int) -> list[float]:
    """P(m ≥ k) for k = 1..target before any placement answer: the model's learner-wide belief, with the
    chance of knowing the competency at all updated by the learner's other placements (`known` of `placed`
    competencies found known at level 1 or above)."""
    chances = model.level_chances(states, competency)[:target]
    first = max(chances[0], 1e-6)
    knows = (PRIOR_WEIGHT * first + known) / (PRIOR_WEIGHT + placed)
    return [knows * min(1.0, p / first) for p in chances]


def learner_prior(model: MasteryModel, ctx: LearnerContext, competency: str, target: int) -> list[float]:
    """The prior for this learner: their other competencies only (this one's own placement answers are the
    evidence, not the prior), and how many of them placement found known."""
    others = {c: s for c, s in ctx.states.items() if c != competency}
    placed = [s for s in others.values() if s.placed]
    states = {c: SkillState.from_json(s.state or None) for c, s in others.items()}
    return prior(model, states, competency, target, sum(s.floor >= 1 for s in placed), len(placed))


def posterior(chances: list[float], answers: list[list[int]]) -> list[float]:
    """P(m ≥ k) for k = 1..target after the placement answers ([level, right, options], oldest first)."""
    weights = [1.0 - chances[0]] + [chances[k] - (chances[k + 1] if k + 1 < len(chances) else 0.0)
                                     for k in range(len(chances))]
    weights = [max(w, 0.0) for w in weights]  # weights[m]: P(m), m = 0..target
    for answer in answers:
        level, right = answer[0], answer[1]
        below = p_non_master(answer[2] if len(answer) > 2 else TYPICAL_OPTIONS)
        for m in range(len(weights)):
            chance = p_master() if m >= level else below
            weights[m] *= chance if right else 1.0 - chance
    total = sum(weights) or 1.0
    return [sum(weights[k:]) / total for k in range(1, len(weights))]


def next_level(chances: list[float], answers: list[list[int]], lessons: list[int] | None = None) -> int | None:
    """The level of the next placement question, or None when placement is over. `lessons`: the untaught
    graded lessons at each level 1..target (none given: placement never stops for want of value)."""
    level = _informative(chances, answers)
    if level is None or (lessons is not None and worth_asking(chances, answers, lessons) <= 0.0):
        return None
    return level


def worth_asking(chances: list[float], answers: list[list[int]], lessons: list[int]) -> float:
    """What asking on is worth over stopping now, in lessons: the expected worth of placement continued the
    best way (stopping wherever stopping is better), less its questions, minus the worth of stopping now."""
    return _gain(tuple(chances), tuple(tuple(answer) for answer in answers), tuple(lessons))


@lru_cache(maxsize=4096)
def _gain(chances: tuple[float, ...], answers: tuple[tuple[int, ...], ...], lessons: tuple[int, ...]) -> float:
    """worth_asking, remembered: the look-ahead visits up to 2^PLACEMENT_MAX runs of answers, and everyone new
    to a competency starts from the same prior, so a rollout's first ticks ask it the same question thousands
    of times (0.25 ms each, a fifth of a scheduled lesson's CPU, when it was not remembered)."""
    listed = [list(answer) for answer in answers]
    return _continued(list(chances), listed, list(lessons)) - _worth(list(chances), listed, list(lessons))


def _informative(chances: list[float], answers: list[list[int]]) -> int | None:
    """The level where an answer tells most, or None when the posterior (or PLACEMENT_MAX) has decided."""
    after = posterior(chances, answers)
    if len(answers) >= PLACEMENT_MAX or after[0] <= 1.0 - CONFIDENT or _tested_out(after, answers):
        return None
    open_levels = [k for k, p in enumerate(after, start=1) if 1.0 - CONFIDENT < p < CONFIDENT]
    if not open_levels:
        return len(after) if after[-1] >= CONFIDENT else None  # a test-out still needs its own right answer
    return min(open_levels, key=lambda k: (abs(after[k - 1] - 0.5), -k))


def _worth(chances: list[float], answers: list[list[int]], lessons: list[int]) -> float:
    """What placement ending now saves: the untaught lessons of the levels it settles, and for a test-out the
    later-day confirmation too. Nothing before the first answer: a placement never asked is never recorded
    (bot.lessons.placing settles answered ones), so a prior alone skips no lesson."""
    if not answers:
        return 0.0
    decided = _decision(posterior(chances, answers), answers)
    saved = float(sum(lessons[:decided]))
    return saved + CONFIRMATION_SAVED if decided == len(chances) else saved


def _continued(chances: list[float], answers: list[list[int]], lessons: list[int]) -> float:
    """The expected worth of asking the next question and then going on the best way (backward induction
    over both answers, down to PLACEMENT_MAX), its questions counted at QUESTION_COST each."""
    level = _informative(chances, answers)
    if level is None:
        return _worth(chances, answers, lessons)
    knows = posterior(chances, answers)[level - 1]
    p_right = knows * p_master() + (1.0 - knows) * p_non_master(TYPICAL_OPTIONS)
    total = -QUESTION_COST
    for right, chance in ((1, p_right), (0, 1.0 - p_right)):
        then = [*answers, [level, right, TYPICAL_OPTIONS]]
        total += chance * max(_worth(chances, then, lessons), _continued(chances, then, lessons))
    return total


def log_odds(p: float) -> float:
    """log(p / (1 − p)), kept finite."""
    p = min(max(p, 1e-6), 1.0 - 1e-6)
    return math.log(p / (1.0 - p))


def placed_level(chances: list[float], answers: list[list[int]]) -> int:
    """The highest level mastered with P ≥ CONFIDENT (the target: tested out), 0 if none."""
    return _decision(posterior(chances, answers), answers)


def _decision(after: list[float], answers: list[list[int]]) -> int:
    """The level placement would settle on now (see placed_level)."""
    if _tested_out(after, answers):
        return len(after)
    return max((k for k, p in enumerate(after[:-1], start=1) if p >= CONFIDENT), default=0)


def _tested_out(after: list[float], answers: list[list[int]]) -> bool:
    """Target mastered with P ≥ CONFIDENT, with TEST_OUT_RIGHT right answers at the target level (never on the
    prior alone, nor on one answer a learner short of the bar gives about half the time)."""
    return after[-1] >= CONFIDENT and sum(bool(a[1]) and a[0] >= len(after) for a in answers) >= TEST_OUT_RIGHT
