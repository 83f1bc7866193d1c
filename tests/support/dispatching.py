"""Helpers for the dispatcher's tests: a loopback fake Slack with the sample org's people, a dispatcher
that reaches it through the loopback courier, and simulated time for the shared send budget."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from aiohttp import web
from pydantic import SecretStr
from sqlmodel import col, select

from bot.chat.coach import Coach
from bot.config import Settings
from bot.dispatch.dispatcher import Dispatcher
from bot.dispatch.rate import Timer
from handlers.assembly import attach_platforms
from handlers.server import Mount, build_app
from store.db import Database
from store.models import Delivery
from tests.support.fake_slack import FakeSlack
from tests.support.loopback_courier import LoopbackCourier
from tests.support.org import SAMPLE_ORG


def sample_users() -> dict[str, str]:
    """Every sample-org email -> a Slack user id (Gus has none in the org chart: found by email)."""
    users = {}
    for line in SAMPLE_ORG.splitlines()[1:]:
        email, name = line.split(",")[:2]
        users[email] = "U" + name.split()[0].upper()
    return users


def bigger_org(extra: int) -> tuple[str, dict[str, str]]:
    """The sample org plus `extra` Berlin learners (found in Slack by email), and everyone's Slack user ids."""
    rows = [f"p{n}@example.com,Person {n},dana@example.com,buyer,Europe/Berlin,," for n in range(extra)]
    users = sample_users() | {f"p{n}@example.com": f"UP{n}" for n in range(extra)}
    return SAMPLE_ORG + "\n".join(rows) + "\n", users


@asynccontextmanager
async def loopback(coach: Coach, config: Settings | None = None, *, timer: Timer | None = None,
                   **faults: float) -> AsyncIterator[tuple[FakeSlack, Dispatcher]]:
    """A running fake Slack (with `faults`) and a dispatcher posting to it (waiting on `timer`'s time)."""
    fake = FakeSlack(users=sample_users(), **faults)  # type: ignore[arg-type]
    await fake.start()
    courier = LoopbackCourier(fake.url)
    try:
        yield fake, Dispatcher(coach.services, {"slack": courier}, config, timer=timer)
    finally:
        await courier.close()
        await fake.stop()


@asynccontextmanager
async def through_slack(db: Database, settings: Settings, clock: object, fake: FakeSlack, worker_id: str,
                        **overrides: object) -> AsyncIterator[Dispatcher]:
    """The dispatcher `coach serve` assembles, posting through the real Slack courier to `fake` (started here;
    the platforms cleaned up and the fake stopped on the way out, whatever the test did)."""
    await fake.start()
    config = settings.model_copy(update={"slack_bot_token": SecretStr("xoxb-test"), "slack_api_url": fake.url,
                                         "slack_signing_secret": SecretStr("signing-secret"), **overrides})
    platforms = attach_platforms(Coach(db, config, clock=clock, worker_id=worker_id), config)  # type: ignore[arg-type]
    assert platforms.dispatcher is not None and "slack" in platforms.couriers
    try:
        yield platforms.dispatcher
    finally:
        for cleanup in platforms.cleanups:
            await cleanup()
        await fake.stop()


async def all_deliveries(database: Database) -> list[Delivery]:
    async with database.session() as session:
        return list((await session.exec(select(Delivery).order_by(col(Delivery.id)))).all())


def every(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    moments = []
    while start <= end:
        moments.append(start)
        start += step
    return moments


@asynccontextmanager
async def serving(database: Database, mounts: list[Mount]) -> AsyncIterator[str]:
    """The real HTTP app with these mounts on a free loopback port; yields its base URL."""
    runner = web.AppRunner(build_app(database, mounts), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class SimulatedTime:
    """The send budget's clock in tests (`bot.dispatch.rate.Timer`): waiting moves it forward at once instead
    of sleeping, so rates are counted per simulated second, not wall time. Time only moves forward, to the
    moment a waiter asked for: nobody wakes early, and nobody waits for nothing."""

    def __init__(self, start: datetime = datetime(2026, 12, 1, tzinfo=UTC)) -> None:
        self.start = self.current = start

    def now(self) -> datetime:
        return self.current

    async def sleep_until(self, moment: datetime) -> None:
        self.current = max(self.current, moment)
        await asyncio.sleep(0)

    def elapsed(self) -> float:
        """Simulated seconds since the start: the clock a fake stamps its calls with, to compare them with holds."""
        return (self.current - self.start).total_seconds()

    def second(self, moment: datetime) -> int:
        """Which simulated second since the start `moment` falls in."""
        return int((moment - self.start).total_seconds())
