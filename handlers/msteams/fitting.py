"""Cards within Teams' message size: a card too large for one message is spread over several.

Teams refuses an activity of about 28 KB or more — silently, for the person: the message never arrives.
Every card the coach sends is measured as it goes on the wire (`wire.wire_size`) and, when it is over
`wire.BUDGET`, its body is packed into as many messages as it needs: the first as it starts, the others
headed "<title> (continued)", the card's buttons with the last. Text blocks larger than a message are cut
between words, fact sets between facts. A card with inputs (a form) is never split: its Submit must stay
with its inputs.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from handlers.msteams.adaptive import Card, card, subtle
from handlers.msteams.summary import HEADLINE_ROOM
from handlers.msteams.wire import BUDGET, json_size, message, wire_size

log = logging.getLogger(__name__)

Block = dict[str, Any]

_TOKEN = re.compile(r"\s*\S+")  # a word with the space before it
_MARKUP = re.compile(r"[*_]")


def weight(body: list[Block], actions: list[Block] | None = None, *, wide: bool = True) -> int:
    """Bytes of the message that would carry these blocks and buttons."""
    return wire_size(message(card(body, actions or [], wide=wide)))


def fit(made: Card) -> list[Card]:
    """The card as one message when it fits, else as several within BUDGET, in reading order."""
    if wire_size(message(made)) <= BUDGET:
        return [made]
    if _has_inputs(made):
        log.error("a Teams form of %d bytes is over the message budget and can't be split", wire_size(message(made)))
        return [made]
    wide = "msteams" in made
    actions = list(made.get("actions") or [])
    more = continued(made)
    bodies = pack([], more, list(made["body"]), wide=wide)
    if actions and weight(bodies[-1], actions, wide=wide) > BUDGET:
        bodies.append([more])
    return [card(body, wide=wide) for body in bodies[:-1]] + [card(bodies[-1], actions, wide=wide)]


def continued(made: Card) -> Block:
    """The line that heads each later message of a split card: its heading (up to a dash), "(continued)"."""
    first = (made.get("body") or [{}])[0]
    title = first.get("text", "") if first.get("weight") == "Bolder" else ""
    title = _MARKUP.sub("", title.split(" — ")[0]).strip()
    return subtle(f"{title} (continued)" if title else "(continued)")


def pack(head: list[Block], more: Block, blocks: list[Block], *, wide: bool = True) -> list[list[Block]]:
    """The blocks as message bodies within BUDGET: the first after `head`, the others after `more`.
    Each block adds its JSON and the ", " before it to the measured message, and room is kept for the
    part's headline, which is measured on the finished part."""
    budget = BUDGET - HEADLINE_ROOM  # a part's headline (`summary`) depends on what ends up in it
    room = budget - max(weight(head, wide=wide), weight([more], wide=wide)) - 2
    bodies: list[list[Block]] = []
    body, used, lead = list(head), weight(head, wide=wide), len(head)
    for block in (piece for whole in blocks for piece in pieces(whole, room)):
        cost = json_size(block) + 2
        if used + cost > budget and len(body) > lead:
            bodies.append(body)
            body, used, lead = [more], weight([more], wide=wide), 1
        body.append(block)
        used += cost
    bodies.append(body)
    return bodies


def pieces(block: Block, room: int) -> list[Block]:
    """A block larger than `room` bytes as several: a TextBlock cut between words, a FactSet between facts."""
    if json_size(block) <= room:
        return [block]
    if block.get("type") == "TextBlock":
        return [{**block, "text": text} for text in cut(block["text"], room - json_size({**block, "text": ""}))]
    if block.get("type") == "FactSet":
        return _facts(block, room)
    return [block]


def _facts(block: Block, room: int) -> list[Block]:
    sets: list[Block] = []
    current: list[dict[str, Any]] = []
    for fact in block["facts"]:
        if current and json_size({**block, "facts": [*current, fact]}) > room:
            sets.append({**block, "facts": current})
            current = []
        current.append(fact)
    sets.append({**block, "facts": current})
    return sets


def cut(text: str, room: int) -> list[str]:
    """Pieces of `text` whose JSON strings take at most `room` bytes, cut before a word — inside one only
    when a single word is longer than that. JSON escapes each character on its own, so sizes add up."""
    parts: list[str] = []
    current, used = "", 0
    for token in _TOKEN.findall(text):
        if not current:
            token = token.lstrip()
        cost = json_size(token) - 2
        if current and used + cost > room:
            parts.append(current)
            token = token.lstrip()
            current, used, cost = "", 0, json_size(token) - 2
        if cost <= room:
            current, used = current + token, used + cost
            continue
        for char in token:
            size = json_size(char) - 2
            if used + size > room:
                parts.append(current)
                current, used = "", 0
            current, used = current + char, used + size
    if current:
        parts.append(current)
    return parts


def _has_inputs(made: Card) -> bool:
    def walk(node: Any) -> bool:
        if isinstance(node, dict):
            return str(node.get("type", "")).startswith("Input.") or any(walk(v) for v in node.values())
        return isinstance(node, list) and any(walk(v) for v in node)

    return walk(made.get("body", []))
