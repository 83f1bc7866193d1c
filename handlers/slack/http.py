"""`POST /slack/events`: Events API, interactivity and slash commands on one URL, as Bolt does by default.

In front of Bolt's own dispatch, the route checks what Bolt would otherwise fail on: a forged signature or
a timestamp more than five minutes off is 401 before the body is even parsed (the signature is checked over
the body's bytes, as Slack computes it, so a body that is not UTF-8 is not taken for a forgery), and a
signed body that is not what Slack sends is 400 with the reason — never a 500 or a crashed listener.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.metrics import HANDLER_SECONDS, REQUESTS
from handlers.slack import payloads

log = logging.getLogger(__name__)

PATH = "/slack/events"
MAX_AGE = 300
"""Seconds a request's timestamp may be off from now, as Slack recommends (and Bolt uses)."""


class SlackRoute:
    def __init__(self, app: AsyncApp, signing_secret: str) -> None:
        self.app = app
        self._secret = signing_secret.encode()

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post(PATH, self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        response = await self._answer(request)
        REQUESTS.labels(PATH, str(response.status)).inc()
        HANDLER_SECONDS.labels("slack").observe(time.perf_counter() - started)
        return response

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        try:
            raw = await request.read()
        except web.HTTPException as exc:  # too large
            return web.json_response({"error": exc.reason}, status=exc.status)
        if not self._signed(raw, request):
            return web.json_response({"error": "invalid or expired signature"}, status=401)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return web.json_response({"error": "malformed Slack request: the body is not UTF-8"}, status=400)
        try:
            body = payloads.parse(text, request.content_type)
            payloads.check(body)
            bolt_request = AsyncBoltRequest(body=text, query=request.query_string,
                                            headers=dict(request.headers))
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            return web.json_response({"error": f"malformed Slack request: {exc}"}, status=400)
        # Bolt takes any form body with the word "payload" anywhere in it (`/learn payload`, a channel or
        # workspace named so) for an interactivity payload and finds no listener: give it the body as parsed.
        bolt_request.body = body
        bolt_request.context = build_async_context(AsyncBoltContext(), body)
        bolt_response = await self.app.async_dispatch(bolt_request)
        if bolt_response.status >= 500:
            log.error("Bolt answered %s to a %s request", bolt_response.status, request.content_type)
        return await to_aiohttp_response(bolt_response)

    def _signed(self, raw: bytes, request: web.Request) -> bool:
        """Slack's v0 signature: HMAC-SHA256 of `v0:<timestamp>:<body bytes>` with the signing secret."""
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not timestamp.isascii() or not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_AGE:
            return False
        expected = hmac.new(self._secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
        return hmac.compare_digest(f"v0={expected}".encode(), signature.encode("utf-8", "replace"))
