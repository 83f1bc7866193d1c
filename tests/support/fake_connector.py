"""A fake Bot Framework connector for tests, and a Teams user who talks to the bot through it.

`FakeConnector` is the service a Teams bot calls back (`serviceUrl`): it answers the connector routes the
coach uses, records every call, can be told to fail (a 429 with Retry-After, or a proxy's HTML error page),
refuses an activity over Teams' size limit with 413 as Teams does, stands in for the OneDrive upload
session a file consent hands out, and also serves OpenID metadata and signing keys so that JWT checks can
run offline. It runs on loopback in its own thread, because the SDK fetches signing keys with a blocking
HTTP call that would otherwise stall the test's event loop.

`TeamsUser` posts correctly shaped activities to the running server, as Teams would for one person in
their personal chat with the bot (including pressing Allow or Decline on a file consent card), and reads
back what the bot sent there (`teams_calls`). `teams_bot` runs that server (`build_app` +
`attach_platforms` with COACH_TEAMS=1 and no app id) with the sample org loaded.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.chat.coach import Coach
from bot.config import Settings
from handlers.assembly import attach_platforms
from handlers.msteams import runtime
from handlers.msteams.later import LaterTurns
from handlers.msteams.members import Retry
from handlers.msteams.posting import Backoff
from handlers.platforms import Platforms
from handlers.server import build_app
from store.db import Database
from tests.support.org import SAMPLE_ORG, load_sample_org
from tests.support.teams_calls import FILE_CONSENT, Call
from tests.support.waiting import PATIENCE

BOT_ID = "28:coach-bot"
TEAMS_LIMIT = 28_000
"""Bytes of an activity Teams still takes; the fake answers 413 above it, as Teams refuses larger ones."""
TENANT = "tenant-0001"
AAD_HAL = "00000000-0000-0000-0000-0000000000aa"
ORG = SAMPLE_ORG + f"hal@example.com,Hal Aad,mia@example.com,buyer,Europe/Berlin,,{AAD_HAL}\n"


@dataclass
class _Failure:
    method: str
    status: int
    remaining: int
    retry_after: str | None
    route: str
    html: bool

    def response(self) -> web.Response:
        headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
        if self.html:  # what a proxy or gateway in front of the connector answers
            return web.Response(status=self.status, text="<html><body><h1>Bad gateway</h1></body></html>",
                                content_type="text/html", headers=headers)
        return web.json_response({"error": {"code": "Throttled", "message": "slow down"}}, status=self.status,
                                 headers=headers)


@dataclass
class FakeConnector:
    """The connector on 127.0.0.1; `url` is the serviceUrl to put in activities."""

    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> TeamsChannelAccount JSON
    signing_keys: list[dict[str, Any]] = field(default_factory=list)  # JWKs served to the JWT checks
    calls: list[Call] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)  # upload session id -> the bytes the bot PUT there
    url: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._failures: list[_Failure] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-connector", daemon=True)
        self._runner: web.AppRunner | None = None
        self._open = threading.Event()
        self._open.set()

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> FakeConnector:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=PATIENCE)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=PATIENCE)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=PATIENCE)

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._post_activity)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._post_activity)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._put_activity)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._get_member)
        app.router.add_put("/uploads/{session}", self._upload)
        app.router.add_get("/openid/configuration", self._openid)
        app.router.add_get("/openid/keys", self._keys)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/"

    # -- what tests arrange and read -------------------------------------------------------------------
    @property
    def openid_url(self) -> str:
        return self.url + "openid/configuration"

    def fail(self, status: int, *, times: int = 1, retry_after: str | None = None, method: str = "POST",
             route: str = "activities", html: bool = False) -> None:
        """Answer the next `times` requests of `method` to `route` ("activities", "members" or "uploads")
        with `status` (e.g. 429 throttling); `html` answers with a gateway's HTML page instead of JSON."""
        with self._lock:
            self._failures.append(_Failure(method, status, times, retry_after, route, html))

    def upload_info(self, name: str) -> dict[str, str]:
        """What Teams puts in a file consent's `uploadInfo` when the person allows the file: an upload
        session (here on this fake) and where the file will be."""
        session = f"upload-{next(self._ids)}"
        return {"name": name, "uploadUrl": self.url + f"uploads/{session}",
                "contentUrl": f"https://contoso.sharepoint.example/personal/{session}/{name}",
                "uniqueId": session, "fileType": name.rpartition(".")[2]}

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    def sent(self, conversation: str, *, after: int = 0) -> list[Call]:
        """Messages the bot posted successfully into a conversation (new messages, not updates, not the
        typing indicator)."""
        return [c for c in self.calls[after:] if c.method == "POST" and c.conversation == conversation
                and c.status == 200 and c.body is not None and not c.typing]

    def typing(self, conversation: str, *, after: int = 0) -> list[Call]:
        """The typing indicators the bot showed in a conversation."""
        return [c for c in self.calls[after:] if c.conversation == conversation and c.typing]

    def hold(self) -> None:
        """Keep every activity posted and every member looked up from now on waiting, unanswered, until
        `release` (a slow connector)."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def updated(self, conversation: str, *, after: int = 0) -> list[Call]:
        return [c for c in self.calls[after:] if c.method == "PUT" and c.conversation == conversation
                and c.status == 200]

    def attempts(self, conversation: str, *, after: int = 0) -> list[Call]:
        """Every try at posting or updating a message (the typing indicator is not one)."""
        return [c for c in self.calls[after:] if c.conversation == conversation and c.method in ("POST", "PUT")
                and not c.typing]

    def too_large(self, *, after: int = 0) -> list[Call]:
        """Activities refused for their size (413): each one a message its person never saw."""
        return [c for c in self.calls[after:] if c.status == 413]

    # -- routes ----------------------------------------------------------------------------------------
    def _failure(self, method: str, route: str = "activities") -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.method == method and failure.route == route and failure.remaining > 0:
                    failure.remaining -= 1
                    return failure
        return None

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    async def _activity_call(self, request: web.Request) -> web.Response:
        raw = await request.read()
        body = json.loads(raw)
        conversation = request.match_info["conversation"]
        activity = request.match_info.get("activity")
        await asyncio.get_running_loop().run_in_executor(None, self._open.wait)
        if body.get("type") == "typing":  # failures told to the fake are meant for messages
            self._record(Call(request.method, request.path, conversation, activity, body, 200))
            return web.json_response({"id": f"typing-{next(self._ids)}"})
        if len(raw) > TEAMS_LIMIT:
            self._record(Call(request.method, request.path, conversation, activity, body, 413))
            return web.json_response({"error": {"code": "MessageSizeTooBig", "message": "Message size too big"}},
                                     status=413)
        failure = self._failure(request.method)
        if failure is not None:
            self._record(Call(request.method, request.path, conversation, activity, body, failure.status))
            return failure.response()
        answer_id = activity if request.method == "PUT" else f"activity-{next(self._ids)}"
        self._record(Call(request.method, request.path, conversation, activity, body, 200, answer_id))
        return web.json_response({"id": answer_id})

    async def _post_activity(self, request: web.Request) -> web.Response:
        return await self._activity_call(request)

    async def _put_activity(self, request: web.Request) -> web.Response:
        return await self._activity_call(request)

    async def _get_member(self, request: web.Request) -> web.Response:
        await asyncio.get_running_loop().run_in_executor(None, self._open.wait)
        member = self.members.get(request.match_info["member"])
        failure = self._failure("GET", "members")
        status = failure.status if failure else 200 if member else 404
        self._record(Call("GET", request.path, request.match_info["conversation"], None, None, status))
        if failure is not None:
            return failure.response()
        if member is None:
            return web.json_response({"error": {"code": "MemberNotFoundInConversation",
                                                "message": "The member is not in this conversation"}}, status=404)
        return web.json_response(member)

    async def _upload(self, request: web.Request) -> web.Response:
        """One PUT of the whole file into an upload session, as OneDrive takes it (Content-Range given)."""
        session = request.match_info["session"]
        data = await request.read()
        failure = self._failure("PUT", "uploads")
        self._record(Call("PUT", request.path, None, None, None, failure.status if failure else 201))
        if failure is not None:
            return failure.response()
        expected = f"bytes 0-{len(data) - 1}/{len(data)}"
        if request.headers.get("Content-Range") != expected:
            return web.json_response({"error": {"code": "invalidRange", "message": expected}}, status=416)
        self.uploads[session] = data
        return web.json_response({"id": session, "size": len(data)}, status=201)

    async def _create_conversation(self, request: web.Request) -> web.Response:
        body = await request.json()
        conversation = f"a:created-{next(self._ids)}"
        self._record(Call("POST", request.path, conversation, None, body, 200))
        return web.json_response({"id": conversation, "activityId": f"activity-{next(self._ids)}",
                                  "serviceUrl": self.url})

    async def _openid(self, _request: web.Request) -> web.Response:
        return web.json_response({"issuer": "https://api.botframework.com", "jwks_uri": self.url + "openid/keys",
                                  "id_token_signing_alg_values_supported": ["RS256"]})

    async def _keys(self, _request: web.Request) -> web.Response:
        return web.json_response({"keys": self.signing_keys})


class TeamsUser:
    """One person in their personal chat with the bot, posting activities to the server as Teams does."""

    def __init__(self, http: aiohttp.ClientSession, bot_url: str, connector: FakeConnector, user_id: str, *,
                 name: str = "", aad_id: str | None = None, token: str | None = None,
                 settle: Callable[[], Awaitable[None]] | None = None) -> None:
        self.http = http
        self.settle = settle
        self.bot_url = bot_url
        self.connector = connector
        self.user_id = user_id
        self.name = name
        self.aad_id = aad_id
        self.token = token
        self.conversation = f"a:personal-{user_id.split(':')[-1]}"
        self._ids = itertools.count(1)

    def activity(self, kind: str, **fields: Any) -> dict[str, Any]:
        """A well-formed activity from this user in their personal chat."""
        sender: dict[str, Any] = {"id": self.user_id, "name": self.name}
        if self.aad_id:
            sender["aadObjectId"] = self.aad_id
        return {
            "type": kind, "id": f"in-{self.user_id}-{next(self._ids)}", "channelId": "msteams",
            "serviceUrl": self.connector.url, "timestamp": "2026-12-01T09:00:00.000Z",
            "from": sender, "recipient": {"id": BOT_ID, "name": "Coach"},
            "conversation": {"id": self.conversation, "conversationType": "personal", "tenantId": TENANT},
            "channelData": {"tenant": {"id": TENANT}}, **fields,
        }

    async def post(self, activity: Any, *, content_type: str = "application/json") -> int:
        status, _ = await self.exchange(activity, content_type=content_type)
        return status

    async def exchange(self, activity: Any, *, content_type: str = "application/json",
                       settle: bool = True) -> tuple[int, bytes]:
        """Post an activity (a dict, or the body as text or bytes); returns the status and the body of the
        answer — once the turn the bot runs after answering is done too, unless `settle` is false."""
        headers = {"Content-Type": content_type}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = activity if isinstance(activity, str | bytes) else json.dumps(activity)
        async with self.http.post(self.bot_url + "/api/messages", data=data, headers=headers) as response:
            answered = response.status, await response.read()
        if settle and self.settle is not None:
            await self.settle()
        return answered

    async def say(self, text: str, **fields: Any) -> list[Call]:
        """Type a message; returns what the bot posted back."""
        mark = len(self.connector.calls)
        status = await self.post(self.activity("message", text=text, **fields))
        assert status == 200, status
        return self.connector.sent(self.conversation, after=mark)

    async def press(self, card: Call, data: dict[str, Any]) -> tuple[list[Call], list[Call]]:
        """Press an Action.Submit on a card the bot sent; returns (cards updated, messages posted)."""
        mark = len(self.connector.calls)
        status = await self.post(self.activity("message", value=data, replyToId=card.answer_id))
        assert status == 200, status
        return (self.connector.updated(self.conversation, after=mark),
                self.connector.sent(self.conversation, after=mark))

    async def execute(self, card: Call, action: dict[str, Any], inputs: dict[str, Any] | None = None, *,
                      trigger: str = "manual") -> tuple[int, dict[str, Any]]:
        """Press an Action.Execute on a card the bot sent (or, with `trigger="automatic"`, let the card's
        refresh run, `action` being its refresh action), with the card's `inputs` merged into its data, as
        Teams does: an `adaptiveCard/action` invoke. Returns the invoke's status and its body as JSON."""
        value = {"action": {"type": "Action.Execute", "verb": action["verb"],
                            "data": {**action.get("data", {}), **(inputs or {})}}, "trigger": trigger}
        status, body = await self.exchange(self.activity("invoke", name="adaptiveCard/action", value=value,
                                                         replyToId=card.answer_id))
        return status, json.loads(body) if body else {}

    async def install(self, action: str = "add") -> list[Call]:
        mark = len(self.connector.calls)
        status = await self.post(self.activity("installationUpdate", action=action))
        assert status == 200, status
        return self.connector.sent(self.conversation, after=mark)

    async def answer_file(self, offer: Call, *, allow: bool = True) -> tuple[int, bytes, list[Call]]:
        """Press Allow (or Decline) on the file consent card of a message: Teams then sends the bot a
        `fileConsent/invoke` with the card's context and, when allowed, an upload session. Returns the
        invoke's status and body and what the bot posted meanwhile."""
        [consent] = offer.attachments(FILE_CONSENT)
        content = consent["content"]
        value: dict[str, Any] = {"type": "fileUpload", "action": "accept" if allow else "decline",
                                 "context": content.get("acceptContext" if allow else "declineContext")}
        if allow:
            value["uploadInfo"] = self.connector.upload_info(consent["name"])
        mark = len(self.connector.calls)
        status, body = await self.exchange(self.activity("invoke", name="fileConsent/invoke", value=value,
                                                         replyToId=offer.answer_id))
        return status, body, self.connector.sent(self.conversation, after=mark)


