"""Scheduled and triggered lessons reaching Teams through the real paths: a dispatcher tick, `coach dispatch`
in a process of its own, and `POST /api/triggers` — with the connector throttling on the way."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlmodel import select

from bot.config import Settings
from bot.dispatch.dispatcher import Dispatcher
from store.db import Database
from store.models import Delivery
from tests.conftest import Clock
from tests.support.dispatching import SimulatedTime
from tests.support.fake_connector import FakeConnector, TeamsBot, connector, teams, teams_bot
from tests.support.teams_calls import Call, submits
from tests.support.waiting import PATIENCE, eventually

__all__ = ["connector", "teams"]  # fixtures

NIGHT = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # the tick that plans the day
AFTERNOON = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)  # inside Ben's window (10:00-17:00 Berlin)


async def _bens(db: Database, person_id: int) -> list[Delivery]:
    async with db.session() as session:
        return list((await session.exec(select(Delivery).where(Delivery.person_id == person_id)
                                        .order_by(Delivery.id))).all())  # type: ignore[arg-type]


def _lesson(calls: list[Call]) -> Call:
    [lesson] = [c for c in calls if any(b["data"]["action"] == "answer" for b in submits(c))]
    return lesson


async def test_a_dispatcher_tick_sends_through_throttling_and_defers_a_long_pause(teams: TeamsBot,
                                                                                  clock: Clock) -> None:
    ben = teams.user("29:ben", "Ben Buyer")
    await ben.install()
    ben_id = teams.ids["ben@example.com"]
    dispatcher = teams.platforms.dispatcher
    assert dispatcher is not None
    clock.now = NIGHT
    await dispatcher.tick()

    clock.now = AFTERNOON
    mark = len(teams.connector.calls)
    teams.connector.fail(429, times=1, retry_after="0")
    report = await dispatcher.tick()
    assert report.sent == 1 and report.deferred == 0
    assert [c.status for c in teams.connector.attempts(ben.conversation, after=mark)] == [429, 200]
    lesson = _lesson(teams.connector.sent(ben.conversation, after=mark))
    [sent] = [d for d in await _bens(teams.db, ben_id) if d.status == "sent"]
    assert sent.platform == "teams" and sent.message_ref == {"activity_id": lesson.answer_id,
                                                             "conversation_id": ben.conversation}

    clock.advance(days=1)  # the next day's lesson, with Teams asking for a two-minute pause
    teams.connector.fail(429, times=50, retry_after="120")
    mark = len(teams.connector.calls)
    report = await dispatcher.tick()
    assert report.sent == 0 and report.deferred == 1
    assert [c.status for c in teams.connector.attempts(ben.conversation, after=mark)] == [429]
    [waiting] = [d for d in await _bens(teams.db, ben_id) if d.status != "sent"]
    assert waiting.due_at >= clock.now + timedelta(seconds=120) and waiting.claimed_by is None

    teams.connector.clear_failures()
    # another process: the tenant's hold is shared through the database; its waits pass at once (SimulatedTime)
    later = Dispatcher(teams.coach.services, teams.platforms.couriers, teams.coach.services.config,
                       timer=SimulatedTime(datetime.now(UTC)))
    clock.advance(minutes=1)
    assert (await later.tick()).sent == 0  # the pause Teams asked for is honoured
    clock.advance(minutes=2)
    mark = len(teams.connector.calls)
    assert (await later.tick()).sent == 1
    lesson = _lesson(teams.connector.sent(ben.conversation, after=mark))
    assert [d.status for d in await _bens(teams.db, ben_id)] == ["sent", "sent"]
    _, [result] = await ben.press(lesson, submits(lesson)[0]["data"])  # and it can be answered
    assert "Right!" in result.text or "Not quite" in result.text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the path; claims are tested on both elsewhere
async def test_coach_dispatch_in_its_own_process_reaches_teams(teams: TeamsBot, db_url: str, tmp_path: Path) -> None:
    ben = teams.user("29:ben", "Ben Buyer")
    await ben.install()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "COACH_"))}
    env.update(COACH_DATABASE_URL=db_url, COACH_TEAMS="1")

    async def dispatch(at: datetime) -> tuple[dict, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "from handlers.cli import main; main()", "dispatch", "--at", at.isoformat(), "--json",
            env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), PATIENCE)
        assert process.returncode == 0, err.decode()
        return json.loads(out), err.decode()

    await dispatch(NIGHT)
    mark = len(teams.connector.calls)
    report, log = await dispatch(AFTERNOON)
    assert report["sent"] == 1 and report["failed"] == 0
    lesson = _lesson(teams.connector.sent(ben.conversation, after=mark))
    assert "WITHOUT authentication" not in log  # no endpoint is served here
    async with teams.db.session() as session:
        [delivery] = (await session.exec(select(Delivery).where(Delivery.status == "sent"))).all()
    assert delivery.message_ref == {"activity_id": lesson.answer_id, "conversation_id": ben.conversation}


async def test_a_trigger_reaches_a_teams_learner_at_once(db: Database, settings: Settings, clock: Clock,
                                                         connector: FakeConnector, tmp_path: Path) -> None:
    async with teams_bot(db, settings, clock, connector, tmp_path, trigger_token=SecretStr("s3cret")) as teams:
        ben = teams.user("29:ben", "Ben Buyer")
        await ben.install()
        mark = len(teams.connector.calls)
        body = {"email": "ben@example.com", "topic": "purchase order", "reason": "You just opened a purchase order"}
        async with teams.http.post(teams.url + "/api/triggers", json=body,
                                   headers={"Authorization": "Bearer s3cret"}) as response:
            assert response.status == 202
            delivery_id = (await response.json())["delivery_id"]
        await eventually(lambda: bool(teams.connector.sent(ben.conversation, after=mark)), what="the lesson's post")
        lesson = _lesson(teams.connector.sent(ben.conversation, after=mark))
        assert "You just opened a purchase order" in lesson.text
        assert all(b["data"]["value"]["d"] == delivery_id for b in submits(lesson))

        async def recorded() -> Delivery | None:
            async with teams.db.session() as session:
                return await session.get(Delivery, delivery_id)

        async def sent() -> bool:
            delivery = await recorded()
            return delivery is not None and delivery.status == "sent"

        await eventually(sent, what="the send's commit")  # recorded once the send is committed
        delivery = await recorded()
        assert delivery is not None and delivery.status == "sent" and delivery.platform == "teams"
