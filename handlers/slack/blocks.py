"""Block Kit for the coach's replies: a registry of one renderer per reply type, and the building blocks.

Each type in `bot.replies` (and any type another module adds) has exactly one renderer, registered with
`@renderer(TheType)` in a module of `handlers/slack/renderers/`; every module there is imported the first
time something is rendered, so a new reply type needs only a new module in that folder (until it has one,
a type with a Markdown `text` and optional `buttons` is shown as that text). Renderers return
blocks; `messages_for` turns them into messages within Slack's limits (50 blocks a message, section text
3,000 characters, button text 75, 25 elements an actions block, a button's value 2,000).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.replies import Button, Phrase, Renderers, Text
from handlers.slack.mrkdwn import clip, split_text, to_mrkdwn, unlinked

MAX_BLOCKS = 50
SECTION_TEXT = 3000
CONTEXT_TEXT = 2000
BUTTON_TEXT = 75
HEADER_TEXT = 150
BUTTON_VALUE = 2000
ACTIONS_ELEMENTS = 25
FALLBACK_TEXT = 300
ACTION_PREFIX = "coach."
"""Buttons that go to `Coach.press` have action ids `coach.<action>.<n>`; Slack-only ones use other ids."""

Block = dict[str, Any]
Renderer = Callable[[Any], list[Block]]

RENDERERS: Renderers[Renderer] = Renderers("Slack")
renderer = RENDERERS.register
"""Register the Block Kit renderer of a reply type (use as a decorator). One per type."""
NOTIFICATIONS: Renderers[Callable[[Any], str]] = Renderers("Slack notification")
notification = NOTIFICATIONS.register
"""Register what a phone's notification says for a reply type, when its first words would not do."""
_loaded = False


@dataclass(frozen=True)
class SlackMessage:
    """One chat message: the notification/fallback text and its blocks."""

    text: str
    blocks: list[Block]


def blocks_for(item: Any) -> list[Block]:
    """The blocks of one reply item, by the renderer registered for its type (or a base type)."""
    _load_renderers()
    found = RENDERERS.find(item)
    if found is not None:
        return found(item)
    if isinstance(getattr(item, "text", None), (str, Phrase)):
        buttons = [b for b in getattr(item, "buttons", None) or [] if isinstance(b, Button)]
        return [*sections(item.text), *button_rows(buttons)]
    raise LookupError(f"no Slack renderer for {type(item).__name__}: add one in handlers/slack/renderers/")


def messages_for(item: Any) -> list[SlackMessage]:
    """The item as one message, or several when it has more blocks than Slack takes in one. Each message's
    `text` is what a notification shows: the item's own notification line for its first message when its
    type registers one (a lesson), else the message's first words."""
    blocks = blocks_for(item)
    chunks = [blocks[i:i + MAX_BLOCKS] for i in range(0, len(blocks), MAX_BLOCKS)] or [[]]
    told = NOTIFICATIONS.find(item)
    first = clip(told(item), FALLBACK_TEXT) if told is not None else None
    return [SlackMessage(first if index == 0 and first else fallback_text(chunk), chunk)
            for index, chunk in enumerate(chunks)]


def fallback_text(blocks: list[Block]) -> str:
    """Text for notifications and screen readers: the message's first words, dates as their words in the
    learner's zone (a notification does not show date tokens)."""
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict) and text.get("text"):
            return clip(unlinked(text["text"]), FALLBACK_TEXT)
    return "A message from your learning coach"


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT)}


def sections(markdown: Text) -> list[Block]:
    """Markdown as as many section blocks as its length needs."""
    return [section_mrkdwn(piece) for piece in split_text(to_mrkdwn(markdown), SECTION_TEXT)]


def section_mrkdwn(mrkdwn: str) -> Block:
    """A section of text that is already mrkdwn (and within the limit)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn[:SECTION_TEXT]}}


def context(*markdown: Text) -> Block:
    return {"type": "context", "elements": [
        {"type": "mrkdwn", "text": split_text(to_mrkdwn(text), CONTEXT_TEXT)[0]} for text in markdown if text
    ][:10]}


def divider() -> Block:
    return {"type": "divider"}


def button_element(label: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    if len(value) > BUTTON_VALUE:
        raise ValueError(f"a button value of {len(value)} characters is over Slack's {BUTTON_VALUE}")
    element: dict[str, Any] = {"type": "button", "action_id": action_id, "text": plain(label, BUTTON_TEXT),
                               "value": value}
    if style in ("primary", "danger"):
        element["style"] = style
    return element


def coach_button(button: Button, index: int) -> dict[str, Any]:
    """A button that comes back to `Coach.press`: the action in its id, the value as JSON."""
    value = json.dumps(button.value, separators=(",", ":"), sort_keys=True)
    return button_element(button.label, f"{ACTION_PREFIX}{button.action}.{index}", value, button.style)


def action_of(action_id: str) -> str:
    """`coach.answer.2` -> `answer`."""
    return action_id.removeprefix(ACTION_PREFIX).rsplit(".", 1)[0]


def actions(elements: Iterable[dict[str, Any]]) -> list[Block]:
    """Button rows; Slack takes up to 25 elements in one actions block."""
    items = list(elements)
    return [{"type": "actions", "elements": items[i:i + ACTIONS_ELEMENTS]}
            for i in range(0, len(items), ACTIONS_ELEMENTS)]


def button_rows(buttons: list[Button]) -> list[Block]:
    return actions(coach_button(button, index) for index, button in enumerate(buttons))


def _load_renderers() -> None:
    global _loaded
    if _loaded:
        return
    package = importlib.import_module("handlers.slack.renderers")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    _loaded = True
