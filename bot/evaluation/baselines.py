"""Classical knowledge-tracing baselines, fitted on the same train file and scored in the same pass.

Each takes the train and test logs and returns, per test row, P(right) from that learner's earlier test
rows only. They are the yardsticks of the data README: a per-competency rate, PFA (Pavlik, Cen & Koedinger
2009), PFA with the learner's overall counts, and Elo with fitted difficulties (Pelanek 2016).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from bot.engine.answer_log import AnswerLog, History
from bot.engine.logistic import fit_grouped_logistic

LOOSE_SD = 10.0
"""Prior sd that barely regularises: the classical models are fitted as published (plain maximum likelihood);
it only keeps weights finite for a competency with a handful of answers."""
ELO_SCALES = (0.25, 0.5, 1.0, 2.0)
ELO_SLOWDOWNS = (0.01, 0.05, 0.2)
"""Elo's step after n answers is scale / (1 + slowdown * n) (Pelanek 2016, "Applications of the Elo rating
system in adaptive educational systems"); the pair is chosen on train, by the log loss of Elo's own
answer-by-answer predictions there."""


def _train_codes(train_names: list[str], test_names: list[str]) -> np.ndarray:
    """For each test name, its index in the train vocabulary, or the extra index len(train_names) if unseen."""
    index = {name: k for k, name in enumerate(train_names)}
    return np.array([index.get(name, len(train_names)) for name in test_names] + [len(train_names)],
                    dtype=np.int64)


def skill_rate(train: AnswerLog, test: AnswerLog) -> np.ndarray:
    """Share of right answers on the competency in train (one pseudo-answer at the overall rate)."""
    overall = train.correct.mean()
    n_skills = len(train.skills)
    rate = (np.bincount(train.skill, train.correct, n_skills) + overall) / (np.bincount(train.skill,
                                                                                        minlength=n_skills) + 1)
    return np.r_[rate, overall][_train_codes(train.skills, test.skills)[test.skill]]


def _pfa_features(log: AnswerLog, logged: bool) -> np.ndarray:
    h = History.of(log)
    transform: Callable[[np.ndarray], np.ndarray] = np.log1p if logged else np.asarray
    columns = [np.ones(len(log)), transform(h.right), transform(h.wrong)]
    if logged:
        columns += [np.log1p(h.all_right), np.log1p(h.all_wrong)]
    return np.column_stack(columns)


def _pfa(train: AnswerLog, test: AnswerLog, with_overall: bool) -> np.ndarray:
    n_skills = len(train.skills)
    model = fit_grouped_logistic(_pfa_features(train, with_overall), train.skill, n_skills, 3, train.correct,
                                 prior_sd=LOOSE_SD, own_sd=LOOSE_SD)
    model.own = np.vstack([model.own, np.zeros((1, 3))])
    skill = _train_codes(train.skills, test.skills)[test.skill]
    return 1.0 / (1.0 + np.exp(-model.logit(_pfa_features(test, with_overall), skill)))


def pfa(train: AnswerLog, test: AnswerLog) -> np.ndarray:
    """PFA: per competency, an intercept and a weight per earlier right and per earlier wrong answer on it."""
    return _pfa(train, test, with_overall=False)


def pfa_overall(train: AnswerLog, test: AnswerLog) -> np.ndarray:
    """PFA on log counts plus the learner's right and wrong answers on all competencies (log counts)."""
    return _pfa(train, test, with_overall=True)


def elo(train: AnswerLog, test: AnswerLog) -> np.ndarray:
    """Elo: difficulties (of questions if known, else competencies) learned on train, then frozen; each test
    learner's single ability starts at 0 and moves after each answer."""
    keys, n_keys = _difficulty_keys(train)
    runs = [_elo_train(train, keys, n_keys, scale, slowdown) for scale in ELO_SCALES for slowdown in ELO_SLOWDOWNS]
    _, difficulty, scale, slowdown = min(runs, key=lambda run: run[0])
    test_difficulty = _test_difficulty(train, test, difficulty)
    ability: dict[int, tuple[float, int]] = {}
    out = np.empty(len(test))
    for row, (user, b, right) in enumerate(zip(test.user.tolist(), test_difficulty.tolist(), test.correct.tolist(),
                                               strict=True)):
        theta, n = ability.get(user, (0.0, 0))
        out[row] = 1.0 / (1.0 + math.exp(b - theta))
        ability[user] = (theta + scale / (1.0 + slowdown * n) * (right - out[row]), n + 1)
    return out


def _elo_train(train: AnswerLog, keys: np.ndarray, n_keys: int, scale: float, slowdown: float
               ) -> tuple[float, np.ndarray, float, float]:
    """One Elo pass over train: its log loss, the difficulties it ends with, and its step constants."""
    difficulty = np.zeros(n_keys)
    counts = np.zeros(n_keys)
    ability: dict[int, tuple[float, int]] = {}
    loss = 0.0
    for user, key, right in zip(train.user.tolist(), keys.tolist(), train.correct.tolist(), strict=True):
        theta, n = ability.get(user, (0.0, 0))
        p = 1.0 / (1.0 + math.exp(difficulty[key] - theta))
        loss -= math.log(max(p if right else 1.0 - p, 1e-15))
        ability[user] = (theta + scale / (1.0 + slowdown * n) * (right - p), n + 1)
        difficulty[key] -= scale / (1.0 + slowdown * counts[key]) * (right - p)
        counts[key] += 1
    return loss, difficulty, scale, slowdown


def _difficulty_keys(log: AnswerLog) -> tuple[np.ndarray, int]:
    """Row keys for difficulties: competencies first, then questions (a row with a question uses it)."""
    n_skills = len(log.skills)
    return np.where(log.item >= 0, n_skills + log.item, log.skill), n_skills + len(log.items)


def _test_difficulty(train: AnswerLog, test: AnswerLog, difficulty: np.ndarray) -> np.ndarray:
    """A test row's question difficulty if the question was seen in train, else its competency's, else 0."""
    n_skills = len(train.skills)
    by_skill = np.r_[difficulty[:n_skills], 0.0][_train_codes(train.skills, test.skills)[test.skill]]
    item_code = _train_codes(train.items, test.items)[test.item]
    by_item = np.r_[difficulty[n_skills:], np.nan][item_code]
    return np.where(np.isnan(by_item), by_skill, by_item)


BASELINES: dict[str, Callable[[AnswerLog, AnswerLog], np.ndarray]] = {
    "per-skill correct rate": skill_rate,
    "PFA": pfa,
    "PFA + overall counts": pfa_overall,
    "Elo": elo,
}
