"""A lesson card (with its answer buttons, or the chosen answer once answered) and the answer's result."""

from __future__ import annotations

import json

from bot.replies import AnswerResult, LessonCard
from handlers.slack.answer_options import option_blocks
from handlers.slack.blocks import (
    BUTTON_VALUE,
    Block,
    actions,
    button_element,
    button_rows,
    context,
    divider,
    header,
    notification,
    renderer,
    section_mrkdwn,
    sections,
)
from handlers.slack.mrkdwn import link

REFLECT_ACTION = "slack.reflect"
"""The reflection button opens a Slack modal, so the Slack handler answers it itself. Its value carries
the prompt (public lesson text) so the modal opens without a database round trip inside the trigger's 3 s."""


FORMAT_ICONS = {"text": "📖", "video": "🎬", "scenario": "🎭", "reflection": "✍️", "task": "🛠️"}


@renderer(LessonCard)
def lesson_blocks(card: LessonCard) -> list[Block]:
    icon = FORMAT_ICONS.get(card.format, "📖")
    blocks = [header(f"{icon} {card.title}"), context(card.header)]
    if card.reason:
        blocks.append(context(f"💡 {card.reason}"))
    if card.body:
        blocks.extend(sections(card.body))
    if card.media:  # built as a link directly: any URL works (Wikipedia's have parentheses)
        label = "Open the video" if card.format == "video" else "Open the media"
        blocks.append(section_mrkdwn(f"▶️ {link(card.media, label)}"))
    if card.question:
        blocks += [divider(), *sections(f"**{card.question}**")]
        if card.answered:
            mark = "✅ right" if card.correct else "❌ not quite"
            blocks.extend(sections(f"Your answer: **{card.chosen}** — {mark}"))
        else:
            blocks.extend(option_blocks(card.options))
    elif card.prompt:
        blocks += [divider(), *sections(f"**{card.prompt}**")]
        if card.answered:
            blocks.extend(sections(f"Your reflection: _{card.chosen}_"))
        else:
            value = reflect_value(card.delivery_id, card.prompt)
            blocks.extend(actions([button_element("Write my reflection", REFLECT_ACTION, value, "primary")]))
    return blocks


@notification(LessonCard)
def lesson_notification(card: LessonCard) -> str:
    """What a phone shows for a lesson: the title once, and what it asks — the header block already shows
    the title, so a notification that only repeated it would read "📖 Title", "📖 Title"."""
    icon = FORMAT_ICONS.get(card.format, "📖")
    if card.answered:
        return f"{icon} {card.title} — answered"
    asked = card.question or card.prompt
    what = {"review": "Quick review", "placement": "Quick check"}.get(card.kind, f"{card.minutes}-minute lesson")
    return f"{icon} {card.title} · {what} on {card.competency}" + (f": {asked}" if asked else "")


@renderer(AnswerResult)
def result_blocks(result: AnswerResult) -> list[Block]:
    if result.correct:
        verdict = "✅ **Right!**"
    else:
        verdict = "❌ **Not quite.**" + (f" The answer is **{result.right_answer}**." if result.right_answer else "")
    text = f"{verdict}\n{result.explain}".strip()
    blocks = [*sections(text), *[b for line in result.celebrations for b in sections(line)]]
    if result.progress_line:
        blocks.append(context(result.progress_line))
    blocks.extend(button_rows(result.buttons))
    if result.feedback:
        blocks.append(context("Was this lesson…"))
        blocks.extend(button_rows(result.feedback))
    return blocks


def reflect_value(delivery_id: int, prompt: str) -> str:
    """The reflection button's value: the delivery and as much of the prompt as a value may hold."""
    while True:
        value = json.dumps({"d": delivery_id, "p": prompt}, separators=(",", ":"), ensure_ascii=False)
        if len(value) <= BUTTON_VALUE:
            return value
        prompt = prompt[: len(prompt) - (len(value) - BUTTON_VALUE) - 1].rstrip() + "…"
