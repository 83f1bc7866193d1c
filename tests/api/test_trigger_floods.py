"""`POST /api/triggers` against an integration bug, over real HTTP on SQLite and PostgreSQL: a flood of identical
triggers makes one lesson (also across two server processes' worth of API on one database), an idempotency key
(header or `"id"`) makes one lesson ever, and a learner's day holds at most COACH_TRIGGER_DAILY_CAP trigger
lessons (then 429 with Retry-After) — while their own `/learn` is never capped."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlmodel import select

from bot.config import Settings
from bot.replies import LessonCard
from store.db import Database
from store.models import Delivery
from tests.api.test_triggers import AT_WORK, AUTH, Api, trigger_api
from tests.conftest import Clock
from tests.support.dispatching import all_deliveries
from tests.support.waiting import eventually

FLOOD = 150
LESSONS = ("infosec-spot-phishing", "procurement-no-po-no-pay", "infosec-tailgating", "career-own-your-growth")


async def post(api: Api, body: dict[str, Any], headers: dict[str, str] | None = None
               ) -> tuple[int, dict[str, Any], dict[str, str]]:
    async with aiohttp.ClientSession() as http, http.post(api.url + "/api/triggers", json=body,
                                                          headers=AUTH | (headers or {})) as response:
        return response.status, await response.json(), dict(response.headers)


async def triggers_of(db: Database) -> list[Delivery]:
    async with db.session() as session:
        return list((await session.exec(select(Delivery).where(Delivery.origin == "trigger"))).all())


async def test_a_flood_of_identical_triggers_on_two_servers_makes_one_lesson(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    clock.now = AT_WORK
    body = {"email": "ben@example.com", "lesson": "infosec-spot-phishing", "reason": "You clicked a link."}
    async with trigger_api(db, settings, clock, tmp_path) as one, trigger_api(db, settings, clock, tmp_path) as two:
        answers = await asyncio.gather(*(post(one if n % 2 else two, body) for n in range(FLOOD)))
        await eventually(lambda: bool(one.fake.per_delivery() + two.fake.per_delivery()), what="the lesson's post")
    posts = one.fake.per_delivery() + two.fake.per_delivery()  # every send the two servers began has ended
    assert {status for status, _, _ in answers} == {202}
    assert len({answer["delivery_id"] for _, answer, _ in answers}) == 1
    assert sum(1 for _, answer, _ in answers if answer.get("deduplicated")) == FLOOD - 1
    [delivery] = await triggers_of(db)
    assert posts == {delivery.id: 1}


async def test_an_idempotency_key_makes_one_lesson_ever_and_merging_ends_after_the_window(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    clock.now = AT_WORK
    async with trigger_api(db, settings, clock, tmp_path) as api:
        first = await post(api, {"email": "cara@example.com", "lesson": LESSONS[0]}, {"Idempotency-Key": "evt-1"})
        again = await post(api, {"email": "cara@example.com", "lesson": LESSONS[1], "id": "evt-1"})
        clock.advance(minutes=settings.trigger_merge_minutes + 1)
        later = await post(api, {"email": "cara@example.com", "lesson": LESSONS[2]}, {"Idempotency-Key": "evt-1"})
        clash = await post(api, {"email": "cara@example.com", "lesson": LESSONS[2], "id": "a"},
                           {"Idempotency-Key": "b"})
        same = await post(api, {"email": "cara@example.com", "lesson": LESSONS[0]})  # past the window: anew
        await eventually(lambda: len(api.fake.per_delivery()) == 2)
    assert first[0] == 202 and "deduplicated" not in first[1]
    for answer in (again, later):
        assert answer[0] == 202 and answer[1]["deduplicated"] is True
        assert answer[1]["delivery_id"] == first[1]["delivery_id"]
    assert clash[0] == 422 and "differ" in clash[1]["error"]
    assert same[0] == 202 and "deduplicated" not in same[1]
    assert len(await triggers_of(db)) == 2


async def test_a_learners_day_holds_the_capped_number_of_trigger_lessons_but_learn_is_never_capped(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    clock.now = AT_WORK  # 12:00 in Berlin, Ben's zone: the day ends in 12 hours
    capped = settings.model_copy(update={"trigger_daily_cap": 3})
    async with trigger_api(db, capped, clock, tmp_path) as api:
        taken = [await post(api, {"email": "ben@example.com", "lesson": lesson}) for lesson in LESSONS[:3]]
        status, refused, headers = await post(api, {"email": "ben@example.com", "lesson": LESSONS[3]})
        others = await post(api, {"email": "eli@example.com", "lesson": LESSONS[3]})  # a cap per learner
        ben = api.ids["ben@example.com"]
        own = [await api.coach.command(ben, "") for _ in range(4)]  # /learn, as much as he likes
        clock.now = datetime(2026, 12, 1, 23, 0, 1, tzinfo=UTC)  # just after midnight in Berlin
        tomorrow = await post(api, {"email": "ben@example.com", "lesson": LESSONS[3]})
    assert [t[0] for t in taken] == [202, 202, 202]
    assert status == 429 and headers["Retry-After"] == str(12 * 3600) == str(refused["retry_after"])
    assert "COACH_TRIGGER_DAILY_CAP" in refused["error"]
    assert others[0] == 202 and tomorrow[0] == 202
    assert all(isinstance(reply.messages[0], LessonCard) for reply in own)
    deliveries = [d for d in await all_deliveries(db) if d.person_id == ben]
    assert sorted(d.origin for d in deliveries) == ["on_demand"] * 4 + ["trigger"] * 4


def test_the_limits_are_configured_from_the_environment(monkeypatch: Any) -> None:
    monkeypatch.setenv("COACH_TRIGGER_DAILY_CAP", "25")
    monkeypatch.setenv("COACH_TRIGGER_MERGE_MINUTES", "2.5")
    config = Settings(_env_file=None)
    assert (config.trigger_daily_cap, config.trigger_merge_minutes) == (25, 2.5)
    assert timedelta(minutes=config.trigger_merge_minutes) == timedelta(seconds=150)
