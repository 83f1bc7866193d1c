"""A lesson rendered once and reused is the lesson rendered fresh: every id length, long values, the reasons."""

from __future__ import annotations

import pytest

from bot.replies import Button, LessonCard
from handlers.slack.blocks import BUTTON_VALUE, messages_for
from handlers.slack.lesson_cache import lesson_messages


def card(delivery_id: int, **fields: object) -> LessonCard:
    options = [Button(label=text, action="answer", value={"d": delivery_id, "o": i})
               for i, text in enumerate(fields.pop("options", ["Yes", "No", "Only on Fridays"]))]  # type: ignore[arg-type]
    base: dict[str, object] = {"kind": "lesson", "competency": "Feedback", "level": 2, "minutes": 3,
                               "title": "Ask before you advise", "format": "text",
                               "body": "**Ask** first.\n\n" + "Then listen. " * 400, "question": "What first?"}
    return LessonCard(delivery_id=delivery_id, options=options, **{**base, **fields})  # type: ignore[arg-type]


CARDS = {
    "short options": {},
    "long options, listed above numbered buttons": {"options": ["An option far longer than a phone's button"] * 4},
    "a reason": {"reason": "Your manager asked for this one."},
    "a reflection whose value Slack clips": {"question": None, "options": [], "format": "reflection",
                                             "prompt": "What would you say? " * (BUTTON_VALUE // 20)},
    "the id in the title": {"title": "Lesson 1234"},
}


@pytest.mark.parametrize("fields", CARDS.values(), ids=CARDS.keys())
def test_a_reused_lesson_is_the_fresh_rendering_for_every_delivery(fields: dict[str, object]) -> None:
    for delivery_id in (1234, 1234, 1000, 1001, 5678, 7, 1, 98765432):
        fresh = messages_for(card(delivery_id, **fields))
        assert lesson_messages(card(delivery_id, **fields)) == fresh
        buttons = [e for m in fresh for b in m.blocks if b["type"] == "actions" for e in b["elements"]]
        assert buttons and all(e["value"].startswith(f'{{"d":{delivery_id},') for e in buttons)
    first, second = lesson_messages(card(2345, **fields)), lesson_messages(card(6789, **fields))
    assert first[0].blocks[0] is second[0].blocks[0]  # the second came from the first's template


def test_an_answered_lesson_is_rendered_fresh() -> None:
    answered = card(42, chosen="Yes", correct=True)
    assert lesson_messages(answered) == messages_for(answered)
