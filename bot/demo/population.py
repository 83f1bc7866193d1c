"""Simulated populations: how much of their role each learner already knows before the coach starts.

A learner knows each competency of their role with their own probability, drawn around the population's
share (Beta, concentration 4), so what someone knows in one competency says something about the others, as
in real staff (experience is broad). A known competency is known up to a random level.
"""

from __future__ import annotations

import random

from bot.demo.learners import Question, SimulatedLearner, mastered_ability
from bot.demo.simulation import Learner

POPULATIONS = {"novice": 0.1, "mixed": 0.35, "experienced": 0.8}
"""Mean share of a role's competencies a learner already knows: new staff, a mixed team, a refresher for
staff who know most of it (the review's sweep 0.35 / 0.6 / 0.8, with a novice end added)."""
CONCENTRATION = 4.0
NOVICE_MEAN, NOVICE_SD = -1.8, 0.4
"""Understanding of a competency someone knows nothing of: a level-1 question answered right about 45 % of
the time, mostly by guessing."""
KNOWN_MARGIN, KNOWN_SD = 0.3, 0.3
"""A known level is known a little above its bar, with spread."""


def make_learner(person_id: int, email: str, role: str, targets: dict[str, int], seed: int,
                 questions: list[Question], population: str = "mixed") -> Learner:
    """The same learner every time for one seed and population: what they know is part of who they are."""
    rng = random.Random(f"{seed}:{population}:{email}")
    share = POPULATIONS[population]
    own_share = rng.betavariate(share * CONCENTRATION, (1 - share) * CONCENTRATION)
    sim = SimulatedLearner(email=email, rng=random.Random(f"{seed}:{email}:answers"),
                           novice_ability=rng.gauss(NOVICE_MEAN, NOVICE_SD))
    for competency in sorted(targets):
        if rng.random() < own_share:
            sim.knows(competency, mastered_ability(rng.randint(1, 3)) + rng.gauss(KNOWN_MARGIN, KNOWN_SD))
    return Learner(person_id=person_id, email=email, role=role, targets=targets, sim=sim,
                   rng=random.Random(f"{seed}:{email}:choices"), questions=questions)
