"""The shape of a Slack request body, checked before Bolt sees it.

Bolt parses and routes with plain indexing (`body["event"]["type"]`, `body["actions"][0]`), so a signed
but malformed body would make it raise or answer 500. Whatever Slack really sends this app passes: slash
commands, Events API callbacks, and the two interactivity payloads its messages and modals produce
(`block_actions`, `view_submission`). Anything else — including the legacy types (attachment buttons,
dialogs, workflow steps), which Bolt would route to the same listeners by their `callback_id` — gets a
sentence saying what is wrong (the route answers 400 with it).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

Body = dict[str, Any]

_ID_FIELDS = ("user", "team", "channel", "enterprise")
_DICT_FIELDS = ("event", "view", "container", "message", "previous_message", "item", "assistant_thread")


EVENTS_ONLY = frozenset({"app_rate_limited"})
"""Besides the types checked below: what else Slack posts to the events URL on its own."""


class Malformed(ValueError):
    """A body that is not what Slack sends."""


def parse(text: str, content_type: str | None) -> Body:
    """The body as Bolt will read it (JSON, a form with a JSON `payload`, or a slash command's form)."""
    if not text.strip():
        raise Malformed("empty body")
    if content_type == "application/json" or text.startswith("{"):
        return _object(text, "the JSON body")
    try:
        form = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        raise Malformed("the form body is not URL-encoded") from None
    if "payload" in form:
        return _object(form["payload"], "the payload field")
    if "command" in form or "ssl_check" in form:
        return form
    raise Malformed("a form body needs a payload or a command")


def check(body: Body) -> None:
    """Raise Malformed when Bolt's routing or the coach's listeners could not read this body."""
    for name in _ID_FIELDS:
        if body.get(name) is not None and not isinstance(body[name], str | dict):
            raise Malformed(f"{name} must be an object or an id")
    for name in _DICT_FIELDS:
        if name in body and not isinstance(body[name], dict):
            raise Malformed(f"{name} must be an object")
    for name in ("authorizations", "response_urls"):
        if name in body and not (isinstance(body[name], list) and all(isinstance(x, dict) for x in body[name])):
            raise Malformed(f"{name} must be a list of objects")
    if "command" in body:
        _require_str(body, "command", "user_id")
        return
    kind = body.get("type")
    if not isinstance(kind, str):
        if "ssl_check" in body:
            return
        raise Malformed("type is missing")
    if kind == "url_verification":
        _require_str(body, "challenge")
    elif kind == "event_callback":
        _require_str(body, "event_id")
        if not isinstance(body.get("event"), dict):
            raise Malformed("event must be an object")
        _require_str(body["event"], "type")
    elif kind == "block_actions":
        _user(body)
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions or not all(isinstance(a, dict) for a in actions):
            raise Malformed("actions must be a non-empty list of objects")
        for action in actions:
            _require_str(action, "action_id")
            _optional_str(action, "value", "block_id")
    elif kind == "view_submission":
        _user(body)
        if not isinstance(body.get("view"), dict):
            raise Malformed("view must be an object")
        _require_str(body["view"], "callback_id", "type")
    elif kind not in EVENTS_ONLY:
        raise Malformed(f"this app takes no {kind!r} payloads")


def _object(text: str, what: str) -> Body:
    try:
        value = json.loads(text)
    except ValueError:
        raise Malformed(f"{what} is not valid JSON") from None
    except RecursionError:
        raise Malformed(f"{what} is nested too deeply") from None
    if not isinstance(value, dict):
        raise Malformed(f"{what} must be a JSON object")
    return value


def _user(body: Body) -> None:
    user = body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"]:
        raise Malformed("user.id is missing")


def _require_str(body: Body, *names: str) -> None:
    for name in names:
        if not isinstance(body.get(name), str) or not body[name]:
            raise Malformed(f"{name} is missing")


def _optional_str(body: Body, *names: str) -> None:
    for name in names:
        if name in body and not isinstance(body[name], str):
            raise Malformed(f"{name} must be text")
