"""Logistic regression with per-group weights shrunk towards shared ones (a Gaussian prior on each).

The mastery model's corrections and the PFA-style baselines are both of this form: every competency gets
its own weights for a few features, pulled towards the weights all competencies share, so a competency
with few answers behaves like the average one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize


@dataclass
class GroupedLogistic:
    """logit = offset + X @ (shared + own[group]), where ``own`` covers the first ``own.shape[1]`` columns."""

    shared: np.ndarray
    own: np.ndarray

    def logit(self, features: np.ndarray, group: np.ndarray, offset: np.ndarray | float = 0.0) -> np.ndarray:
        k = self.own.shape[1]
        pad = np.zeros((len(self.own), features.shape[1] - k))
        weights = self.shared + np.hstack([self.own, pad])[group]
        return offset + np.sum(features * weights, axis=1)


def fit_grouped_logistic(features: np.ndarray, group: np.ndarray, n_groups: int, n_own: int, correct: np.ndarray,
                         offset: np.ndarray | float = 0.0, prior_mean: np.ndarray | None = None,
                         prior_sd: float = 10.0, own_sd: float = 1.0, max_iterations: int = 500) -> GroupedLogistic:
    """Maximum a posteriori weights: shared ~ N(prior_mean, prior_sd^2), own ~ N(0, own_sd^2)."""
    n, k = features.shape
    mean = np.zeros(k) if prior_mean is None else np.asarray(prior_mean, dtype=float)
    n_scale = max(n, 1)
    own_cols = features[:, :n_own]

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        shared, own = x[:k], x[k:].reshape(n_groups, n_own)
        logit = offset + features @ shared + np.sum(own_cols * own[group], axis=1)
        loss = np.sum(np.logaddexp(0.0, logit) - correct * logit)
        loss += 0.5 * np.sum((shared - mean) ** 2) / prior_sd**2 + 0.5 * np.sum(own**2) / own_sd**2
        r = 1.0 / (1.0 + np.exp(-logit)) - correct
        g_shared = features.T @ r + (shared - mean) / prior_sd**2
        g_own = own / own_sd**2
        for j in range(n_own):
            g_own[:, j] += np.bincount(group, r * own_cols[:, j], n_groups)
        return loss / n_scale, np.concatenate([g_shared, g_own.ravel()]) / n_scale

    # Optimise in units of each weight's curvature (see bot.engine.irt_fit): far fewer iterations.
    own_curvature = np.zeros((n_groups, n_own))
    for j in range(n_own):
        own_curvature[:, j] = np.bincount(group, own_cols[:, j] ** 2, n_groups)
    scale = np.sqrt(np.concatenate([np.sum(features**2, axis=0) / 4 + 1.0 / prior_sd**2,
                                    (own_curvature / 4 + 1.0 / own_sd**2).ravel()]) / n_scale)

    def scaled(y: np.ndarray) -> tuple[float, np.ndarray]:
        loss, grad = objective(y / scale)
        return loss, grad / scale

    x0 = np.concatenate([mean, np.zeros(n_groups * n_own)])
    result = minimize(scaled, x0 * scale, jac=True, method="L-BFGS-B", options={"maxiter": max_iterations})
    x = result.x / scale
    return GroupedLogistic(x[:k], x[k:].reshape(n_groups, n_own))
