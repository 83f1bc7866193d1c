"""The `coach` command: one typer application; each area's commands live in their own module."""

from __future__ import annotations

import typer

from handlers.cli import chat, content, db, demo, dispatch, evaluate, export, fit, org, report, serve, slack, teams
from handlers.cli import search as search_model

app = typer.Typer(
    name="coach",
    help="learning-coach: bite-size, adaptive lessons in Slack and Microsoft Teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("demo")(demo.demo)
app.command("chat")(chat.chat)
app.command("serve")(serve.serve)
app.command("worker")(dispatch.worker)
app.command("dispatch")(dispatch.dispatch)
app.add_typer(db.app, name="db")
app.add_typer(content.app, name="content")
app.add_typer(org.app, name="org")
app.add_typer(report.app, name="report")
app.command("export")(export.export)
app.command("eval")(evaluate.eval_command)
app.command("fit")(fit.fit_command)
app.add_typer(teams.app, name="teams")
app.add_typer(slack.app, name="slack")
app.add_typer(search_model.app, name="search")


def main() -> None:
    """Entry point of the `coach` console script."""
    app()
