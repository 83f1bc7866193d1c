"""Outages and long ticks against the learners' windows, on SQLite and PostgreSQL: a retried scheduled lesson
comes inside the learner's window and is that day's only scheduled lesson; an outage of hours loses nothing;
what people asked for expires only after COACH_EXPIRE_AFTER_DAYS."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bot.chat.coach import Coach
from bot.couriers import Recipient, Sent
from bot.dispatch.dispatcher import Dispatcher
from bot.dispatch.just_in_time import trigger
from bot.metrics import SEND_FAILURES
from bot.replies import Reply
from store.db import Database
from store.models import Delivery, LearnerSettings
from tests.conftest import Clock
from tests.support.dispatching import SimulatedTime, all_deliveries, every, loopback, sample_users
from tests.support.fake_slack import FakeSlack
from tests.support.loopback_courier import LoopbackCourier
from tests.support.org import load_sample_org

TUESDAY = datetime(2026, 12, 1, tzinfo=UTC)
ZONES = {"dana": "Europe/Berlin", "mia": "Europe/Berlin", "omar": "America/New_York", "ben": "Europe/Berlin",
         "cara": "Europe/London", "eli": "Europe/Berlin", "fay": "America/New_York", "gus": "America/Chicago"}
EUROPEANS = {"dana", "mia", "ben", "cara", "eli"}


def local(delivery: Delivery, names: dict[int, str]) -> datetime:
    assert delivery.sent_at is not None
    return delivery.sent_at.astimezone(ZoneInfo(ZONES[names[delivery.person_id]]))


def assert_inside_windows_once_a_day(sent: list[Delivery], names: dict[int, str]) -> None:
    """Every scheduled lesson was posted on a weekday between 10:00 and 17:00 local, one per learner and day."""
    days = Counter((d.person_id, local(d, names).date()) for d in sent if d.origin == "scheduled")
    assert set(days.values()) == {1}, days
    for delivery in sent:
        moment = local(delivery, names)
        assert moment.isoweekday() <= 5 and 10 <= moment.hour < 17, (names[delivery.person_id], moment)


async def test_a_lesson_that_failed_late_in_the_day_comes_in_the_next_window_as_that_days_only_lesson(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    names = {pid: email.split("@")[0] for email, pid in ids.items()}
    async with loopback(coach, timer=SimulatedTime(), fail_every=1) as (fake, dispatcher):
        clock.now = TUESDAY
        await dispatcher.tick()
        clock.now = TUESDAY + timedelta(hours=15, minutes=50)  # 16:50 in Berlin, 15:50 in London: Slack is down
        down = await dispatcher.tick()
        assert down.deferred == len(EUROPEANS) and fake.posts == []
        fake.fail_every = 0
        clock.now = TUESDAY + timedelta(hours=20)  # 21:00 in Berlin: Slack is back, the Europeans' day is over
        evening = await dispatcher.tick()
        assert evening.held == len(EUROPEANS) and evening.sent == 3  # the Americas are still at work
        for moment in every(TUESDAY + timedelta(hours=21), TUESDAY + timedelta(days=2), timedelta(hours=1)):
            clock.now = moment
            await dispatcher.tick()
    sent = await all_deliveries(db)
    assert {d.status for d in sent} == {"sent"} and fake.per_delivery() == Counter({d.id: 1 for d in sent})
    assert_inside_windows_once_a_day(sent, names)
    europe = [d for d in sent if names[d.person_id] in EUROPEANS]
    assert len(europe) == len(EUROPEANS)  # Tuesday's lessons became Wednesday's, instead of a second one
    assert all(d.slot == "2026-12-02#1" and d.created_at < TUESDAY + timedelta(days=1) for d in europe)


async def test_a_six_hour_outage_loses_no_lesson_and_each_arrives_once_inside_its_window(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    names = {pid: email.split("@")[0] for email, pid in ids.items()}
    outage = (TUESDAY + timedelta(hours=10), TUESDAY + timedelta(hours=16))  # 11:00–17:00 in Berlin
    failed = 0
    async with loopback(coach, timer=SimulatedTime()) as (fake, dispatcher):
        for moment in every(TUESDAY, TUESDAY + timedelta(hours=40), timedelta(minutes=15)):
            clock.now = moment
            fake.fail_every = 1 if outage[0] <= moment < outage[1] else 0
            failed += (await dispatcher.tick()).failed
    sent = await all_deliveries(db)
    assert failed == 0 and {d.status for d in sent} == {"sent"}
    assert fake.per_delivery() == Counter({d.id: 1 for d in sent})
    assert max(d.attempts for d in sent) > 8  # more tries than the old give-up limit, and still delivered
    assert_inside_windows_once_a_day(sent, names)
    tuesdays = {d.person_id for d in sent if d.slot and d.slot.startswith("2026-12-01")}
    moved = {d.person_id for d in sent if d.attempts > 1 and d.slot == "2026-12-02#1"}
    assert tuesdays | moved == set(ids.values())  # each learner got Tuesday's lesson, on Wednesday at the latest


class SlowSlack(LoopbackCourier):
    """Each post takes `step` on the coach's clock; notes whom each send was for and when it began."""

    def __init__(self, base_url: str, clock: Clock, step: timedelta) -> None:
        super().__init__(base_url)
        self.clock, self.step = clock, step
        self.began: list[tuple[int, datetime]] = []

    async def send(self, recipient: Recipient, reply: Reply) -> Sent:
        self.began.append((recipient.person_id, self.clock()))
        sent = await super().send(recipient, reply)
        self.clock.advance(seconds=self.step.total_seconds())
        return sent


