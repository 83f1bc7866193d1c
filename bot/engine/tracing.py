"""The mastery model run over whole answer logs: every learner at once, answer by answer.

Each row is predicted from its learner's earlier rows only, then folded in. Learners are independent, so
the k-th answers of all learners are processed together as one numpy step; the equations are those of
``bot.engine.ability`` and give the same numbers as ``MasteryModel.predict``/``update`` row by row (pinned
by a test), only thousands of times faster. Used by ``fit`` (held-out learners) and by ``coach eval``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from bot.engine.ability import (
    add_answer,
    competency_belief,
    expected_correct,
    learner_wide_evidence,
    remove_evidence,
    uncertainty_shrink,
)
from bot.engine.answer_log import AnswerLog, History
from bot.engine.mastery_params import FEATURES, ModelParams


@dataclass
class Trace:
    """Per row, the state of knowledge just before the answer."""

    offset: np.ndarray
    """Known part of the Bayesian model's logit: intercept, competency and question difficulty, practice."""
    mean: np.ndarray
    var: np.ndarray
    """Belief about the learner's latent ability on the competency (eta)."""
    features: np.ndarray
    """Correction features in FEATURES order (``ability`` is ``mean``)."""
    weights: np.ndarray
    """Correction weights of each row's competency."""

    @property
    def bayes_probability(self) -> np.ndarray:
        """The Bayesian ability model alone, averaged over its uncertainty."""
        return np.asarray(expected_correct(self.offset + self.mean, self.var))

    @property
    def shrink(self) -> np.ndarray:
        """How much each row's uncertainty pulls its logit towards 0 (1 = certain)."""
        return np.asarray(uncertainty_shrink(self.var))

    @property
    def probability(self) -> np.ndarray:
        """The mastery model's prediction: the Bayesian model with the fitted corrections, averaged over the
        uncertainty of the ability."""
        point = self.offset + np.sum(self.features * self.weights, axis=1)
        return 1.0 / (1.0 + np.exp(-self.shrink * point))


def question_difficulty(params: ModelParams, items: Mapping[str, float], log: AnswerLog) -> np.ndarray:
    """Per row: the fitted difficulty of its question, else its level's prior, else 0 (a typical question)."""
    known = np.array([items.get(name, np.nan) for name in log.items] + [np.nan])
    by_level = np.array([0.0, *(params.level_prior(k) for k in (1, 2, 3))])
    fitted = known[log.item]
    return np.where(np.isnan(fitted), by_level[log.level], fitted)


def trace(log: AnswerLog, params: ModelParams, items: Mapping[str, float],
          progress: Callable[[int], None] | None = None) -> Trace:
    """Predict every row from its learner's earlier rows, then update, for all learners in parallel.

    ``progress`` receives the number of rows just processed after each step.
    """
    history = History.of(log)
    n = len(log)
    residual_var = params.residual_sd**2
    difficulty = np.array([params.difficulty(s) for s in log.skills], dtype=float)
    loading = np.array([params.loading(s) for s in log.skills], dtype=float).reshape(-1, params.dims)
    weights = np.array([params.weights(s) for s in log.skills], dtype=float).reshape(-1, len(FEATURES))
    offset = (params.intercept - difficulty[log.skill] - question_difficulty(params, items, log)
              + params.practice_right * np.log1p(history.right) + params.practice_wrong * np.log1p(history.wrong))

    z_mean = np.zeros((log.n_users, params.dims))
    z_cov = np.tile(np.eye(params.dims), (log.n_users, 1, 1))
    lam = np.zeros(history.n_pairs)
    h = np.zeros(history.n_pairs)
    recent = np.zeros(history.n_pairs)
    mean, var, recent_before = np.empty(n), np.empty(n), np.empty(n)

    order = np.lexsort((log.user, history.step))
    bounds = np.flatnonzero(np.r_[True, np.diff(history.step[order]) != 0, True])
    for start, stop in itertools.pairwise(bounds):
        rows = order[start:stop]
        user, pair, correct = log.user[rows], history.pair[rows], log.correct[rows]
        w = loading[log.skill[rows]]
        cov_w = np.einsum("nij,nj->ni", z_cov[user], w)
        shared_mean = np.sum(w * z_mean[user], axis=1)
        shared_var = np.sum(w * cov_w, axis=1)
        kappa, kappa_h = learner_wide_evidence(lam[pair], h[pair], residual_var)
        cavity_mean, cavity_var = remove_evidence(shared_mean, shared_var, kappa, kappa_h)
        m, v = competency_belief(cavity_mean, cavity_var, residual_var, lam[pair], h[pair])
        mean[rows], var[rows], recent_before[rows] = m, v, recent[pair]

        lam[pair], h[pair] = add_answer(lam[pair], h[pair], offset[rows], m, v, correct, params.drift)
        new_kappa, new_kappa_h = learner_wide_evidence(lam[pair], h[pair], residual_var)
        d_kappa, d_kappa_h = new_kappa - kappa, new_kappa_h - kappa_h
        gain = 1.0 + d_kappa * shared_var
        z_mean[user] += cov_w * ((d_kappa_h - d_kappa * shared_mean) / gain)[:, None]
        z_cov[user] -= (d_kappa / gain)[:, None, None] * cov_w[:, :, None] * cov_w[:, None, :]
        recent[pair] = params.recent_decay * recent[pair] + (1.0 - params.recent_decay) * (2.0 * correct - 1.0)
        if progress is not None:
            progress(len(rows))

    columns = {"bias": np.ones(n), "right": np.log1p(history.right), "wrong": np.log1p(history.wrong),
               "recent": recent_before, "ability": mean, "all_right": np.log1p(history.all_right),
               "all_wrong": np.log1p(history.all_wrong)}
    features = np.column_stack([columns[name] for name in FEATURES])
    return Trace(offset, mean, var, features, weights[log.skill])
