"""`coach fit`: refit the mastery model on this organisation's answers."""

from __future__ import annotations

import typer

from handlers.cli.common import console, run


def fit_command(
    minimum: int | None = typer.Option(None, "--min-answers", help="Refuse to fit on fewer graded answers "
                                       "(default: the fewest answers a stable fit needs)."),
) -> None:
    """Fit the model's parameters and every question's difficulty on the answers in the database."""
    from rich.progress import Progress

    from bot.engine.refit import MIN_ANSWERS, refit

    least = MIN_ANSWERS if minimum is None else minimum

    async def body(database, _config):  # type: ignore[no-untyped-def]
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("Fitting the mastery model", total=100)
            return await refit(database, lambda done: bar.update(task, completed=done), least)

    report = run(body)
    console.print(f"[green]fitted[/green] on {report.answers} answers from {report.learners} learners; "
                  f"{report.questions} question difficulties stored")
