"""`coach report …`: one learner's state, a manager's team, or learners' feedback for L&D, as JSON or tables."""

from __future__ import annotations

import json
from typing import Any

import typer

from handlers.cli.common import console, run

app = typer.Typer(help="Reports on learners and teams.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print one JSON object (the CONTRACTS.md schema).")
MEMBERS = typer.Option(False, "--members", help="List everyone person by person, even in a team that is shown in "
                       "groups (more than 15 people).")


@app.command("learner")
def learner(email: str = typer.Argument(..., help="The learner's email."), as_json: bool = JSON) -> None:
    """One learner: levels against targets, mastery, attempts, streak and every lesson sent."""
    from rich.table import Table

    from bot.lessons.streaks import streak_length
    from bot.team import reports

    data = run(lambda db, config: _in_session(db, reports.learner_report, email, config))
    if as_json:
        print(json.dumps(data, indent=2))
        return
    table = Table(title=f"{data['name']} <{data['email']}> · role {data['role'] or '—'} · "
                        f"streak {streak_length(data['streak_days'])}")
    for column in ("competency", "level", "target", "mastery", "answers", "right"):
        table.add_column(column)
    for c in data["competencies"]:
        table.add_row(c["name"], str(c["level"]), str(c["target_level"]), f"{c['mastery']:.0%}",
                      str(c["attempts"]), str(c["correct"]))
    console.print(table)
    console.print(f"{len(data['deliveries'])} lesson(s) sent, "
                  f"{sum(d['answered'] for d in data['deliveries'])} answered")


UNDER = typer.Option(None, "--under", help="Open one group a level down: the id of someone below the manager (a "
                     "group's `head` in the JSON), as its Show button does in `/team`.")


@app.command("team")
def team(email: str = typer.Argument(..., help="The manager's email."), as_json: bool = JSON,
         members: bool = MEMBERS, under: int | None = UNDER) -> None:
    """A manager's direct and indirect reports: how they stand against target per competency; a team of more
    than 15 in groups, as `/team` shows it (a large one counted by the database, each group opened with
    `--under`)."""
    from rich.table import Table

    from bot.errors import CoachError
    from bot.team import reports

    async def body(database: Any, config: Any) -> dict[str, Any]:
        async with database.session() as session:
            found = await reports.team_report(session, email, _now(), config.mastery_threshold, members=members,
                                              under=under)
        if not found["people"]:
            raise CoachError(f"{email} manages nobody (no one in the org chart reports to them)")
        return found

    data = run(body)
    if as_json:
        print(json.dumps(data, indent=2))
        return
    _groups(data.get("groups", []))
    _levels_by_group(data.get("groups", []), data["competencies"])
    title = f"{data.get('title') or 'Team of ' + data['manager']} · {data['people']} people"
    if data.get("counted"):
        _counted(f"{title} · counted at {_minute(data['as_of'])}", data["competencies"])
        return
    table = Table(title=title)
    for column in ("competency", "average mastery", "below target"):
        table.add_column(column)
    for c in data["competencies"]:
        average = "no answers yet" if c["average_mastery"] is None else f"{c['average_mastery']:.0%}"
        table.add_row(c["name"], average, ", ".join(c["below_target"]) or "—")
    console.print(table)


