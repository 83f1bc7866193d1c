"""What the bot sent to the fake Teams connector, read as the person in the chat would: the calls recorded,
their cards, texts, attachments and buttons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ADAPTIVE = "application/vnd.microsoft.card.adaptive"
FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"


@dataclass
class Call:
    """One request the bot made to the connector."""

    method: str
    path: str
    conversation: str | None
    activity_id: str | None  # the activity replied to (POST) or updated (PUT)
    body: dict[str, Any] | None
    status: int
    answer_id: str | None = None  # the id the connector gave a new activity

    @property
    def typing(self) -> bool:
        """Whether this is the typing indicator ("Coach is typing…"), not a message."""
        return (self.body or {}).get("type") == "typing"

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [a["content"] for a in self.attachments(ADAPTIVE)]

    def attachments(self, content_type: str) -> list[dict[str, Any]]:
        """The message's attachments of one type (e.g. FILE_CONSENT: the files the bot offers)."""
        return [a for a in (self.body or {}).get("attachments") or [] if a.get("contentType") == content_type]

    @property
    def texts(self) -> list[str]:
        """Every text and button title in the message, in order (what a person reads)."""
        found: list[str] = []
        for content in self.cards:
            _collect(content, found)
        if (self.body or {}).get("text"):
            found.insert(0, self.body["text"])  # type: ignore[index]
        return found

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


def _collect(node: Any, found: list[str]) -> None:
    if isinstance(node, dict):
        for key in ("text", "title"):
            if isinstance(node.get(key), str):
                found.append(node[key])
        for key, value in node.items():
            if key not in ("text", "title", "data", "fallback", "refresh"):  # a person sees an action or its fallback
                _collect(value, found)
    elif isinstance(node, list):
        for value in node:
            _collect(value, found)


def submits(call: Call) -> list[dict[str, Any]]:
    """Every Action.Submit of the message's cards, in the body's action sets and the card's actions (an
    Action.Execute's fallback among them: what an older client shows and sends)."""
    return _actions(call, "Action.Submit")


def executes(call: Call) -> list[dict[str, Any]]:
    """Every Action.Execute of the message's cards (Universal Actions), in order; not a card's refresh."""
    return _actions(call, "Action.Execute")


def _actions(call: Call, kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == kind:
                found.append(node)
            for key, value in node.items():
                if key != "refresh":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for content in call.cards:
        walk(content)
    return found
