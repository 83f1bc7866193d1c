"""A first rollout through the real Slack courier over HTTP keeps to Slack's method tiers: no more than the
configured calls a minute per method, on simulated time, and still one lesson for everyone."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

from bot.chat.coach import Coach
from bot.config import Settings
from bot.dispatch.dispatcher import Dispatcher
from handlers.assembly import attach_platforms
from store.db import Database
from tests.conftest import Clock
from tests.support.dispatching import SimulatedTime, all_deliveries, bigger_org
from tests.support.fake_slack import Call, FakeSlack
from tests.support.org import load_sample_org

TUESDAY = datetime(2026, 12, 1, tzinfo=UTC)
EUROPE_AT_WORK = TUESDAY + timedelta(hours=15.5)
NEWCOMERS = 60


def most_in_a_minute(calls: list[Call]) -> int:
    """The most calls that fall in any 60 simulated seconds."""
    times = sorted(call.at for call in calls)
    return max((sum(1 for t in times if start <= t < start + 60) for start in times), default=0)


async def test_a_first_rollout_keeps_each_slack_method_to_its_tier(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    text, users = bigger_org(NEWCOMERS)  # people Slack finds by email: a lookup and a DM to open each
    await load_sample_org(db, tmp_path, text)
    time = SimulatedTime()
    fake = FakeSlack(users=users, clock=lambda: (time.now() - time.start).total_seconds())
    await fake.start()
    config = settings.model_copy(update={
        "slack_bot_token": SecretStr("xoxb-test"), "slack_api_url": fake.url,
        "slack_signing_secret": SecretStr("signing-secret"), "dispatch_concurrency": 8,
        "slack_posts_per_minute": 120.0, "slack_tier3_per_minute": 20.0, "slack_burst_seconds": 6.0})
    coach = Coach(db, config, clock=clock, worker_id="rollout")
    platforms = attach_platforms(coach, config)
    dispatcher = Dispatcher(coach.services, platforms.couriers, config, timer=time)
    try:
        clock.now = TUESDAY
        await dispatcher.tick()
        clock.now = EUROPE_AT_WORK
        report = await dispatcher.tick()
    finally:
        for cleanup in platforms.cleanups:
            await cleanup()
        await fake.stop()
    tier3 = fake.calls_to("users.lookupByEmail") + fake.calls_to("conversations.open")
    posts = fake.calls_to("chat.postMessage")
    assert report.sent >= NEWCOMERS and len(fake.calls_to("users.lookupByEmail")) >= NEWCOMERS
    # A token bucket allows its burst (6 s' worth: 2 lookups, 12 posts) on top of a minute's pace.
    assert most_in_a_minute(tier3) <= 20 + 2, most_in_a_minute(tier3)
    assert most_in_a_minute(posts) <= 120 + 12, most_in_a_minute(posts)
    assert not fake.refused  # paced, Slack never had to say 429
    lasted = max(call.at for call in tier3) - min(call.at for call in tier3)
    assert lasted >= (len(tier3) - 2) / 20 * 60 - 1  # the lookups really took their time
    sent = await all_deliveries(db)
    assert fake.per_delivery() == Counter({d.id: 1 for d in sent if d.status == "sent"})