async def test_a_long_tick_never_begins_a_scheduled_send_after_the_window_closed(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    berliners = [ids[f"{name}@example.com"] for name in ("dana", "mia", "ben", "eli")]
    async with db.session() as session:
        await session.exec(update(LearnerSettings).values(welcomed_at=TUESDAY))
    config = coach.services.config.model_copy(update={"dispatch_concurrency": 1, "dispatch_batch": 1})
    fake = FakeSlack(users=sample_users())
    await fake.start()
    slow = SlowSlack(fake.url, clock, step=timedelta(minutes=1))
    dispatcher = Dispatcher(coach.services, {"slack": slow}, config)
    try:
        clock.now = TUESDAY
        await dispatcher.tick()
        clock.now = TUESDAY + timedelta(hours=15, minutes=57, seconds=30)  # 16:57:30 in Berlin
        report = await dispatcher.tick()
    finally:
        await slow.close()
        await fake.stop()
    berlin = ZoneInfo("Europe/Berlin")
    assert all(moment.astimezone(berlin).hour < 17 for person, moment in slow.began if person in berliners)
    mine = [d for d in await all_deliveries(db) if d.person_id in berliners]
    held = [d for d in mine if d.status == "pending"]
    assert report.held == len(held) >= 1 and len(mine) - len(held) >= 2  # the first ones began in time
    assert {d.due_at.astimezone(berlin) for d in held} == {datetime(2026, 12, 2, 10, 0, tzinfo=berlin)}
    assert all(d.attempts == 0 and d.last_error is None for d in held)  # waiting is not failing


async def test_what_people_asked_for_expires_after_the_configured_days_and_scheduled_lessons_never(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    config = coach.services.config.model_copy(update={"expire_after_days": 1.0})
    asking = Coach(db, config, clock=clock, worker_id="api-process")
    expired_before = SEND_FAILURES.labels("slack", "expired")._value.get()
    async with loopback(asking, timer=SimulatedTime(), fail_every=1) as (fake, dispatcher):
        clock.now = TUESDAY
        await dispatcher.tick()
        clock.now = TUESDAY + timedelta(hours=11)  # noon in Berlin: Ben's slot has passed
        triggered = await trigger(asking.services, email="ben@example.com", lesson="infosec-tailgating",
                                  reason="Door held")
        assert await dispatcher.send_now(triggered.delivery_id) == "deferred"
        reports = []
        for moment in every(clock.now, TUESDAY + timedelta(days=2, hours=12), timedelta(hours=1)):
            clock.now = moment
            reports.append(await dispatcher.tick())
        fake.fail_every = 0
        clock.now = TUESDAY + timedelta(days=2, hours=13)
        await dispatcher.tick()
    mine = {d.origin: d for d in await all_deliveries(db) if d.person_id == ben}
    assert mine["trigger"].status == "expired" and triggered.delivery_id not in fake.per_delivery()
    assert sum(r.expired for r in reports) == 1
    assert SEND_FAILURES.labels("slack", "expired")._value.get() == expired_before + 1
    assert mine["scheduled"].status == "sent" and fake.per_delivery()[mine["scheduled"].id] == 1
