"""What a Teams message says where its card can't be shown: the notification, the chat list, a client
without Adaptive Cards.

A message that carries only a card shows as "Card" in the notification and the chat list unless the
activity has a `summary`, and a client that can't render the card shows its `fallbackText`. Both are
taken from the card itself — its heading (a lesson's title, "✅ Right!", "Team summary — …"), else its first
text — so every card has them without each renderer spelling them out, in plain words without Markdown.
A date the card writes with DATE()/TIME() is written here in words, on the learner's clock (the stamp's
offset) and in the reader's locale when the turn told it (`Activity.locale`), since neither the
notification nor a screen reader's fallback runs the card's date functions.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from bot.chat.dates import moment_words

SUMMARY_CHARS = 150
"""Teams shows about a line of it; longer is cut at a word with an ellipsis."""
SUMMARY_BYTES = 300
"""At most this many bytes on the wire (an emoji takes twelve), so that a card split to fit a message can
keep room for its headline twice (`HEADLINE_ROOM`) whatever the headline turns out to be."""
HEADLINE_ROOM = 2 * SUMMARY_BYTES + len('"summary": , "fallbackText": , ')
DEFAULT = "A message from your learning coach"

_MARKS = re.compile(r"\*\*(.+?)\*\*|(?<!\w)_(.+?)_(?!\w)|`([^`]+)`")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_DATE = re.compile(r"\{\{DATE\(([^,(){}]+), SHORT\)\}\}(?: \{\{TIME\(\1\)\}\})?")


def summary_of(card: dict[str, Any], locale: str | None = None) -> str:
    """The card's headline as plain text: its first bold heading, else its first text."""
    texts = list(_text_blocks(card.get("body") or []))
    headings = [block["text"] for block in texts if block.get("weight") == "Bolder"]
    first = headings[0] if headings else texts[0]["text"] if texts else ""
    return plain_line(first, locale) or DEFAULT


def plain_words(markdown: str, locale: str | None = None) -> str:
    """Card Markdown as plain words on one line (bold, italics, code and links as their words; dates in
    words in the `locale`)."""
    text = _DATE.sub(lambda m: _date_words(m, locale), _LINK.sub(r"\1", markdown))
    return " ".join(_MARKS.sub(lambda m: m.group(1) or m.group(2) or m.group(3), text).split())


def plain_line(markdown: str, locale: str | None = None) -> str:
    """One line of card Markdown as plain words, cut to SUMMARY_CHARS."""
    line = plain_words(next((part for part in markdown.splitlines() if part.strip()), ""), locale)
    limit = SUMMARY_CHARS
    shown = line
    while len(shown) > SUMMARY_CHARS or len(json.dumps(shown)) > SUMMARY_BYTES:
        shown = line[: limit - 1].rsplit(" ", 1)[0].rstrip() + "…"
        limit -= 1
    return shown


def _date_words(found: re.Match[str], locale: str | None) -> str:
    """A DATE() (and TIME()) call in words; a stamp that does not parse stays as written."""
    try:
        stamp = datetime.fromisoformat(found.group(1))
    except ValueError:
        return found.group(0)
    return moment_words(stamp, locale, day=found.group(0).count("{{") == 1)


def _text_blocks(nodes: list[Any]) -> Any:
    """The TextBlocks of a card body in reading order, inside containers and columns too."""
    for node in nodes:
        if not isinstance(node, dict):
            continue
        if node.get("type") == "TextBlock" and isinstance(node.get("text"), str) and node["text"].strip():
            yield node
        for key in ("items", "columns"):
            yield from _text_blocks(node.get(key) or [])
