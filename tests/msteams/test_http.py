"""`POST /api/messages` at the HTTP level: malformed activities get a 4xx (never the stock adapter's 500),
and with an app id every request needs a Bot Framework JWT signed by a key the OpenID metadata lists.

These requests never reach the store, so they run on SQLite only."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp.test_utils import TestServer
from botframework.connector.auth import ChannelValidation
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from pydantic import SecretStr

from bot.chat.coach import Coach
from bot.config import Settings
from bot.errors import CoachError
from handlers.assembly import attach_platforms
from handlers.msteams.endpoint import ROUTE
from handlers.server import build_app
from store.db import Database
from tests.support.fake_connector import FakeConnector, TeamsBot, connector, teams, teams_bot

__all__ = ["connector", "teams"]  # fixtures

APP_ID = "6f0c7a52-4d1e-4c39-9a4b-2f5e8d7c1b00"
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.mark.parametrize(("body", "content_type", "status"), [
    ("{not json", "application/json", 400),
    ("[]", "application/json", 400),
    ("{}", "application/json", 400),
    ({"drop": "type"}, "application/json", 400),
    ({"drop": "from"}, "application/json", 400),
    ({"from": "29:ben"}, "application/json", 400),
    ({"drop": "conversation"}, "application/json", 400),
    ({"drop": "serviceUrl"}, "application/json", 400),
    ({"serviceUrl": "file:///etc/passwd"}, "application/json", 400),
    ({"timestamp": "not a time"}, "application/json", 400),
    ({"conversation": {"id": "", "conversationType": "personal"}}, "application/json", 400),
    ({"from": {"id": " "}}, "application/json", 400),
    (b'{"type": "message", "text": "caf\xe9"}', "application/json", 400),  # Latin-1, not UTF-8
    ({}, "text/plain", 415),
    ({}, "application/x-notjson", 415),
    ({}, "application/json; charset=bogus", 415),
    ({}, "application/json; charset=utf-16", 415),
])
async def test_malformed_activities_are_refused_with_4xx(teams: TeamsBot, body: Any, content_type: str,
                                                         status: int) -> None:
    ben = teams.user("29:ben")
    if isinstance(body, dict):
        activity = ben.activity("message", text="learn")
        activity.pop(body.pop("drop", ""), None)
        body = {**activity, **body}
    mark = len(teams.connector.calls)
    assert await ben.post(body, content_type=content_type) == status
    assert teams.connector.calls[mark:] == []


@pytest.mark.parametrize(("depth", "status"), [(10_000, 400), (900, 200)])
async def test_deeply_nested_activities_never_fail_the_server(teams: TeamsBot, depth: int, status: int) -> None:
    """Deeper than the JSON parser goes is a 400 before authentication (the parser raises RecursionError,
    not ValueError); as deep as it goes, the activity is read and answered."""
    cara = teams.user(f"29:cara-{depth}")  # a conversation of its own: the connector serves the whole module
    activity = json.dumps(cara.activity("message", text="help"))
    nested = activity[:-1] + ', "entities": [{"type": "x", "deep": ' + "[" * depth + "]" * depth + "}]}"
    assert await cara.post(nested) == status
    assert len(teams.connector.sent(cara.conversation)) == (status == 200)


async def test_a_utf8_body_with_its_charset_named_is_read(teams: TeamsBot) -> None:
    ben = teams.user("29:ben")
    ben.conversation += "-charset"  # the module's connector is shared: keep Ben's own chat untouched
    body = json.dumps(ben.activity("message", text="help"), ensure_ascii=False).encode()
    assert await ben.post(body, content_type="application/json; charset=UTF-8") == 200
    assert "Here's what I can do" in teams.connector.sent(ben.conversation)[-1].text


@pytest.mark.parametrize("entities", [[{}], [{"type": "mention"}], [{"type": "mention", "mentioned": None}],
                                      [{"type": "mention", "mentioned": {"id": None}}], [{"type": 7, "text": 1}]])
async def test_malformed_entities_are_ignored_not_a_failed_turn(teams: TeamsBot, entities: list) -> None:
    ben = teams.user("29:ben")
    ben.conversation += "-entities"
    [reply] = await ben.say("help", entities=entities)
    assert "Here's what I can do" in reply.text


async def test_the_endpoint_exists_only_where_teams_is_configured(db: Database, settings: Settings) -> None:
    async def status(config: Settings) -> int:
        coach = Coach(db, config)
        server = TestServer(build_app(db, attach_platforms(coach, config).mounts), host="127.0.0.1")
        await server.start_server()
        try:
            async with aiohttp.ClientSession() as http, http.post(server.make_url(ROUTE), json={}) as response:
                return response.status
        finally:
            await server.close()

    assert await status(settings) == 404  # neither COACH_TEAMS nor an app id
    with_id = settings.model_copy(update={"microsoft_app_id": APP_ID,
                                          "microsoft_app_password": SecretStr("not-a-real-password")})
    assert await status(with_id) == 400  # an app id alone turns Teams on (the body is checked first)


def test_an_app_id_without_its_password_is_refused_at_start(db: Database, settings: Settings) -> None:
    with pytest.raises(CoachError, match="MICROSOFT_APP_PASSWORD is not"):
        attach_platforms(Coach(db, settings), settings.model_copy(update={"microsoft_app_id": APP_ID}))
    managed = settings.model_copy(update={"microsoft_app_id": APP_ID, "microsoft_app_type": "UserAssignedMSI",
                                          "microsoft_app_tenant_id": "tenant-0001"})
    assert "teams" in attach_platforms(Coach(db, managed), managed).couriers  # a managed identity needs none


def test_the_warning_about_no_authentication_is_given_only_where_the_endpoint_is_served(
        db: Database, settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    config = settings.model_copy(update={"coach_teams": True})
    platforms = attach_platforms(Coach(db, config), config)  # what coach dispatch and coach worker do
    assert "teams" in platforms.couriers
    assert not any("WITHOUT authentication" in r.getMessage() for r in caplog.records)
    build_app(db, platforms.mounts)  # what coach serve does
    assert any("WITHOUT authentication" in r.getMessage() for r in caplog.records)


async def test_without_an_app_id_requests_are_accepted_and_a_warning_logged(
        teams: TeamsBot, caplog: pytest.LogCaptureFixture) -> None:
    ben = teams.user("29:ben")
    assert await ben.post(ben.activity("typing")) == 200
    assert any("WITHOUT authentication" in r.getMessage() for r in caplog.get_records("setup"))


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return _key()


@pytest.fixture
async def secured(db: Database, settings: Settings, clock, connector: FakeConnector,  # type: ignore[no-untyped-def]
                  tmp_path: Path, signing_key: rsa.RSAPrivateKey,
                  monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TeamsBot]:
    """The bot with an app id; the SDK's channel-token check reads its signing keys from the fake connector
    (`ChannelValidation.open_id_metadata_endpoint` is the SDK's own setting for another key source)."""
    jwk = json.loads(RSAAlgorithm.to_jwk(signing_key.public_key()))
    connector.signing_keys[:] = [{**jwk, "kid": "known-key", "use": "sig", "endorsements": ["msteams"]}]
    monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", connector.openid_url)
    async with teams_bot(db, settings, clock, connector, tmp_path, microsoft_app_id=APP_ID,
                         microsoft_app_password=SecretStr("not-a-real-password"),
                         teams_service_hosts="127.0.0.1") as bot:  # the fake connector stands in for Microsoft
        yield bot


def _token(key: rsa.RSAPrivateKey, service_url: str, *, kid: str = "known-key", audience: str = APP_ID) -> str:
    now = int(time.time())
    claims = {"iss": "https://api.botframework.com", "aud": audience, "serviceurl": service_url,
              "nbf": now - 10, "exp": now + 600}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


async def test_with_an_app_id_only_tokens_signed_by_a_listed_key_pass(
        secured: TeamsBot, signing_key: rsa.RSAPrivateKey, caplog: pytest.LogCaptureFixture) -> None:
    assert not any("WITHOUT authentication" in r.getMessage() for r in caplog.get_records("setup"))
    ben = secured.user("29:ben")
    typing = ben.activity("typing")
    url = secured.connector.url

    ben.token = _token(signing_key, url)
    assert await ben.post(typing) == 200

    refusals = {
        "no token": None,
        "not a JWT": "garbage",
        "unknown key": _token(_key(), url, kid="someone-elses-key"),
        "listed kid, other key": _token(_key(), url),
        "another bot's token": _token(signing_key, url, audience="another-app"),
        "other service url": _token(signing_key, "https://attacker.example.org/"),
    }
    for case, token in refusals.items():
        ben.token = token
        assert await ben.post(typing) == 401, case
        assert await ben.post(ben.activity("message", text="learn")) == 401, case
    assert [c for c in secured.connector.calls if c.conversation == ben.conversation] == []


async def test_invokes_are_declined_cleanly(teams: TeamsBot) -> None:
    """An invoke the coach doesn't take (here a task module's, whose default answer the SDK can't even
    serialise) gets a plain 501 and the bot sends nothing (its Action.Execute: tests/msteams/test_universal.py)."""
    ben = teams.user("29:ben")
    invoke = ben.activity("invoke", name="task/fetch", value={"data": {"action": "answer"}})
    mark = len(teams.connector.calls)
    assert await ben.post(invoke) == 501
    assert teams.connector.calls[mark:] == []
