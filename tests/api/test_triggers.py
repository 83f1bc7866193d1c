"""`POST /api/triggers` over real HTTP: authentication, validation, each kind of trigger, defer and pause;
the lessons reach a loopback fake Slack through the dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import update
from sqlmodel import col

from bot.chat.coach import Coach
from bot.config import Settings
from bot.dispatch.dispatcher import Dispatcher
from handlers.api.triggers import TriggerAPI
from handlers.assembly import attach_platforms
from handlers.server import build_app
from store.db import Database
from store.models import Delivery, LearnerSettings, Lesson
from tests.conftest import Clock
from tests.support.dispatching import all_deliveries, loopback, serving
from tests.support.fake_slack import FakeSlack
from tests.support.org import load_sample_org
from tests.support.waiting import eventually

TOKEN = "trigger-secret-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
AT_WORK = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # Tuesday: 12:00 in Berlin
EVENING = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)  # 20:00 in Berlin


@dataclass
class Api:
    url: str
    fake: FakeSlack
    coach: Coach
    ids: dict[str, int]
    dispatcher: Dispatcher

    async def post(self, body: Any, headers: dict[str, str] | None = None, raw: bytes | None = None
                   ) -> tuple[int, dict[str, Any]]:
        async with aiohttp.ClientSession() as http, http.post(
                self.url + "/api/triggers", json=None if raw is not None else body, data=raw,
                headers=AUTH if headers is None else headers) as response:
            return response.status, await response.json()


@asynccontextmanager
async def trigger_api(db: Database, settings: Settings, clock: Clock, tmp_path: Path,
                      token: str | None = TOKEN) -> AsyncIterator[Api]:
    config = settings.model_copy(update={"trigger_token": SecretStr(token) if token else None})
    coach = Coach(db, config, clock=clock, worker_id="api-process")
    ids = await load_sample_org(db, tmp_path)
    async with loopback(coach) as (fake, dispatcher), serving(db, [TriggerAPI(coach, dispatcher).mount]) as url:
        yield Api(url, fake, coach, ids, dispatcher)


async def test_the_api_is_off_until_a_token_is_configured(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    async with trigger_api(db, settings, clock, tmp_path, token=None) as api:
        status, body = await api.post({"email": "ben@example.com", "lesson": "infosec-spot-phishing"})
    assert status == 503 and "COACH_TRIGGER_TOKEN" in body["error"]
    assert await all_deliveries(db) == []


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": TOKEN},
                                     {"Authorization": f"Basic {TOKEN}"}])
async def test_a_missing_or_wrong_token_is_refused(db: Database, settings: Settings, clock: Clock, tmp_path: Path,
                                                   headers: dict[str, str]) -> None:
    async with trigger_api(db, settings, clock, tmp_path) as api:
        status, body = await api.post({"email": "ben@example.com", "lesson": "infosec-spot-phishing"}, headers)
    assert status == 401 and "token" in body["error"]
    assert await all_deliveries(db) == []


async def test_malformed_bodies_get_422_and_change_nothing(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    bad: list[tuple[Any, str]] = [
        (b"{not json", "JSON"),
        (b"\xff\xfe", "JSON"),
        (["ben@example.com"], "object"),
        ({"lesson": "infosec-spot-phishing"}, "email"),
        ({"email": "ben@example.com"}, "exactly one"),
        ({"email": "ben@example.com", "lesson": "infosec-spot-phishing", "topic": "phishing"}, "exactly one"),
        ({"email": "ben@example.com", "topic": "   "}, "topic"),
        ({"email": "ben@example.com", "competency": 7}, "competency"),
        ({"email": "ben@example.com", "topic": "x" * 501}, "topic"),
        ({"email": "ben@example.com", "lesson": "infosec-spot-phishing", "reason": 5}, "reason"),
        ({"email": "ben@example.com", "lesson": "infosec-spot-phishing", "defer": "yes"}, "defer"),
    ]
    async with trigger_api(db, settings, clock, tmp_path) as api:
        for body, says in bad:
            raw = body if isinstance(body, bytes) else None
            status, answer = await api.post(body, raw=raw)
            assert (status, says in answer["error"]) == (422, True), (body, answer)
    assert await all_deliveries(db) == []


async def test_unknown_learners_and_content_get_404(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    async with trigger_api(db, settings, clock, tmp_path) as api:
        cases = [({"email": "nobody@example.com", "lesson": "infosec-spot-phishing"}, "org chart"),
                 ({"email": "ben@example.com", "lesson": "no-such-lesson"}, "no-such-lesson"),
                 ({"email": "ben@example.com", "competency": "juggling"}, "juggling"),
                 ({"email": "ben@example.com", "topic": "kubernetes pod autoscaling"}, "topic")]
        for body, says in cases:
            status, answer = await api.post(body)
            assert status == 404 and says in answer["error"], answer
        status, answer = await api.post({"email": "ben@example.com", "topic": "parental leave policy"})
    assert status == 404 and len(answer["closest"]) >= 1
    assert await all_deliveries(db) == []


async def test_a_trigger_is_delivered_at_once_with_its_reason_and_leaves_the_days_slot(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    clock.now = AT_WORK.replace(hour=0)
    async with trigger_api(db, settings, clock, tmp_path) as api:
        await api.dispatcher.tick()  # enrols everyone
        clock.now = AT_WORK
        status, body = await api.post({"email": "Ben@Example.com", "lesson": "procurement-no-po-no-pay",
                                       "reason": "You just opened a purchase request in Coupa."})
        assert status == 202 and body["status"] == "sending"
        delivery_id = body["delivery_id"]
        await eventually(lambda: api.fake.per_delivery()[delivery_id] == 1)
        posted = next(p for p in api.fake.posts if p.delivery_id == delivery_id)
        assert "You just opened a purchase request in Coupa." in posted.text
        clock.now = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)  # after Ben's slot, inside his window
        await api.dispatcher.tick()
    ben = [d for d in await all_deliveries(db) if d.person_id == api.ids["ben@example.com"]]
    assert [(d.origin, d.slot, d.status) for d in ben] == [("trigger", None, "sent"), ("scheduled", "2026-12-01#1",
                                                                                       "sent")]
    assert ben[0].lesson_id == "procurement-no-po-no-pay" and ben[0].reason is not None


async def test_a_stopping_server_finishes_the_sends_it_accepted_before_it_is_gone(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    """The server stops the moment the 202s are in: each accepted lesson is still posted once and recorded as
    sent, not cut off halfway nor left running after the server (and its Slack client) are gone."""
    clock.now = AT_WORK
    async with trigger_api(db, settings, clock, tmp_path) as api:
        answers = [await api.post({"email": email, "lesson": "infosec-spot-phishing"})
                   for email in ("ben@example.com", "eli@example.com")]
    assert [status for status, _ in answers] == [202, 202]
    ids = sorted(body["delivery_id"] for _, body in answers)
    assert api.fake.per_delivery() == {delivery_id: 1 for delivery_id in ids}
    assert [(d.id, d.status) for d in await all_deliveries(db)] == [(delivery_id, "sent") for delivery_id in ids]


async def test_competency_and_topic_triggers_pick_a_fitting_lesson(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    clock.now = AT_WORK
    async with trigger_api(db, settings, clock, tmp_path) as api:
        first = await api.post({"email": "cara@example.com", "competency": "privacy"})
        second = await api.post({"email": "cara@example.com", "topic": "someone followed me through the door"})
        assert first[0] == second[0] == 202
        await eventually(lambda: len(api.fake.per_delivery()) == 2)
    async with db.session() as session:
        by_competency = await session.get(Delivery, first[1]["delivery_id"])
        by_topic = await session.get(Delivery, second[1]["delivery_id"])
        assert by_competency is not None and by_topic is not None
        lesson = await session.get(Lesson, by_competency.lesson_id)
    assert lesson is not None and lesson.competency_id == "privacy"
    assert by_topic.lesson_id == "infosec-tailgating"


async def test_defer_holds_the_lesson_for_the_next_window(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    clock.now = EVENING
    async with trigger_api(db, settings, clock, tmp_path) as api:
        status, body = await api.post({"email": "ben@example.com", "lesson": "infosec-tailgating", "defer": True})
        assert status == 202 and body["status"] == "deferred"
        assert datetime.fromisoformat(body["due_at"]) == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 10:00 Berlin
        now_status, now_body = await api.post({"email": "ben@example.com", "lesson": "infosec-lost-device"})
        assert now_status == 202 and now_body["status"] == "sending"  # without defer: at once, even at 20:00
        await eventually(lambda: now_body["delivery_id"] in api.fake.per_delivery())
        assert body["delivery_id"] not in api.fake.per_delivery()
        async with loopback(api.coach) as (fake, dispatcher):
            await dispatcher.tick()
            assert body["delivery_id"] not in fake.per_delivery()
            clock.now = datetime(2026, 12, 2, 9, 1, tzinfo=UTC)
            await dispatcher.tick()
            assert fake.per_delivery()[body["delivery_id"]] == 1


async def test_only_time_away_that_is_not_over_holds_a_trigger(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    clock.now = EVENING
    async with trigger_api(db, settings, clock, tmp_path) as api:
        ben = api.ids["ben@example.com"]
        for last_day_off, status, due in ((date(2026, 11, 20), "sending", EVENING),  # last month's holiday
                                          (date(2026, 12, 1), "deferred", datetime(2026, 12, 2, 9, tzinfo=UTC)),
                                          (date(2026, 12, 3), "deferred", datetime(2026, 12, 4, 9, tzinfo=UTC))):
            async with db.session() as session:
                await session.exec(update(LearnerSettings).where(col(LearnerSettings.person_id) == ben)
                                   .values(away_until=last_day_off))
            answer = await api.post({"email": "ben@example.com", "lesson": "infosec-tailgating",
                                     "reason": f"away until {last_day_off}"})  # not identical: never merged
            assert answer[0] == 202 and (answer[1]["status"], answer[1]["due_at"]) == (status, due.isoformat())


async def test_a_paused_learners_trigger_waits_until_they_resume(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    clock.now = AT_WORK
    async with trigger_api(db, settings, clock, tmp_path) as api:
        ben = api.ids["ben@example.com"]
        await api.coach.command(ben, "pause")
        status, body = await api.post({"email": "ben@example.com", "lesson": "infosec-tailgating"})
        assert status == 202 and body["status"] == "held"
        async with loopback(api.coach) as (fake, dispatcher):
            for _ in range(2):
                clock.advance(hours=1)
                await dispatcher.tick()
            assert body["delivery_id"] not in fake.per_delivery()
            await api.coach.command(ben, "resume")
            await dispatcher.tick()
            assert fake.per_delivery()[body["delivery_id"]] == 1


async def test_the_api_is_mounted_by_the_composition_root(db: Database, settings: Settings) -> None:
    platforms = attach_platforms(Coach(db, settings), settings)
    routes = {resource.canonical for resource in build_app(db, platforms.mounts).router.resources()}
    assert "/api/triggers" in routes and platforms.dispatcher is not None
    assert timedelta(seconds=settings.dispatch_lease_seconds) == platforms.dispatcher.lease
