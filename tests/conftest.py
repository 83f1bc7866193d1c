"""Shared fixtures: every store-touching test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.chat.coach import Coach
from bot.config import Settings
from store.db import Database
from tests.support.databases import Templates, pg_available
from tests.support.testbot import TestPlatform

PG_REQUIRED = os.environ.get("COACH_TEST_REQUIRE_PG") == "1"
_PG_UP = pg_available()


def pytest_report_header(config: pytest.Config) -> str:
    if _PG_UP:
        return "PostgreSQL: reachable — store tests run on SQLite and PostgreSQL"
    return "PostgreSQL: NOT reachable — PostgreSQL variants of the store tests are SKIPPED"


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Templates]]:
    workdir = tmp_path_factory.mktemp("databases")
    made = {"sqlite": Templates("sqlite", workdir), "postgresql": Templates("postgresql", workdir)}
    yield made
    for template in made.values():
        template.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not _PG_UP:
        if PG_REQUIRED:
            pytest.fail("PostgreSQL is required (COACH_TEST_REQUIRE_PG=1) but 127.0.0.1:5432 does not answer")
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    return request.param


def _url(templates: dict[str, Templates], backend: str, with_starter: bool) -> Iterator[str]:
    url = templates[backend].clone(with_starter)
    yield url
    templates[backend].drop(url)


@pytest.fixture
def db_url(templates: dict[str, Templates], backend: str) -> Iterator[str]:
    """A fresh database with the starter pack imported."""
    yield from _url(templates, backend, True)


@pytest.fixture
def empty_db_url(templates: dict[str, Templates], backend: str) -> Iterator[str]:
    """A fresh database with the schema only."""
    yield from _url(templates, backend, False)


async def _open(url: str) -> Database:
    database = Database(url)
    await database.ensure_schema()
    return database


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = await _open(db_url)
    yield database
    await database.dispose()


@pytest.fixture
async def empty_db(empty_db_url: str) -> AsyncIterator[Database]:
    database = await _open(empty_db_url)
    yield database
    await database.dispose()


class Clock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # a Tuesday


FAST_SLACK = {"slack_posts_per_minute": 1200.0, "slack_tier3_per_minute": 6000.0, "slack_tier4_per_minute": 6000.0}
"""Slack's paces in tests: fast enough that no test waits for them on the wall clock (tests/dispatch/
test_rollout_pace.py checks the paces themselves, on simulated time)."""


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(_env_file=None, database_url=db_url, **FAST_SLACK)


@pytest.fixture
async def coach(db: Database, settings: Settings, clock: Clock) -> Coach:
    return Coach(db, settings, clock=clock, worker_id="test-worker")


@pytest.fixture
def testbot(coach: Coach) -> TestPlatform:
    """The coach behind the in-process test platform: `testbot.person(id).say("learn")`."""
    return TestPlatform(coach)
