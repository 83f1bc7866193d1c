"""Learners whose time zone nobody gave, on SQLite and PostgreSQL: the Slack profile's zone is learned before
their first scheduled lesson (through the real Slack courier), and otherwise the organisation's default
(COACH_DEFAULT_TIMEZONE) applies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.chat.coach import Coach
from bot.config import Settings
from store.db import Database
from store.models import Person
from tests.conftest import Clock
from tests.support.dispatching import all_deliveries, every, loopback, through_slack
from tests.support.fake_slack import FakeSlack
from tests.support.org import load_sample_org

HEADER = "email,name,manager_email,role,timezone,slack_user_id,teams_user_id\n"
NO_ZONE = HEADER + "zed@example.com,Zed West,,buyer,,,\nyui@example.com,Yui East,,buyer,,UYUI,\n"
"""Zed is found in Slack by email; Yui's Slack id is in the org chart. Neither row has a zone."""


async def test_the_slack_profiles_zone_is_learned_before_the_first_scheduled_lesson(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path, NO_ZONE)
    fake = FakeSlack()
    fake.add_user("UZED", "zed@example.com", tz="America/Los_Angeles")
    fake.add_user("UYUI", "yui@example.com", tz="Asia/Tokyo")
    async with through_slack(db, settings, clock, fake, "zones") as dispatcher:
        for moment in every(datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 3, tzinfo=UTC), timedelta(hours=1)):
            clock.now = moment
            await dispatcher.tick()
    zones = {ids["zed@example.com"]: "America/Los_Angeles", ids["yui@example.com"]: "Asia/Tokyo"}
    sent = await all_deliveries(db)
    assert {d.person_id for d in sent} == set(zones) and {d.status for d in sent} == {"sent"}
    for delivery in sent:
        assert delivery.sent_at is not None
        local = delivery.sent_at.astimezone(ZoneInfo(zones[delivery.person_id]))
        assert 10 <= local.hour < 17 and delivery.slot == f"{local.date().isoformat()}#1", local
    async with db.session() as session:
        for person_id, zone in zones.items():
            person = await session.get(Person, person_id)
            assert person is not None and person.timezone == zone
    first_post = next(n for n, call in enumerate(fake.calls) if call.method == "chat.postMessage")
    looked_up = [n for n, call in enumerate(fake.calls) if call.method in ("users.lookupByEmail", "users.info")]
    assert len(looked_up) == 2 and max(looked_up) < first_post  # both zones known before anything was posted


async def test_the_organisations_default_zone_applies_when_nobody_gives_one(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path, HEADER + "yui@example.com,Yui East,,buyer,,UYUI,\n")
    config = settings.model_copy(update={"default_timezone": "America/New_York"})
    coach = Coach(db, config, clock=clock, worker_id="defaults")
    async with loopback(coach) as (_fake, dispatcher):  # a courier that cannot look zones up
        for moment in every(datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC), timedelta(hours=1)):
            clock.now = moment
            await dispatcher.tick()
    [delivery] = await all_deliveries(db)
    assert delivery.person_id == ids["yui@example.com"] and delivery.sent_at is not None
    local = delivery.sent_at.astimezone(ZoneInfo("America/New_York"))
    assert 10 <= local.hour < 17 and delivery.slot == "2026-12-01#1"


def test_a_default_zone_the_zone_database_does_not_know_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="COACH_DEFAULT_TIMEZONE: 'Europe/Berln' is not a time zone"):
        Settings(_env_file=None, default_timezone="Europe/Berln")  # type: ignore[call-arg]
