"""The offline evaluation: fit on train only, then predict every test answer before it is revealed.

The mastery model is fitted with the product's own ``fit`` and replayed with ``bot.engine.tracing`` (the
product's equations, all learners at once). The baselines are fitted and scored on the same files in
the same run, so the comparison does not depend on anyone else's preprocessing.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bot.engine.answer_log import AnswerLog
from bot.engine.mastery import fit
from bot.engine.tracing import trace
from bot.evaluation.baselines import BASELINES
from bot.evaluation.dataset import read_answers
from bot.evaluation.metrics import auc, log_loss, rmse

MODEL = "mastery model"
BAYES_ONLY = "mastery model, Bayesian part only"


class Progress(Protocol):
    """Where the evaluation reports what it is doing (the CLI draws progress bars from it)."""

    def stage(self, name: str, total: int) -> None: ...

    def advance(self, amount: int) -> None: ...


@dataclass(frozen=True)
class Scores:
    auc: float
    log_loss: float
    rmse: float
    n: int

    @classmethod
    def of(cls, correct: np.ndarray, probability: np.ndarray) -> Scores:
        return cls(auc(correct, probability), log_loss(correct, probability), rmse(correct, probability),
                   len(correct))


@dataclass
class Evaluation:
    """Scores of the mastery model, of its Bayesian part alone, and of each baseline; seconds per stage."""

    model: Scores
    bayes_only: Scores
    baselines: dict[str, Scores]
    seconds: dict[str, float]
    fit_report: dict[str, Any] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, Scores]]:
        """Every scored predictor, ours first."""
        return [(MODEL, self.model), (BAYES_ONLY, self.bayes_only), *self.baselines.items()]

    def to_json(self) -> dict[str, Any]:
        """Our model's metrics at the top level, everything else beside them (NaN, e.g. the AUC of a file
        with only right answers, becomes null: JSON has no NaN)."""
        return _no_nan({**asdict(self.model), "bayes_only": asdict(self.bayes_only),
                        "baselines": {name: asdict(s) for name, s in self.baselines.items()},
                        "seconds": self.seconds, "fit": self.fit_report})


def evaluate(train_path: Path, test_path: Path, progress: Progress | None = None) -> Evaluation:
    """Fit on ``train_path``, replay ``test_path`` answer by answer, and score ours and the baselines."""
    started = time.perf_counter()
    seconds: dict[str, float] = {}
    train_rows, test_rows = read_answers(train_path), read_answers(test_path)
    train, test = AnswerLog.from_rows(train_rows), AnswerLog.from_rows(test_rows)
    seconds["read"] = time.perf_counter() - started

    clock = time.perf_counter()
    _stage(progress, "fitting on train", 100)
    done = [0]

    def fitted(percent: int) -> None:
        _advance(progress, percent - done[0])
        done[0] = percent

    params, items = fit(train_rows, fitted)
    seconds["fit"] = time.perf_counter() - clock

    clock = time.perf_counter()
    _stage(progress, "predicting test answers in order", len(test))
    replay = trace(test, params, items, progress=lambda n: _advance(progress, n))
    seconds["predict"] = time.perf_counter() - clock

    clock = time.perf_counter()
    _stage(progress, "baselines", len(BASELINES))
    baselines = {}
    for name, baseline in BASELINES.items():
        baselines[name] = Scores.of(test.correct, baseline(train, test))
        _advance(progress, 1)
    seconds["baselines"] = time.perf_counter() - clock
    seconds["total"] = time.perf_counter() - started
    return Evaluation(Scores.of(test.correct, replay.probability), Scores.of(test.correct, replay.bayes_probability),
                      baselines, {k: round(v, 2) for k, v in seconds.items()}, params.fit_report)


def _no_nan(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _stage(progress: Progress | None, name: str, total: int) -> None:
    if progress is not None:
        progress.stage(name, total)


def _advance(progress: Progress | None, amount: int) -> None:
    if progress is not None and amount > 0:
        progress.advance(amount)
