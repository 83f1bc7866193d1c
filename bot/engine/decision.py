"""How one answer bears on "does this learner master this level?": the answer model that placement and
confirmation share, and the sequential probability ratio test that confirms a target.

**The answer model** (two states, as BKT reads answers; Corbett & Anderson 1995). A learner who masters a
question's level answers right with 1 − SLIP. One who does not is *not* a blind guesser: they sit anywhere
between guessing (1 / the options) and the mastery bar (the mastery model's 2 in 3, `ModelParams.mastery_target`)
— partial knowledge, a half-remembered lesson, an option ruled out — and with nothing more known, the middle of
that range is their chance (about 0.46 on a four-option question). Reading a non-master as a blind guesser makes
every right answer look like mastery (a novice right half the time through partial knowledge passed a test-out
by four lucky answers); this reading makes a right answer worth what it is.

Placement reads a learner who knows a level as BKT does, right with 1 − SLIP: it asks someone who never saw the
lessons whether they already know the level, all of it.

**Confirmation is Wald's sequential probability ratio test** (Wald 1945; in mastery testing, Reckase 1983 and
Spray & Reckase 1996) after teaching, when learners are part-way: is the learner above the bar or below it?
H1 "above" is the middle of the masters' range, between the bar and 1 − SLIP (about 0.78); H0 "below" the
non-master's chance above (about 0.46 on four options) — one hypothesis on each side of the bar, the region
between them the test's indifference zone. It runs over the answers at the target level or above since teaching
began, oldest first (placement's answers describe the learner before the lessons):
- each right answer adds log(p1 / p0), each miss log((1 − p1) / (1 − p0));
- the level is confirmed when the sum reaches log((1 − BETA) / ALPHA), with ALPHA = 0.1 the chance of
  confirming a learner at the non-master's chance, BETA = 0.2 the chance of turning down a master (a false
  confirmation leaves a learner short of their target, so it is the rarer error); on four-option questions,
  four right answers with no miss, and about two more for each miss; a learner right less than about 63 % of
  the time drifts towards "below";
- it is turned down when the sum falls to log(BETA / (1 − ALPHA)); the learner is still learning, so a new
  test starts with the next answer (answers from before more teaching no longer describe them);
- it starts from the log odds placement left (bot.engine.evidence: `Evidence.prior`, never below even), not
  from even: a Bayesian sequential test, the posterior odds crossing the same two bounds (Berger 1985, ch. 7);
  a learner placed at the target with P = 0.8 before any lesson needs two right answers, not four;
- once it accepts, the test is over (Wald's test stops at its decision); a later miss without the lesson in
  view at the confirmed level reopens the level (bot.engine.evidence), and a right answer on a later day
  confirms it again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

SLIP = 0.1
"""P(a wrong answer while mastering the level): BKT slips fitted on tutor data are mostly 0.05–0.15."""
BAR = 2.0 / 3.0
"""The mastery bar: the mastery model's `ModelParams.mastery_target` (a typical question right 2 times in 3)."""
TYPICAL_OPTIONS = 4
"""Options of an answer stored without its count."""
ALPHA = 0.1
"""SPRT: the chance of confirming a learner who answers at the non-master's chance."""
BETA = 0.2
"""SPRT: the chance of turning down a learner who masters the level."""
ACCEPT = math.log((1.0 - BETA) / ALPHA)
REJECT = math.log(BETA / (1.0 - ALPHA))


def p_master() -> float:
    """P(right) of a learner who masters the question's level."""
    return 1.0 - SLIP


def p_non_master(options: int = TYPICAL_OPTIONS) -> float:
    """P(right) of a learner who does not: the middle of guessing and the bar (partial knowledge)."""
    guess = 1.0 / (options if options > 0 else TYPICAL_OPTIONS)
    return (guess + max(BAR, guess)) / 2.0


def p_above_bar() -> float:
    """P(right) of a learner above the bar, part-way through learning: the middle of the bar and 1 − SLIP."""
    return (BAR + p_master()) / 2.0


def log_ratio(right: bool, options: int = TYPICAL_OPTIONS) -> float:
    """What one answer adds to the log likelihood ratio of "above the bar" against "below" (the SPRT's step)."""
    p1, p0 = p_above_bar(), p_non_master(options)
    return math.log(p1 / p0) if right else math.log((1.0 - p1) / (1.0 - p0))


def sprt_confirms(results: Iterable[bool], prior: float = 0.0) -> bool:
    """Whether the sequential test, run over these answers oldest first and restarted at each rejection, has
    accepted "above the bar" (it stops there, as Wald's test does). `prior`: the log odds of "above the bar"
    before the first answer (0: even); a restart after a rejection starts from even, the answers since the
    prior having overruled it."""
    total = prior
    for right in results:
        total += log_ratio(right)
        if total >= ACCEPT:
            return True
        if total <= REJECT:
            total = 0.0
    return False
