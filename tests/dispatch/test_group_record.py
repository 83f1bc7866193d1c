"""Recording a group of sends in one statement: only the claims still ours change, each with its own values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import col, select

from store import deliveries
from store.db import Database
from store.deliveries import Claim, SentRecord
from store.models import Delivery, Lesson
from tests.support.org import load_sample_org

NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=1)


async def _claimed(db: Database, person_id: int, worker: str, count: int) -> list[int]:
    """`count` deliveries of the person, created claimed by `worker`."""
    async with db.session() as session:
        lesson = (await session.exec(select(Lesson).order_by(col(Lesson.id)))).first()
        assert lesson is not None and lesson.current_version_id is not None
        made = [await deliveries.create_delivery(
            session, person_id=person_id, lesson_id=lesson.id, version_id=lesson.current_version_id,
            question_id=None, kind="lesson", origin="trigger", now=EARLIER, claim=Claim(worker, timedelta(hours=2)))
            for _ in range(count)]
        return [d.id for d in made if d.id is not None]


async def test_a_group_marks_only_its_own_claims_each_with_its_own_message_and_reminder(
        db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    person = ids["ben@example.com"]
    mine = await _claimed(db, person, "me", 4)
    theirs = await _claimed(db, person, "other", 1)
    async with db.session() as session:  # one of mine was reminded-to-be already: a None keeps that time
        await deliveries.mark_many_sent(session, "me", [SentRecord(mine[3], "teams", {"id": "old"}, EARLIER)], EARLIER)
    records = [SentRecord(mine[0], "slack", {"channel": "D1", "ts": "1.0"}, NOW + timedelta(hours=3)),
               SentRecord(mine[1], "teams", {"activity": "a-2"}, None),
               SentRecord(mine[2], "slack", None, NOW + timedelta(hours=4)),
               SentRecord(theirs[0], "slack", {"channel": "D9", "ts": "9.0"}, NOW),
               SentRecord(mine[3], "slack", {"channel": "D4", "ts": "4.0"}, None)]
    async with db.session() as session:
        ours = await deliveries.mark_many_sent(session, "me", records, NOW)
    assert ours == set(mine[:3])  # the other worker's claim, and one already sent, are not ours
    async with db.session() as session:
        rows = {d.id: d for d in (await session.exec(select(Delivery))).all()}
    first, second, third = rows[mine[0]], rows[mine[1]], rows[mine[2]]
    assert (first.status, first.platform, first.message_ref) == ("sent", "slack", {"channel": "D1", "ts": "1.0"})
    assert first.remind_at == NOW + timedelta(hours=3) and first.sent_at == NOW and first.lease_until is None
    assert (second.platform, second.message_ref, second.remind_at) == ("teams", {"activity": "a-2"}, None)
    assert third.remind_at == NOW + timedelta(hours=4) and third.attempts == 1
    other = rows[theirs[0]]
    assert (other.status, other.claimed_by, other.message_ref, other.sent_at) == ("sending", "other", None, None)
    done = rows[mine[3]]  # recorded earlier: untouched by the second group
    assert (done.platform, done.message_ref, done.remind_at, done.sent_at) == ("teams", {"id": "old"}, EARLIER,
                                                                                EARLIER)


async def test_groups_of_every_size_reuse_their_statement_and_stay_correct(db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    mine = await _claimed(db, ids["cara@example.com"], "me", 9)
    for group in (mine[:2], mine[2:4], mine[4:9]):  # size 2 twice: its statement comes from the cache
        async with db.session() as session:
            ours = await deliveries.mark_many_sent(
                session, "me", [SentRecord(i, "slack", {"channel": "D", "ts": str(i)}, None) for i in group], NOW)
        assert ours == set(group)
    async with db.session() as session:
        sent = (await session.exec(select(Delivery).where(col(Delivery.id).in_(mine)))).all()
    assert {d.id: d.message_ref for d in sent} == {i: {"channel": "D", "ts": str(i)} for i in mine}
    assert all(d.status == "sent" and d.attempts == 1 for d in sent)
