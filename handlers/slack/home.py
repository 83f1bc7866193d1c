"""The App Home tab: the learner's progress (per competency, streak, next lesson) with a lesson-now and a
settings button — the same picture as `/learn progress`, rendered by the same renderer."""

from __future__ import annotations

from typing import Any

from bot.replies import Reply
from handlers.slack.blocks import Block, blocks_for, context, sections

HOME_BLOCKS = 100
TAIL = 10
"""Blocks at most kept from the end of a view that is too long (its closing lines and buttons)."""
HELP_LINE = ("Type `/learn` anywhere for a lesson now, `/learn <any words>` for a topic, or `help` in the "
             "Messages tab for everything I can do.")


def home_view(reply: Reply) -> dict[str, Any]:
    """The App Home built from the reply to `progress` (whatever items it holds), within Slack's 100 blocks
    with its help line always last: a view too long loses the middle of its list, said in a line there."""
    blocks: list[Block] = [block for item in reply.messages for block in blocks_for(item)]
    return {"type": "home", "blocks": [*_within(blocks, HOME_BLOCKS - 1), context(HELP_LINE)]}


def _within(blocks: list[Block], room: int) -> list[Block]:
    """The blocks, or when there are more than `room` its start and its end (what follows the last text:
    badges, who sees what, the buttons) with "…and N more" between, N counting the entries left out."""
    if len(blocks) <= room:
        return blocks
    end = len(blocks)
    while end > 0 and len(blocks) - end < TAIL and blocks[end - 1]["type"] != "section":
        end -= 1
    tail = blocks[end:]
    start = room - len(tail) - 1
    left_out = sum(_entries(block) for block in blocks[start:end])
    more = context(f"…and {left_out} more — `/learn progress` in the Messages tab shows everything.")
    return [*blocks[:start], more, *tail]


def _entries(block: Block) -> int:
    """What a block lists: a section's paragraphs (one per competency in the progress list), else one."""
    text = block.get("text")
    if block["type"] == "section" and isinstance(text, dict):
        return len([part for part in str(text.get("text", "")).split("\n\n") if part.strip()])
    return 1


def unknown_home_view(text: str) -> dict[str, Any]:
    return {"type": "home", "blocks": sections(text)}
