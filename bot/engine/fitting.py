"""``fit``: learn the mastery model's parameters from an organisation's answer history.

Nothing is tuned by hand per data set. Choices the likelihood alone cannot make — how many hidden
abilities, how strongly competencies share them, how fast old answers fade — are made on held-out
learners: the structure is fitted on three quarters of the learners and the remaining quarter's answers
are predicted one by one, exactly as in production. The corrections on top of the Bayesian model
are fitted on such held-out predictions too (two of four folds of learners, each predicted by the
structure fitted on the other three), so they learn how the live model errs, not how it fits answers it has
already seen.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from bot.engine.answer_log import AnswerLog
from bot.engine.irt_fit import fit_structure
from bot.engine.logistic import fit_grouped_logistic
from bot.engine.mastery_params import FEATURES, IDENTITY_CORRECTION, SKILL_FEATURES, AnswerRow, ModelParams
from bot.engine.tracing import Trace, trace

FOLDS = 4
"""Learners are split in this many folds; each fold is predicted by the structure fitted on the others."""
CORRECTION_FOLDS = 2
"""Folds whose held-out predictions train the corrections (half the learners: plenty for a few weights)."""
MIN_LEARNERS = 20
"""Below this, folds are too small to judge on: fit the structure with one general ability and keep the
default calibration and corrections."""
DIMENSIONS = (1, 2, 3, 5, 8)
"""Numbers of learner-wide abilities tried in turn; the search stops at the first that does not help."""
MIN_GAIN = 1e-3
"""Relative drop of held-out log loss that an extra hidden ability must bring to be kept."""
CORRECTION_SD = 1.0
"""Prior sd of the shared correction weights around the identity (the Bayesian model unchanged)."""
OWN_CORRECTION_SD = 0.5
"""Prior sd of a competency's own deviation from the shared correction weights."""
CALIBRATION_BOUNDS = [(math.log(0.05), math.log(5.0)), (math.log(0.05), math.log(5.0)),
                      (math.log(1e-4), math.log(10.0))]
"""Search range (natural logarithms) of loading scale, residual sd and drift: wide, only to stay finite."""
CALIBRATION_EVALUATIONS = 80
SPLIT_SEED = 0


@dataclass(frozen=True)
class Calibration:
    """How the fitted structure is used online, chosen on held-out learners."""

    loading_scale: float = 1.0
    residual_sd: float = 1.0
    drift: float = 0.02

    def apply(self, params: ModelParams) -> ModelParams:
        out = ModelParams.from_json(params.to_json())
        out.skill_loading = {s: [v * self.loading_scale for v in w] for s, w in params.skill_loading.items()}
        out.default_loading = [v * self.loading_scale for v in params.default_loading]
        out.residual_sd, out.drift = self.residual_sd, self.drift
        return out


class _Progress:
    """Reports percent done to an optional callback, never going backwards."""

    def __init__(self, callback: Callable[[int], None] | None) -> None:
        self.callback, self.done = callback, 0

    def __call__(self, percent: int) -> None:
        if self.callback is not None and percent > self.done:
            self.done = percent
            self.callback(percent)


def fit_params(rows: Iterable[AnswerRow], progress: Callable[[int], None] | None = None
               ) -> tuple[ModelParams, dict[str, float]]:
    """Fit global params and question difficulties from answers in order per learner; see the module doc."""
    report = _Progress(progress)
    log = AnswerLog.from_rows(rows)
    base = ModelParams.default()
    summary = {"answers": len(log), "learners": log.n_users, "competencies": len(log.skills),
               "questions": len(log.items)}
    if len(log) == 0:
        report(100)
        return base, {}
    if log.n_users < MIN_LEARNERS:
        params, items = fit_structure(log, 1, base)
        params = Calibration(residual_sd=base.residual_sd, drift=base.drift).apply(params)
        params.fit_report = {**summary, "note": f"fewer than {MIN_LEARNERS} learners: default calibration"}
        report(100)
        return params, items

    fold = np.random.default_rng(SPLIT_SEED).permutation(log.n_users) % FOLDS
    row_fold = fold[log.user]
    dims, calibration, first_structure, tried = _choose_dimensions(log, row_fold, base, report)
    held_out = []
    for k in range(CORRECTION_FOLDS):
        params_k, items_k = first_structure if k == 0 else fit_structure(log.subset(row_fold != k), dims, base)
        held_out.append(trace(log.subset(row_fold == k), calibration.apply(params_k), items_k))
        report(60 + 10 * k)
    correction = _fit_corrections(log, row_fold, held_out)
    report(90)

    params, items = fit_structure(log, dims, base)
    params = calibration.apply(params)
    shared, own = correction
    params.correction = {name: float(v) for name, v in zip(FEATURES, shared, strict=True)}
    params.skill_correction = {name: [float(v) for v in row] for name, row in zip(log.skills, own, strict=True)}
    params.fit_report = {**summary, "dims": dims, "held_out_log_loss_by_dims": tried,
                         "calibration": {"loading_scale": calibration.loading_scale,
                                         "residual_sd": calibration.residual_sd, "drift": calibration.drift}}
    report(100)
    return params, items


