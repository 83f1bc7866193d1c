"""A fake Slack Web API on loopback: it answers the methods the coach calls, records every call, and can
fail on purpose (429 with Retry-After, 500) so tests see the bot's retries.

`url` is the Web API base (`SLACK_API_URL`); besides `/api/<method>` the fake serves `response_url`s
(`response_url(name)`), file upload URLs, and a Socket Mode WebSocket (`apps.connections.open` hands out
its URL) onto which a test can push envelopes. `users` maps emails to Slack user ids (the workspace's
directory); `fail_every` / `limit_every` answer every n-th `chat.postMessage` with 500 / 429 (read at each
post, so a test can lift them), and `fail()` any method with any status, or `DROP` to close the connection
without an answer (`LOST`: a post stored, then its connection closed); `delays` makes a method answer slowly
(`{"chat.postMessage": 0.3}`: a slow Slack).
A post is stored before it is answered, as Slack does: `answer_late` (or `gate`) holds its answer after that, so
a client that gives up meanwhile has posted it all the same, and `conversations.history` (with the message
metadata when asked for `include_all_metadata`) shows it; `history_scope=False` is an app without `im:history`.

`/stats` tells another process what was posted. `python -m tests.support.fake_slack` runs the fake alone (the
benchmark's Slack, in its own process so that Slack's side does not share the coach's CPU): it prints its Web
API URL, keeps no call records (only the counts `/stats` needs), and stops when its standard input closes.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from tests.support.waiting import PATIENCE

BOT_USER = "UBOT"
TEAM = "T0001"
DROP = 0
"""A fault "status" that closes the connection without any answer (a dropped connection)."""
LOST = -1
"""A fault "status" for `chat.postMessage`: the post is stored, then the connection closes without an answer."""


@dataclass
class Call:
    """One request the bot made: the API method (or `response_url`, `file.upload`, `socket.ack`), its
    arguments with JSON fields decoded, and the status the fake answered."""

    method: str
    args: dict[str, Any]
    status: int = 200
    answer: dict[str, Any] = field(default_factory=dict)
    at: float = 0.0
    """When the fake received it, on the fake's `clock`."""

    @property
    def ts(self) -> str:
        """The posted (or updated) message's ts."""
        return str(self.answer.get("ts") or self.args.get("ts") or "")

    @property
    def text_of_blocks(self) -> str:
        """Every text in the call's blocks (or view's blocks), joined: what the person would read."""
        blocks = self.args.get("blocks") or (self.args.get("view") or {}).get("blocks") or []
        return "\n".join(_texts(blocks)) + ("\n" + self.args["text"] if isinstance(self.args.get("text"), str) else "")

    def buttons(self) -> list[dict[str, Any]]:
        """The button elements in the call's blocks, in order."""
        blocks = self.args.get("blocks") or (self.args.get("view") or {}).get("blocks") or []
        return [e for b in blocks if b.get("type") == "actions" for e in b["elements"]]


@dataclass
class Fault:
    method: str
    status: int
    times: int | None = 1
    every: int | None = None
    retry_after: int = 0
    seen: int = 0

    def hits(self) -> bool:
        self.seen += 1
        if self.every is not None:
            return self.seen % self.every == 0
        if self.times is None or self.times > 0:
            if self.times is not None:
                self.times -= 1
            return True
        return False


@dataclass
class Post:
    """A message the bot posted: when (monotonic seconds), where, its text, and its lesson's delivery id."""

    at: float
    channel: str
    text: str
    delivery_id: int | None


