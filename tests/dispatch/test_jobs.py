"""The tick is a list of named jobs (`bot.dispatch.jobs`), each of which runs alone when asked: a test, an
operator or a future scheduler can run one job without the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.chat.coach import Coach
from bot.dispatch.jobs import AFTER_SENDING, JOBS, SENDING
from store.db import Database
from store.models import ProcessedEvent
from tests.conftest import Clock
from tests.support.dispatching import loopback
from tests.support.org import load_sample_org

TUESDAY = datetime(2026, 12, 1, tzinfo=UTC)


async def test_the_jobs_run_in_the_order_they_are_listed() -> None:
    assert JOBS == ("lessons", "due", "reminders", "digests", "shoutouts", "clean-up", "team-totals")
    assert set(SENDING).isdisjoint(AFTER_SENDING)


async def test_one_job_alone_does_its_work_and_nothing_else(coach: Coach, db: Database, clock: Clock,
                                                            tmp_path) -> None:
    ids = await load_sample_org(db, tmp_path)
    async with db.session() as session:
        session.add(ProcessedEvent(key="slack:old-done", created_at=clock.now - timedelta(days=8),
                                   done_at=clock.now - timedelta(days=8)))
    async with loopback(coach) as (fake, dispatcher):
        sent = 0
        for hour in range(30):  # a weekday of hourly ticks, lessons only
            clock.now = TUESDAY + timedelta(hours=hour)
            report = await dispatcher.tick(only=("lessons",))
            assert report.forgotten == 0 and report.reminded == 0
            sent += report.sent
        assert sent == len(ids) == len(fake.per_delivery()), "everyone's lesson (each after their welcome)"
        posted = len(fake.posts)
        async with db.session() as session:
            assert len((await session.exec(select(ProcessedEvent))).all()) == 1, "the lessons job cleans nothing"

        cleaned = await dispatcher.tick(only=("clean-up",))
    assert cleaned.forgotten == 1 and cleaned.sent == 0 and len(fake.posts) == posted
    async with db.session() as session:
        assert (await session.exec(select(ProcessedEvent))).all() == []


async def test_a_job_that_does_not_exist_is_refused_before_anything_runs(coach: Coach) -> None:
    async with loopback(coach) as (_fake, dispatcher):
        with pytest.raises(ValueError, match="no such dispatch job: reminder"):
            await dispatcher.tick(only=("reminder",))
