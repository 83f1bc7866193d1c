"""Adaptive placement: find where a learner stands in a competency in as few questions as possible.

The question placement must answer is a mastery decision — does the learner already master the target
level? — and for such a decision the most informative question sits at the cut score (Spray & Reckase
1996; Eggen 1999), here the target level. So placement is a staircase that starts there:

- a right answer asks again at the same level; PROOF right answers in a row at a level prove it (a lucky
  streak with four options: 1 in 64);
- a miss moves one level down (a miss at level 1 ends placement: teaching starts at the beginning);
- it also stops as soon as the mastery model is confident (`TEST_OUT`) that the learner does not master
  the level the staircase would ask next; the model carries the learner's ability in their other
  competencies, so someone who has missed everywhere else stops sooner, and is not asked at all when the
  model already predicts a miss at level 1 (`worth_placing`); a test-out always takes the proof;
- at most PLACEMENT_MAX questions.

Proving the target level skips the competency untaught (a guessing learner does it once in 64); otherwise
teaching starts above the highest level proved.
"""

from __future__ import annotations

from bot.engine.mastery import MasteryModel, SkillState

PLACEMENT_MAX = 5
PROOF = 3
TEST_OUT = 0.9
"""Model confidence that ends placement on the low side (the review's 0.9 / 0.1 stopping rule)."""
PREDICTABLE = 0.3
"""Below this predicted chance of a right level-1 answer, a placement question would only confirm a miss."""


def worth_placing(model: MasteryModel, states: dict[str, SkillState], competency: str) -> bool:
    """Whether a first placement question can tell anything: not when the learner's other competencies
    already predict a miss even at level 1 (then teaching starts at level 1 without asking)."""
    return model.predict(states, competency, level=1) >= PREDICTABLE


def staircase(answers: list[list[int]], target: int) -> tuple[int | None, int]:
    """From the placement answers so far ([level, right], oldest first): the level of the next question
    (None when the staircase is over) and the highest level proved."""
    level, run, proved = target, 0, 0
    for at, right in answers:
        if right:
            run += 1
            if run >= PROOF:
                return None, at
        else:
            level, run = at - 1, 0
            if level < 1:
                return None, proved
    if len(answers) >= PLACEMENT_MAX:
        return None, proved
    return level, proved


def placement_result(model: MasteryModel, skill: SkillState, answers: list[list[int]],
                     target: int) -> tuple[bool, int]:
    """Whether placement is over, and the level it places the learner at (the target: tested out)."""
    following, proved = staircase(answers, target)
    if proved >= target:
        return True, target
    if following is None or model.mastery(skill, min(following, target)) <= 1.0 - TEST_OUT:
        return True, proved
    return False, proved
