"""A small Slack-Web-API-shaped server on loopback for the dispatcher's tests and benchmark (independent of
the Slack handler's own fake): it answers the methods a bot uses to reach people (auth.test,
users.lookupByEmail, users.info, conversations.open, chat.postMessage, chat.update) the way Slack does —
`{"ok": …}` bodies, 429 with `Retry-After` — and records every accepted post. Faults are injected by
counting posts: `fail_every=3` answers every 3rd post with a 500 (nothing posted), `limit_every=5` every
5th with a 429. `gate` holds every post until the test lets them through.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TEAM = "T0FAKE"


@dataclass
class Post:
    channel: str
    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any] | None
    at: float

    @property
    def delivery_id(self) -> int | None:
        """The delivery this post carries (from the message metadata, else from an answer button's value)."""
        payload = (self.metadata or {}).get("event_payload") or {}
        if "delivery_id" in payload:
            return int(payload["delivery_id"])
        for value in _button_values(self.blocks):
            if isinstance(value, dict) and "d" in value:
                return int(value["d"])
        return None


def _button_values(blocks: list[dict[str, Any]]) -> list[Any]:
    values = []
    for block in blocks:
        for element in block.get("elements", []) or []:
            raw = element.get("value") if isinstance(element, dict) else None
            if raw:
                try:
                    values.append(json.loads(raw))
                except ValueError:
                    continue
    return values


@dataclass
class LoopbackSlack:
    fail_every: int = 0
    limit_every: int = 0
    retry_after: int = 1
    delay: float = 0.0
    users: dict[str, str] = field(default_factory=dict)  # email -> user id
    posts: list[Post] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    limited_at: list[float] = field(default_factory=list)
    gate: asyncio.Event | None = None
    """When given, every post waits for it (after `delay`); `waiting` counts the posts held."""
    waiting: int = 0
    url: str = ""
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Serve on a free loopback port; returns the base URL to give a client (ends with /api/)."""
        app = web.Application()
        app.router.add_get("/stats", self._stats)
        app.router.add_route("*", "/api/{method}", self._method)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/api/"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def per_delivery(self) -> Counter[int]:
        """How many times each delivery was posted."""
        return Counter(p.delivery_id for p in self.posts if p.delivery_id is not None)

    async def _stats(self, _request: web.Request) -> web.Response:
        """What was posted, for a process that runs this fake in another process (the benchmark)."""
        counts = self.per_delivery()
        return web.json_response({"posts": len(self.posts), "deliveries": len(counts),
                                  "repeated": sum(1 for n in counts.values() if n > 1)})

    async def _method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            args = await request.json()
        else:
            args = dict(request.query) | dict(await request.post())
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return await handler(args)

    async def _auth_test(self, _args: dict[str, Any]) -> web.Response:
        return web.json_response({"ok": True, "url": "https://fake.slack.test/", "team": "Fake", "user": "coach",
                                  "team_id": TEAM, "user_id": "UCOACHBOT", "bot_id": "BCOACH"})

    async def _users_lookupByEmail(self, args: dict[str, Any]) -> web.Response:
        user = self.users.get(str(args.get("email", "")).lower())
        if user is None:
            return web.json_response({"ok": False, "error": "users_not_found"})
        return web.json_response({"ok": True, "user": self._user(user)})

    async def _users_info(self, args: dict[str, Any]) -> web.Response:
        user = str(args.get("user", ""))
        if user not in self.users.values():
            return web.json_response({"ok": False, "error": "user_not_found"})
        return web.json_response({"ok": True, "user": self._user(user)})

    def _user(self, user: str) -> dict[str, Any]:
        email = next(e for e, u in self.users.items() if u == user)
        return {"id": user, "team_id": TEAM, "name": email.split("@")[0], "tz": "Europe/Berlin",
                "profile": {"email": email, "real_name": email.split("@")[0]}}

    async def _conversations_open(self, args: dict[str, Any]) -> web.Response:
        users = str(args.get("users", ""))
        return web.json_response({"ok": True, "channel": {"id": "D" + users.split(",")[0]}})

    async def _chat_update(self, args: dict[str, Any]) -> web.Response:
        return web.json_response({"ok": True, "channel": args.get("channel"), "ts": args.get("ts")})

    async def _chat_postMessage(self, args: dict[str, Any]) -> web.Response:
        number = next(self._counter)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.gate is not None:
            self.waiting += 1
            try:
                await self.gate.wait()
            finally:
                self.waiting -= 1
        if self.limit_every and number % self.limit_every == 0:
            self.refused["429"] += 1
            self.limited_at.append(time.monotonic())
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(self.retry_after)})
        if self.fail_every and number % self.fail_every == 0:
            self.refused["500"] += 1
            return web.Response(status=500, text="internal error")
        blocks = args.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        channel = str(args.get("channel", ""))
        self.posts.append(Post(channel, str(args.get("text", "")), blocks, metadata, time.monotonic()))
        return web.json_response({"ok": True, "channel": channel, "ts": f"{time.time():.6f}",
                                  "message": {"text": args.get("text", "")}})


async def serve_forever() -> None:
    """Run the fake alone (another process) and print its URL; it stops when its standard input closes. An
    argument sets the seconds each post takes (`delay`)."""
    fake = LoopbackSlack(delay=float(sys.argv[1]) if len(sys.argv) > 1 else 0.0)
    print(await fake.start(), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await fake.stop()


if __name__ == "__main__":
    asyncio.run(serve_forever())
