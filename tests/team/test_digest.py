"""The weekly team digest: Monday morning in each manager's own time zone, only for those who opted in, once
a week however often the dispatcher ticks, and again on the next tick when a send failed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.chat.coach import Coach
from bot.dispatch.digest import digest_week, maybe_monday_somewhere, send_due_digests
from bot.dispatch.sender import Outcome
from bot.replies import LessonCard
from store.db import Database
from tests.conftest import Clock
from tests.support.dispatching import loopback
from tests.support.learner import answer
from tests.support.org import load_sample_org

MONDAY = datetime(2026, 12, 7, tzinfo=UTC)


@pytest.mark.parametrize(("utc", "zone", "week"), [
    ("2026-12-07T08:30", "Europe/Berlin", "2026-W50"),      # 09:30 on Monday
    ("2026-12-07T07:59", "Europe/Berlin", None),            # 08:59: too early
    ("2026-12-07T11:00", "Europe/Berlin", None),            # noon: the morning is over
    ("2026-12-08T08:30", "Europe/Berlin", None),            # Tuesday
    ("2026-12-06T19:00", "Pacific/Kiritimati", "2026-W50"),  # UTC+14: Monday 09:00 is Sunday evening in UTC
    ("2026-12-07T21:30", "Pacific/Pago_Pago", "2026-W50"),  # UTC-11: Monday 10:30 is Monday night in UTC
    ("2026-12-28T09:00", "UTC", "2026-W53"),                # ISO weeks across the year's end
    ("2027-01-04T09:00", "UTC", "2027-W01"),
])
def test_the_digest_is_due_on_monday_morning_locally(utc: str, zone: str, week: str | None) -> None:
    now = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert digest_week(now, zone) == week
    if week is not None:
        assert maybe_monday_somewhere(now), "the quick check never skips a due digest"


def test_no_query_outside_mondays() -> None:
    assert not maybe_monday_somewhere(datetime(2026, 12, 9, 12, tzinfo=UTC))
    assert not maybe_monday_somewhere(datetime(2026, 12, 6, 18, 59, tzinfo=UTC))
    assert not maybe_monday_somewhere(datetime(2026, 12, 8, 0, 0, tzinfo=UTC))


async def test_digests_go_once_to_managers_who_opted_in(coach: Coach, db: Database, clock: Clock,
                                                        tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    for email in ("mia@example.com", "omar@example.com"):
        await coach.save_settings(ids[email], {"digest_opt_in": True})
    clock.now = MONDAY.replace(month=11, day=26, hour=10)  # over a week before: a gap shown by wrong answers
    ben = ids["ben@example.com"]
    for _ in range(2):
        await answer(coach, ben, (await coach.command(ben, "phishing")).messages[0], False)
    async with loopback(coach, limit_every=1, retry_after=1) as (fake, dispatcher):
        clock.now = MONDAY.replace(hour=8, minute=30)  # 09:30 in Berlin, 03:30 in New York
        assert (await dispatcher.tick()).digests == 0, "Slack said later (429, Retry-After: 1): nothing sent"
        fake.limit_every = 0
        card = (await coach.command(ids["ben@example.com"], "")).messages[0]
        assert isinstance(card, LessonCard)
        assert await dispatcher.send_now(card.delivery_id) is Outcome.SENT
        assert fake.posts[0].at - fake.limited_at[-1] >= 0.95, "a lesson to the same workspace waited as well"
        assert await send_due_digests(dispatcher.sender, clock.now) == 1, "the next tick tries again"
        assert await send_due_digests(dispatcher.sender, clock.now) == 0, "once a week"
        digests = [p for p in fake.posts if "Your weekly team digest" in p.text]
        assert len(digests) == 1
        assert "by 0 of 3 people" in digests[0].text and "Biggest gaps" in digests[0].text

        clock.now = MONDAY.replace(hour=14, minute=5)  # 09:05 in New York
        report = await dispatcher.tick()
        assert report.digests == 1, "the dispatcher's tick sends the digests that are due"
        digests = [p for p in fake.posts if "Your weekly team digest" in p.text]
        assert len(digests) == 2
        clock.now = MONDAY.replace(day=8, hour=8, minute=30)
        assert await send_due_digests(dispatcher.sender, clock.now) == 0, "not on Tuesday"
    assert all("Dana" not in p.text for p in digests)
