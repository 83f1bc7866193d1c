"""`POST /api/messages` at the HTTP level: malformed activities get a 4xx (never the stock adapter's 500),
and with an app id every request needs a Bot Framework JWT signed by a key the OpenID metadata lists.

These requests never reach the store, so they run on SQLite only."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from botframework.connector.auth import ChannelValidation
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from pydantic import SecretStr

from bot.config import Settings
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
    ({}, "text/plain", 415),
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
                         microsoft_app_password=SecretStr("not-a-real-password")) as bot:
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
    """The coach uses Action.Submit; an invoke (here an Action.Execute the SDK itself can't answer without
    a 500) gets a plain 501 and the bot sends nothing."""
    ben = teams.user("29:ben")
    invoke = ben.activity("invoke", name="adaptiveCard/action",
                          value={"action": {"type": "Action.Http", "verb": "answer", "data": {}}})
    mark = len(teams.connector.calls)
    assert await ben.post(invoke) == 501
    assert teams.connector.calls[mark:] == []
