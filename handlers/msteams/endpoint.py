"""`POST /api/messages`: check the request, authenticate it, then answer and run the turn afterwards
(`later`), or — for an invoke, whose answer is the response — let the adapter run it now.

The stock `CloudAdapter.process` answers 500 to malformed JSON or an activity without `from`, and 500 to
a token signed by a key it doesn't know; it also serialises invoke bodies twice (botbuilder 4.17.1).
So the request is validated here (415 for anything but UTF-8 JSON, 400 for a body that is not an activity
with a sender and a conversation), authenticated through the SDK here (401, or 503 when the signing keys
can't be fetched), and only then handed on: a message or an install to `later.LaterTurns` (answered 200
at once), anything else to `process_activity`, whose result is written back as is.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import requests
from aiohttp import web
from botbuilder.core import Bot
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from msrest.exceptions import DeserializationError

from bot.metrics import HANDLER_SECONDS, REQUESTS
from handlers.msteams.later import LaterTurns, deferred

log = logging.getLogger(__name__)

ROUTE = "/api/messages"
REQUIRED_OBJECTS = ("from", "conversation")
JSON = "application/json"
UTF8 = frozenset({"utf-8", "utf8"})
"""JSON travels in UTF-8 (RFC 8259); the body is decoded here, so a bogus charset can't fail the server."""


def problem(body: Any) -> str | None:
    """Why this body is not an activity the bot can answer, or None when it is."""
    if not isinstance(body, dict):
        return "the body must be a JSON object (a Bot Framework activity)"
    if not isinstance(body.get("type"), str) or not body["type"]:
        return "the activity has no type"
    for field in REQUIRED_OBJECTS:
        if not isinstance(body.get(field), dict) or not isinstance(body[field].get("id"), str) \
                or not body[field]["id"].strip():
            return f"the activity has no {field}.id"
    service_url = body.get("serviceUrl")
    if not isinstance(service_url, str) or not service_url.startswith(("https://", "http://")):
        return "the activity has no serviceUrl"
    return None


def messages_handler(adapter: CloudAdapter, bot: Bot, later: LaterTurns) -> Any:
    """The aiohttp handler for Bot Framework activities."""

    async def handle(request: web.Request) -> web.Response:
        started = time.perf_counter()
        response = await _answer(request, adapter, bot, later)
        REQUESTS.labels(ROUTE, str(response.status)).inc()
        HANDLER_SECONDS.labels("teams").observe(time.perf_counter() - started)
        return response

    return handle


async def _answer(request: web.Request, adapter: CloudAdapter, bot: Bot, later: LaterTurns) -> web.Response:
    if request.content_type != JSON or (request.charset or "utf-8").lower() not in UTF8:
        return _refuse(415, "send the activity as application/json in UTF-8")
    try:
        body = json.loads((await request.read()).decode("utf-8"))
    except UnicodeDecodeError:
        return _refuse(400, "the body is not valid UTF-8")
    except ValueError:
        return _refuse(400, "the body is not valid JSON")
    except RecursionError:
        return _refuse(400, "the body is nested too deeply")
    reason = problem(body)
    if reason is None:
        try:
            activity = Activity().deserialize(body)
        except DeserializationError as error:
            reason = f"the activity could not be read: {error}"
        except RecursionError:
            reason = "the activity is nested too deeply"
    if reason is not None:
        return _refuse(400, reason)
    try:
        authenticated = await adapter.bot_framework_authentication.authenticate_request(
            activity, request.headers.get("Authorization", ""))
    except requests.RequestException as error:
        log.error("could not fetch the Bot Framework signing keys to check a request: %s", error)
        return _refuse(503, "the request could not be authenticated just now")
    except Exception as error:
        log.warning("refused a Teams request that failed authentication: %s %.200s", type(error).__name__, error)
        return _refuse(401, "the request is not authenticated")
    if deferred(activity):
        later.start(authenticated, activity, bot.on_turn)
        return web.Response(status=200)
    result = await adapter.process_activity(authenticated, activity, bot.on_turn)
    if result is None:
        return web.Response(status=200)
    if result.body is None:  # an invoke answered with a status only
        return web.Response(status=int(result.status))
    return web.json_response(result.body, status=int(result.status))  # already plain JSON (expectReplies)


def _refuse(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
