"""Offline evaluation: metrics on hand-checked inputs, the CSV reader's errors, baselines on known data."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from bot.engine.answer_log import AnswerLog
from bot.engine.mastery import AnswerRow
from bot.evaluation import DatasetError, read_answers
from bot.evaluation.baselines import BASELINES, elo, skill_rate
from bot.evaluation.metrics import auc, log_loss, rmse


def test_auc_counts_ordered_pairs_and_half_ties() -> None:
    # pairs (right, wrong): (0.9,0.1) ok, (0.9,0.4) ok, (0.35,0.1) ok, (0.35,0.4) wrong -> 3/4
    assert auc(np.array([1, 0, 1, 0]), np.array([0.9, 0.1, 0.35, 0.4])) == pytest.approx(0.75)
    assert auc(np.array([1, 0]), np.array([0.5, 0.5])) == pytest.approx(0.5)
    assert auc(np.array([1, 1, 0]), np.array([0.2, 0.9, 0.1])) == pytest.approx(1.0)
    assert math.isnan(auc(np.array([1, 1]), np.array([0.2, 0.3])))


def test_log_loss_and_rmse_by_hand() -> None:
    y, p = np.array([1, 0]), np.array([0.8, 0.4])
    assert log_loss(y, p) == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)
    assert rmse(y, p) == pytest.approx(math.sqrt((0.2**2 + 0.4**2) / 2))
    assert math.isfinite(log_loss(np.array([1]), np.array([0.0])))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reader_takes_optional_item_and_level(tmp_path: Path) -> None:
    rows = read_answers(write(tmp_path, "user_id,skill_id,correct,item_id,level\nu1,s1,1,q1,3\nu1,s2,0,,\n"))
    assert rows == [AnswerRow("u1", "s1", True, "q1", 3), AnswerRow("u1", "s2", False, None, None)]


@pytest.mark.parametrize(("text", "where", "message"), [
    ("user_id,correct\nu1,1\n", 1, "missing column skill_id"),
    ("user_id,skill_id,correct\nu1,s1,1\nu1,s1,yes\n", 3, "correct must be 0 or 1, got 'yes'"),
    ("user_id,skill_id,correct\nu1,s1,1\nu1,s1\n", 3, "expected 3 fields, got 2"),
    ("user_id,skill_id,correct,level\nu1,s1,1,4\n", 2, "level must be 1, 2 or 3"),
    ("user_id,skill_id,correct\n", 2, "no answers"),
    ("", 1, "empty file"),
])
def test_reader_errors_name_file_and_line(tmp_path: Path, text: str, where: int, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DatasetError) as caught:
        read_answers(path)
    assert str(caught.value).startswith(f"{path}:{where}: {message}")
    assert "\n" not in str(caught.value)


def test_baselines_predict_every_test_row_from_train_only() -> None:
    rng = np.random.default_rng(0)
    def log(prefix: str) -> AnswerLog:
        return AnswerLog.from_rows([AnswerRow(f"{prefix}{u}", s, bool(rng.random() < (0.8 if s == "easy" else 0.3)))
                                    for u in range(30) for s in ("easy", "hard") * 5])
    train, test = log("train"), log("test")
    for name, baseline in BASELINES.items():
        p = baseline(train, test)
        assert p.shape == (len(test),) and np.all((p > 0) & (p < 1)), name
        assert auc(test.correct, p) > 0.7, name
    unseen = AnswerLog.from_rows([AnswerRow("x", "new-skill", True)])
    assert skill_rate(train, unseen)[0] == pytest.approx(train.correct.mean())
    assert 0 < elo(train, unseen)[0] < 1
