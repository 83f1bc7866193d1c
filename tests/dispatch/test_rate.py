"""The send budget every process shares, on SQLite and PostgreSQL: two dispatchers on one database together
keep to COACH_SENDS_PER_SECOND (counted per simulated second), a 429 seen by one holds the other, and through
the real Slack courier a 429 holds the whole workspace for its Retry-After."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.chat.coach import Coach
from bot.config import Settings
from bot.couriers import DeliveryError, Recipient, Sent
from bot.dispatch.dispatcher import Dispatcher
from bot.replies import Reply
from store.db import Database
from tests.conftest import Clock
from tests.support.dispatching import SimulatedTime, all_deliveries, bigger_org, sample_users, through_slack
from tests.support.fake_slack import FakeSlack
from tests.support.loopback_courier import LoopbackCourier
from tests.support.org import load_sample_org

TUESDAY = datetime(2026, 12, 1, tzinfo=UTC)
EUROPE_AT_WORK = TUESDAY + timedelta(hours=15.5)
AMERICAS_AT_WORK = TUESDAY + timedelta(hours=21)


class Stamped(LoopbackCourier):
    """Notes the simulated time of every post it made, and of every 429 it got."""

    def __init__(self, base_url: str, time: SimulatedTime) -> None:
        super().__init__(base_url)
        self.time = time
        self.posted: list[datetime] = []
        self.limited: list[datetime] = []

    async def send(self, recipient: Recipient, reply: Reply) -> Sent:
        try:
            sent = await super().send(recipient, reply)
        except DeliveryError as exc:
            if exc.retry_after is not None:
                self.limited.append(self.time.now())
            raise
        self.posted.append(self.time.now())
        return sent


async def two_dispatchers(coach: Coach, db_url: str, fake: FakeSlack, time: SimulatedTime,
                          config: Settings) -> tuple[list[Dispatcher], list[Stamped], Database]:
    """Two processes' dispatchers on one database (the second with its own connection pool)."""
    other = Database(db_url)
    couriers = [Stamped(fake.url, time), Stamped(fake.url, time)]
    coaches = [Coach(coach.services.database, config, clock=coach.services.clock, worker_id="first"),
               Coach(other, config, clock=coach.services.clock, worker_id="second")]
    return [Dispatcher(c.services, {"slack": courier}, config, timer=time) for c, courier in zip(coaches, couriers,
                                                                                         strict=True)], couriers, other


async def test_two_dispatchers_on_one_database_keep_together_to_the_workspaces_rate(
        coach: Coach, db: Database, db_url: str, clock: Clock, tmp_path: Path) -> None:
    text, users = bigger_org(16)
    await load_sample_org(db, tmp_path, text)
    rate = 4
    config = coach.services.config.model_copy(update={"sends_per_second": rate, "dispatch_concurrency": 4,
                                             "dispatch_batch": 5})
    time = SimulatedTime()
    fake = FakeSlack(users=users)
    await fake.start()
    dispatchers, couriers, other = await two_dispatchers(coach, db_url, fake, time, config)
    try:
        clock.now = TUESDAY
        await dispatchers[0].tick()
        clock.now = EUROPE_AT_WORK
        reports = await asyncio.gather(*(d.tick() for d in dispatchers))
    finally:
        for courier in couriers:
            await courier.close()
        await other.dispose()
        await fake.stop()
    posts = sorted(couriers[0].posted + couriers[1].posted)
    assert sum(r.sent for r in reports) == 21 and len(posts) == 42  # 21 Europeans: a welcome and a lesson each
    assert all(courier.posted for courier in couriers)  # both processes sent
    per_second = Counter(time.second(moment) for moment in posts)
    assert per_second[0] <= 2 * rate and max(n for s, n in per_second.items() if s > 0) <= rate + 1, per_second
    assert (posts[-1] - posts[0]).total_seconds() >= (len(posts) - 2 * rate) / rate
    sent = await all_deliveries(db)
    assert fake.per_delivery() == Counter({d.id: 1 for d in sent})


async def test_a_429_seen_by_one_dispatcher_holds_the_other(
        coach: Coach, db: Database, db_url: str, clock: Clock, tmp_path: Path) -> None:
    await load_sample_org(db, tmp_path)
    config = coach.services.config.model_copy(update={"dispatch_concurrency": 1})
    time = SimulatedTime()
    fake = FakeSlack(users=sample_users(), limit_every=1, retry_after=30)  # every post refused: hold 30 s
    await fake.start()
    (first, second), (refused, other_courier), other = await two_dispatchers(coach, db_url, fake, time, config)
    try:
        clock.now = TUESDAY
        await first.tick()
        clock.now = AMERICAS_AT_WORK
        assert (await first.tick()).deferred == 3  # Omar, Fay and Gus; each refusal holds the workspace
        fake.limit_every = 0
        clock.advance(minutes=2)
        assert (await second.tick()).sent == 3
    finally:
        for courier in (refused, other_courier):
            await courier.close()
        await other.dispose()
        await fake.stop()
    assert len(refused.limited) == 3 and not other_courier.limited
    assert min(other_courier.posted) >= max(refused.limited) + timedelta(seconds=30)


async def test_through_the_real_slack_courier_a_429_holds_the_whole_workspace_for_its_retry_after(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    text, users = bigger_org(16)
    await load_sample_org(db, tmp_path, text)
    time = SimulatedTime()  # the budget's pace and holds, and the fake's record of them, on a clock load cannot stretch
    fake = FakeSlack(users=users, limit_every=10, retry_after=1, clock=time.elapsed)
    async with through_slack(db, settings, clock, fake, "slack-429", dispatch_concurrency=4) as dispatcher:
        dispatcher.sender.budget.timer = time
        clock.now = TUESDAY
        await dispatcher.tick()
        clock.now = EUROPE_AT_WORK
        report = await dispatcher.tick()
    posts = fake.attempts("chat.postMessage")
    limited = [n for n, call in enumerate(posts) if call.status == 429]
    assert report.sent == 21 and len(limited) >= 3
    for n in limited:  # what was already on the wire may land, one per other sender; nothing new before 1 s
        early = [call.at - posts[n].at for call in posts[n + 1:] if call.at < posts[n].at + 0.95]
        assert len(early) <= 3, early
    sent = await all_deliveries(db)
    assert fake.per_delivery() == Counter({d.id: 1 for d in sent})
