"""The mastery model: per learner and competency, how likely each level is mastered, from graded answers.

In plain words: every learner has an ability on every competency, on the same scale as question
difficulty. Before any answer we only know what is typical; each answer moves the estimate up (right)
or down (wrong), more when the answer was a surprise (a hard question answered right, an easy one
missed), and the estimate grows more certain. Competencies share a little of the learner's general
ability (and, where the data show it, hidden concepts), so a learner strong elsewhere starts a new
competency a bit higher. Mastering level k means answering a typical level-k question right with
probability at least ``mastery_target`` (two times out of three); ``mastery`` is how sure the model is of that.

For engineers: a Bayesian logistic ability model with a Gaussian posterior updated by assumed-density
filtering (``bot.engine.ability``), factor-structured across competencies, with fitted question
difficulties (a question's level is its prior), plus a small fitted logistic correction for practice
and recency (``bot.engine.fitting``). See docs/mastery-model.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import asdict, dataclass, fields, replace

import numpy as np
from scipy.special import ndtr

from bot.engine.ability import (
    add_answer,
    competency_belief,
    learner_wide_evidence,
    remove_evidence,
    uncertainty_shrink,
)
from bot.engine.mastery_params import ABILITY, FEATURES, AnswerRow, ModelParams

__all__ = ["AnswerRow", "MasteryModel", "ModelParams", "SkillState", "fit"]

DEFAULT_THRESHOLD = 0.8


@dataclass
class SkillState:
    """One learner on one competency: counts for people, evidence for the model. Stored as JSON."""

    attempts: int = 0
    correct: int = 0
    recent: float = 0.0
    """Recent answers on this competency, +1 right / -1 wrong, the last one weighing most."""
    evidence_precision: float = 0.0
    evidence_weight: float = 0.0
    """What the answers said about the learner's ability here (Gaussian factor: precision, precision x mean)."""
    ability: float | None = None
    ability_sd: float | None = None
    """Ability against a typical question of the competency as of the last answer (None: never answered)."""
    right_on_harder: int = 0
    right_on_easier: int = 0
    """Right answers on questions harder / easier than the competency's typical question."""

    def to_json(self) -> dict[str, float | int | None]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict | None) -> SkillState:
        """None (or an empty dict) is a learner who has not answered yet; unknown keys are ignored."""
        if not data:
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class _Learner:
    """Learner-wide view rebuilt from all of a learner's competency states."""

    all_right: int
    all_wrong: int
    z_mean: np.ndarray
    z_cov: np.ndarray


@dataclass(frozen=True)
class _View:
    """The model's belief about one learner on one competency, facing a question of a given difficulty."""

    offset: float
    mean: float
    var: float
    point: float
    """Logit of a right answer at the most likely ability."""
    difficulty: float
    ability_weight: float

    @property
    def probability(self) -> float:
        """P(right), averaged over the uncertainty about the ability."""
        return float(1.0 / (1.0 + np.exp(-uncertainty_shrink(self.var) * self.point)))

    @property
    def ability(self) -> float:
        """The most likely logit against a typical question (difficulty 0) of the competency."""
        return self.point + self.difficulty

    @property
    def ability_sd(self) -> float:
        return abs(self.ability_weight) * float(np.sqrt(self.var))


