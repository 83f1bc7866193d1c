"""The dispatcher in-process, on SQLite and PostgreSQL, against a loopback fake Slack Web API over real HTTP."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col

from bot.chat.coach import Coach
from bot.config import Settings
from bot.dispatch.dispatcher import Dispatcher
from bot.dispatch.jobs import TickReport
from bot.dispatch.ticker import run_ticker
from bot.replies import LessonCard
from store import deliveries
from store.db import Database
from store.models import Delivery, LearnerSettings
from tests.conftest import Clock
from tests.support.dispatching import (
    SimulatedTime,
    all_deliveries,
    every,
    loopback,
    sample_users,
    through_slack,
)
from tests.support.fake_slack import FakeSlack
from tests.support.loopback_courier import LoopbackCourier, PartwiseLoopbackCourier
from tests.support.org import load_sample_org
from tests.support.waiting import eventually

TUESDAY = datetime(2026, 12, 1, tzinfo=UTC)
ZONES = {"dana": "Europe/Berlin", "mia": "Europe/Berlin", "omar": "America/New_York", "ben": "Europe/Berlin",
         "cara": "Europe/London", "eli": "Europe/Berlin", "fay": "America/New_York", "gus": "America/Chicago"}


def sweeps(*days: datetime) -> list[datetime]:
    """Ticks that reach every sample learner once on a weekday: Europe at 15:30 UTC (Berlin 16:30, London
    15:30), the Americas at 21:00 UTC (New York 16:00, Chicago 15:00) — each after the day's slot, inside
    the window. The first tick enrols everyone."""
    return [days[0]] + [day + offset for day in days for offset in (timedelta(hours=15.5), timedelta(hours=21))]


async def run_ticks(clock: Clock, dispatcher: Dispatcher, moments: list[datetime]) -> Counter[str]:
    totals: Counter[str] = Counter()
    for moment in moments:
        clock.now = moment
        report = await dispatcher.tick()
        totals.update(sent=report.sent, failed=report.failed, deferred=report.deferred, reminded=report.reminded)
    return totals


async def test_a_weekday_of_ticks_brings_everyone_one_lesson_inside_their_local_window(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    names = {pid: email.split("@")[0] for email, pid in ids.items()}
    async with loopback(coach) as (fake, dispatcher):
        moments = every(TUESDAY, TUESDAY + timedelta(hours=30), timedelta(hours=1))
        totals = await run_ticks(clock, dispatcher, moments)
    sent = await all_deliveries(db)
    assert totals["sent"] == len(ids) == len(sent) and totals["failed"] == 0
    for delivery in sent:
        zone = ZoneInfo(ZONES[names[delivery.person_id]])
        assert delivery.status == "sent" and delivery.origin == "scheduled" and delivery.sent_at is not None
        local = delivery.sent_at.astimezone(zone)
        assert delivery.slot == f"{local.date().isoformat()}#1" == "2026-12-01#1"
        assert 10 <= local.hour < 17, (names[delivery.person_id], local)
    assert fake.per_delivery() == Counter({d.id: 1 for d in sent})


async def test_weekends_and_nights_bring_nothing(coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    await load_sample_org(db, tmp_path)
    saturday = datetime(2026, 12, 5, tzinfo=UTC)
    async with loopback(coach) as (fake, dispatcher):
        await run_ticks(clock, dispatcher, every(saturday, saturday + timedelta(hours=47), timedelta(hours=2)))
        assert await all_deliveries(db) == [] and fake.posts == []
        clock.now = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)  # Monday night in Europe; Chicago still at work
        await dispatcher.tick()
    assert {d.slot for d in await all_deliveries(db)} <= {"2026-12-07#1"}


async def test_three_dispatchers_at_once_send_every_slot_exactly_once(
        coach: Coach, db: Database, db_url: str, clock: Clock, tmp_path: Path) -> None:
    await load_sample_org(db, tmp_path)
    clock.now = TUESDAY
    async with loopback(coach) as (fake, first):
        await first.tick()  # enrols everyone (computes their first slot)
        others = [Database(db_url) for _ in range(2)]
        dispatchers = [first] + [
            Dispatcher(Coach(other, coach.services.config, clock=clock, worker_id=f"w{n}").services,
                       first.sender.couriers)
            for n, other in enumerate(others)]
        try:
            clock.now = TUESDAY + timedelta(hours=21)  # Europe's windows are over; the Americas' are open
            reports = await asyncio.gather(*(d.tick() for d in dispatchers))
            again = await asyncio.gather(*(d.tick() for d in dispatchers))
        finally:
            for other in others:
                await other.dispose()
    sent = await all_deliveries(db)
    assert {d.person_id for d in sent} and all(d.status == "sent" for d in sent)
    assert sum(r.sent for r in reports) == len(sent) == 3  # Omar, Fay (New York) and Gus (Chicago)
    assert sum(r.sent for r in again) == 0
    assert fake.per_delivery() == Counter({d.id: 1 for d in sent})


async def test_through_the_real_slack_courier_a_flaky_api_gets_each_lesson_exactly_once(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    await load_sample_org(db, tmp_path)
    fake = FakeSlack(users=sample_users(), fail_every=3, limit_every=5)
    async with through_slack(db, settings, clock, fake, "slack-test") as dispatcher:
        totals = await run_ticks(clock, dispatcher, sweeps(TUESDAY))
    sent = await all_deliveries(db)
    assert len(sent) == totals["sent"] == 8 and {d.status for d in sent} == {"sent"}
    assert fake.refused["500"] and fake.refused["429"]
    assert fake.per_delivery() == Counter({d.id: 1 for d in sent})


async def test_a_platform_that_keeps_failing_gets_the_lesson_again_after_a_backoff(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    async with loopback(coach, fail_every=1) as (fake, dispatcher):
        clock.now = TUESDAY
        await dispatcher.tick()
        clock.now = TUESDAY + timedelta(hours=21)  # New York and Chicago are at work
        down = await dispatcher.tick()
        assert (down.sent, down.deferred, fake.posts) == (0, 3, [])
        waiting = [d for d in await all_deliveries(db) if d.status == "pending"]
        assert len(waiting) == 3 and all(d.attempts == 1 and d.due_at > clock.now for d in waiting)
        assert all("500" in (d.last_error or "") for d in waiting)
        fake.fail_every = 0
        assert (await dispatcher.tick()).sent == 0  # not before the backoff is over
        clock.advance(minutes=2)
        assert (await dispatcher.tick()).sent == 3
    assert {d.person_id for d in await all_deliveries(db)} == {ids[e] for e in (
        "omar@example.com", "fay@example.com", "gus@example.com")}
    assert set(fake.per_delivery().values()) == {1}


async def test_after_a_429_the_workspace_waits_for_retry_after(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    await load_sample_org(db, tmp_path)
    one_at_a_time = coach.services.config.model_copy(update={"dispatch_concurrency": 1})
    async with loopback(coach, one_at_a_time, limit_every=3, retry_after=1) as (fake, dispatcher):
        clock.now = TUESDAY
        await dispatcher.tick()
        clock.now = TUESDAY + timedelta(hours=21)  # New York and Chicago: three lessons and three welcomes
        report = await dispatcher.tick()
    assert report.sent == 3 and len(fake.limited_at) >= 2
    for refused in fake.limited_at:
        following = [p.at for p in fake.posts if p.at > refused]
        assert not following or min(following) - refused >= 0.95


async def test_a_lesson_in_parts_refused_half_way_posts_only_the_missing_part_on_the_next_tick(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    await load_sample_org(db, tmp_path)
    async with db.session() as session:
        await session.exec(update(LearnerSettings).values(welcomed_at=TUESDAY))
    fake = FakeSlack(users=sample_users(), limit_every=2, retry_after=60)  # every second post: wait a minute
    await fake.start()
    courier = PartwiseLoopbackCourier(fake.url, parts=2)
    config = coach.services.config.model_copy(update={"dispatch_concurrency": 1})
    dispatcher = Dispatcher(coach.services, {"slack": courier}, config,
                            timer=SimulatedTime())
    try:
        clock.now = TUESDAY
        await dispatcher.tick()
        clock.now = TUESDAY + timedelta(hours=21)  # New York and Chicago: three lessons of two parts each
        first = await dispatcher.tick()
        halves = fake.per_delivery()
        fake.limit_every = 0
        clock.advance(minutes=2)
        second = await dispatcher.tick()
    finally:
        await courier.close()
        await fake.stop()
    assert first.deferred == 3 and set(halves.values()) == {1} and second.sent == 3
    sent = await all_deliveries(db)
    assert fake.per_delivery() == Counter({d.id: 2 for d in sent})  # the first part was not posted again
    assert all(d.message_ref is not None and "posted" not in d.message_ref for d in sent)


async def test_a_claim_whose_process_died_is_sent_after_its_lease(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    clock.now = TUESDAY + timedelta(hours=10)
    # A handler created and claimed this lesson, then its process died before posting it.
    dead = Coach(db, coach.services.config, clock=clock, worker_id="dead-process")
    card = (await dead.command(ids["ben@example.com"], "")).messages[0]
    assert isinstance(card, LessonCard)
    async with loopback(coach) as (fake, dispatcher):
        await dispatcher.tick()
        assert card.delivery_id not in fake.per_delivery()  # its lease still runs
        clock.advance(seconds=coach.services.config.dispatch_lease_seconds - 1)
        await dispatcher.tick()
        assert card.delivery_id not in fake.per_delivery()  # the configured lease, not a shorter one
        clock.advance(seconds=2)
        await dispatcher.tick()
    async with db.session() as session:
        delivery = await session.get(Delivery, card.delivery_id)
    assert delivery is not None and delivery.status == "sent" and delivery.claimed_by == "test-worker"
    assert fake.per_delivery()[card.delivery_id] == 1
    async with db.session() as session:  # the dead process's late acknowledgement changes nothing
        assert not await deliveries.mark_sent(session, card.delivery_id, "dead-process", platform="slack",
                                              message_ref=None, now=clock())


async def test_one_gentle_reminder_for_an_unanswered_lesson_and_none_once_answered(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    async with loopback(coach) as (fake, dispatcher):
        await run_ticks(clock, dispatcher, every(TUESDAY, TUESDAY + timedelta(hours=12), timedelta(hours=1)))
        sent = {d.person_id: d for d in await all_deliveries(db)}
        ben, cara = ids["ben@example.com"], ids["cara@example.com"]
        await coach.press(ben, "answer", {"d": sent[ben].id, "o": 0}, via="slack")
        clock.now = TUESDAY + timedelta(hours=12, minutes=30)
        totals = await run_ticks(clock, dispatcher, every(clock.now, TUESDAY + timedelta(hours=30),
                                                          timedelta(hours=1)))
        reminders = [p for p in fake.posts if "gentle nudge" in p.text]
    reminded_people = {d.person_id for d in await all_deliveries(db) if d.reminded_at is not None}
    assert ben not in reminded_people and cara in reminded_people
    assert totals["reminded"] == len(reminders) == len(reminded_people)
    assert Counter(p.channel for p in reminders).most_common(1)[0][1] == 1
    for delivery in await all_deliveries(db):
        if delivery.reminded_at is not None:
            assert delivery.sent_at is not None and delivery.reminded_at - delivery.sent_at >= timedelta(hours=3)


async def test_the_first_lesson_comes_with_a_welcome_and_later_ones_do_not(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    async with loopback(coach) as (fake, dispatcher):
        await run_ticks(clock, dispatcher, sweeps(TUESDAY, TUESDAY + timedelta(days=1)))
    channel = "DUBEN"
    texts = [p.text for p in fake.posts if p.channel == channel and "gentle nudge" not in p.text]
    welcomes = [t for t in texts if "I'm your learning coach" in t]
    assert len(welcomes) == 1 and texts.index(welcomes[0]) == 0 and len(texts) == 1 + 2  # Tue's and Wed's lessons
    assert "/learn pause" in welcomes[0] and "between 10:00 and 17:00 (Europe/Berlin)" in welcomes[0]
    async with db.session() as session:
        settings = await session.get(LearnerSettings, ben)
    assert settings is not None and settings.welcomed_at is not None


async def test_lessons_asked_for_do_not_use_up_the_days_slot(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    async with loopback(coach) as (_fake, dispatcher):
        clock.now = TUESDAY + timedelta(hours=8)  # 09:00 in Berlin, before the window
        await dispatcher.tick()
        for _ in range(2):
            card = (await coach.command(ben, "")).messages[0]
            assert isinstance(card, LessonCard)
            await coach.sent(card.delivery_id, platform="slack", message_ref=None)
        await run_ticks(clock, dispatcher, sweeps(TUESDAY)[1:])
    mine = [d for d in await all_deliveries(db) if d.person_id == ben]
    assert Counter(d.origin for d in mine) == Counter(on_demand=2, scheduled=1)


async def test_a_person_no_platform_can_reach_fails_without_retrying_forever(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    gus = ids["gus@example.com"]  # no Slack id in the org chart, and unknown to the workspace
    async with loopback(coach) as (fake, dispatcher):
        del fake.users["gus@example.com"]
        totals = await run_ticks(clock, dispatcher, sweeps(TUESDAY))
    mine = [d for d in await all_deliveries(db) if d.person_id == gus]
    assert [d.status for d in mine] == ["failed"] and "users_not_found" in (mine[0].last_error or "")
    assert totals["failed"] == 1 and totals["sent"] == 7


async def test_the_most_recently_used_platform_is_chosen(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    mia = ids["mia@example.com"]  # on Slack (UMIA) and on Teams (29:mia)
    await coach.identify("teams", "29:mia", workspace="tenant-1", address={"conversation": "a:mia"})
    async with loopback(coach) as (fake, _slack_only):
        teams = LoopbackCourier(fake.url)
        teams.platform = "teams"  # type: ignore[misc]
        slack = LoopbackCourier(fake.url)
        dispatcher = Dispatcher(coach.services, {"slack": slack, "teams": teams})
        await run_ticks(clock, dispatcher, sweeps(TUESDAY))
        await teams.close()
        await slack.close()
    platforms = {d.person_id: d.platform for d in await all_deliveries(db)}
    assert platforms[mia] == "teams" and platforms[ids["cara@example.com"]] == "slack"  # Cara is on Slack only


async def test_paused_learners_get_nothing_until_they_resume(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    clock.now = TUESDAY
    await coach.command(ben, "pause")
    async with loopback(coach) as (_fake, dispatcher):
        await run_ticks(clock, dispatcher, sweeps(TUESDAY, TUESDAY + timedelta(days=1)))
        assert ben not in {d.person_id for d in await all_deliveries(db)}
        await coach.command(ben, "resume")
        await run_ticks(clock, dispatcher, sweeps(TUESDAY + timedelta(days=2))[1:])
    assert [d.slot for d in await all_deliveries(db) if d.person_id == ben] == ["2026-12-03#1"]


async def test_a_late_dispatcher_sends_one_lesson_for_missed_slots_and_none_after_the_window(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    async with db.session() as session:
        await session.exec(update(LearnerSettings).where(col(LearnerSettings.person_id) == ben)
                           .values(lessons_per_day=3))
    async with loopback(coach) as (_fake, dispatcher):
        clock.now = TUESDAY
        await dispatcher.tick()
        clock.now = TUESDAY + timedelta(hours=13)  # 14:00 in Berlin: two of three slots have passed
        await dispatcher.tick()
        clock.now = TUESDAY + timedelta(hours=17)  # 18:00: the window closed before the third was sent
        await dispatcher.tick()
    assert [d.slot for d in await all_deliveries(db) if d.person_id == ben] == ["2026-12-01#2"]


async def test_the_ticker_keeps_ticking_until_stopped_and_sends_each_lesson_once(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    await load_sample_org(db, tmp_path)
    async with loopback(coach) as (fake, dispatcher):
        clock.now = TUESDAY
        await dispatcher.tick()
        clock.now = TUESDAY + timedelta(hours=15.5)
        ticks = 0
        real_tick = dispatcher.tick

        async def counted() -> TickReport:
            nonlocal ticks
            ticks += 1
            return await real_tick()

        dispatcher.tick = counted  # type: ignore[method-assign]
        ticker = asyncio.create_task(run_ticker(dispatcher, 0.05))
        await eventually(lambda: ticks >= 3 and len(fake.per_delivery()) == 5)
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)
        stopped_at = ticks
        await asyncio.sleep(0.2)
    assert ticks == stopped_at  # no tick after the stop
    assert set(fake.per_delivery().values()) == {1}
