"""The coach's replies as Adaptive Cards: one renderer per `bot.replies` type, registered by type, and
the messages (activities) that carry them.

Lessons are rendered, and split across messages when too large for one, in `lesson_cards`. Modules that
render further reply types are imported at the bottom, so importing this module registers every card.
"""

from __future__ import annotations

import base64
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botbuilder.core import MessageFactory
from botbuilder.schema import Activity, Attachment

from bot.replies import AnswerResult, LessonCard, Notice, ProgressView, Reply
from handlers.teams.adaptive import (
    Card,
    action_set,
    card,
    heading,
    inline,
    render,
    renderer,
    submit,
    subtle,
    text_blocks,
)
from handlers.teams.lesson_cards import lesson_cards
from handlers.teams.wire import message

FILE_LINES = 60
FILE_CHARS = 20_000  # Teams refuses messages over about 28 KB
VERDICT = {True: "✅ **Right!**", False: "❌ **Not quite.**"}


@renderer(Notice)
def notice(item: Notice) -> Card:
    return card(text_blocks(item.text), [submit(b) for b in item.buttons])


@renderer(AnswerResult)
def answer(item: AnswerResult) -> Card:
    body: list[dict[str, Any]] = [{"type": "TextBlock", "text": VERDICT[item.correct], "size": "Medium",
                                   "wrap": True},
                                  {"type": "TextBlock", "text": inline(f"You chose: {item.chosen}"), "wrap": True}]
    if item.right_answer:
        body.append({"type": "TextBlock", "text": inline(f"The answer: **{item.right_answer}**"), "wrap": True})
    body += text_blocks(item.explain, paragraphs=True)
    body.append(subtle(item.progress_line))
    body += [{"type": "TextBlock", "text": inline(line), "wrap": True} for line in item.celebrations]
    if item.feedback:
        body += [subtle("How was this lesson?"), action_set(item.feedback)]
    return card(body, [submit(b) for b in item.buttons])


@renderer(ProgressView)
def progress(item: ProgressView) -> Card:
    body: list[dict[str, Any]] = [heading(f"{item.name} — your progress")]
    status = f"🔥 Streak: {item.streak_days} day{'' if item.streak_days == 1 else 's'}"
    if item.paused:
        status += " · ⏸ paused (type **resume** to restart)"
    elif item.next_lesson_at:
        status += f" · next lesson {_local(item.next_lesson_at, item.timezone)}"
    body.append({"type": "TextBlock", "text": status, "wrap": True})
    if item.rows:
        body.append({"type": "FactSet", "facts": [
            {"title": row.name,
             "value": _row_value(row.level, row.target, row.mastery, row.correct, row.attempts)
             + (f" — {row.explanation}" if row.explanation else "")}
            for row in item.rows
        ]})
    else:
        body.append({"type": "TextBlock", "text": "No competencies yet — type **learn** for a first lesson.",
                     "wrap": True})
    if item.badges:
        body.append({"type": "TextBlock", "text": "🏅 " + " · ".join(item.badges), "wrap": True})
    body.append(subtle(item.manager_sees))
    return card(body, [submit(b) for b in item.buttons], wide=True)


def _row_value(level: int, target: int, mastery: float, correct: int, attempts: int) -> str:
    goal = f"level {level} of {target}" if target else f"level {level}"
    done = "✅ " if target and level >= target else ""
    return f"{done}{goal} · mastery {mastery:.0%} · {correct}/{attempts} right"


def _local(moment: Any, zone: str) -> str:
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz, zone = ZoneInfo("UTC"), "UTC"
    return moment.astimezone(tz).strftime("%a %d %b, %H:%M") + f" ({zone})"


def activity_for(item: Any) -> Activity:
    """One reply item as a message carrying its card."""
    return message(render(item))


def activities_for(item: Any) -> list[Activity]:
    """The messages of one reply item: one, or several for a lesson too large for one (its question last)."""
    if isinstance(item, LessonCard):
        return [message(made) for made in lesson_cards(item)]
    return [activity_for(item)]


INLINE_IMAGE_LIMIT = 24_000
"""Base64 characters of an inline image; Teams refuses activities of about 28 KB and more."""


def file_activity(name: str, data: bytes, mime: str) -> Activity:
    """A file of a reply. Images go inline (Teams shows them in the chat). A bot can't drop other files
    into a Teams chat without OneDrive consent, so text files (a CSV export) are shown as text to copy,
    cut at what fits in one message."""
    if mime.startswith("image/"):
        encoded = base64.b64encode(data).decode()
        if len(encoded) <= INLINE_IMAGE_LIMIT:
            url = f"data:{mime};base64,{encoded}"
            return MessageFactory.attachment(Attachment(content_type=mime, content_url=url, name=name))
        return message(card([
            heading(f"📎 {name}"),
            subtle("This picture is too large for a Teams message; the summary above shows the same levels."),
        ]))
    text = data.decode("utf-8", errors="replace") if mime.startswith("text/") else ""
    lines = text.splitlines()
    shown = lines[:FILE_LINES]
    while shown and len("\n".join(shown)) > FILE_CHARS:
        shown.pop()
    body = [heading(f"📎 {name}")]
    body += [{"type": "TextBlock", "text": line, "fontType": "Monospace", "wrap": True, "spacing": "None"}
             for line in shown]
    if len(shown) < len(lines) or not text:
        body.append(subtle(f"Showing {len(shown)} of {len(lines)} lines: the whole file is too big for a Teams "
                           "message. Your L&D admin can give you all of it."
                           if text else "This file can't be shown in Teams; your L&D admin can give it to you."))
    return message(card(body, wide=True))


def update_for(item: Any, activity_id: str) -> Activity:
    """The replacement of an earlier message (e.g. the lesson card after an answer: the last message of
    the lesson, which held the question)."""
    activity = activities_for(item)[-1]
    activity.id = activity_id
    return activity


def all_messages(reply: Reply) -> list[tuple[Any, list[Activity]]]:
    """Every new message of a reply, in order and grouped by item (a lesson may take several; its last is
    the one to record and update): its items, then its files."""
    made = [(item, activities_for(item)) for item in reply.messages]
    made += [((name, mime), [file_activity(name, data, mime)]) for name, data, mime in reply.attachments]
    return made


# Renderers of further reply types register themselves on import.
from handlers.teams import settings_card, team_cards  # noqa: E402, F401
