"""The dispatcher as deployed: real `coach dispatch` and `coach worker` processes on one database, reaching a
loopback fake Slack Web API through the real Slack courier (SLACK_API_URL), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import col

from bot.chat.coach import Coach
from bot.dispatch.dispatcher import UNRECORDED_PER_SENDER
from store.db import Database
from store.models import LearnerSettings
from tests.conftest import FAST_SLACK, Clock
from tests.support.dispatching import all_deliveries, bigger_org, loopback, sample_users
from tests.support.fake_slack import FakeSlack
from tests.support.org import load_sample_org
from tests.support.waiting import PATIENCE

COACH = [sys.executable, "-c", "from handlers.cli import main; main()"]
EXTRA = 16
"""Extra Berlin learners (found in Slack by email), so that the processes have batches to compete for."""


def coach_env(db_url: str, fake: FakeSlack, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "COACH_"))}
    return env | {"COACH_DATABASE_URL": db_url, "SLACK_BOT_TOKEN": "xoxb-test-token",
                  "SLACK_SIGNING_SECRET": "test-signing-secret", "SLACK_API_URL": fake.url,
                  "COACH_LOG_LEVEL": "WARNING"} | {f"COACH_{k.upper()}": str(v) for k, v in FAST_SLACK.items()} | extra


async def start(args: list[str], env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(*COACH, *args, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)


async def finish(process: asyncio.subprocess.Process, within: float = PATIENCE) -> str:
    out, err = await asyncio.wait_for(process.communicate(), within)
    assert process.returncode == 0, err.decode()[-2000:]
    return out.decode()


async def test_three_dispatch_processes_at_once_send_each_lesson_exactly_once(
        coach: Coach, db: Database, db_url: str, clock: Clock, tmp_path: Path) -> None:
    text, users = bigger_org(EXTRA)
    await load_sample_org(db, tmp_path, text)
    clock.now = datetime(2026, 12, 1, tzinfo=UTC)
    async with loopback(coach) as (_fake, enrolment):
        await enrolment.tick()  # everyone's first slot, computed before the processes start
    # slow posts: one process alone would need seconds, so the others (each starting up for a second or two) join in
    fake = FakeSlack(users=users, delays={"chat.postMessage": 0.3})
    await fake.start()
    try:
        env = coach_env(db_url, fake, COACH_DISPATCH_BATCH="4", COACH_DISPATCH_CONCURRENCY="2")
        processes = [await start(["dispatch", "--at", "2026-12-01T15:30:00Z", "--json"], env, tmp_path)
                     for _ in range(3)]
        reports = [json.loads(await finish(p)) for p in processes]
    finally:
        await fake.stop()
    sent = await all_deliveries(db)
    europeans = EXTRA + 5  # Dana, Mia, Ben, Eli (Berlin) and Cara (London); the Americas are not at work yet
    assert len(sent) == europeans and {d.status for d in sent} == {"sent"}
    assert sum(r["sent"] for r in reports) == europeans and not any(r["failed"] for r in reports)
    assert sum(1 for r in reports if r["sent"]) >= 2  # the processes really shared the work
    assert fake.per_delivery() == Counter({d.id: 1 for d in sent})


async def test_dispatch_at_a_past_time_records_its_sends_on_the_wall_clock(
        coach: Coach, db: Database, db_url: str, clock: Clock, tmp_path: Path) -> None:
    await load_sample_org(db, tmp_path)
    clock.now = datetime(2026, 11, 24, tzinfo=UTC)  # a Tuesday in the past
    async with loopback(coach) as (_fake, enrolment):
        await enrolment.tick()
    fake = FakeSlack(users=sample_users())
    await fake.start()
    started = datetime.now(UTC)
    try:
        process = await start(["dispatch", "--at", "2026-11-24T15:30:00Z", "--json"], coach_env(db_url, fake), tmp_path)
        report = json.loads(await finish(process))
    finally:
        await fake.stop()
    sent = await all_deliveries(db)
    assert report["sent"] == len(sent) == 5 and {d.slot for d in sent} == {"2026-11-24#1"}  # due as of --at
    assert all(d.sent_at is not None and d.sent_at >= started for d in sent)  # sent now, not "at" --at


async def all_sent(db: Database, expected: int) -> bool:
    deliveries = await all_deliveries(db)
    return len(deliveries) == expected and all(d.status == "sent" for d in deliveries)


def zone_at_work(now: datetime) -> str:
    """A fixed-offset zone where it is mid-afternoon now, so that a 00:00–23:59 window's single slot (always
    before noon) has passed and the window is still open."""
    local = 18 if now.hour >= 4 else 14
    offset = local - now.hour
    return f"Etc/GMT{'-' if offset >= 0 else '+'}{abs(offset)}"


async def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_at_most_its_in_flight_sends(
        db: Database, db_url: str, tmp_path: Path) -> None:
    text, users = bigger_org(EXTRA)
    ids = await load_sample_org(db, tmp_path, text)
    async with db.session() as session:
        await session.exec(update(LearnerSettings).values(
            days="1234567", window_start="00:00", window_end="23:59", timezone=zone_at_work(datetime.now(UTC)),
            next_slot_at=datetime.now(UTC) - timedelta(minutes=1), welcomed_at=datetime.now(UTC)))
        await session.exec(update(LearnerSettings).where(col(LearnerSettings.person_id) == ids["gus@example.com"])
                           .values(next_slot_at=None))  # and one newly enrolled learner
    concurrency = 4
    fake = FakeSlack(users=users, delays={"chat.postMessage": 0.15})
    await fake.start()
    env = coach_env(db_url, fake, COACH_TICK_SECONDS="1", COACH_DISPATCH_LEASE_SECONDS="3",
                    COACH_DISPATCH_CONCURRENCY=str(concurrency), COACH_DISPATCH_BATCH="10")
    try:
        first = await start(["worker"], env, tmp_path)
        deadline = asyncio.get_running_loop().time() + PATIENCE
        while len(fake.posts) < 10:
            assert first.returncode is None and asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        posted_before = len(fake.posts)
        second = await start(["worker"], env, tmp_path)
        while not await all_sent(db, len(ids) - 1):  # the dead worker's claims are retried after their lease
            assert second.returncode is None and asyncio.get_running_loop().time() < deadline, len(fake.posts)
            await asyncio.sleep(0.2)
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), PATIENCE) == 0
    finally:
        await fake.stop()
    sent = await all_deliveries(db)
    assert posted_before < len(ids) - 1  # it really died mid-batch
    assert len(sent) == len(ids) - 1 and {d.status for d in sent} == {"sent"}  # all but Gus, scheduled for later
    repeated = [d for d, times in fake.per_delivery().items() if times > 1]
    assert set(fake.per_delivery()) == {d.id for d in sent}
    # only what was on the wire or posted and waiting for its record when the process died
    assert len(repeated) <= concurrency * UNRECORDED_PER_SENDER, repeated