def _choose_dimensions(log: AnswerLog, row_fold: np.ndarray, base: ModelParams, report: _Progress
                       ) -> tuple[int, Calibration, tuple[ModelParams, dict[str, float]], dict[str, float]]:
    """Fit without fold 0, judge on fold 0; more hidden abilities only while they clearly help.

    Returns the dimensions, the calibration, the structure fitted without fold 0 and the losses tried.
    """
    fit_part, judge = log.subset(row_fold != 0), log.subset(row_fold == 0)
    limit = max(1, len(log.skills) // 2)
    best: tuple[float, int, Calibration, tuple[ModelParams, dict[str, float]]] | None = None
    tried: dict[str, float] = {}
    for k, dims in enumerate(d for d in DIMENSIONS if d <= limit):
        structure = fit_structure(fit_part, dims, base)
        calibration, loss = _calibrate(*structure, judge)
        tried[str(dims)] = round(loss, 5)
        report(10 * (k + 1))
        if best is not None and loss > best[0] * (1.0 - MIN_GAIN):
            break
        best = (loss, dims, calibration, structure)
    assert best is not None
    return best[1], best[2], best[3], tried


def _calibrate(params: ModelParams, items: dict[str, float], judge: AnswerLog) -> tuple[Calibration, float]:
    """The calibration with the lowest held-out log loss (Nelder-Mead on the logarithms, from the defaults,
    first steps doubling each value)."""
    def loss(x: np.ndarray) -> float:
        c = Calibration(*np.exp(x))
        return _log_loss(judge.correct, trace(judge, c.apply(params), items).bayes_probability)

    start = np.log([1.0, params.residual_sd, params.drift])
    simplex = np.vstack([start, start + math.log(2.0) * np.eye(3)])
    result = minimize(loss, start, method="Nelder-Mead", bounds=CALIBRATION_BOUNDS,
                      options={"maxfev": CALIBRATION_EVALUATIONS, "initial_simplex": simplex, "xatol": 0.05,
                               "fatol": 1e-5})
    return Calibration(*np.exp(result.x)), float(result.fun)


def _fit_corrections(log: AnswerLog, row_fold: np.ndarray, held_out: list[Trace]) -> tuple[np.ndarray, np.ndarray]:
    """Correction weights fitted on held-out predictions of the first folds (each by the other folds' fit)."""
    parts = [log.subset(row_fold == k) for k in range(len(held_out))]
    shrink = np.concatenate([t.shrink for t in held_out])
    model = fit_grouped_logistic(
        np.vstack([t.features for t in held_out]) * shrink[:, None],
        np.concatenate([part.skill for part in parts]),
        len(log.skills),
        len(SKILL_FEATURES),
        np.concatenate([part.correct for part in parts]),
        np.concatenate([t.offset for t in held_out]) * shrink,
        prior_mean=np.array([IDENTITY_CORRECTION[f] for f in FEATURES]),
        prior_sd=CORRECTION_SD,
        own_sd=OWN_CORRECTION_SD,
    )
    return model.shared, model.own


def _log_loss(correct: np.ndarray, probability: np.ndarray) -> float:
    """Mean negative log-likelihood of the answers (probabilities clipped away from 0 and 1)."""
    p = np.clip(probability, 1e-12, 1.0 - 1e-12)
    return float(-np.mean(correct * np.log(p) + (1.0 - correct) * np.log(1.0 - p)))
