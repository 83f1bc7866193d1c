"""Fit the static structure of the Bayesian ability model from an answer history (maximum a posteriori).

Logit of a right answer, for learner u, competency s, question i, with r/w right/wrong answers on s before:

    intercept - difficulty[s] - level_difficulty[level] - item[i]
        + practice_right * log(1 + r) + practice_wrong * log(1 + w)
        + loading[s] . z[u] + e[u, s]

Every parameter has a Gaussian prior, so the fit is a single smooth optimisation (L-BFGS) and degrades
gracefully with little data: an unseen or rarely answered question stays near its level's difficulty,
a rare competency near average. The learners' own ``z`` and ``e`` are fitted too but thrown away: only
what transfers to new learners (difficulties, loadings, practice effects) is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from bot.engine.answer_log import AnswerLog, History
from bot.engine.mastery_params import ModelParams

DIFFICULTY_SD = 2.0
"""Competency difficulties: weakly informative (a competency answered right 12% to 88% of the time is 1 sd)."""
ITEM_SD = 1.0
"""Question difficulty around its level's (or its competency's) typical difficulty."""
LEVEL_SD = 1.0
"""Level difficulties around the defaults (-1, 0, +1)."""
LOADING_SD = 1.0
RESIDUAL_SD = 1.0
"""Learner-by-competency residual ability during the fit; rescaled later on held-out learners."""
MAX_ITERATIONS = 100
TOLERANCE = 1e-6
"""Relative change of the objective below which the optimiser stops (finer changes do not move predictions)."""


@dataclass(frozen=True)
class _Layout:
    """Where each parameter block sits in the flat vector the optimiser sees."""

    n_skills: int
    n_items: int
    n_users: int
    n_pairs: int
    dims: int

    @property
    def sizes(self) -> list[int]:
        d = self.dims
        return [1, 2, 3, self.n_skills, self.n_items, self.n_skills * d, self.n_users * d, self.n_pairs]

    def split(self, x: np.ndarray) -> list[np.ndarray]:
        return np.split(x, np.cumsum(self.sizes)[:-1])


def fit_structure(log: AnswerLog, dims: int, base: ModelParams, seed: int = 0) -> tuple[ModelParams, dict[str, float]]:
    """Parameters and question difficulties fitted on ``log``; the rest of ``base`` is kept as is."""
    history = History.of(log)
    layout = _Layout(len(log.skills), len(log.items), log.n_users, history.n_pairs, dims)
    practice = np.column_stack([np.log1p(history.right), np.log1p(history.wrong)])
    has_item = log.item >= 0
    has_level = log.level > 0
    level_prior = np.asarray(base.level_difficulty, dtype=float)
    y, n = log.correct, max(len(log), 1)

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        intercept, pr, lv, diff, item, load, z, e = layout.split(x)
        load, z = load.reshape(-1, dims), z.reshape(-1, dims)
        logit = (intercept[0] - diff[log.skill] - np.r_[0.0, lv][log.level] - np.r_[item, 0.0][log.item]
                 + practice @ pr
                 + np.sum(load[log.skill] * z[log.user], axis=1) + e[history.pair])
        loss = np.sum(np.logaddexp(0.0, logit) - y * logit)
        loss += 0.5 * (np.sum(diff**2) / DIFFICULTY_SD**2 + np.sum(item**2) / ITEM_SD**2
                       + np.sum((lv - level_prior) ** 2) / LEVEL_SD**2 + np.sum(load**2) / LOADING_SD**2
                       + np.sum(z**2) + np.sum(e**2) / RESIDUAL_SD**2)
        r = 1.0 / (1.0 + np.exp(-logit)) - y
        grads = [
            [r.sum()],
            practice.T @ r,
            -np.bincount(log.level[has_level], r[has_level], 4)[1:] + (lv - level_prior) / LEVEL_SD**2,
            -np.bincount(log.skill, r, layout.n_skills) + diff / DIFFICULTY_SD**2,
            -np.bincount(log.item[has_item], r[has_item], layout.n_items) + item / ITEM_SD**2,
            np.column_stack([np.bincount(log.skill, r * z[log.user, k], layout.n_skills) for k in range(dims)])
            + load / LOADING_SD**2,
            np.column_stack([np.bincount(log.user, r * load[log.skill, k], layout.n_users) for k in range(dims)])
            + z,
            np.bincount(history.pair, r, layout.n_pairs) + e / RESIDUAL_SD**2,
        ]
        return loss / n, np.concatenate([np.ravel(g) for g in grads]) / n

    rng = np.random.default_rng(seed)
    load0 = rng.normal(0.0, 0.1, (layout.n_skills, dims))
    load0[:, 0] += 0.5
    x0 = np.concatenate([[base.intercept], [0.0, 0.0], level_prior, np.zeros(layout.n_skills),
                         np.zeros(layout.n_items), load0.ravel(), rng.normal(0.0, 0.1, layout.n_users * dims),
                         np.zeros(layout.n_pairs)])
    scale = _curvature_scale(log, history, layout, practice, has_level, has_item)

    def scaled(x_scaled: np.ndarray) -> tuple[float, np.ndarray]:
        loss, grad = objective(x_scaled / scale)
        return loss, grad / scale

    result = minimize(scaled, x0 * scale, jac=True, method="L-BFGS-B",
                      options={"maxiter": MAX_ITERATIONS, "ftol": TOLERANCE})
    intercept, pr, lv, diff, item, load, _, _ = layout.split(result.x / scale)
    load = load.reshape(-1, dims)
    counts = np.bincount(log.skill, minlength=layout.n_skills).astype(float)

    params = ModelParams.from_json(base.to_json())
    params.dims = dims
    params.intercept = float(intercept[0])
    params.practice_right, params.practice_wrong = float(pr[0]), float(pr[1])
    if has_level.any():
        params.level_difficulty = [float(v) for v in lv]
    params.skill_difficulty = {name: float(v) for name, v in zip(log.skills, diff, strict=True)}
    params.skill_loading = {name: [float(v) for v in row] for name, row in zip(log.skills, load, strict=True)}
    params.default_loading = [float(v) for v in counts @ load / max(counts.sum(), 1.0)]
    return params, _item_difficulties(log, item, params)


def _curvature_scale(log: AnswerLog, history: History, layout: _Layout, practice: np.ndarray,
                     has_level: np.ndarray, has_item: np.ndarray) -> np.ndarray:
    """Square root of each parameter's approximate curvature (answers behind it / 4, plus its prior).

    The optimiser works on parameters multiplied by this, so that a learner with 500 answers and a
    question with 3 are equally easy to move: without it, L-BFGS needs several times more iterations.
    """
    n, d = max(len(log), 1), layout.dims
    per_skill = np.bincount(log.skill, minlength=layout.n_skills)
    per_user = np.bincount(log.user, minlength=layout.n_users)
    blocks = [
        [n / 4 + 1e-2],
        np.sum(practice**2, axis=0) / 4 + 1e-2,
        np.bincount(log.level[has_level], minlength=4)[1:] / 4 + 1.0 / LEVEL_SD**2,
        per_skill / 4 + 1.0 / DIFFICULTY_SD**2,
        np.bincount(log.item[has_item], minlength=layout.n_items) / 4 + 1.0 / ITEM_SD**2,
        np.repeat(per_skill / 4 + 1.0 / LOADING_SD**2, d),
        np.repeat(per_user / 4 + 1.0, d),
        np.bincount(history.pair, minlength=layout.n_pairs) / 4 + 1.0 / RESIDUAL_SD**2,
    ]
    return np.sqrt(np.concatenate([np.asarray(b, dtype=float) for b in blocks]) / n)


def _item_difficulties(log: AnswerLog, item: np.ndarray, params: ModelParams) -> dict[str, float]:
    """Each question's difficulty relative to its competency: its level's difficulty plus its own offset.

    A question has one level (its lesson's); should a log disagree, the last row's level wins.
    """
    levels = np.zeros(len(log.items), dtype=np.int64)
    rows = log.item >= 0
    levels[log.item[rows]] = log.level[rows]
    by_level = np.array([0.0, *params.level_difficulty])
    return {name: float(item[k] + by_level[levels[k]]) for k, name in enumerate(log.items)}