@pytest.fixture(scope="module")
def connector() -> Iterator[FakeConnector]:
    """One fake connector per test module (each test talks in its own conversations)."""
    fake = FakeConnector().start()
    yield fake
    fake.stop()


@dataclass
class TeamsBot:
    """The server under test, with what tests need to talk to it and look behind it."""

    coach: Coach
    db: Database
    connector: FakeConnector
    http: aiohttp.ClientSession
    url: str
    ids: dict[str, int]  # email -> person id of the sample org
    platforms: Platforms
    later: LaterTurns  # the turns the bot runs after answering

    def user(self, user_id: str, name: str = "", aad_id: str | None = None) -> TeamsUser:
        return TeamsUser(self.http, self.url, self.connector, user_id, name=name, aad_id=aad_id,
                         settle=self.settle)

    async def settle(self) -> None:
        """Wait until every turn the bot runs after answering is done. `LaterTurns.drain` gives up after its
        DRAIN_SECONDS (right at shutdown, where a process must end); a test waits for the turns themselves."""
        deadline = asyncio.get_running_loop().time() + PATIENCE
        while len(self.later):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{len(self.later)} Teams turns were still running after {PATIENCE:g} s")
            await self.later.drain()


@asynccontextmanager
async def teams_bot(db: Database, settings: Settings, clock: Callable[[], datetime], connector: FakeConnector,
                    workdir: Path, *, org: str = ORG, **config: Any) -> AsyncIterator[TeamsBot]:
    """`coach serve`'s HTTP app with Teams enabled, on loopback, with the sample org (plus Hal, known to
    the org chart only by his AAD object id) or the org chart given."""
    ids = await load_sample_org(db, workdir, org)
    settings = settings.model_copy(update={"coach_teams": True, **config})
    coach = Coach(db, settings, clock=clock, worker_id="test-worker")
    platforms = attach_platforms(coach, settings)
    server = TestServer(build_app(db, platforms.mounts), host="127.0.0.1")
    await server.start_server()
    connector.clear_failures()
    try:
        async with aiohttp.ClientSession() as http:
            yield TeamsBot(coach, db, connector, http, str(server.make_url("")).rstrip("/"), ids, platforms,
                           server.app[runtime.LATER_TURNS])
    finally:
        await server.close()
        for cleanup in platforms.cleanups:
            await cleanup()


@pytest.fixture
async def teams(db: Database, settings: Settings, clock: Callable[[], datetime], connector: FakeConnector,
                tmp_path: Path) -> AsyncIterator[TeamsBot]:
    """The Teams bot without an app id (unauthenticated, as in local development), on either database."""
    async with teams_bot(db, settings, clock, connector, tmp_path) as bot:
        yield bot


@pytest.fixture
async def quick_teams(db: Database, settings: Settings, clock: Callable[[], datetime], connector: FakeConnector,
                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TeamsBot]:
    """The Teams bot backing off for milliseconds instead of seconds between attempts, and retrying the
    member lookups Teams failed after milliseconds instead of half a minute."""
    monkeypatch.setattr(runtime, "BACKOFF", Backoff(first=0.001))
    monkeypatch.setattr(runtime, "RETRY", Retry(first=0.02, longest=0.05, attempts=50))
    async with teams_bot(db, settings, clock, connector, tmp_path) as bot:
        yield bot
