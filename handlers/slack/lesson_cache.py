"""A lesson's Block Kit, rendered once and reused for every learner the dispatcher sends it to.

A tick posts the same lesson version to hundreds of learners, and rendering it (Markdown to mrkdwn, splitting
long text, the answer options) cost more than posting it. In a lesson card, what differs from one learner to
the next is only the delivery id that every button's value begins with (`{"d":<id>,…}`): the value that makes a
press count once, for that learner's delivery. Everything else (title, text, question, the reason shown, the
kind) is part of the cache key. Nothing about the reader (name, zone, progress) is in a lesson card: the
welcome and the answer's result carry those, and they are always rendered fresh.

The template is rendered with a stand-in id of as many digits as the real one (a value clipped to Slack's 2,000
characters then clips the same), and each send gets a copy of the template's button rows with its own id put
in. The first send of each template is also rendered fresh and compared: a card whose id shows up anywhere
else is never served from the cache.
"""

from __future__ import annotations

import dataclasses
import json
from collections import OrderedDict
from typing import Any

from bot.replies import Button, LessonCard
from handlers.slack.blocks import Block, SlackMessage, messages_for

TEMPLATES = 512
"""Lesson templates kept per process (a whole catalogue's versions, several kinds and reasons each)."""

_templates: OrderedDict[str, list[SlackMessage] | None] = OrderedDict()
"""Key -> the template's messages, or None when filling it in would not give the fresh rendering."""


def lesson_messages(item: Any) -> list[SlackMessage]:
    """`messages_for(item)`; for an unanswered lesson card, its template's messages with its id put in."""
    if not isinstance(item, LessonCard) or item.answered:
        return messages_for(item)
    stand_in = _stand_in(item.delivery_id)
    template_card = _with_id(item, stand_in)
    key = _key(template_card)
    if key in _templates:
        _templates.move_to_end(key)
        template = _templates[key]
        return messages_for(item) if template is None else _filled(template, stand_in, item.delivery_id)
    fresh = messages_for(item)
    template = messages_for(template_card)
    _templates[key] = template if _filled(template, stand_in, item.delivery_id) == fresh else None
    if len(_templates) > TEMPLATES:
        _templates.popitem(last=False)
    return fresh


def _key(card: LessonCard) -> str:
    """Every field of the card (whatever fields it gains later), its buttons' too."""
    fields = {name: value for name, value in vars(card).items() if name != "options"}
    return json.dumps([fields, [vars(option) for option in card.options]], sort_keys=True, default=str)


def _stand_in(delivery_id: int) -> int:
    """An id of the same number of digits that is not this one."""
    digits = len(str(abs(delivery_id)))
    first = 10 ** (digits - 1)
    return first if first != delivery_id else first + 1


def _with_id(card: LessonCard, delivery_id: int) -> LessonCard:
    options = [dataclasses.replace(o, value={**o.value, "d": delivery_id}) if _carries(o, card.delivery_id) else o
               for o in card.options]
    return dataclasses.replace(card, delivery_id=delivery_id, options=options)


def _carries(button: Button, delivery_id: int) -> bool:
    return button.value.get("d") == delivery_id


def _filled(template: list[SlackMessage], stand_in: int, delivery_id: int) -> list[SlackMessage]:
    """The template's messages with `delivery_id` in each button value that begins with the stand-in. Blocks
    without buttons are shared with the template, never changed: they are only serialised."""
    old, new = f'{{"d":{stand_in},', f'{{"d":{delivery_id},'
    return [SlackMessage(m.text, [_block(b, old, new) for b in m.blocks]) for m in template]


def _block(block: Block, old: str, new: str) -> Block:
    if block.get("type") != "actions":
        return block
    elements = []
    for element in block["elements"]:
        value = element.get("value")
        if isinstance(value, str) and value.startswith(old):
            element = {**element, "value": new + value[len(old):]}
        elements.append(element)
    return {**block, "elements": elements}
