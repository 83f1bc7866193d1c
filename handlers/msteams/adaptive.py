"""Adaptive Card building blocks, and the registry that maps each reply type to its card.

A renderer turns one reply item (a `bot.replies` object, or a new type another module defines) into an
Adaptive Card. Register one with `@renderer(ThatType)` in its own module and import that module from
`handlers/msteams/cards.py`; `render` finds it by the item's type (or a base class).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from bot.replies import Button, Moment, Phrase, Renderers, Text, written

CARD_VERSION = "1.4"  # every Teams client renders 1.4; nothing here needs newer elements
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
SUBMIT = "Action.Submit"
EXECUTE = "Action.Execute"

Card = dict[str, Any]
Renderer = Callable[[Any], Card]

RENDERERS: Renderers[Renderer] = Renderers("Teams")
renderer = RENDERERS.register
"""Register the card for one reply type (use as a decorator). One per type."""

_CODE = re.compile(r"`/?([^`]+)`")
_BULLET = re.compile(r"^\s*[•*+-]\s+")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+")
_HEADING = re.compile(r"^\s*#{1,6}\s+(.+?)\s*#*\s*$")


def render(item: Any) -> Card:
    """The Adaptive Card for a reply item. A type without its own renderer that carries its content as
    Markdown `text` (as the team views do) is shown as that text with its buttons; anything else is a
    programming error, said plainly."""
    found = RENDERERS.find(item)
    if found is not None:
        return found(item)
    if isinstance(getattr(item, "text", None), (str, Phrase)):
        buttons = getattr(item, "buttons", None) or getattr(item, "actions", None) or []
        return card(text_blocks(item.text), [submit(b) for b in buttons if isinstance(b, Button)], wide=True)
    raise LookupError(f"no Teams card for {type(item).__name__}: register one with "
                      "@handlers.msteams.adaptive.renderer and import its module from handlers/msteams/cards.py")


def registered() -> frozenset[type]:
    """The reply types Teams can show (tests check every type in bot.replies is here)."""
    return RENDERERS.kinds()


def card(body: list[dict[str, Any]], actions: Iterable[dict[str, Any]] = (), *, wide: bool = False) -> Card:
    """A complete card; `wide` uses the full chat width (lessons, tables)."""
    made: Card = {"type": "AdaptiveCard", "$schema": CARD_SCHEMA, "version": CARD_VERSION, "body": body}
    actions = list(actions)
    if actions:
        made["actions"] = actions
    if wide:
        made["msteams"] = {"width": "Full"}
    return made


def inline(markdown: str) -> str:
    """The coach's Markdown as Adaptive Card Markdown: bold, italics and links carry over; code spans
    (commands such as `/learn progress`) become bold words without the slash, which is how people type
    them to the bot in Teams."""
    return _CODE.sub(lambda m: f"**{m.group(1)}**", markdown)


def text_blocks(text: Text, *, paragraphs: bool = False, **style: Any) -> list[dict[str, Any]]:
    """TextBlocks for Markdown: a blank line becomes extra space above the next block, list items keep their
    own line, and a `## heading` (which a TextBlock would show as typed) becomes a bold heading block.
    Other lines are one block each, for replies whose lines are rows (team views); with `paragraphs`
    (authored prose: lessons), consecutive lines are one paragraph and so one block, as in Markdown. Moments
    are written with DATE()/TIME() (`moment`)."""
    markdown = written(text, moment)
    blocks: list[dict[str, Any]] = []
    gap = False
    joinable = False  # the last block is a paragraph that the next plain line continues
    for line in markdown.strip().splitlines():
        if not line.strip():
            gap, joinable = True, False
            continue
        titled = _HEADING.match(line)
        listed = bool(_BULLET.match(line) or _NUMBERED.match(line))
        if paragraphs and joinable and not titled and not listed:
            blocks[-1]["text"] += "\n" + inline(line.strip())
            continue
        if titled:
            block = {**heading(titled.group(1), size="Medium"), **style}
        else:
            text = _BULLET.sub("• ", line) if _BULLET.match(line) else line
            block = {"type": "TextBlock", "text": inline(text.rstrip()), "wrap": True, **style}
        if blocks:
            block["spacing"] = "Medium" if gap or titled else "Small"
        blocks.append(block)
        gap, joinable = False, not titled and not listed
    return blocks


def heading(text: str, *, size: str = "Medium") -> dict[str, Any]:
    return {"type": "TextBlock", "text": inline(text), "weight": "Bolder", "size": size, "wrap": True}


def subtle(text: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": inline(text), "isSubtle": True, "size": "Small", "wrap": True}


def submit(button: Button) -> dict[str, Any]:
    """An Action.Submit: the press comes back as a message whose `value` is this data (plus any inputs)."""
    action: dict[str, Any] = {"type": SUBMIT, "title": button.label,
                              "data": {"action": button.action, "value": dict(button.value)}}
    if button.style == "primary":
        action["style"] = "positive"
    elif button.style == "danger":
        action["style"] = "destructive"
    return action


def execute(button: Button) -> dict[str, Any]:
    """An Action.Execute (Universal Actions): the press comes as an `adaptiveCard/action` invoke whose answer
    is the card that replaces this one for the person who pressed (`handlers.msteams.universal`). Its verb
    is the button's action and its data the Action.Submit's, which is also its `fallback`: a client without
    Universal Actions shows that instead, and its press arrives as a message, handled as before."""
    fallback = submit(button)
    return {**fallback, "type": EXECUTE, "verb": button.action, "fallback": fallback}


def action_set(buttons: Iterable[Button], press: Callable[[Button], dict[str, Any]] = submit) -> dict[str, Any]:
    """Buttons placed inside the body (for a second group of buttons below the main ones)."""
    return {"type": "ActionSet", "actions": [press(b) for b in buttons]}


def moment(when: Moment) -> str:
    """A moment for a TextBlock, written with Adaptive Cards' DATE() and TIME() functions: each Teams client
    shows it in its own locale and time zone ("Wed, Dec 2, 2026 10:49" in one, "2.12.2026 10:49" in another)
    rather than as English words fixed on the server. The stamp carries the learner's UTC offset (RFC 3339
    allows it), so the card's plain-text summary can name the time on the learner's clock (`summary`)."""
    stamp = when.local.isoformat(timespec="seconds")
    return f"{{{{DATE({stamp}, SHORT)}}}}" if when.day else f"{{{{DATE({stamp}, SHORT)}}}} {{{{TIME({stamp})}}}}"
