"""A lesson in Teams: its card, and the messages that carry it within Teams' size limit.

The card shows the header, the text (paragraphs as in Markdown, `##` headings as headings), a button that
opens the media, and the question with one Action.Submit per option, titled with the option's text (or a
reflection's prompt with a text box); once answered, the same card is shown with the answer instead of
buttons.

A lesson that passes the validator can still be too large for one Teams message: 300 short checklist lines,
or 12,000 characters that take six bytes each once escaped (`handlers.teams.wire`). `lesson_cards` then
splits it: the text across as many messages as it needs, each within `wire.BUDGET`, and the question with
its buttons in a last message of its own — the one that is updated once answered. The split is decided on
the lesson as first sent, so its answered form replaces exactly that last part.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from bot.replies import LessonCard
from handlers.teams.adaptive import SUBMIT, Card, card, heading, inline, renderer, submit, subtle, text_blocks
from handlers.teams.wire import BUDGET, json_size, message, wire_size

Block = dict[str, Any]

REFLECT = "reflect"  # the submit action of a reflection card; its Input.Text has the id "text"
REFLECTION_MAX = 4000
_TOKEN = re.compile(r"\s*\S+")  # a word with the space before it


@renderer(LessonCard)
def lesson(item: LessonCard) -> Card:
    """The whole lesson as one card (a lesson that fits in one message is sent as exactly this)."""
    ask, actions = _ask(item)
    return card(_head(item) + _text(item) + ask, actions, wide=True)


def lesson_cards(item: LessonCard) -> list[Card]:
    """The cards of the messages that carry the lesson, each within BUDGET; the question is in the last."""
    asked = dataclasses.replace(item, chosen=None, correct=None)
    head, text = _head(item), _text(item)
    ask, actions = _ask(asked)
    if _weight(head + text + ask, actions) <= BUDGET:
        return [_with_question(item, head + text)]
    more = subtle(f"{item.title} (continued)")
    return [card(body, wide=True) for body in _pack(head, more, text)] + [_with_question(item, [more])]


def _head(item: LessonCard) -> list[Block]:
    blocks = [subtle(item.header), heading(item.title, size="Large")]
    if item.reason:
        blocks.append(subtle(f"_{item.reason}_"))
    return blocks


def _text(item: LessonCard) -> list[Block]:
    blocks = text_blocks(item.body, paragraphs=True)
    if item.media:  # a button, not a Markdown link: any URL works (Wikipedia's have parentheses)
        label = "▶ Watch the video" if item.format == "video" else "🔗 Open the material"
        blocks.append({"type": "ActionSet", "actions": [{"type": "Action.OpenUrl", "title": label,
                                                         "url": item.media}]})
    return blocks


def _ask(item: LessonCard) -> tuple[list[Block], list[Block]]:
    """The question (or the reflection's prompt) with its buttons, or once answered with the answer."""
    asked = item.question or item.prompt
    if not asked:
        return [], []
    blocks = [{**heading(asked, size="Default"), "spacing": "Large"}]
    if item.answered:
        return [*blocks, _answered_line(item)], []
    if item.question:
        return blocks, [submit(option) for option in item.options]
    blocks.append({"type": "Input.Text", "id": "text", "isMultiline": True, "maxLength": REFLECTION_MAX,
                   "placeholder": "A sentence or two — only you will see it."})
    return blocks, [{"type": SUBMIT, "title": "Send my reflection", "style": "positive",
                     "data": {"action": REFLECT, "value": {"d": item.delivery_id}}}]


def _answered_line(item: LessonCard) -> Block:
    if item.correct is None:
        text = f"Your reflection: _{item.chosen}_"
    else:
        text = f"Your answer: **{item.chosen}** — {'✅ right' if item.correct else '❌ not quite'}"
    return {"type": "TextBlock", "text": inline(text), "wrap": True, "spacing": "Medium"}


def _with_question(item: LessonCard, lead: list[Block]) -> Card:
    """`lead`, then the question part. An answer shown in it (a reflection's text) is shortened if the
    lesson was laid out for its buttons and the answer would not fit where they were."""
    while True:
        ask, actions = _ask(item)
        made = card(lead + ask, actions, wide=True)
        if not item.chosen or wire_size(message(made)) <= BUDGET:
            return made
        item = dataclasses.replace(item, chosen=_shorter(item.chosen))


def _shorter(text: str) -> str:
    kept = text.removesuffix("…")
    kept = kept[: len(kept) // 2].rstrip()
    return kept + "…" if kept else ""


def _weight(body: list[Block], actions: list[Block]) -> int:
    return wire_size(message(card(body, actions, wide=True)))


def _pack(head: list[Block], more: Block, blocks: list[Block]) -> list[list[Block]]:
    """The text blocks as message bodies within BUDGET: the first after `head`, the others after `more`.
    Each block adds its JSON and the ", " before it to the measured message."""
    room = BUDGET - max(_weight(head, []), _weight([more], [])) - 2
    bodies: list[list[Block]] = []
    body, used = list(head), _weight(head, [])
    for block in (piece for whole in blocks for piece in _pieces(whole, room)):
        cost = json_size(block) + 2
        if used + cost > BUDGET:
            bodies.append(body)
            body, used = [more], _weight([more], [])
        body.append(block)
        used += cost
    bodies.append(body)
    return bodies


def _pieces(block: Block, room: int) -> list[Block]:
    """A TextBlock larger than `room` bytes as several, cut between words."""
    if json_size(block) <= room or block.get("type") != "TextBlock":
        return [block]
    return [{**block, "text": text} for text in _cut(block["text"], room - json_size({**block, "text": ""}))]


def _cut(text: str, room: int) -> list[str]:
    """Pieces of `text` whose JSON strings take at most `room` bytes, cut before a word — inside one only
    when a single word is longer than that. JSON escapes each character on its own, so sizes add up."""
    pieces: list[str] = []
    current, used = "", 0
    for token in _TOKEN.findall(text):
        if not current:
            token = token.lstrip()
        cost = json_size(token) - 2
        if current and used + cost > room:
            pieces.append(current)
            token = token.lstrip()
            current, used, cost = "", 0, json_size(token) - 2
        if cost <= room:
            current, used = current + token, used + cost
            continue
        for char in token:
            size = json_size(char) - 2
            if used + size > room:
                pieces.append(current)
                current, used = "", 0
            current, used = current + char, used + size
    if current:
        pieces.append(current)
    return pieces
