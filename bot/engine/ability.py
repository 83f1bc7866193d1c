"""Gaussian belief about a learner's ability, updated by one graded answer at a time.

The mastery model keeps, per learner, a Gaussian belief over a small learner-wide vector ``z`` (general
ability and a few hidden concept abilities) and, per competency, a residual ``e`` specific to that
competency. The learner's ability on competency ``s`` is ``eta = w_s . z + e``. An answer is a logistic
observation of ``eta`` plus a known offset (question difficulty, practice). Each answer is folded in by
assumed-density filtering (ADF): the exact one-dimensional posterior of ``eta`` is replaced by the Gaussian
with the same mean and variance, which is what Glicko and TrueSkill do.

What a competency has learned is kept as *evidence*: a Gaussian factor on its ``eta`` with precision
``lam`` and precision-times-mean ``h``. The belief about ``z`` is the prior times every competency's
evidence (with ``e`` integrated out), so it can be rebuilt from the per-competency states alone and the
product never has to store a learner-wide record.

Every function works on floats and on numpy arrays alike, so the live model (one learner) and the
evaluation (thousands of learners at once) run the same equations.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import log_ndtr, ndtr

PROBIT_SLOPE = math.sqrt(math.pi / 8.0)
"""Slope of the probit that best matches the logistic curve: sigmoid(x) ~ Phi(PROBIT_SLOPE * x)."""

ArrayLike = float | np.ndarray


def expected_correct(mean: ArrayLike, var: ArrayLike) -> ArrayLike:
    """P(correct) when the answer's logit is uncertain, N(mean, var): averaging over the belief, not plugging in."""
    return ndtr(PROBIT_SLOPE * mean / np.sqrt(1.0 + PROBIT_SLOPE**2 * var))


def uncertainty_shrink(var: ArrayLike) -> ArrayLike:
    """Factor by which an uncertain logit is pulled towards 0: E[sigmoid(x)] ~ sigmoid(shrink * E[x])."""
    return 1.0 / np.sqrt(1.0 + PROBIT_SLOPE**2 * var)


def observe(mean: ArrayLike, var: ArrayLike, correct: ArrayLike) -> tuple[ArrayLike, ArrayLike]:
    """Mean and variance of the logit after seeing the answer (moment matching, probit approximation).

    A surprising answer (a right answer on a question the learner was expected to miss) moves the mean
    more than an expected one; the variance always shrinks.
    """
    sign = 2.0 * np.asarray(correct, dtype=float) - 1.0
    scale = np.sqrt(1.0 + PROBIT_SLOPE**2 * var)
    k = sign * PROBIT_SLOPE * mean / scale
    ratio = np.exp(-0.5 * k**2 - 0.5 * math.log(2.0 * math.pi) - log_ndtr(k))
    new_mean = mean + sign * PROBIT_SLOPE * var * ratio / scale
    new_var = var - var**2 * PROBIT_SLOPE**2 * ratio * (k + ratio) / scale**2
    return new_mean, new_var


def learner_wide_evidence(lam: ArrayLike, h: ArrayLike, residual_var: float) -> tuple[ArrayLike, ArrayLike]:
    """What a competency's evidence says about ``w . z`` once its own residual ``e`` is integrated out.

    Returns precision and precision-times-mean: the evidence is blurred by the residual variance, so a
    competency can never tell more about the learner as a whole than its residual allows.
    """
    blur = 1.0 + lam * residual_var
    return lam / blur, h / blur


def remove_evidence(mean: ArrayLike, var: ArrayLike, kappa: ArrayLike, kappa_h: ArrayLike
                    ) -> tuple[ArrayLike, ArrayLike]:
    """The belief about ``w . z`` without one competency's contribution (the 'cavity' of ADF/EP)."""
    keep = 1.0 - kappa * var
    return (mean - kappa_h * var) / keep, var / keep


def competency_belief(shared_mean: ArrayLike, shared_var: ArrayLike, residual_var: float, lam: ArrayLike,
                      h: ArrayLike) -> tuple[ArrayLike, ArrayLike]:
    """Belief about ``eta = w . z + e``: the learner-wide part (without this competency) plus the residual
    prior, times this competency's own evidence."""
    prior_var = shared_var + residual_var
    precision = 1.0 / prior_var + lam
    return (shared_mean / prior_var + h) / precision, 1.0 / precision


def observe_guessable(mean: float, var: float, correct: bool, guess: float) -> tuple[float, float]:
    """Like ``observe``, for a question that can be answered right by guessing with probability ``guess``.

    A right answer is then either a guess (which says nothing about ability) or knowledge, so the
    posterior is the mixture of the prior and the ordinary update, weighted by how likely each is; a wrong
    answer cannot come from a lucky guess and updates as usual. This keeps one right answer to a
    four-option question from counting as proof (3PL with a known guessing floor).
    """
    known_mean, known_var = observe(mean, var, correct)
    if not correct or guess <= 0.0:
        return known_mean, known_var
    knows = (1.0 - guess) * float(expected_correct(mean, var))
    weight = guess / (guess + knows)
    new_mean = weight * mean + (1.0 - weight) * known_mean
    second = weight * (var + mean**2) + (1.0 - weight) * (known_var + known_mean**2)
    return new_mean, min(var, second - new_mean**2)  # an answer never makes the belief less certain


def add_answer(lam: ArrayLike, h: ArrayLike, offset: ArrayLike, mean: ArrayLike, var: ArrayLike,
               correct: ArrayLike, drift: float, guess: float = 0.0) -> tuple[ArrayLike, ArrayLike]:
    """New evidence of a competency after an answer, then blurred by drift.

    ``mean``/``var`` describe ``eta`` before the answer and ``offset`` is the known part of the logit. The
    evidence gains exactly what the answer added to the belief (posterior minus prior, in natural
    parameters). Drift adds variance to all past evidence, so older answers weigh less than recent ones:
    abilities change while people learn. ``guess`` is the chance of a right answer without knowing (one
    answer in the product, where a question's options are known; 0 in offline logs, which carry no options).
    """
    if guess > 0.0:
        new_logit_mean, new_var = observe_guessable(float(offset + mean), float(var), bool(correct), guess)
    else:
        new_logit_mean, new_var = observe(offset + mean, var, correct)
    new_mean = new_logit_mean - offset
    lam = lam + 1.0 / new_var - 1.0 / var
    h = h + new_mean / new_var - mean / var
    keep = 1.0 / (1.0 + drift * lam)
    return lam * keep, h * keep
