"""Metrics of probabilistic predictions of right (1) / wrong (0) answers."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import rankdata

EPSILON = 1e-15
"""Predictions are clipped to [EPSILON, 1 - EPSILON] for the log loss, as scikit-learn does."""


def auc(correct: np.ndarray, probability: np.ndarray) -> float:
    """Area under the ROC curve: P(a random right answer got a higher prediction than a random wrong one),
    ties counting one half. NaN when only one class is present."""
    y = np.asarray(correct, dtype=float)
    positives = y.sum()
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return math.nan
    ranks = rankdata(probability)
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def log_loss(correct: np.ndarray, probability: np.ndarray) -> float:
    """Mean negative natural log of the probability given to what happened."""
    y = np.asarray(correct, dtype=float)
    p = np.clip(np.asarray(probability, dtype=float), EPSILON, 1 - EPSILON)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def rmse(correct: np.ndarray, probability: np.ndarray) -> float:
    """Root mean squared difference between prediction and outcome (the Brier score's square root)."""
    y = np.asarray(correct, dtype=float)
    return float(np.sqrt(np.mean((np.asarray(probability, dtype=float) - y) ** 2)))
