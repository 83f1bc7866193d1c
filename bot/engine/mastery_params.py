"""The mastery model's global parameters (fitted per organisation, or defaults) and its input row."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

SKILL_FEATURES = ("bias", "right", "wrong", "recent", "ability")
"""Correction terms whose weight may differ per competency: its own offset, how much a right / a wrong answer
on it (log of the count) changes later answers, how much the last few answers on it count, and how much
the Bayesian ability estimate counts (how well its questions tell strong and weak learners apart)."""
LEARNER_FEATURES = ("all_right", "all_wrong")
"""Correction terms with one weight for everyone: practice across all competencies (log of the counts)."""
FEATURES = SKILL_FEATURES + LEARNER_FEATURES
ABILITY = FEATURES.index("ability")
IDENTITY_CORRECTION = {"bias": 0.0, "right": 0.0, "wrong": 0.0, "recent": 0.0, "ability": 1.0, "all_right": 0.0,
                       "all_wrong": 0.0}
"""With these weights the prediction is exactly the Bayesian ability model's own estimate."""

LEVELS = (1, 2, 3)


@dataclass(frozen=True)
class AnswerRow:
    """One graded answer: who, which competency, right or not, and the question (item) and its level if known."""

    user: str
    skill: str
    correct: bool
    item: str | None = None
    level: int | None = None


@dataclass
class ModelParams:
    """Everything the mastery model needs besides the learner's own answers. JSON-serialisable.

    Logit scale throughout: 0 is a 50% chance, +1 about 73%. A question's difficulty is relative to a
    typical question of its competency; a level-k question without a fitted difficulty gets
    ``level_difficulty[k-1]``.
    """

    dims: int = 1
    intercept: float = 0.5
    practice_right: float = 0.1
    practice_wrong: float = 0.1
    residual_sd: float = 1.7
    drift: float = 0.02
    default_loading: list[float] = field(default_factory=lambda: [1.0])
    level_difficulty: list[float] = field(default_factory=lambda: [-1.0, 0.0, 1.0])
    skill_difficulty: dict[str, float] = field(default_factory=dict)
    skill_loading: dict[str, list[float]] = field(default_factory=dict)
    correction: dict[str, float] = field(default_factory=lambda: dict(IDENTITY_CORRECTION))
    skill_correction: dict[str, list[float]] = field(default_factory=dict)
    recent_decay: float = 0.5
    mastery_target: float = 2.0 / 3.0
    fit_report: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def default(cls) -> ModelParams:
        """A new organisation without answers: one general ability shared by all competencies, questions
        placed by their level, and predictions straight from the Bayesian ability model."""
        return cls()

    def to_json(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelParams:
        """Unknown keys are ignored and missing ones take their defaults, so older stored fits still load."""
        known = {f.name for f in fields(cls)}
        params = cls(**{k: v for k, v in data.items() if k in known})
        params.default_loading = [float(x) for x in params.default_loading]
        params.correction = {**IDENTITY_CORRECTION, **{k: float(v) for k, v in params.correction.items()}}
        return params

    def loading(self, skill: str) -> np.ndarray:
        """How the competency draws on the learner-wide abilities; unseen competencies get the average."""
        return np.asarray(self.skill_loading.get(skill, self.default_loading), dtype=float)

    def difficulty(self, skill: str) -> float:
        """How hard a typical question of the competency is for a typical learner (0 when unknown)."""
        return self.skill_difficulty.get(skill, 0.0)

    def weights(self, skill: str) -> np.ndarray:
        """Correction weights in FEATURES order for this competency (global plus its own deviation)."""
        base = np.array([self.correction[name] for name in FEATURES])
        own = self.skill_correction.get(skill)
        if own is not None:
            base[: len(SKILL_FEATURES)] += np.asarray(own, dtype=float)
        return base

    def level_prior(self, level: int | None) -> float:
        """Difficulty of a question known only by its level (relative to the competency's typical question)."""
        if level is None:
            return 0.0
        return self.level_difficulty[min(max(int(level), 1), 3) - 1]

    def thresholds(self) -> tuple[float, float, float]:
        """Ability at which a typical level-k question is answered right with probability ``mastery_target``.

        Forced non-decreasing, so that mastering level 3 always implies mastering levels 1 and 2.
        """
        margin = math.log(self.mastery_target / (1.0 - self.mastery_target))
        running = -math.inf
        out = []
        for value in self.level_difficulty:
            running = max(running, value)
            out.append(running + margin)
        return out[0], out[1], out[2]


def _plain(value: Any) -> Any:
    """Plain JSON types (numpy scalars and arrays become floats and lists)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
