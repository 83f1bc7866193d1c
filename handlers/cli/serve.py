"""`coach serve`: the bot — one aiohttp server with the enabled platforms' routes, /healthz and /metrics, plus
the background tasks (Slack Socket Mode, the dispatcher's ticker unless `--no-scheduler`)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING

import typer

from handlers.cli.common import console, run

if TYPE_CHECKING:
    from bot.chat.coach import Coach
    from bot.config import Settings
    from handlers.platforms import Platforms
    from store.db import Database

log = logging.getLogger(__name__)

Task = Callable[[], Awaitable[None]]


def serve(
    host: str = typer.Option("0.0.0.0", "--host", help="Address to listen on."),
    port: int = typer.Option(3000, "--port", help="Port to listen on."),
    no_scheduler: bool = typer.Option(False, "--no-scheduler",
                                      help="Answer chats only; leave scheduled lessons to `coach worker`."),
    insecure_teams: bool = typer.Option(False, "--insecure-teams", help="Allow Teams without an app id (no "
                                        "authentication) on an address other than this machine's loopback."),
) -> None:
    """Run the bot: chat endpoints, health and metrics, and (unless --no-scheduler) the scheduler."""
    from bot.chat.coach import Coach
    from bot.errors import CoachError
    from bot.imports.packs import ensure_starter_content
    from bot.logs import configure_logging
    from handlers.assembly import attach_platforms

    async def body(database: Database, config: Settings) -> None:
        configure_logging(config, "INFO")
        if config.teams_enabled and not config.microsoft_app_id and not insecure_teams and not _loopback(host):
            raise CoachError("Teams is on without MICROSOFT_APP_ID, so /api/messages would accept anyone's "
                             f"activities: serve on --host 127.0.0.1 for local development (not {host}), set "
                             "the app's credentials, or pass --insecure-teams if you really mean it")
        await database.ensure_schema()
        imported = await ensure_starter_content(database)
        if imported is not None:
            log.info("first start: imported the bundled starter pack (%d lessons)", len(imported.created))
        coach = Coach(database, config)
        platforms = attach_platforms(coach, config)
        await serve_until_stopped(database, platforms, background_tasks(coach, platforms, scheduler=not no_scheduler),
                                  host, port)

    run(body)


def _loopback(host: str) -> bool:
    return host in ("127.0.0.1", "::1", "localhost")


def background_tasks(coach: Coach, platforms: Platforms, *, scheduler: bool) -> list[Task]:
    """What runs beside the HTTP server. The platforms bring theirs (Slack Socket Mode); the dispatcher's
    ticker joins the list here when `scheduler` is on, so `--no-scheduler` leaves it to `coach worker`."""
    tasks = list(platforms.background)
    if scheduler:
        tasks.extend(scheduler_tasks(coach, platforms))
    return tasks


def scheduler_tasks(coach: Coach, platforms: Platforms) -> list[Task]:
    """The scheduler's tasks for this process: the dispatcher's ticker (one APScheduler interval job)."""
    from bot.dispatch.ticker import run_ticker

    if platforms.dispatcher is None:
        return []
    return [partial(run_ticker, platforms.dispatcher, coach.services.config.tick_seconds)]


async def serve_until_stopped(database: Database, platforms: Platforms, tasks: list[Task], host: str,
                              port: int) -> None:
    """Serve until SIGINT/SIGTERM, or until a background task dies (then exit with its error)."""
    from aiohttp import web

    from bot.errors import CoachError
    from handlers.server import build_app

    runner = web.AppRunner(build_app(database, platforms.mounts), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise CoachError(f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port") from None
    console.print(f"learning-coach listening on http://{host}:{port} "
                  f"({', '.join(platforms.couriers) or 'no chat platform configured'})", highlight=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    running = [asyncio.ensure_future(task()) for task in tasks]
    stopped = asyncio.ensure_future(stop.wait())
    failed: BaseException | None = None
    try:
        pending: set[asyncio.Future[object]] = {stopped, *running}
        while not stopped.done() and failed is None:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            failed = next((t.exception() for t in done if t is not stopped and t.exception() is not None), None)
    finally:
        for task in [stopped, *running]:
            task.cancel()
        await asyncio.gather(stopped, *running, return_exceptions=True)
        for cleanup in platforms.cleanups:
            try:
                await cleanup()
            except Exception:
                log.exception("clean-up at shutdown failed")
        await runner.cleanup()
    if failed is not None:
        raise CoachError(f"a background task stopped: {failed}")
