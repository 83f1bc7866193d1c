"""xAPI 1.0.3 records: statements valid against the spec's required fields and the same on every export; sent
to a real LRS (Ralph on loopback) in batches, each once, conflicts and outages handled."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import delete
from sqlmodel import select
from typer.testing import CliRunner

from bot.chat.coach import Coach
from bot.config import Settings
from bot.records.lrs import LrsClient, LrsError, send_new_statements
from bot.records.xapi import VERBS, problems
from handlers.cli import app
from store.db import Database
from store.models import Answer, Badge, LrsCursor, Person
from tests.conftest import Clock
from tests.support.learner import answer, next_card
from tests.support.lrs import PASSWORD, USER, Lrs, running_lrs
from tests.support.org import load_sample_org

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lrs]:
    with running_lrs(tmp_path_factory.mktemp("lrs")) as running:
        yield running


async def learn(coach: Coach, db: Database, tmp_path: Path, clock: Clock) -> dict[str, int]:
    """Ben and Cara answer a few lessons (right and wrong), Eli writes a reflection; levels are reached."""
    ids = await load_sample_org(db, tmp_path)
    for email, pattern in (("ben@example.com", [True, True, False, True]), ("cara@example.com", [True, True])):
        for right in pattern:
            await answer(coach, ids[email], await next_card(coach, ids[email]), right)
            clock.advance(minutes=5)
    reflection = (await coach.press(ids["eli@example.com"], "lesson", {"l": "feedback-reflect-on-your-feedback"},
                                    via="test")).messages[0]
    await coach.reflect(ids["eli@example.com"], reflection.delivery_id, "Private thoughts on feedback", via="test")
    return ids


async def export(db_url: str, tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """`coach export xapi --out FILE`, run as a person would (in a thread: the CLI runs its own event loop)."""
    monkeypatch.setenv("COACH_DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / name
    result = await asyncio.to_thread(CliRunner().invoke, app, ["export", "xapi", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in out.read_text().splitlines()]


@SQLITE
async def test_statements_are_valid_complete_and_stable(coach: Coach, db: Database, db_url: str, clock: Clock,
                                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    await learn(coach, db, tmp_path, clock)
    first = await export(db_url, tmp_path, "one.jsonl", monkeypatch)
    again = await export(db_url, tmp_path, "two.jsonl", monkeypatch)
    assert first == again, "a re-export is the same statements, ids included"
    assert all(problems(s) == [] for s in first)
    assert len({s["id"] for s in first}) == len(first)
    assert all(uuid.UUID(s["id"]).version == 5 for s in first)

    async with db.session() as session:
        answers = (await session.exec(select(Answer))).all()
        levels = (await session.exec(select(Badge).where(Badge.kind == "level_up"))).all()
    by_verb: dict[str, list[dict[str, Any]]] = {}
    for statement in first:
        by_verb.setdefault(statement["verb"]["id"], []).append(statement)
    answered = by_verb[VERBS["answered"]]
    assert len(answered) == len(answers) == 7
    graded = [s for s in answered if "success" in s["result"]]
    assert sorted(s["result"]["success"] for s in graded) == sorted(bool(a.correct) for a in answers
                                                                    if a.correct is not None)
    for statement in graded:
        definition = statement["object"]["definition"]
        assert statement["result"]["response"] in [c["id"] for c in definition["choices"]]
        assert definition["interactionType"] == "choice" and definition["correctResponsesPattern"]
    [reflection] = [s for s in answered if "success" not in s["result"]]
    assert "Private thoughts" not in json.dumps(first), "a reflection's text never leaves the coach"
    assert reflection["result"] == {"completion": True}
    assert len(by_verb[VERBS["mastered"]]) == len(levels) > 0
    assert by_verb[VERBS["experienced"]], "lessons read"
    assert {s["actor"]["mbox"] for s in first} >= {"mailto:ben@example.com", "mailto:cara@example.com"}


@pytest.mark.parametrize("broken", [
    {"id": "not-a-uuid"},
    {"actor": {"name": "No identifier"}},
    {"actor": {"mbox": "ben@example.com"}},
    {"actor": {"mbox": "mailto:a@x.com", "account": {"homePage": "https://x", "name": "a"}}},
    {"verb": {"id": "answered", "display": {"en-US": "answered"}}},
    {"verb": {"id": VERBS["answered"], "display": "answered"}},
    {"object": {"objectType": "Activity", "id": "no scheme"}},
    {"timestamp": "2026-12-01 09:00"},
    {"result": {"success": "yes"}},
    {"result": {"response": 2}},
    {"unknown": 1},
])
def test_the_validator_names_what_the_spec_forbids(broken: dict[str, Any]) -> None:
    statement = {
        "id": str(uuid.uuid4()), "actor": {"objectType": "Agent", "mbox": "mailto:a@example.com"},
        "verb": {"id": VERBS["answered"], "display": {"en-US": "answered"}},
        "object": {"objectType": "Activity", "id": "https://example.com/q/1"},
        "timestamp": "2026-12-01T09:00:00+00:00", "result": {"success": True, "response": "a"},
    }
    assert problems(statement) == []
    assert problems({**statement, **broken})


@SQLITE
async def test_the_lrs_gets_each_statement_once(coach: Coach, db: Database, clock: Clock, tmp_path: Path,
                                                 lrs: Lrs) -> None:
    ids = await learn(coach, db, tmp_path, clock)
    config = Settings(_env_file=None, database_url=db.url, lrs_url=lrs.url, lrs_username=USER,
                      lrs_password=PASSWORD, lrs_batch=3, xapi_base=f"https://coach.test/{uuid.uuid4().hex}")
    later = clock.now + timedelta(hours=1)
    report = await send_new_statements(db, config, later)
    stored = {s["id"]: s for s in lrs.statements() if s["object"]["id"].startswith(config.xapi_base)}
    assert report.sent == len(stored) > 0 and report.batches > 1 and report.conflicts == 0
    assert all(problems({k: v for k, v in s.items() if k not in ("stored", "authority")}) == []
               for s in stored.values())
    assert (await send_new_statements(db, config, later)).sent == 0, "the cursor remembers what was sent"

    await answer(coach, ids["ben@example.com"], await next_card(coach, ids["ben@example.com"]), True)
    assert await send_new_statements(db, config, clock.now) == type(report)(), "too young: it waits"
    newer = await send_new_statements(db, config, clock.now + timedelta(hours=1))
    assert newer.sent >= 1
    total = len([s for s in lrs.statements() if s["object"]["id"].startswith(config.xapi_base)])
    assert total == len(stored) + newer.sent

    async with db.session() as session:  # a lost cursor: everything again, and the LRS keeps one of each
        await session.exec(delete(LrsCursor))
        ben = await session.get(Person, ids["ben@example.com"])
        assert ben is not None
        ben.name = "Benjamin Buyer"  # his statements now differ from the stored ones under the same ids
        session.add(ben)
    resent = await send_new_statements(db, config, clock.now + timedelta(hours=1))
    assert resent.conflicts > 0 and resent.sent + resent.conflicts == total
    assert len([s for s in lrs.statements() if s["object"]["id"].startswith(config.xapi_base)]) == total


class FlakyLrs:
    """An LRS that answers 503 (Retry-After: 0) a given number of times before storing."""

    def __init__(self, failures: int, status: int = 503) -> None:
        self.failures, self.status = failures, status
        self.requests: list[tuple[str, str | None]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.headers.get("X-Experience-API-Version")))
        if self.failures:
            self.failures -= 1
            return web.Response(status=self.status, headers={"Retry-After": "0"})
        return web.json_response([s["id"] for s in await request.json()])


@pytest.fixture
async def flaky() -> AsyncIterator[tuple[FlakyLrs, str]]:
    server = FlakyLrs(2)
    application = web.Application()
    application.router.add_route("*", "/xAPI/statements", server.handle)
    runner = web.AppRunner(application)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield server, f"http://127.0.0.1:{port}/xAPI/"
    await runner.cleanup()


async def test_outages_are_retried_and_refusals_stop_with_a_reason(flaky: tuple[FlakyLrs, str]) -> None:
    server, url = flaky
    statement = {"id": str(uuid.uuid4())}
    async with LrsClient(url, USER, PASSWORD, backoff=0.01) as client:
        assert await client.post([statement])
    assert server.requests == [("POST", "1.0.3")] * 3

    server.failures, server.status = 1, 401
    async with LrsClient(url, USER, "wrong", backoff=0.01) as client:
        with pytest.raises(LrsError, match="answered 401"):
            await client.post([statement])

    server.failures, server.status = 10, 503
    async with LrsClient(url, USER, PASSWORD, attempts=3, backoff=0.01) as client:
        with pytest.raises(LrsError, match="after 3 attempts"):
            await client.post([statement])
    async with LrsClient("http://127.0.0.1:9/xAPI/", None, None, attempts=2, backoff=0.01) as client:
        with pytest.raises(LrsError, match="could not be reached"):
            await client.post([statement])
