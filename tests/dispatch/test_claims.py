"""The dispatcher's claims, on SQLite and PostgreSQL: leases that run from the moment of each claim, one
learner's failure that stops no one else, answered lessons never sent again, and cards built for a whole
batch at once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, update
from sqlmodel import col, select

from bot.chat.coach import Coach
from bot.couriers import Recipient, Sent
from bot.dispatch.dispatcher import Dispatcher
from bot.dispatch.just_in_time import trigger
from bot.replies import LessonCard, Reply
from store.db import Database
from store.models import Delivery, LearnerSettings
from tests.conftest import Clock
from tests.support.dispatching import all_deliveries, loopback, sample_users
from tests.support.fake_slack import FakeSlack
from tests.support.loopback_courier import LoopbackCourier
from tests.support.org import load_sample_org

TUESDAY = datetime(2026, 12, 1, tzinfo=UTC)
EUROPE_AT_WORK = TUESDAY + timedelta(hours=15.5)  # after the Europeans' slots, inside their windows


async def handed_back(coach: Coach, person_id: int) -> int:
    """A lesson a handler created and then could not post (its post timed out): pending, due now."""
    card = (await coach.command(person_id, "")).messages[0]
    assert isinstance(card, LessonCard)
    await coach.ledger.handed_back(card.delivery_id, platform="slack", error="slack: timed out",
                                   retry_at=coach.services.clock())
    return card.delivery_id


class SlowWorld(LoopbackCourier):
    """Each post takes `step` on the coach's clock. After it, we note every claim of the sending process that
    another process could now take over (its lease has run out), then that process renews the leases it holds,
    as its renewal task does every few seconds."""

    def __init__(self, base_url: str, clock: Clock, step: timedelta) -> None:
        super().__init__(base_url)
        self.clock, self.step = clock, step
        self.dispatcher: Dispatcher | None = None
        self.exposed: set[int] = set()

    async def send(self, recipient: Recipient, reply: Reply) -> Sent:
        sent = await super().send(recipient, reply)
        self.clock.advance(seconds=self.step.total_seconds())
        assert self.dispatcher is not None
        async with self.dispatcher.services.database.session() as session:
            self.exposed.update((await session.exec(select(Delivery.id).where(
                Delivery.status == "sending", Delivery.claimed_by == self.dispatcher.services.worker_id,
                col(Delivery.lease_until) < self.clock()))).all())
        await self.dispatcher.sender.renew_leases()
        return sent


async def test_a_long_tick_never_claims_with_a_lease_that_has_already_run_out(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    config = coach.services.config.model_copy(update={"dispatch_batch": 1, "dispatch_concurrency": 1})
    local = Coach(db, config, clock=clock, worker_id="slow-process")
    fake = FakeSlack(users=sample_users())
    await fake.start()
    world = SlowWorld(fake.url, clock, step=timedelta(seconds=config.dispatch_lease_seconds / 3))
    world.dispatcher = dispatcher = Dispatcher(local.services, {"slack": world})
    try:
        clock.now = TUESDAY
        await dispatcher.tick()  # enrols everyone
        clock.now = EUROPE_AT_WORK
        retries = [await handed_back(local, ids[email]) for email in ("omar@example.com", "fay@example.com")]
        report = await dispatcher.tick()  # five lessons and five welcomes: the tick outlasts the lease
    finally:
        await world.close()
        await fake.stop()
    assert clock() - EUROPE_AT_WORK > 3 * timedelta(seconds=config.dispatch_lease_seconds)
    assert world.exposed == set()
    sent = await all_deliveries(db)
    assert report.sent == len(sent) == 7 and {d.status for d in sent} == {"sent"}
    assert {d.claimed_by for d in sent} == {"slow-process"} and set(retries) <= {d.id for d in sent}
    assert fake.per_delivery() == Counter({d.id: 1 for d in sent})


async def test_lessons_created_by_handlers_and_triggers_hold_the_configured_lease(
        db: Database, clock: Clock, tmp_path: Path, coach: Coach) -> None:
    ids = await load_sample_org(db, tmp_path)
    config = coach.services.config.model_copy(update={"dispatch_lease_seconds": 900})
    fifteen_minutes = Coach(db, config, clock=clock, worker_id="handler")
    card = (await fifteen_minutes.command(ids["ben@example.com"], "")).messages[0]
    assert isinstance(card, LessonCard)
    clock.advance(minutes=1)
    triggered = await trigger(fifteen_minutes.services, email="cara@example.com", lesson="infosec-tailgating")
    assert triggered.status == "sending"
    async with db.session() as session:
        by_handler = await session.get(Delivery, card.delivery_id)
        by_trigger = await session.get(Delivery, triggered.delivery_id)
    assert by_handler is not None and by_trigger is not None
    assert by_handler.lease_until == clock() - timedelta(minutes=1) + timedelta(seconds=900)
    assert by_trigger.lease_until == clock() + timedelta(seconds=900)
    assert by_handler.claimed_by == by_trigger.claimed_by == "handler"


async def test_one_learner_that_cannot_be_planned_stops_no_one_else(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben, gus = ids["ben@example.com"], ids["gus@example.com"]
    async with loopback(coach) as (fake, dispatcher):
        clock.now = TUESDAY
        await dispatcher.tick()
        async with db.session() as session:  # schedules edited outside the settings form
            await session.exec(update(LearnerSettings).where(col(LearnerSettings.person_id) == ben)
                               .values(window_start="9am"))
            await session.exec(update(LearnerSettings).where(col(LearnerSettings.person_id) == gus)
                               .values(window_end="5pm", next_slot_at=None))  # and not enrolled yet
        clock.now = EUROPE_AT_WORK
        retry = await handed_back(coach, ids["omar@example.com"])
        report = await dispatcher.tick()
    sent = await all_deliveries(db)
    assert report.sent == 5 and retry in fake.per_delivery()  # Dana, Mia, Eli, Cara and Omar's retry
    assert not {ben, gus} & {d.person_id for d in sent} and {d.status for d in sent} == {"sent"}
    assert fake.per_delivery() == Counter({d.id: 1 for d in sent})
    async with db.session() as session:
        stuck = await session.get(LearnerSettings, gus)
    assert stuck is not None and stuck.next_slot_at == EUROPE_AT_WORK + timedelta(days=1)  # looked at tomorrow


async def test_a_lesson_answered_after_its_send_was_handed_back_is_not_sent_again(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben, cara = ids["ben@example.com"], ids["cara@example.com"]
    clock.now = EUROPE_AT_WORK
    timed_out = await handed_back(coach, ben)  # the post timed out but arrived; Ben answered it
    dead = Coach(db, coach.services.config, clock=clock, worker_id="dead-process")
    posted = (await dead.command(cara, "")).messages[0]  # posted, then the process died before `sent`
    assert isinstance(posted, LessonCard)
    for person, delivery_id in ((ben, timed_out), (cara, posted.delivery_id)):
        await coach.press(person, "answer", {"d": delivery_id, "o": 0}, via="slack")
    clock.advance(seconds=coach.services.config.dispatch_lease_seconds + 1)
    async with loopback(coach) as (fake, dispatcher):
        report = await dispatcher.tick()
    assert report.sent == 0 and fake.per_delivery() == Counter()
    answered = {d.id: d for d in await all_deliveries(db)}
    assert {answered[timed_out].status, answered[posted.delivery_id].status} == {"sent"}
    assert answered[timed_out].lease_until is None and answered[posted.delivery_id].lease_until is None


async def test_a_batch_is_prepared_in_the_same_number_of_queries_whatever_its_size(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    clock.now = EUROPE_AT_WORK
    cards = {}
    for email in ("ben@example.com", "cara@example.com", "dana@example.com", "eli@example.com", "fay@example.com"):
        card = (await coach.command(ids[email], "")).messages[0]
        assert isinstance(card, LessonCard)
        cards[card.delivery_id] = card
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    async with loopback(coach) as (_fake, dispatcher):
        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            one = await dispatcher.sender.prepare(list(cards)[:1])
            single = len(statements)
            statements.clear()
            every = await dispatcher.sender.prepare(list(cards))
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert len(statements) == single and len(one) == 1 and len(every) == len(cards)
    assert len({c.title for c in cards.values()}) > 1
    for out in every:  # the same card a handler shows
        assert out.reply.messages == [cards[out.delivery_id]]


class LeaseWatcher(LoopbackCourier):
    """Notes, as each lesson goes out, the lease its delivery is held with."""

    def __init__(self, base_url: str, database: Database) -> None:
        super().__init__(base_url)
        self.database = database
        self.leases: list[datetime] = []

    async def send(self, recipient: Recipient, reply: Reply) -> Sent:
        card = reply.messages[0]
        if isinstance(card, LessonCard):
            async with self.database.session() as session:
                delivery = await session.get(Delivery, card.delivery_id)
                assert delivery is not None and delivery.lease_until is not None
                self.leases.append(delivery.lease_until)
        return await super().send(recipient, reply)


async def test_a_tick_at_another_time_holds_its_claims_and_records_its_sends_on_the_wall_clock(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    await load_sample_org(db, tmp_path)
    fake = FakeSlack(users=sample_users())
    await fake.start()
    watcher = LeaseWatcher(fake.url, db)
    dispatcher = Dispatcher(coach.services, {"slack": watcher})
    try:
        clock.now = TUESDAY
        await dispatcher.tick()
        clock.now = TUESDAY + timedelta(days=1, hours=5)  # the wall clock: Wednesday morning, before any window
        report = await dispatcher.tick(at=EUROPE_AT_WORK)  # catching up on Tuesday afternoon
    finally:
        await watcher.close()
        await fake.stop()
    sent = await all_deliveries(db)
    assert report.sent == len(sent) == 5 and {d.slot for d in sent} == {"2026-12-01#1"}  # due as of Tuesday
    lease = timedelta(seconds=coach.services.config.dispatch_lease_seconds)
    assert len(watcher.leases) == 5 and all(until == clock() + lease for until in watcher.leases)
    assert {d.sent_at for d in sent} == {clock()}
