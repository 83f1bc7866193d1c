"""Handled platform events are remembered for a week, then forgotten by the dispatcher's tick."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.chat.coach import Coach
from store.db import Database
from store.models import ProcessedEvent
from tests.conftest import Clock
from tests.support.dispatching import loopback


async def test_only_finished_keys_older_than_a_week_are_forgotten(coach: Coach, db: Database, clock: Clock) -> None:
    now = clock.now
    async with db.session() as session:
        session.add(ProcessedEvent(key="slack:old-done", created_at=now - timedelta(days=8),
                                   done_at=now - timedelta(days=8)))
        session.add(ProcessedEvent(key="slack:old-unfinished", created_at=now - timedelta(days=8),
                                   lease_until=now - timedelta(days=8)))
        session.add(ProcessedEvent(key="slack:recent-done", created_at=now - timedelta(days=2),
                                   done_at=now - timedelta(days=2)))
    async with loopback(coach) as (_fake, dispatcher):
        report = await dispatcher.tick()
    async with db.session() as session:
        kept = sorted((await session.exec(select(ProcessedEvent.key))).all())
    assert report.forgotten == 1 and kept == ["slack:old-unfinished", "slack:recent-done"]
