"""`coach eval`: measure the mastery model against classical baselines on an answer log (train / test CSV)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from bot.evaluation import Evaluation


def eval_command(
    train: Path = typer.Option(..., "--train", help="CSV to fit on: user_id,skill_id,correct[,item_id][,level]."),
    test: Path = typer.Option(..., "--test", help="CSV to predict, answer by answer, same format."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object (auc, log_loss, rmse, n, ...)."),
) -> None:
    """Fit on TRAIN only, predict every TEST answer from that learner's earlier answers, then score.

    Prints AUC, log loss, RMSE and the number of answers for the mastery model and for classical baselines
    fitted in the same run. Progress goes to stderr; with --json, stdout holds only the JSON object.
    """
    from bot.evaluation import DatasetError, evaluate  # numpy/scipy only for the commands that need them

    err = Console(stderr=True, soft_wrap=True)
    try:
        with _Bars(err) as bars:
            result = evaluate(train, test, bars)
    except DatasetError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(1) from None
    except OSError as exc:
        err.print(f"{exc.filename or train}: cannot read ({exc.strerror})", markup=False, highlight=False)
        raise typer.Exit(1) from None
    if json_output:
        sys.stdout.write(json.dumps(result.to_json()) + "\n")
    else:
        Console(soft_wrap=True).print(_table(result))


def _table(result: Evaluation) -> Table:
    seconds = result.seconds
    table = Table(title="Predicting each test answer from the learner's earlier answers",
                  caption=f"fit {seconds['fit']:.1f} s · predict {seconds['predict']:.1f} s · "
                          f"baselines {seconds['baselines']:.1f} s · total {seconds['total']:.1f} s")
    table.add_column("model")
    for column in ("AUC", "log loss", "RMSE", "n"):
        table.add_column(column, justify="right")
    for name, scores in result.rows():
        table.add_row(name, f"{scores.auc:.4f}", f"{scores.log_loss:.4f}", f"{scores.rmse:.4f}", f"{scores.n:,}")
    return table


class _Bars:
    """Rich progress bars on stderr, one per stage of the evaluation."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                                 TimeElapsedColumn(), console=console)
        self.task: TaskID | None = None

    def __enter__(self) -> _Bars:
        self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.progress.stop()

    def stage(self, name: str, total: int) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[self.task].total)
        self.task = self.progress.add_task(name, total=total)

    def advance(self, amount: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, amount)
