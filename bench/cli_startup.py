"""How long a `coach` command takes to start: `coach --help` and `coach report team`, against Python itself and
against importing every command module up front (what `coach` did before its commands were loaded lazily).

    python bench/cli_startup.py [--repeat 9]

Each case is a fresh process, run round-robin so background load hits every case alike; printed are the
medians and their ratios. `python -c pass` is the floor no command can go under; "the old import set" imports,
in one process, every module the `handlers.cli` command modules imported up front before: what every command
paid. The `report team` case runs against an empty SQLite database (the person is unknown, so it exits 1 after
opening the database): its time is start-up plus one connection, not the report's work (bench/org_scale.py times that).
`coach --help` needs no database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OLD_IMPORTS = ("aiohttp", "rich.console", "rich.markup", "rich.progress", "rich.rule", "rich.table", "rich.text",
               "typer", "handlers.assembly", "bot.imports.packs", "bot.chat.coach", "bot.config", "bot.demo.run",
               "bot.dispatch", "bot.dispatch.ticker", "bot.errors", "bot.records.csv", "bot.records.lrs",
               "bot.records.xapi", "bot.records.feedback", "bot.logs", "bot.imports.org_chart", "bot.engine.refit",
               "bot.team.reports", "handlers.server", "bot.lessons.streaks", "content.model", "content.packs",
               "handlers.console.render", "handlers.console.session", "handlers.msteams.package", "store.db",
               "store.people", "store.records", "store.types")
"""What the `coach` command modules imported up front before they imported lazily (every command paid for all)."""
EAGER = "; ".join(f"import {name}" for name in OLD_IMPORTS)


def cases(coach: str) -> dict[str, list[str]]:
    """What is timed, by name: each a command line for a fresh process."""
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "the old import set": [sys.executable, "-c", EAGER],
        "coach --help": [coach, "--help"],
        "coach report team": [coach, "report", "team", "nobody@example.com"],
    }


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    coach = str(Path(sys.executable).with_name("coach"))
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "startup.db"
        env = {**os.environ, "COACH_DATABASE_URL": f"sqlite:///{database}"}
        subprocess.run([coach, "db", "upgrade"], env=env, stdout=subprocess.DEVNULL, check=True)
        commands = cases(coach)
        for command in commands.values():  # warm the file cache and the bytecode
            timed(command, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, command in commands.items():
                times[name].append(timed(command, env))
    medians = {name: statistics.median(values) for name, values in times.items()}
    floor, eager = medians["python -c pass"], medians["the old import set"]
    print(f"start-up, median of {args.repeat} fresh processes each:")
    for name, value in medians.items():
        print(f"  {name:24s} {value:6.3f} s  {value / floor:6.1f}x python  {value / eager:5.2f}x the old import set")


if __name__ == "__main__":
    main()