@dataclass
class FakeSlack:
    users: dict[str, str] = field(default_factory=dict)
    fail_every: int = 0
    limit_every: int = 0
    retry_after: float = 1
    """The Retry-After (seconds) of the 429s `limit_every` answers."""
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    limited_at: list[float] = field(default_factory=list)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    """API method -> seconds the fake takes before answering it (a slow Slack)."""
    root: str = ""
    record: bool = True
    """Keep every call and post (for tests to look at); off, the fake only counts posts per delivery, so that a
    benchmark can post hundreds of thousands of messages through it."""
    clock: Callable[[], float] = time.monotonic
    """Where `Call.at` reads the time: a test pacing the coach on simulated time passes that time here, to count
    calls per method and (simulated) minute."""
    gate: asyncio.Event | None = None
    """When given, every `chat.postMessage` is stored, then waits for it before answering; `waiting` counts the
    posts held."""
    waiting: int = 0
    answer_late: float = 0.0
    """Seconds every successful `chat.postMessage` is held after it is stored, before it is answered."""
    history_scope: bool = True
    """Whether the bot token may read its DMs (`im:history`): without it `conversations.history` is refused."""

    def __post_init__(self) -> None:
        self._post_number = itertools.count(1)
        self._delivered: Counter[tuple[int, Any]] = Counter()
        """(delivery id, part) -> times posted."""
        self._history: dict[str, list[dict[str, Any]]] = {}
        """Channel -> the messages posted in it, oldest first (only while recording)."""
        self._posted = 0
        self._ts = itertools.count(1)
        self._changed = asyncio.Condition()
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None

    # Set-up -----------------------------------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/stats", self._stats)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.root = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        """The Web API base URL (what `SLACK_API_URL` is set to)."""
        return self.root + "/api/"

    def response_url(self, name: str) -> str:
        return f"{self.root}/respond/{name}"

    def add_user(self, user_id: str, email: str, tz: str = "Europe/Berlin") -> None:
        self.users[email] = user_id
        self.profiles[user_id] = {"tz": tz}

    def user(self, user_id: str) -> dict[str, Any] | None:
        """users.info's `user` object, from the directory."""
        emails = [email for email, uid in self.users.items() if uid == user_id]
        if not emails:
            return None
        return {"id": user_id, "team_id": TEAM, "name": emails[0].split("@")[0],
                "tz": self.profiles.get(user_id, {}).get("tz", "UTC"), "profile": {"email": emails[0]}}

    def per_delivery(self) -> Counter[int]:
        """How many times each lesson delivery was posted: the most copies of any one of its messages (a message
        counts when its metadata, or an answer or reflection button, names the delivery: a lesson, not a reply
        about one; a long lesson's parts are one copy)."""
        found: Counter[int] = Counter()
        for (delivery_id, _part), times in self._delivered.items():
            found[delivery_id] = max(found[delivery_id], times)
        return found

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """The messages posted in `channel`, oldest first, as `conversations.history` shows them."""
        return list(self._history.get(channel, []))

    def fail(self, method: str, status: int = 429, *, times: int | None = 1, every: int | None = None,
             retry_after: float = 0) -> None:
        """Answer `method` with `status` (the next `times` calls, or every `every`-th call)."""
        self.faults.append(Fault(method, status, times, every, retry_after))

    # Looking at what the bot did --------------------------------------------------------------------------

    def calls_to(self, method: str, **match: Any) -> list[Call]:
        """Successful calls to `method` whose arguments include `match`."""
        return [c for c in self.calls if c.method == method and c.status == 200
                and all(c.args.get(k) == v for k, v in match.items())]

    async def wait_for(self, method: str, count: int = 1, within: float = PATIENCE, **match: Any) -> list[Call]:
        """Wait until the bot made at least `count` such calls; returns them all."""
        async with asyncio.timeout(within):
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.calls_to(method, **match)) >= count)
        return self.calls_to(method, **match)

    def attempts(self, method: str) -> list[Call]:
        """Every call to `method`, refused ones included, in order."""
        return [c for c in self.calls if c.method == method]

    async def wait_until(self, check: Callable[[], bool], within: float = PATIENCE) -> None:
        """Wait until `check()` holds, looked at after each call the fake records."""
        async with asyncio.timeout(within):
            async with self._changed:
                await self._changed.wait_for(check)

    # Socket Mode ------------------------------------------------------------------------------------------

    async def push(self, kind: str, payload: dict[str, Any], within: float = PATIENCE) -> Call:
        """Send a Socket Mode envelope to the connected bot and wait for its acknowledgement."""
        async with asyncio.timeout(within):
            async with self._changed:
                await self._changed.wait_for(lambda: bool(self._sockets))
        envelope_id = uuid.uuid4().hex
        await self._sockets[-1].send_json({"envelope_id": envelope_id, "type": kind, "payload": payload,
                                           "accepts_response_payload": kind != "events_api", "retry_attempt": 0})
        acks = await self.wait_for("socket.ack", within=within, envelope_id=envelope_id)
        return acks[0]

    # Handlers ---------------------------------------------------------------------------------------------

    async def _record(self, call: Call) -> None:
        call.at = self.clock()
        async with self._changed:
            if self.record:
                self.calls.append(call)
            self._changed.notify_all()

    def _every_nth(self, method: str) -> Fault | None:
        """The refusal `fail_every` / `limit_every` give this post, if any (counting every post attempt)."""
        if method != "chat.postMessage":
            return None
        number = next(self._post_number)
        if self.limit_every and number % self.limit_every == 0:
            return Fault(method, 429, retry_after=self.retry_after)
        if self.fail_every and number % self.fail_every == 0:
            return Fault(method, 500)
        return None

    async def _stats(self, _request: web.Request) -> web.Response:
        """What was posted, for a process that runs this fake in another process (the benchmark)."""
        counts = self.per_delivery()
        return web.json_response({"posts": self._posted, "deliveries": len(counts),
                                  "repeated": sum(1 for n in counts.values() if n > 1)})

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _arguments(request)
        if self.delays.get(method):
            await asyncio.sleep(self.delays[method])
        fault = self._every_nth(method) or next((f for f in self.faults if f.method == method and f.hits()), None)
        if fault is not None:
            self.refused[str(fault.status)] += 1
            if fault.status == LOST:
                self._count_post(args, self._answer(method, args)["ts"])
            await self._record(Call(method, args, fault.status))
            if fault.status in (DROP, LOST) and request.transport is not None:
                request.transport.close()
                return web.Response(status=500)
            if fault.status == 429:
                self.limited_at.append(time.monotonic())
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": str(math.ceil(fault.retry_after))})
            return web.Response(status=fault.status, text="fake outage")
        body = self._answer(method, args)
        if method == "chat.postMessage" and body.get("ok"):
            self._count_post(args, body["ts"])
            await self._hold_answer()
        await self._record(Call(method, args, 200 if body.get("ok") else 400, body))
        return web.json_response(body)

    async def _hold_answer(self) -> None:
        """A stored post's answer waits for the gate, then `answer_late` seconds."""
        if self.gate is not None:
            self.waiting += 1
            try:
                await self.gate.wait()
            finally:
                self.waiting -= 1
        if self.answer_late:
            await asyncio.sleep(self.answer_late)

    def _count_post(self, args: dict[str, Any], ts: str) -> None:
        delivery_id, part = _delivery_part(args)
        self._posted += 1
        if delivery_id is not None:
            self._delivered[(delivery_id, part)] += 1
        if self.record:
            channel = str(args.get("channel"))
            self.posts.append(Post(time.monotonic(), channel, str(args.get("text") or ""), delivery_id))
            self._history.setdefault(channel, []).append(
                {"type": "message", "user": BOT_USER, "bot_id": "BBOT", "ts": ts, "text": args.get("text"),
                 "metadata": _metadata(args)})

    def _conversation_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """The channel's messages from `oldest` on, newest first; their metadata only when asked for."""
        if not self.history_scope:
            return {"ok": False, "error": "missing_scope", "needed": "im:history", "provided": "chat:write"}
        oldest = float(args.get("oldest") or 0)
        with_metadata = str(args.get("include_all_metadata")).lower() in ("1", "true")
        found = [{k: v for k, v in m.items() if v is not None and (with_metadata or k != "metadata")}
                 for m in self._history.get(str(args.get("channel")), []) if float(m["ts"]) >= oldest]
        return {"ok": True, "messages": found[::-1], "has_more": False}

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        ts = f"{int(time.time())}.{next(self._ts):06d}"  # the epoch second, as Slack's ts; unique however fast
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "BBOT", "team_id": TEAM, "team": "Example",
                    "user": "coach", "url": "https://example.slack.com/"}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", "")).split(",")[0]}}
        if method == "chat.postMessage":
            return {"ok": True, "channel": args.get("channel"), "ts": ts,
                    "message": {"text": args.get("text"), "blocks": args.get("blocks"), "ts": ts}}
        if method == "conversations.history":
            return self._conversation_history(args)
        if method == "chat.update":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method in ("views.publish", "views.open", "views.update"):
            return {"ok": True, "view": {**(args.get("view") or {}), "id": "V" + ts[-6:], "hash": ts}}
        if method == "users.info":
            user = self.user(str(args.get("user")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "users.lookupByEmail":
            user = self.user(self.users.get(str(args.get("email")), ""))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "users_not_found"}
        if method == "files.getUploadURLExternal":
            file_id = "F" + ts[-6:]
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.root}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = args.get("files") or []
            return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.root.replace("http://", "ws://") + "/socket"}
        return {"ok": False, "error": "unknown_method"}

    async def _respond(self, request: web.Request) -> web.Response:
        await self._record(Call("response_url", {"name": request.match_info["name"], **await request.json()}))
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        await self._record(Call("file.upload", {"file_id": request.match_info["file_id"], "data": data}))
        return web.Response(text="OK - " + str(len(data)))

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1})
        async with self._changed:
            self._sockets.append(ws)
            self._changed.notify_all()
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                await self._record(Call("socket.ack", json.loads(message.data)))
        return ws


