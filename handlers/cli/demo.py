"""`coach demo`: the simulated team, then what a person would see and the adaptive-versus-fixed figures."""

from __future__ import annotations

import asyncio
import statistics
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich import box
from rich.console import Console
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from bot.demo.run import DemoResult

SHOWN_STEPS = 40


def demo(
    seed: int = typer.Option(7, help="Same seed, same run."),
    learners: int = typer.Option(12, min=2, max=60, help="Simulated employees (plus a director and two managers)."),
    weeks: int = typer.Option(3, min=1, max=26, help="Simulated weeks of coaching."),
    db: Path = typer.Option(Path("coach-demo.db"), help="The SQLite file to (re)create in this folder."),
    catch_up: int | None = typer.Option(None, min=0, help="After the weeks, lessons each learner may still ask for "
                                        "(one a working day) to count how many they need to meet their targets "
                                        "(default: the demo's standard cap)."),
    start: datetime | None = typer.Option(None, formats=["%Y-%m-%d"], help="The first simulated Monday (default: "
                                          "the weeks end by today). Same seed and start, same output."),
) -> None:
    """Run the real engine and scheduler for a simulated team on a fresh SQLite file and show the outcome."""
    from bot.demo.run import DemoOptions, run_demo

    console = Console()
    cap = {} if catch_up is None else {"catch_up_cap": catch_up}
    with console.status(f"Simulating {weeks} weeks for {learners} learners…"):
        result = asyncio.run(run_demo(DemoOptions(seed=seed, learners=learners, weeks=weeks, path=db,
                                                  start=start.date() if start else None, **cap)))
    _conversation(console, result)
    _team(console, result)
    _comparison(console, result)
    console.print(Text(f"\n{result.lessons_sent} lessons sent, {result.answers} answers, in {result.seconds:.0f} s. "
                       f"The database is {db}: try `COACH_DATABASE_URL=sqlite:///{db} coach chat --as "
                       f"{result.featured}`.", style="dim"))


def _conversation(console: Console, result: DemoResult) -> None:
    from handlers.console.render import Keys, render

    console.print(Rule(f"A learner's conversation: {result.featured} (first {SHOWN_STEPS} messages)"))
    for speaker, item in result.transcript[:SHOWN_STEPS]:
        if item is None:
            continue
        if speaker == "learner":
            console.print(Text(f"  {item}", style="bold magenta"), justify="right")
        else:
            console.print(render(item, Keys()))


def _team(console: Console, result: DemoResult) -> None:
    from handlers.console.render import Keys, render

    console.print(Rule(f"The manager's /team summary ({result.manager})"))
    for message in result.team.messages:
        console.print(render(message, Keys()))


def _comparison(console: Console, result: DemoResult) -> None:
    console.print(Rule("Adaptive coach versus a one-size-fits-all course"))
    console.print(Text("Lessons each arm charged until it knew the learner had met every target of their role and "
                       "the learner truly had — the coach: until its own model counted every target met while "
                       "the true skill met them; the role course (the role's competencies, levels 1 to target in "
                       "order, each lesson once a pass) and the whole catalogue "
                       f"({result.course_length} lessons, twice at most): to the end of the first whole pass after "
                       "which the true skill met them — and their true mastery 30 days after the scheduled weeks, "
                       "after the same number of lessons:"))
    cap = result.options.catch_up_cap
    table = Table(show_footer=True, box=box.SIMPLE_HEAD, pad_edge=False)  # fits an 80-column terminal
    table.add_column("learner", footer="median / mean", no_wrap=True)
    table.add_column("role", max_width=9, no_wrap=True, overflow="ellipsis")
    table.add_column("coach", justify="right", footer=_median([o.adaptive_needed for o in result.outcomes], cap))
    table.add_column("role\ncourse", justify="right", footer=_median([o.role_needed for o in result.outcomes], cap))
    table.add_column("cata-\nlogue", justify="right", footer=_median([o.fixed_needed for o in result.outcomes], cap))
    table.add_column("+30 d\nreview", justify="right",
                     footer=f"{statistics.mean(o.mastery_review for o in result.outcomes):.0%}")
    table.add_column("+30 d\nno review", justify="right",
                     footer=f"{statistics.mean(o.mastery_no_review for o in result.outcomes):.0%}")
    table.add_column("+30 d\ncourse", justify="right",
                     footer=f"{statistics.mean(o.mastery_fixed for o in result.outcomes):.0%}")
    for o in result.outcomes:
        table.add_row(o.name, o.role, _count(o.adaptive_needed, o.lessons_sent), _count(o.role_needed, None),
                      _count(o.fixed_needed, None),
                      f"{o.mastery_review:.0%}", f"{o.mastery_no_review:.0%}", f"{o.mastery_fixed:.0%}")
    console.print(table)
    coach, role = ([v if v is not None else cap for v in values] for values in
                   ([o.adaptive_needed for o in result.outcomes], [o.role_needed for o in result.outcomes]))
    console.print(Text(f"Coach / role course, ratio of the medians: "
                       f"{statistics.median(coach) / statistics.median(role):.2f}.", style="bold"))
    console.print(Text(
        "coach / role course / catalogue: lessons charged (the symmetric stop of `python bench/learning.py`); “—” not "
        "reached within the catch-up cap (in brackets, the lessons the coach gave). One seed, a few learners: "
        "`python bench/learning.py` gives the figures over seeds and populations, and the oracle stop beside. "
        "+30 d: the simulated learners' chance of answering a typical target-level question right — with spaced "
        "review, without it, and after the catalogue course.",
        style="dim"))


def _count(needed: int | None, sent: int | None) -> str:
    if needed is not None:
        return str(needed)
    return f"— ({sent})" if sent is not None else "—"


def _median(values: list[int | None], cap: int) -> str:
    """The median with the learners not reached counted at the cap (a failure, not left out), and how many
    were reached."""
    reached = sum(v is not None for v in values)
    return f"{statistics.median(v if v is not None else cap for v in values):.0f} ({reached}/{len(values)})"
