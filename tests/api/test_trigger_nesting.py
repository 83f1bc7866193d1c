"""`POST /api/triggers` with JSON nested deeper than Python's parser goes: a 422 like any malformed body,
never a 500 (the parser raises RecursionError there, not ValueError)."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from bot.chat.coach import Coach
from bot.config import Settings
from handlers.api.triggers import TriggerAPI
from store.db import Database
from tests.conftest import Clock
from tests.support.dispatching import all_deliveries, loopback, serving

TOKEN = "trigger-secret-nesting"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_body_nested_too_deeply_is_422(db: Database, settings: Settings, clock: Clock,
                                               tmp_path: Path) -> None:
    coach = Coach(db, settings.model_copy(update={"trigger_token": SecretStr(TOKEN)}), clock=clock)
    deep = '{"email": "ben@example.com", "lesson": ' + "[" * 10_000 + "]" * 10_000 + "}"
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    async with (loopback(coach) as (_fake, dispatcher), serving(db, [TriggerAPI(coach, dispatcher).mount]) as url,
                aiohttp.ClientSession() as http, http.post(url + "/api/triggers", data=deep,
                                                           headers=headers) as response):
        assert response.status == 422
        assert "nested too deeply" in (await response.json())["error"]
    assert await all_deliveries(db) == []
