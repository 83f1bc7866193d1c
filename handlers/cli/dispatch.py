"""`coach dispatch` — one scheduling tick (as if it were `--at`) — and `coach worker` — the ticker alone, for
deployments with several processes. Both reach Slack and Teams with the same configuration as `coach serve`."""

from __future__ import annotations

import asyncio
import json
import signal
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from handlers.cli.common import console, run

if TYPE_CHECKING:
    from bot.chat.coach import Coach
    from bot.config import Settings
    from bot.dispatch.dispatcher import Dispatcher
    from bot.dispatch.jobs import TickReport
    from handlers.platforms import Platforms
    from store.db import Database

NO_PLATFORM = ("no chat platform is configured, so nothing can be sent: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, "
               "or COACH_TEAMS=1 / MICROSOFT_APP_ID, as for `coach serve`")


def parse_moment(value: str) -> datetime:
    """An ISO-8601 time; one without a UTC offset is taken as UTC."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not an ISO-8601 time like 2026-12-01T10:30:00+01:00") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def dispatch(
    at: str | None = typer.Option(None, "--at", help="Act as if it were this ISO-8601 time (default: now; "
                                                     "without an offset, UTC)."),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as one JSON object."),
) -> None:
    """One scheduling tick: plan what is due, send it and any retries, then reminders. Prints how many lessons
    were sent, failed, deferred (to be retried), expired, and held for the learners' windows. Safe to run twice
    or in several processes at once."""
    from bot.chat.coach import Coach

    moment = parse_moment(at) if at else None

    async def body(database: Database, config: Settings) -> TickReport:
        coach = Coach(database, config)  # leases and sent times on the wall clock; only what is due at --at
        platforms = _platforms(coach, config)
        try:
            with console.status("Dispatching…"):
                assert platforms.dispatcher is not None
                return await platforms.dispatcher.tick(at=moment)
        finally:
            await _clean_up(platforms)

    report = run(body)
    if as_json:
        console.print_json(json.dumps(asdict(report)))
        return
    console.print(f"sent {report.sent}, failed {report.failed}, deferred {report.deferred}, expired {report.expired}, "
                  f"held for the learners' windows {report.held} (reminders {report.reminded}, newly enrolled "
                  f"{report.enrolled})", highlight=False)


def worker() -> None:
    """The scheduler and dispatcher alone, ticking every COACH_TICK_SECONDS until SIGINT or SIGTERM (the tick in
    progress finishes first). Run as many as you like against one PostgreSQL database."""
    from bot.chat.coach import Coach
    from bot.logs import configure_logging

    async def body(database: Database, config: Settings) -> None:
        configure_logging(config, "INFO")
        await database.ensure_schema()
        coach = Coach(database, config)
        platforms = _platforms(coach, config)
        assert platforms.dispatcher is not None
        console.print(f"coach worker {coach.services.worker_id}: ticking every {config.tick_seconds:g} s "
                      f"({', '.join(platforms.couriers)})", highlight=False)
        try:
            await _tick_until_stopped(platforms.dispatcher, config.tick_seconds)
        finally:
            await _clean_up(platforms)

    run(body)


async def _tick_until_stopped(dispatcher: Dispatcher, every: float) -> None:
    from bot.dispatch.ticker import run_ticker
    from bot.errors import CoachError

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    ticker = asyncio.create_task(run_ticker(dispatcher, every))
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({ticker, stopped}, return_when=asyncio.FIRST_COMPLETED)
    for task in (ticker, stopped):
        task.cancel()
    results = await asyncio.gather(ticker, stopped, return_exceptions=True)
    failure = next((r for r in results if isinstance(r, Exception)), None)
    if failure is not None:
        raise CoachError(f"the ticker stopped: {failure}")


def _platforms(coach: Coach, config: Settings) -> Platforms:
    from bot.errors import CoachError
    from handlers.assembly import attach_platforms

    platforms = attach_platforms(coach, config)
    if not platforms.couriers:
        raise CoachError(NO_PLATFORM)
    return platforms


async def _clean_up(platforms: Platforms) -> None:
    for cleanup in platforms.cleanups:
        await cleanup()
