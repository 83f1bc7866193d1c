"""Adaptive placement: find where a learner stands in a competency in as few questions as possible.

Placement is a sequential Bayesian test (a mastery decision, as in computerised classification testing;
Spray & Reckase 1996, Eggen 1999). The unknown is the highest level the learner already masters, m in
0..target. The answers are read with a guessing floor and slips, as BKT reads them (Corbett & Anderson
1995): a learner who masters a question's level answers right with 1 − SLIP, one who does not, by guessing,
with 1/options.

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

Placement ends at the highest level mastered with P ≥ 0.9; teaching starts above it. With four options a
test-out from an even prior takes two right answers at the target level.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.engine.learner import LearnerContext
from bot.engine.mastery import MasteryModel, SkillState

PLACEMENT_MAX = 4
CONFIDENT = 0.9
"""Posterior that decides a level either way (mastered ≥ 0.9, not mastered ≤ 0.1)."""
SLIP = 0.1
"""P(a wrong answer while mastering the level): BKT slips fitted on tutor data are mostly 0.05–0.15."""
TYPICAL_OPTIONS = 4
"""Options of a placement answer stored without its count (answers recorded before counts were kept)."""
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
        guess = 1.0 / (answer[2] if len(answer) > 2 and answer[2] > 0 else TYPICAL_OPTIONS)
        for m in range(len(weights)):
            chance = 1.0 - SLIP if m >= level else guess
            weights[m] *= chance if right else 1.0 - chance
    total = sum(weights) or 1.0
    return [sum(weights[k:]) / total for k in range(1, len(weights))]


def next_level(chances: list[float], answers: list[list[int]]) -> int | None:
    """The level of the next placement question, or None when placement is over."""
    after = posterior(chances, answers)
    if len(answers) >= PLACEMENT_MAX or after[0] <= 1.0 - CONFIDENT or _tested_out(after, answers):
        return None
    open_levels = [k for k, p in enumerate(after, start=1) if 1.0 - CONFIDENT < p < CONFIDENT]
    if not open_levels:
        return len(after) if after[-1] >= CONFIDENT else None  # a test-out still needs its own right answer
    return min(open_levels, key=lambda k: (abs(after[k - 1] - 0.5), -k))


def placed_level(chances: list[float], answers: list[list[int]]) -> int:
    """The highest level mastered with P ≥ CONFIDENT (the target: tested out), 0 if none."""
    after = posterior(chances, answers)
    if _tested_out(after, answers):
        return len(after)
    return max((k for k, p in enumerate(after[:-1], start=1) if p >= CONFIDENT), default=0)


def _tested_out(after: list[float], answers: list[list[int]]) -> bool:
    """Target mastered with P ≥ CONFIDENT, with a right answer at the target level (never on the prior alone)."""
    return after[-1] >= CONFIDENT and any(a[1] and a[0] >= len(after) for a in answers)
