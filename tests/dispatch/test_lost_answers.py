"""A lesson post whose answer is lost — Slack stored it, but answered too late for the client, or the connection
closed after the request left — is found in the learner's DM by the delivery its Slack message metadata names,
and recorded as sent rather than posted again, within the tick or in a later one; an app without `im:history`
posts it again, as before. Through the real Slack courier and a fake Slack that stores a post before it
answers, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import col

from bot.config import Settings
from store.db import Database
from store.models import Delivery, LearnerSettings
from tests.conftest import Clock
from tests.support.dispatching import all_deliveries, sample_users, through_slack
from tests.support.fake_slack import LOST, FakeSlack
from tests.support.org import load_sample_org

TUESDAY = datetime(2026, 12, 1, 12, tzinfo=UTC)
TIMEOUT = 2.0
"""COACH_SLACK_TIMEOUT_SECONDS in these tests: the client gives up on an answer after this long."""
LATE = 6.0
"""Seconds the fake holds a stored post's answer: well past the client's timeout."""


async def _due(db: Database, tmp_path: Path, *emails: str) -> dict[str, int]:
    """The sample org, welcomed before (so that only lessons are posted); `emails` (everyone when none is
    named) due now in an open window."""
    ids = await load_sample_org(db, tmp_path)
    due = [ids[e] for e in emails] if emails else list(ids.values())
    async with db.session() as session:
        await session.exec(update(LearnerSettings).values(
            days="1234567", window_start="00:00", window_end="23:59", timezone="UTC",
            next_slot_at=TUESDAY + timedelta(days=30), welcomed_at=TUESDAY - timedelta(days=1)))
        await session.exec(update(LearnerSettings).where(col(LearnerSettings.person_id).in_(due)).values(
            next_slot_at=TUESDAY - timedelta(minutes=1)))
    return ids


def _landed(fake: FakeSlack, delivery: Delivery) -> bool:
    """The delivery's recorded message is one the learner's DM holds."""
    ref = delivery.message_ref or {}
    return any(m["ts"] == ref.get("ts") for m in fake.messages(str(ref.get("channel"))))


async def test_posts_answered_after_the_client_gave_up_are_found_not_posted_again(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    ids = await _due(db, tmp_path)
    fake = FakeSlack(users=sample_users(), answer_late=LATE)
    clock.now = TUESDAY
    async with through_slack(db, settings, clock, fake, "lost-answers", slack_timeout_seconds=TIMEOUT) as dispatcher:
        report = await dispatcher.tick()
    sent = await all_deliveries(db)
    assert len(sent) == report.sent == len(ids) and {d.status for d in sent} == {"sent"}
    assert fake.per_delivery() == Counter({d.id: 1 for d in sent})  # without the lookup: three copies each
    assert all(_landed(fake, d) for d in sent)
    assert len(fake.attempts("conversations.history")) >= len(ids)  # each was looked for, not trusted blindly


async def test_a_connection_dropped_after_the_post_arrived_is_looked_up_too(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    ids = await _due(db, tmp_path)
    fake = FakeSlack(users=sample_users())
    fake.fail("chat.postMessage", LOST, every=2)  # every other post is stored, and its answer never comes
    clock.now = TUESDAY
    async with through_slack(db, settings, clock, fake, "lost-answers") as dispatcher:
        report = await dispatcher.tick()
    sent = await all_deliveries(db)
    assert len(sent) == report.sent == len(ids) and {d.status for d in sent} == {"sent"}
    assert fake.per_delivery() == Counter({d.id: 1 for d in sent})  # slack_sdk alone would post those again
    assert all(_landed(fake, d) for d in sent)


async def test_a_lost_answer_handed_back_is_looked_for_in_a_later_tick(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    await _due(db, tmp_path, "ben@example.com")
    fake = FakeSlack(users=sample_users())
    fake.fail("chat.postMessage", LOST, times=1)
    fake.fail("conversations.history", 503, times=1000)  # Slack cannot say for now: nothing is posted blind
    clock.now = TUESDAY
    async with through_slack(db, settings, clock, fake, "lost-answers") as dispatcher:
        first = await dispatcher.tick()
        [delivery] = await all_deliveries(db)
        assert first.deferred == 1 and delivery.status == "pending"
        assert delivery.message_ref is not None and delivery.message_ref["unsure_since"] > 0
        assert len(fake.attempts("chat.postMessage")) == 1
        fake.faults.clear()  # Slack answers again
        clock.advance(hours=1)
        later = await dispatcher.tick()
    [delivery] = await all_deliveries(db)
    assert later.sent == 1 and delivery.status == "sent" and _landed(fake, delivery)
    assert fake.per_delivery() == Counter({delivery.id: 1})
    assert len(fake.attempts("chat.postMessage")) == 1  # found, never posted again


async def test_without_im_history_a_lost_answer_is_posted_again(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    await _due(db, tmp_path, "ben@example.com")
    fake = FakeSlack(users=sample_users(), history_scope=False)
    fake.fail("chat.postMessage", LOST, times=1)
    clock.now = TUESDAY
    async with through_slack(db, settings, clock, fake, "lost-answers") as dispatcher:
        report = await dispatcher.tick()
    [delivery] = await all_deliveries(db)
    assert report.sent == 1 and delivery.status == "sent" and _landed(fake, delivery)
    assert fake.per_delivery() == Counter({delivery.id: 2})  # the learner sees it twice: nothing is lost
    assert [c.status for c in fake.attempts("conversations.history")] == [400]
