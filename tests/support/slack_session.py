"""The coach's real server with Slack on a loopback port, the fake Slack Web API, and people who use it.

`slack` (a fixture) starts both on the test's database with the sample org loaded; `slack.person("UBEN")`
sends what Slack would send for Ben — correctly signed slash commands, button presses, modal submissions
and Events API callbacks — and the test reads what the bot did from `slack.fake`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.chat.coach import Coach
from bot.config import Settings
from bot.couriers import Courier
from handlers.platforms import Platforms
from handlers.server import build_app
from handlers.slack.listeners import SlackListeners
from handlers.slack.runtime import attach_slack
from store.db import Database
from tests.conftest import Clock
from tests.support.fake_slack import TEAM, Call, FakeSlack
from tests.support.org import SAMPLE_ORG, load_sample_org

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token"
STRANGER = "UNOBODY"
"""In the Slack workspace, not in the org chart."""

_numbers = itertools.count(1)


def sign(body: str | bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    """Slack's v0 request signature (https://api.slack.com/authentication/verifying-requests-from-slack),
    over the body's bytes."""
    base = f"v0:{timestamp}:".encode() + (body if isinstance(body, bytes) else body.encode())
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slack_config(settings: Settings, api_url: str, **extra: Any) -> Settings:
    return settings.model_copy(update={"slack_bot_token": SecretStr(BOT_TOKEN),
                                       "slack_signing_secret": SecretStr(SIGNING_SECRET),
                                       "slack_api_url": api_url, **extra})


def workspace_users(fake: FakeSlack) -> None:
    """The sample org's people in the workspace (Gus has no Slack id in the org chart), plus a stranger."""
    for line in SAMPLE_ORG.splitlines()[1:]:
        email, name, _manager, _role, tz = line.split(",")[:5]
        fake.add_user("U" + name.split()[0].upper(), email, tz)
    fake.add_user(STRANGER, "nobody@example.com", "Asia/Tokyo")


@dataclass
class Answered:
    status: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


@dataclass
class SlackServer:
    fake: FakeSlack
    url: str
    coach: Coach
    listeners: SlackListeners
    platforms: Platforms
    ids: dict[str, int]
    http: aiohttp.ClientSession
    users: dict[str, SlackUser] = field(default_factory=dict)

    @property
    def courier(self) -> Courier:
        return self.platforms.couriers["slack"]

    def person(self, user_id: str) -> SlackUser:
        return self.users.setdefault(user_id, SlackUser(self, user_id))

    async def settle(self) -> None:
        """Wait for every piece of work the bot started after acknowledging."""
        await self.listeners.background.drain()

    async def post(self, body: str | bytes, content_type: str, *, timestamp: int | None = None,
                   signature: str | None = None, headers: dict[str, str] | None = None) -> Answered:
        """POST /slack/events, signed unless told otherwise."""
        stamp = int(time.time()) if timestamp is None else timestamp
        sent = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(stamp),
                "X-Slack-Signature": signature or sign(body, stamp), **(headers or {})}
        data = body if isinstance(body, bytes) else body.encode()
        async with self.http.post(self.url + "/slack/events", data=data, headers=sent) as response:
            return Answered(response.status, await response.text())

    async def post_payload(self, payload: dict[str, Any]) -> Answered:
        """An interactivity payload, form-encoded as Slack sends it."""
        return await self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    async def event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None) -> Answered:
        """An Events API callback (`retry` sets Slack's retry headers)."""
        body = {"token": "legacy", "team_id": TEAM, "api_app_id": "A0COACH", "type": "event_callback",
                "event_id": event_id or f"Ev{next(_numbers):08d}", "event_time": int(time.time()), "event": event,
                "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True,
                                    "is_enterprise_install": False}]}
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return await self.post(json.dumps(body), "application/json", headers=headers)


