"""A card as the message that carries it, and what that message weighs on its way to Teams.

Teams refuses an activity of about 28 KB or more, and the connector client serialises each activity with
msrest and sends it as `json.dumps` writes it: every non-ASCII character escaped (`\\u00e9`, six bytes for
one letter; twelve for an emoji). `wire_size` measures exactly that, so a budget holds however a lesson is
written.
"""

from __future__ import annotations

import json
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity
from botframework.connector import models
from msrest import Serializer

from handlers.msteams.summary import summary_of

BUDGET = 24_000
"""Bytes a message may take; the rest of Teams' ~28 KB is for what the adapter adds (ids, addresses)."""

_SERIALIZER = Serializer({name: kind for name, kind in models.__dict__.items() if isinstance(kind, type)})
"""The connector client's own serializer (`ConnectorClient` builds it from the same models)."""


def message(card: dict[str, Any], locale: str | None = None) -> Activity:
    """A message carrying one Adaptive Card, with its headline as the notification's `summary` and the
    card's `fallbackText` (`summary`; dates in the reader's `locale` when known)."""
    headline = summary_of(card, locale)
    made = MessageFactory.attachment(CardFactory.adaptive_card({"fallbackText": headline, **card}))
    made.summary = headline
    return made


def wire_size(activity: Activity) -> int:
    """Bytes of the activity's body as the connector client sends it."""
    return len(json.dumps(_SERIALIZER.body(activity, "Activity")))


def json_size(value: Any) -> int:
    """Bytes a part of a card adds to the message (its JSON as sent, ASCII-escaped)."""
    return len(json.dumps(value))
