"""`coach eval` end to end on small generated files, through a typer app as the root CLI mounts it."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from handlers.cli.evaluate import eval_command
from tests.engine.test_mastery_fit import simulate

app = typer.Typer()
app.command("eval")(eval_command)


@app.callback()
def root() -> None:
    """Stand-in for the coach root command."""


def write_csv(path: Path, learners: int, seed: int) -> Path:
    lines = ["user_id,skill_id,correct,item_id"]
    lines += [f"{r.user},{r.skill},{int(r.correct)},{r.item}" for r in simulate(learners, 20, seed)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_eval_json_prints_one_object_with_the_metrics(tmp_path: Path) -> None:
    train = write_csv(tmp_path / "train.csv", 40, seed=1)
    test = write_csv(tmp_path / "test.csv", 20, seed=2)
    result = CliRunner().invoke(app, ["eval", "--train", str(train), "--test", str(test), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"auc", "log_loss", "rmse", "n"} <= set(data)
    assert data["n"] == 400
    assert 0.5 < data["auc"] <= 1 and 0 < data["rmse"] < 0.5
    assert set(data["baselines"]) == {"per-skill correct rate", "PFA", "PFA + overall counts", "Elo"}


def test_eval_table_lists_model_and_baselines(tmp_path: Path) -> None:
    train = write_csv(tmp_path / "train.csv", 30, seed=3)
    test = write_csv(tmp_path / "test.csv", 10, seed=4)
    result = CliRunner().invoke(app, ["eval", "--train", str(train), "--test", str(test)])
    assert result.exit_code == 0, result.output
    for name in ("mastery model", "PFA + overall counts", "Elo", "AUC", "log loss", "RMSE"):
        assert name in result.stdout


def test_eval_csv_error_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    train = write_csv(tmp_path / "train.csv", 30, seed=3)
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,skill_id,correct\nu1,s1,1\nu1,s1,2\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "--train", str(train), "--test", str(bad), "--json"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == f"{bad}:3: correct must be 0 or 1, got '2'"
    missing = CliRunner().invoke(app, ["eval", "--train", str(tmp_path / "nope.csv"), "--test", str(bad)])
    assert missing.exit_code == 1 and "nope.csv" in missing.stderr and "Traceback" not in missing.output