@dataclass
class SlackUser:
    """One person in the Slack workspace, doing what people do."""

    server: SlackServer
    user_id: str

    @property
    def dm(self) -> str:
        """The bot's DM channel with this person (the fake's `conversations.open` answer)."""
        return "D" + self.user_id

    async def command(self, text: str = "", command: str = "/learn", channel: str = "C0GENERAL") -> str:
        """Type a slash command; returns the name of its response_url (to find the bot's answers)."""
        name = f"cmd{next(_numbers)}"
        form = {"token": "legacy", "team_id": TEAM, "team_domain": "example", "channel_id": channel,
                "channel_name": "directmessage" if channel.startswith("D") else "general",
                "user_id": self.user_id, "user_name": self.user_id.lower(), "command": command, "text": text,
                "api_app_id": "A0COACH", "response_url": self.server.fake.response_url(name),
                "trigger_id": f"trigger-{name}"}
        answered = await self.server.post(urlencode(form), "application/x-www-form-urlencoded")
        assert answered.status == 200, answered
        return name

    async def say(self, text: str, *, event_id: str | None = None) -> Answered:
        """Type words in the DM with the bot (a message.im event)."""
        event = {"type": "message", "channel": self.dm, "channel_type": "im", "user": self.user_id, "text": text,
                 "ts": f"{time.time():.6f}", "team": TEAM}
        return await self.server.event(event, event_id=event_id)

    async def open_home(self) -> Answered:
        return await self.server.event({"type": "app_home_opened", "user": self.user_id, "channel": self.dm,
                                        "tab": "home", "event_ts": f"{time.time():.6f}"})

    def press_payload(self, button: dict[str, Any], message: Call | None = None, *,
                      view: dict[str, Any] | None = None, ephemeral_url: str | None = None) -> dict[str, Any]:
        """What Slack sends when this person presses `button` on a posted message (or in a view)."""
        number = next(_numbers)
        payload: dict[str, Any] = {
            "type": "block_actions", "user": {"id": self.user_id, "team_id": TEAM}, "team": {"id": TEAM},
            "api_app_id": "A0COACH", "token": "legacy", "trigger_id": f"trigger-press{number}",
            "response_url": ephemeral_url or self.server.fake.response_url(f"press{number}"),
            "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "b",
                         "value": button.get("value", ""), "text": button["text"],
                         "action_ts": f"{time.time():.6f}"}],
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id", "V1")}
            payload["view"] = {**view, "type": view.get("type", "home"), "hash": view.get("hash", "h1")}
        elif ephemeral_url is not None:
            payload["container"] = {"type": "message", "message_ts": f"{time.time():.6f}",
                                    "channel_id": self.dm, "is_ephemeral": True}
            payload["channel"] = {"id": self.dm, "name": "directmessage"}
        else:
            assert message is not None
            channel, ts = message.args["channel"], message.ts
            payload["container"] = {"type": "message", "message_ts": ts, "channel_id": channel,
                                    "is_ephemeral": False}
            payload["channel"] = {"id": channel, "name": "directmessage"}
            payload["message"] = {"ts": ts, "type": "message", "blocks": message.args.get("blocks")}
        return payload

    async def press(self, button: dict[str, Any], message: Call | None = None, **where: Any) -> Answered:
        answered = await self.server.post_payload(self.press_payload(button, message, **where))
        assert answered.status == 200, answered
        return answered

    async def submit(self, modal: Call, values: dict[str, dict[str, Any]]) -> Answered:
        """Submit the modal the bot opened, with these `state.values` (block id -> element state)."""
        view = {**modal.args["view"], "id": "V0MODAL", "team_id": TEAM, "hash": "hash1",
                "state": {"values": {block: {block: state} for block, state in values.items()}}}
        payload = {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": self.user_id, "team_id": TEAM},
                   "api_app_id": "A0COACH", "token": "legacy", "trigger_id": f"trigger-view{next(_numbers)}",
                   "view": view}
        return await self.server.post_payload(payload)


def button(call: Call, label: str) -> dict[str, Any]:
    """The button with this label (or starting with it) in a posted message."""
    found = [b for b in call.buttons() if b["text"]["text"].startswith(label)]
    assert found, f"no button {label!r} in {[b['text']['text'] for b in call.buttons()]}"
    return found[0]


@pytest.fixture
async def slack(db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> AsyncIterator[SlackServer]:
    """The real server (handlers.server + Slack's mount) on loopback, talking to a fake Slack Web API."""
    ids = await load_sample_org(db, tmp_path)
    fake = await FakeSlack().start()
    workspace_users(fake)
    config = slack_config(settings, fake.url)
    coach = Coach(db, config, clock=clock, worker_id="test-worker")
    platforms = Platforms()
    listeners = attach_slack(platforms, coach, config)
    runner = web.AppRunner(build_app(db, platforms.mounts), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    http = aiohttp.ClientSession()
    try:
        yield SlackServer(fake, f"http://127.0.0.1:{port}", coach, listeners, platforms, ids, http)
    finally:
        await listeners.background.drain()
        for cleanup in platforms.cleanups:
            await cleanup()
        await http.close()
        await runner.cleanup()
        await fake.stop()