@app.command("feedback")
def feedback(as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """For L&D: lessons rated too hard, too easy or not relevant, the least useful lessons, suggested topics, and
    content gaps (searches no lesson answered well)."""
    from rich.table import Table

    from bot.records.feedback import feedback_report

    async def body(database: Any, _config: Any) -> dict[str, Any]:
        async with database.session() as session:
            return await feedback_report(session)

    data = run(body)
    if as_json:
        print(json.dumps(data, indent=2))
        return
    totals = " · ".join(f"{k.replace('_', ' ')} {v}" for k, v in data["ratings"].items())
    console.print(f"{data['lessons_rated']} lesson(s) rated: {totals}")
    for key, title in (("too_hard", "Rated too hard"), ("too_easy", "Rated too easy"),
                       ("not_relevant", "Rated not relevant")):
        table = Table(title=title)
        for column in ("lesson", "competency", "level", "times", "share of its ratings"):
            table.add_column(column)
        for row in data[key]:
            table.add_row(f"{row['title']} ({row['lesson']})", row["competency"], str(row["level"]),
                          str(row["count"]), f"{row['share']:.0%}")
        console.print(table)
    table = Table(title="Least useful lessons")
    for column in ("lesson", "ratings", "useful"):
        table.add_column(column)
    for row in data["least_useful"]:
        table.add_row(f"{row['title']} ({row['lesson']})", str(row["ratings"]), f"{row['useful_share']:.0%}")
    console.print(table)
    for key, title, count in (("suggested_topics", "Suggested topics", "suggestions"),
                              ("content_gaps", "Content gaps: searches no lesson answered well", "searches")):
        table = Table(title=title)
        for column in ("topic", "people", count, "examples"):
            table.add_column(column)
        for row in data[key]:
            table.add_row(row["topic"], str(row["people"]), str(row["suggestions"]), " · ".join(row["examples"]))
        console.print(table)


def _groups(groups: list[dict[str, Any]]) -> None:
    """A large team's groups, one row each (the JSON's `groups`; `--members` lists everyone)."""
    from rich.table import Table

    if not groups:
        return
    table = Table(title="Groups (one row each; --under HEAD opens one a level down, --members lists everyone)")
    for column in ("group", "head", "people", "below target", "answered this week", "active in 14 days", "gaps",
                   "needs attention"):
        table.add_column(column)
    for group in groups:
        named = group.get("needs_attention")
        table.add_row(group["title"], str(group["head"] or "—"), str(group["people"]),
                      str(group["below_target_people"]), str(group["active_7"]), str(group["active_14"]),
                      "; ".join(group["gaps"]) or "—",
                      "counted, not named" if named is None else ", ".join(named[:5]) or "—")
    console.print(table)


def _levels_by_group(groups: list[dict[str, Any]], competencies: list[dict[str, Any]]) -> None:
    """Each group's level distribution per competency, as text (`5✓ 3↓ 0↓↓ 1–`): readable without colour."""
    from rich.table import Table

    if not groups:
        return
    table = Table(title="Levels by group: ✓ met · ↓ one below · ↓↓ two or more below · – no answers yet")
    table.add_column("group")
    for index, _competency in enumerate(competencies, start=1):
        table.add_column(str(index))
    for group in groups:
        cells = []
        for competency in competencies:
            n = group["levels"].get(competency["id"])
            cells.append(f"{n['met']}✓ {n['one_below']}↓ {n['two_or_more_below']}↓↓ {n['no_answers']}–" if n else "·")
        table.add_row(group["title"], *cells)
    console.print(table)
    console.print("  ".join(f"{i}. {c['name']}" for i, c in enumerate(competencies, start=1)))


def _counted(title: str, competencies: list[dict[str, Any]]) -> None:
    """A team counted by the database: per competency, how many people stand where against their target."""
    from rich.table import Table

    table = Table(title=f"{title} (counted over everyone; no one listed)")
    for column in ("competency", "with a target", "✓ met", "↓ one below", "↓↓ two or more below", "– no answers"):
        table.add_column(column)
    for c in competencies:
        levels = c["levels"]
        table.add_row(c["name"], str(c["with_target"]), str(levels["met"]), str(levels["one_below"]),
                      str(levels["two_or_more_below"]), str(levels["no_answers"]))
    console.print(table)


def _minute(stamp: str) -> str:
    """An ISO 8601 time of the report (on the manager's clock, with its offset) to the minute, as the terminal
    shows times: `2026-12-07 18:40+01:00`."""
    from datetime import datetime

    return datetime.fromisoformat(stamp).isoformat(sep=" ", timespec="minutes")


def _now() -> Any:
    from store.types import utcnow

    return utcnow()


async def _in_session(database: Any, build: Any, email: str, config: Any) -> dict[str, Any]:
    async with database.session() as session:
        return await build(session, email, _now(), config.mastery_threshold)