async def _arguments(request: web.Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query)
    raw = await request.text()
    if request.content_type == "application/json" and raw:
        args.update(json.loads(raw))
    elif raw:
        args.update(dict(parse_qsl(raw, keep_blank_values=True)))
    for name in ("blocks", "view", "files"):
        if isinstance(args.get(name), str):
            args[name] = json.loads(args[name])
    return args


def _metadata(args: dict[str, Any]) -> dict[str, Any] | None:
    metadata = args.get("metadata")
    if isinstance(metadata, str):
        metadata = json.loads(metadata)
    return metadata if isinstance(metadata, dict) else None


def _delivery_part(args: dict[str, Any]) -> tuple[int | None, Any]:
    """The lesson a posted message carries, and which of its messages it is: its metadata, else its answer
    buttons' values (then the part is unknown: None)."""
    metadata = _metadata(args)
    if metadata is not None and isinstance(metadata.get("event_payload"), dict):
        found = metadata["event_payload"].get("delivery_id")
        if isinstance(found, int):
            return found, metadata["event_payload"].get("part")
    for element in Call("", args).buttons():
        value = json.loads(element.get("value") or "null")
        if isinstance(value, dict) and isinstance(value.get("d"), int) and ("o" in value or "p" in value):
            return value["d"], None
    return None, None


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["text"]] if isinstance(value.get("text"), str) else []
        return found + [t for k, v in value.items() if k != "text" or not isinstance(v, str) for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


async def serve_forever() -> None:
    """Run the fake alone (another process) and print its Web API URL; it stops when its standard input closes.
    An argument sets the seconds each post takes."""
    delay = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    fake = await FakeSlack(record=False, delays={"chat.postMessage": delay}).start()
    print(fake.url, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await fake.stop()


if __name__ == "__main__":
    asyncio.run(serve_forever())