class MasteryModel:
    """Predicts answers and tracks mastery for one organisation's fitted (or default) parameters.

    ``item_difficulty`` maps a question id to its fitted difficulty, relative to a typical question of its
    competency (``fit`` returns it). Questions not in it are placed by their level (``level_difficulty``).
    """

    def __init__(self, params: ModelParams, item_difficulty: Mapping[str, float] | None = None) -> None:
        self.params = params
        self.item_difficulty = dict(item_difficulty or {})
        self._residual_var = params.residual_sd**2
        self._thresholds = params.thresholds()
        newcomer = self._view(self._learner({}), SkillState(), "", 0.0)
        self._newcomer = (newcomer.ability, newcomer.ability_sd)

    @property
    def newcomer(self) -> tuple[float, float]:
        """The ability belief (mean, sd) behind a competency with no answers: what `level` reads for a state
        without an ability of its own."""
        return self._newcomer

    def question_difficulty(self, item: str | None = None, level: int | None = None) -> float:
        """Fitted difficulty of the question if known, else the prior of its level, else typical (0)."""
        if item is not None and item in self.item_difficulty:
            return float(self.item_difficulty[item])
        return self.params.level_prior(level)

    def predict(self, states: Mapping[str, SkillState], skill: str, item: str | None = None,
                level: int | None = None) -> float:
        """P(right) for this learner on this question now. Cost grows with the learner's competencies, not
        with their answers or the number of questions."""
        view = self._view(self._learner(states), states.get(skill) or SkillState(), skill,
                          self.question_difficulty(item, level))
        return view.probability

    def update(self, states: MutableMapping[str, SkillState], skill: str, correct: bool, item: str | None = None,
               level: int | None = None, guess: float = 0.0) -> None:
        """Fold in one graded answer: replaces ``states[skill]`` (no other state changes).

        ``guess`` is the chance of answering right without knowing (1/options for multiple choice): a right
        answer then weighs less, so a lucky click does not make a level."""
        difficulty = self.question_difficulty(item, level)
        state = states.get(skill) or SkillState()
        view = self._view(self._learner(states), state, skill, difficulty)
        precision, weight = add_answer(state.evidence_precision, state.evidence_weight, view.offset, view.mean,
                                       view.var, float(correct), self.params.drift, guess)
        decay = self.params.recent_decay
        new = replace(
            state,
            attempts=state.attempts + 1,
            correct=state.correct + int(correct),
            recent=decay * state.recent + (1.0 - decay) * (1.0 if correct else -1.0),
            evidence_precision=float(precision),
            evidence_weight=float(weight),
            right_on_harder=state.right_on_harder + int(correct and difficulty > 0),
            right_on_easier=state.right_on_easier + int(correct and difficulty < 0),
        )
        states[skill] = new
        after = self._view(self._learner(states), new, skill, 0.0)
        new.ability, new.ability_sd = after.ability, after.ability_sd

    def level_probabilities(self, state: SkillState) -> tuple[float, float, float]:
        """P(mastered level 1), P(level 2), P(level 3): the ability belief above each level's bar."""
        ability, sd = (state.ability, state.ability_sd) if state.ability is not None else self._newcomer
        return self._above_bars(ability, sd)

    def level_chances(self, states: Mapping[str, SkillState], skill: str) -> tuple[float, float, float]:
        """Like ``level_probabilities``, from the learner's whole record: for a competency not yet answered,
        what their answers in the other competencies say (a newcomer's prior when there are none)."""
        view = self._view(self._learner(states), states.get(skill) or SkillState(), skill, 0.0)
        return self._above_bars(view.ability, view.ability_sd)

    def _above_bars(self, ability: float, sd: float | None) -> tuple[float, float, float]:
        sd = max(float(sd or 0.0), 1e-6)
        p1, p2, p3 = (float(ndtr((ability - bar) / sd)) for bar in self._thresholds)
        return p1, p2, p3

    def mastery(self, state: SkillState, target_level: int) -> float:
        """P(the learner has mastered ``target_level`` of this competency)."""
        return self.level_probabilities(state)[min(max(target_level, 1), 3) - 1]

    def level(self, state: SkillState, threshold: float = DEFAULT_THRESHOLD) -> int:
        """The highest level mastered with probability at least ``threshold`` (0 if none)."""
        return max((k for k, p in enumerate(self.level_probabilities(state), start=1) if p >= threshold), default=0)

    def explain(self, state: SkillState, target_level: int, competency: str | None = None,
                threshold: float = DEFAULT_THRESHOLD) -> str:
        """One sentence for the learner: the verdict on the level, how sure, and the answers behind it."""
        level = min(max(target_level, 1), 3)
        what = f"level {level} of {competency}" if competency else f"level {level}"
        if state.attempts == 0:
            return f"No answers yet on {competency or 'this competency'}: a few questions will show your level."
        p = self.mastery(state, level)
        evidence = f"{state.correct} of {state.attempts} right{_difficulty_note(state)}"
        if p >= threshold:
            return f"You have mastered {what} (mastery {p:.0%}): {evidence}."
        return f"Not yet at {what} (mastery {p:.0%}): {evidence}; a few more right answers at this level will show it."

    def _learner(self, states: Mapping[str, SkillState]) -> _Learner:
        """Belief about the learner-wide abilities: the prior times every competency's evidence."""
        dims = self.params.dims
        precision, weight = np.eye(dims), np.zeros(dims)
        right = wrong = 0
        for skill, state in states.items():
            right += state.correct
            wrong += state.attempts - state.correct
            if state.evidence_precision > 0:
                w = self.params.loading(skill)
                kappa, kappa_h = learner_wide_evidence(state.evidence_precision, state.evidence_weight,
                                                       self._residual_var)
                precision += kappa * np.outer(w, w)
                weight += kappa_h * w
        cov = np.linalg.inv(precision)
        return _Learner(right, wrong, cov @ weight, cov)

    def _view(self, learner: _Learner, state: SkillState, skill: str, difficulty: float) -> _View:
        params = self.params
        w = params.loading(skill)
        kappa, kappa_h = learner_wide_evidence(state.evidence_precision, state.evidence_weight, self._residual_var)
        shared_mean, shared_var = remove_evidence(float(w @ learner.z_mean), float(w @ learner.z_cov @ w),
                                                  kappa, kappa_h)
        mean, var = competency_belief(shared_mean, shared_var, self._residual_var, state.evidence_precision,
                                      state.evidence_weight)
        wrong = state.attempts - state.correct
        offset = (params.intercept - params.difficulty(skill) - difficulty
                  + params.practice_right * np.log1p(state.correct) + params.practice_wrong * np.log1p(wrong))
        columns = {"bias": 1.0, "right": np.log1p(state.correct), "wrong": np.log1p(wrong), "recent": state.recent,
                   "ability": mean, "all_right": np.log1p(learner.all_right),
                   "all_wrong": np.log1p(learner.all_wrong)}
        features = np.array([columns[name] for name in FEATURES])
        weights = params.weights(skill)
        return _View(float(offset), float(mean), float(var), float(offset + features @ weights), difficulty,
                     float(weights[ABILITY]))


def _difficulty_note(state: SkillState) -> str:
    if state.right_on_harder * 2 > state.correct:
        return ", mostly on harder questions"
    if state.right_on_easier * 2 > state.correct:
        return ", mostly on easier questions"
    return ""


def fit(rows: Iterable[AnswerRow], progress: Callable[[int], None] | None = None
        ) -> tuple[ModelParams, dict[str, float]]:
    """Fit global params and question difficulties from answers in order per learner (on train only).

    ``progress`` receives the percentage done (0-100). Returns the parameters and, per question id, its
    difficulty relative to a typical question of its competency (for ``MasteryModel(item_difficulty=...)``).
    """
    from bot.engine.fitting import fit_params  # scipy.optimize: only `coach fit` and `coach eval` need it

    return fit_params(rows, progress)
