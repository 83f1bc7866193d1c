"""`coach report …`: one learner's state or a manager's team, as JSON (CONTRACTS.md) or a table."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table

from bot import reports
from bot.cli.common import console, run
from store.types import utcnow

app = typer.Typer(help="Reports on learners and teams.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print one JSON object (the CONTRACTS.md schema).")


@app.command("learner")
def learner(email: str = typer.Argument(..., help="The learner's email."), as_json: bool = JSON) -> None:
    """One learner: levels against targets, mastery, attempts, streak and every lesson sent."""
    data = run(lambda db, config: _in_session(db, reports.learner_report, email, config))
    if as_json:
        print(json.dumps(data, indent=2))
        return
    table = Table(title=f"{data['name']} <{data['email']}> · role {data['role'] or '—'} · "
                        f"streak {data['streak_days']} day(s)")
    for column in ("competency", "level", "target", "mastery", "answers", "right"):
        table.add_column(column)
    for c in data["competencies"]:
        table.add_row(c["name"], str(c["level"]), str(c["target_level"]), f"{c['mastery']:.0%}",
                      str(c["attempts"]), str(c["correct"]))
    console.print(table)
    console.print(f"{len(data['deliveries'])} lesson(s) sent, "
                  f"{sum(d['answered'] for d in data['deliveries'])} answered")


@app.command("team")
def team(email: str = typer.Argument(..., help="The manager's email."), as_json: bool = JSON) -> None:
    """A manager's direct and indirect reports: average mastery per competency and who is below target."""
    data = run(lambda db, config: _in_session(db, reports.team_report, email, config))
    if as_json:
        print(json.dumps(data, indent=2))
        return
    table = Table(title=f"Team of {data['manager']} · {len(data['members'])} people")
    for column in ("competency", "average mastery", "below target"):
        table.add_column(column)
    for c in data["competencies"]:
        table.add_row(c["name"], f"{c['average_mastery']:.0%}", ", ".join(c["below_target"]) or "—")
    console.print(table)


async def _in_session(database: Any, build: Any, email: str, config: Any) -> dict[str, Any]:
    async with database.session() as session:
        return await build(session, email, utcnow(), config.mastery_threshold)
