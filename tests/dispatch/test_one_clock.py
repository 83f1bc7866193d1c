"""One clock governs a lease: real `coach dispatch --at` processes at a simulated time (tomorrow, next week)
on one database, posting through the real Slack courier to a loopback fake Slack, on SQLite and PostgreSQL.
Leases, the age of a failing delivery and of remembered platform events are on the wall clock whatever the
tick simulates; what is due, and whether a window is open, is judged at the tick's time."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import select

from bot.chat.coach import Coach
from bot.config import Settings
from bot.dispatch.just_in_time import trigger
from store import events
from store.db import Database
from store.models import LearnerSettings, ProcessedEvent
from store.types import utcnow
from tests.dispatch.test_processes import coach_env, finish, start
from tests.support.dispatching import all_deliveries, bigger_org, sample_users
from tests.support.fake_slack import FakeSlack
from tests.support.org import load_sample_org
from tests.support.waiting import PATIENCE

EXTRA = 16


def tomorrow_afternoon() -> str:
    """Tomorrow (by the wall clock) at 15:00 UTC: every learner's one slot has passed, the window is open."""
    day = (datetime.now(UTC) + timedelta(days=1)).date()
    return datetime(day.year, day.month, day.day, 15, tzinfo=UTC).isoformat()


async def everyone_due(db: Database, tmp_path: Path) -> tuple[int, dict[str, str]]:
    """The sample org and EXTRA more, all on a UTC every-day 00:00-23:59 schedule, due (welcomed before)."""
    text, users = bigger_org(EXTRA)
    ids = await load_sample_org(db, tmp_path, text)
    async with db.session() as session:
        await session.exec(update(LearnerSettings).values(
            days="1234567", window_start="00:00", window_end="23:59", timezone="UTC",
            next_slot_at=utcnow() - timedelta(minutes=1), welcomed_at=utcnow() - timedelta(days=1)))
    return len(ids), users


async def test_three_ticks_at_once_at_a_future_time_post_each_lesson_once(
        db: Database, db_url: str, tmp_path: Path) -> None:
    learners, users = await everyone_due(db, tmp_path)
    fake = FakeSlack(users=users, delays={"chat.postMessage": 0.3})  # slow posts: the processes all at work
    await fake.start()
    try:
        env = coach_env(db_url, fake, COACH_DISPATCH_BATCH="4", COACH_DISPATCH_CONCURRENCY="2")
        at = tomorrow_afternoon()
        processes = [await start(["dispatch", "--at", at, "--json"], env, tmp_path) for _ in range(3)]
        reports = [json.loads(await finish(p)) for p in processes]
    finally:
        await fake.stop()
    sent = await all_deliveries(db)
    assert len(sent) == learners and {d.status for d in sent} == {"sent"}  # none lost
    assert fake.per_delivery() == {d.id: 1 for d in sent}  # none repeated
    assert sum(r["sent"] for r in reports) == learners


async def test_a_tick_at_tomorrow_overlapping_another_takes_none_of_its_live_claims(
        db: Database, db_url: str, tmp_path: Path) -> None:
    """The first tick claims everyone, and Slack holds its first two posts; a second tick at the same simulated
    time runs meanwhile. Any post beyond the first tick's two would be the second one's, taking over live
    claims: the gate opens then (or when the second tick is done)."""
    learners, users = await everyone_due(db, tmp_path)
    gate = asyncio.Event()
    fake = FakeSlack(users=users, gate=gate)
    await fake.start()
    try:
        env = coach_env(db_url, fake, COACH_DISPATCH_BATCH="50", COACH_DISPATCH_CONCURRENCY="2")
        at = tomorrow_afternoon()
        first = await start(["dispatch", "--at", at, "--json"], env, tmp_path)
        deadline = asyncio.get_running_loop().time() + PATIENCE
        while fake.waiting < 2:  # the first has claimed everyone and is posting
            assert first.returncode is None and asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
        second = await start(["dispatch", "--at", at, "--json"], env, tmp_path)
        finished = asyncio.create_task(second.wait())
        while not finished.done() and fake.waiting <= 2:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
        gate.set()
        reports = [json.loads(await finish(p)) for p in (first, second)]
    finally:
        gate.set()
        await fake.stop()
    sent = await all_deliveries(db)
    assert len(sent) == learners and {d.status for d in sent} == {"sent"}
    assert fake.per_delivery() == {d.id: 1 for d in sent}
    assert reports[0]["sent"] == learners and reports[1]["sent"] == 0  # the second found every claim alive


async def test_a_catch_up_tick_days_ahead_neither_expires_fresh_failures_nor_forgets_recent_events(
        db: Database, db_url: str, settings: Settings, tmp_path: Path) -> None:
    """A trigger's lesson that failed once, a minute ago, is not "failing for 4 days" because a tick says it is
    4 days later; and a Slack event handled a minute ago is still remembered (its retry stays quiet)."""
    ids = await load_sample_org(db, tmp_path)
    async with db.session() as session:
        await session.exec(update(LearnerSettings).values(
            days="1234567", window_start="00:00", window_end="23:59", timezone="UTC",
            next_slot_at=utcnow() + timedelta(days=30), welcomed_at=utcnow() - timedelta(days=1)))
        assert await events.claim_event(session, "slack:event:Ev0RECENT", utcnow(), timedelta(minutes=5))
        await events.finish_event(session, "slack:event:Ev0RECENT", utcnow())
    coach = Coach(db, settings, worker_id="api-process")  # the wall clock, as in production
    done = await trigger(coach.services, email="ben@example.com", lesson="infosec-spot-phishing")
    await coach.ledger.handed_back(done.delivery_id, platform="slack", error="slack: timed out", retry_at=utcnow())
    fake = FakeSlack(users=sample_users(), fail_every=1)  # Slack is down: every post fails
    await fake.start()
    try:
        at = (utcnow() + timedelta(days=4)).replace(hour=12).isoformat()
        report = json.loads(await finish(await start(["dispatch", "--at", at, "--json"],
                                                     coach_env(db_url, fake), tmp_path)))
    finally:
        await fake.stop()
    [delivery] = await all_deliveries(db)
    assert delivery.person_id == ids["ben@example.com"]
    assert report["expired"] == 0 and report["deferred"] == 1 and delivery.status == "pending"
    assert report["forgotten"] == 0
    async with db.session() as session:
        assert (await session.exec(select(ProcessedEvent.key))).all() == ["slack:event:Ev0RECENT"]
