"""Helpers for the dispatcher's tests: a loopback fake Slack with the sample org's people, and a dispatcher
that reaches it through the loopback courier."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlmodel import col, select

from bot.coach import Coach
from bot.config import Settings
from bot.dispatch import Dispatcher
from store.db import Database
from store.models import Delivery
from tests.support.loopback_courier import LoopbackCourier
from tests.support.loopback_slack import LoopbackSlack
from tests.support.org import SAMPLE_ORG


def sample_users() -> dict[str, str]:
    """Every sample-org email -> a Slack user id (Gus has none in the org chart: found by email)."""
    users = {}
    for line in SAMPLE_ORG.splitlines()[1:]:
        email, name = line.split(",")[:2]
        users[email] = "U" + name.split()[0].upper()
    return users


@asynccontextmanager
async def loopback(coach: Coach, config: Settings | None = None,
                   **faults: float) -> AsyncIterator[tuple[LoopbackSlack, Dispatcher]]:
    """A running fake Slack (with `faults`) and a dispatcher posting to it."""
    fake = LoopbackSlack(users=sample_users(), **faults)  # type: ignore[arg-type]
    await fake.start()
    courier = LoopbackCourier(fake.url)
    try:
        yield fake, Dispatcher(coach, {"slack": courier}, config)
    finally:
        await courier.close()
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
