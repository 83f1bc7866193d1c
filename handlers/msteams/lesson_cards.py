"""A lesson in Teams: its card, and the messages that carry it within Teams' size limit.

The card shows the header, the text (paragraphs as in Markdown, `##` headings as headings), a button that
opens the media, and the question with one Action.Execute per option (an Action.Submit as its fallback),
titled with the option's text (or a reflection's prompt with a text box); Teams cuts a button's title
rather than wrap it, so long options are also listed, numbered, above the buttons. Once answered, the same
card is shown with the answer instead of buttons; until then, its question part refreshes itself for the
learner (`refreshing`), so a card answered elsewhere never shows buttons that no longer count.

A lesson that passes the validator can still be too large for one Teams message: 300 short checklist lines,
or 12,000 characters that take six bytes each once escaped (`handlers.msteams.wire`). `lesson_cards` then
splits it: the text across as many messages as it needs, each within `wire.BUDGET`, and the question with
its buttons in a last message of its own — the one that is updated once answered. The split is decided on
the lesson as first sent, so its answered form replaces exactly that last part.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.chat.actions import CURRENT_CARD
from bot.replies import Button, LessonCard
from handlers.msteams.adaptive import EXECUTE, Card, card, execute, heading, inline, renderer, subtle, text_blocks
from handlers.msteams.fitting import pack, weight
from handlers.msteams.wire import BUDGET, message, wire_size

Block = dict[str, Any]

REFLECT = "reflect"  # the submit action of a reflection card; its Input.Text has the id "text"
REFLECTION_MAX = 4000
REFRESH_ROOM = 400
"""Bytes kept free in an unanswered lesson's last message for its `refresh` (an action and a Teams user id
of about 100 characters), which is added once the lesson is laid out."""
LONG_OPTION = 20
"""Characters of an option beyond which Teams may cut its button's title (it never wraps one): the options
are then also listed, numbered and wrapped, above the buttons."""


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
    if weight(head + text + ask, actions) <= BUDGET - (0 if item.answered else REFRESH_ROOM):
        return [_with_question(item, head + text)]
    more = subtle(f"{item.title} (continued)")
    return [card(body, wide=True) for body in pack(head, more, text)] + [_with_question(item, [more])]


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
        if any(len(option.label) > LONG_OPTION for option in item.options):
            blocks += [{"type": "TextBlock", "text": inline(f"{n}. {option.label}"), "wrap": True, "spacing": "Small"}
                       for n, option in enumerate(item.options, 1)]
        return blocks, [execute(option) for option in item.options]
    blocks.append({"type": "Input.Text", "id": "text", "isMultiline": True, "maxLength": REFLECTION_MAX,
                   "placeholder": "A sentence or two — only you will see it."})
    return blocks, [execute(Button("Send my reflection", REFLECT, {"d": item.delivery_id}, "primary"))]


def refreshing(made: Card, item: LessonCard, viewer: str) -> Card:
    """The lesson's question part, refreshing itself for the learner (`viewer`, their Teams id) whenever
    Teams shows it: a card answered on another device, or in an old client, then shows the answer there
    too instead of buttons that no longer count. An answered card is final and is left as it is."""
    if item.answered or not viewer:
        return made
    again = {"action": CURRENT_CARD, "value": {"d": item.delivery_id}}
    return {**made, "refresh": {"action": {"type": EXECUTE, "verb": CURRENT_CARD, "data": again},
                                "userIds": [viewer]}}


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
