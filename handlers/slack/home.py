"""The App Home tab: the learner's progress (per competency, streak, next lesson) with a lesson-now and a
settings button — the same picture as `/learn progress`, rendered by the same renderer."""

from __future__ import annotations

from typing import Any

from bot.replies import Reply
from handlers.slack.blocks import Block, blocks_for, context, sections

HOME_BLOCKS = 100
HELP_LINE = ("Type `/learn` anywhere for a lesson now, `/learn <any words>` for a topic, or `help` in the "
             "Messages tab for everything I can do.")


def home_view(reply: Reply) -> dict[str, Any]:
    """The App Home built from the reply to `progress` (whatever items it holds)."""
    blocks: list[Block] = [block for item in reply.messages for block in blocks_for(item)]
    blocks.append(context(HELP_LINE))
    return {"type": "home", "blocks": blocks[:HOME_BLOCKS]}


def unknown_home_view(text: str) -> dict[str, Any]:
    return {"type": "home", "blocks": sections(text)}
