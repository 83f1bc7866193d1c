"""The coach's replies as Adaptive Cards: one renderer per `bot.replies` type, registered by type, and
the messages (activities) that carry them.

Every card is measured as it will go on the wire: one too large for a Teams message is spread over
several (`fitting`; lessons, whose question must stay in the last, in `lesson_cards`). Files go inline
when they fit or through Teams' file consent (`files`). Modules that render further reply types are
imported at the bottom, so importing this module registers every card.
"""

from __future__ import annotations

import base64
from typing import Any

from botbuilder.core import MessageFactory
from botbuilder.schema import Activity, Attachment

from bot.lessons.streaks import streak_length
from bot.replies import AnswerResult, LessonCard, Moment, Notice, ProgressView, Reply
from handlers.msteams.adaptive import (
    Card,
    action_set,
    card,
    heading,
    inline,
    moment,
    render,
    renderer,
    submit,
    subtle,
    text_blocks,
)
from handlers.msteams.files import offer
from handlers.msteams.fitting import fit
from handlers.msteams.lesson_cards import lesson_cards, refreshing
from handlers.msteams.wire import BUDGET, message, wire_size

VERDICT = {True: "✅ **Right!**", False: "❌ **Not quite.**"}


@renderer(Notice)
def notice(item: Notice) -> Card:
    return card(text_blocks(item.text), [submit(b) for b in item.buttons])


@renderer(AnswerResult)
def answer(item: AnswerResult) -> Card:
    body = [verdict(item), {"type": "TextBlock", "text": inline(f"You chose: {item.chosen}"), "wrap": True},
            *explained(item)]
    return card(body + rating(item), [submit(b) for b in item.buttons])


def verdict(item: AnswerResult) -> dict[str, Any]:
    return {"type": "TextBlock", "text": VERDICT[item.correct], "size": "Medium", "wrap": True}


def explained(item: AnswerResult) -> list[dict[str, Any]]:
    """The right answer when it wasn't chosen, why, where the learner stands, and what to celebrate."""
    body: list[dict[str, Any]] = []
    if item.right_answer:
        body.append({"type": "TextBlock", "text": inline(f"The answer: **{item.right_answer}**"), "wrap": True})
    body += text_blocks(item.explain, paragraphs=True)
    body.append(subtle(item.progress_line))
    return body + [{"type": "TextBlock", "text": inline(line), "wrap": True} for line in item.celebrations]


def rating(item: AnswerResult) -> list[dict[str, Any]]:
    """"How was this lesson?" and its buttons (none when the result has none)."""
    return [subtle("How was this lesson?"), action_set(item.feedback)] if item.feedback else []


@renderer(ProgressView)
def progress(item: ProgressView) -> Card:
    body: list[dict[str, Any]] = [heading(f"{item.name} — your progress")]
    status = f"🔥 Streak: {streak_length(item.streak_days)}"
    if item.paused:
        status += " · ⏸ paused (type **resume** to restart)"
    elif item.next_lesson_at:
        status += f" · next lesson {moment(Moment(item.next_lesson_at, item.timezone))}"
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
    body.append(subtle(f"Your lessons follow the time zone {item.timezone} (change it in **settings**)."))
    body.append(subtle(item.manager_sees))
    return card(body, [submit(b) for b in item.buttons], wide=True)


def _row_value(level: int, target: int, mastery: float, correct: int, attempts: int) -> str:
    goal = f"level {level} of {target}" if target else f"level {level}"
    done = "✅ " if target and level >= target else ""
    if not attempts:  # a mastery figure before any answer would only show the prior
        return f"{done}{goal} · no answers yet"
    return f"{done}{goal} · mastery {mastery:.0%} · {correct}/{attempts} right"


def cards_for(item: Any, viewer: str = "") -> list[Card]:
    """The cards of one reply item, each within a message: one, or several for an item too large for one
    (a lesson keeps its question in the last, which an answer updates, and which refreshes itself for the
    `viewer`, the learner's Teams id, when given)."""
    if isinstance(item, LessonCard):
        made = lesson_cards(item)
        return [*made[:-1], refreshing(made[-1], item, viewer)]
    return fit(render(item))


def activity_for(item: Any, locale: str | None = None) -> Activity:
    """A small reply item (a notice) as one message carrying its card."""
    return message(render(item), locale)


def activities_for(item: Any, viewer: str = "", locale: str | None = None) -> list[Activity]:
    """The messages of one reply item, in order (for the `viewer`, see `cards_for`; the notification's
    dates in the reader's `locale`, when the turn told it)."""
    return [message(made, locale) for made in cards_for(item, viewer)]


def file_activity(name: str, data: bytes, mime: str) -> Activity:
    """The message that brings a file of a reply: a picture that fits in a message inline (Teams shows it
    in the chat), anything else — a large team's heatmap, a CSV — as an offer to save it (`files`)."""
    if mime.startswith("image/"):
        url = f"data:{mime};base64,{base64.b64encode(data).decode()}"
        shown = MessageFactory.attachment(Attachment(content_type=mime, content_url=url, name=name))
        shown.summary = f"A picture: {name}"
        if wire_size(shown) <= BUDGET:
            return shown
    return offer(name, data, mime)


def update_for(item: Any, activity_id: str, viewer: str = "", locale: str | None = None) -> Activity:
    """The replacement of an earlier message (e.g. the lesson card after an answer: the last message of
    the lesson, which held the question)."""
    activity = activities_for(item, viewer, locale)[-1]
    activity.id = activity_id
    return activity


def all_messages(reply: Reply, viewer: str = "", locale: str | None = None) -> list[tuple[Any, list[Activity]]]:
    """Every new message of a reply, in order and grouped by item (a lesson may take several; its last is
    the one to record and update): its items, then its files."""
    made = [(item, activities_for(item, viewer, locale)) for item in reply.messages]
    made += [((name, mime), [file_activity(name, data, mime)]) for name, data, mime in reply.attachments]
    return made


# Renderers of further reply types register themselves on import.
from handlers.msteams import settings_card, team_cards  # noqa: E402, F401
