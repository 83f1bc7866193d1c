"""`POST /api/triggers`: just-in-time lessons that other systems ask for (CONTRACTS.md).

`Authorization: Bearer $COACH_TRIGGER_TOKEN`; a JSON object with `email` and exactly one of `topic`, `competency`
or `lesson`, optionally `reason` (shown to the learner with the lesson), `defer` (hold it for the learner's
next window) and `id` (an idempotency key; the `Idempotency-Key` header does the same). Answers: 202
`{"delivery_id": …}` (plus `status` and `due_at`; `"deduplicated": true` when the key was seen before or an
identical trigger came within COACH_TRIGGER_MERGE_MINUTES — no new lesson), 401 bad token, 404 unknown
learner or content, 422 malformed body, 429 with `Retry-After` past COACH_TRIGGER_DAILY_CAP lessons for the
learner today, 503 while no token is configured. The lesson is recorded before the answer and sent right after
it; if this process dies first, the dispatcher sends it when the claim's lease runs out. A server that stops
lets the sends under way finish, for at most DRAIN_SECONDS, and starts no new one: cut off between the
platform taking a post and the send being recorded, a lesson would be posted again after the lease.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.chat.coach import Coach
from bot.dispatch.dispatcher import Dispatcher
from bot.dispatch.just_in_time import TriggerLimited, TriggerNotFound, trigger
from content.accepted_text import accepted_json

log = logging.getLogger(__name__)

ROUTE = "/api/triggers"
TARGETS = {"topic": 500, "competency": 64, "lesson": 64}
"""What a trigger can ask for, with the longest value accepted."""
MAX_REASON = 500
MAX_KEY = 200
KEY_HEADER = "Idempotency-Key"
DRAIN_SECONDS = 10.0
"""How long a stopping server waits for the sends under way; those still going are then cancelled, and the
dispatcher sends their lessons once the claims' leases run out."""


@dataclass(frozen=True)
class TriggerRequest:
    email: str
    target: str
    value: str
    reason: str | None
    defer: bool
    key: str | None = None


def parse(body: Any, header_key: str | None = None) -> TriggerRequest:
    """Check the JSON body; raises ValueError with a sentence the calling system's developer can act on."""
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    email = body.get("email")
    if not isinstance(email, str) or "@" not in email or len(email) > 320:
        raise ValueError("`email` must be the learner's email address")
    named = [key for key in TARGETS if body.get(key) is not None]
    if len(named) != 1:
        raise ValueError("name exactly one of `topic`, `competency` or `lesson`")
    target = named[0]
    value = body[target]
    if not isinstance(value, str) or not value.strip() or len(value) > TARGETS[target]:
        raise ValueError(f"`{target}` must be a non-empty string of at most {TARGETS[target]} characters")
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
        raise ValueError(f"`reason` must be a string of at most {MAX_REASON} characters")
    defer = body.get("defer", False)
    if not isinstance(defer, bool):
        raise ValueError("`defer` must be true or false")
    key = _key(body.get("id"), header_key)
    return TriggerRequest(email.strip(), target, value.strip(), reason.strip() or None if reason else None, defer,
                          key)


def _key(given: Any, header: str | None) -> str | None:
    """The idempotency key from the body's `id` or the header (both: they must agree)."""
    if given is not None and (not isinstance(given, str | int) or isinstance(given, bool)):
        raise ValueError("`id` must be a string (an idempotency key)")
    keys = {str(k).strip() for k in (given, header) if k is not None} - {""}
    if len(keys) > 1:
        raise ValueError(f"`id` and the {KEY_HEADER} header differ: send one key")
    key = keys.pop() if keys else None
    if key is not None and len(key) > MAX_KEY:
        raise ValueError(f"the idempotency key is longer than {MAX_KEY} characters")
    return key


class TriggerAPI:
    """The route, with the dispatcher that sends what it accepts."""

    def __init__(self, coach: Coach, dispatcher: Dispatcher) -> None:
        self.coach = coach
        self.dispatcher = dispatcher
        self._sending: set[asyncio.Task[Any]] = set()
        self._stopping = False

    def mount(self, app: web.Application) -> None:
        app.router.add_post(ROUTE, self.post)
        app.on_shutdown.append(self._finish_sending)

    async def post(self, request: web.Request) -> web.Response:
        token = self.coach.services.config.trigger_token
        if token is None or not token.get_secret_value():
            return _error(503, "the trigger API is switched off: set COACH_TRIGGER_TOKEN to enable it")
        if not _bearer_matches(request.headers.get("Authorization", ""), token.get_secret_value()):
            return _error(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})
        try:
            header = request.headers.get(KEY_HEADER)
            wanted = parse(accepted_json(json.loads(await request.read())),  # see content.accepted_text
                           accepted_json(header) if header is not None else None)
        except (ValueError, UnicodeDecodeError) as exc:
            message = str(exc) if not isinstance(exc, json.JSONDecodeError) else "the body is not valid JSON"
            return _error(422, message)
        except RecursionError:
            return _error(422, "the body is nested too deeply")
        try:
            done = await trigger(self.coach.services, email=wanted.email, reason=wanted.reason, defer=wanted.defer,
                                 key=wanted.key, **{wanted.target: wanted.value})
        except TriggerNotFound as exc:
            body: dict[str, Any] = {"error": str(exc)}
            if exc.closest:
                body["closest"] = exc.closest
            return web.json_response(body, status=404)
        except TriggerLimited as exc:
            return web.json_response({"error": str(exc), "retry_after": exc.retry_after}, status=429,
                                     headers={"Retry-After": str(exc.retry_after)})
        answer: dict[str, Any] = {"delivery_id": done.delivery_id, "status": done.status,
                                  "due_at": done.due_at.isoformat()}
        if done.deduplicated:  # the first one's lesson: already sent, being sent, or waiting
            return web.json_response(answer | {"deduplicated": True}, status=202)
        if done.status == "sending" and not self._stopping:
            task = asyncio.create_task(self._send(done.delivery_id))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        return web.json_response(answer, status=202)

    async def _finish_sending(self, _app: web.Application) -> None:
        """At shutdown: no new send, and the ones under way finish (or are cancelled after DRAIN_SECONDS), so
        none outlives the server and the couriers it posts through."""
        self._stopping = True
        if not self._sending:
            return
        _, late = await asyncio.wait(set(self._sending), timeout=DRAIN_SECONDS)
        if late:
            log.warning("%d trigger sends were still running after %.0f s; the dispatcher sends them after their "
                        "lease", len(late), DRAIN_SECONDS)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _send(self, delivery_id: int) -> None:
        try:
            await self.dispatcher.send_now(delivery_id)
        except Exception:
            log.exception("trigger delivery %s not sent now; the dispatcher retries it after its lease", delivery_id)


def _bearer_matches(header: str, token: str) -> bool:
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)
