"""What the bot does with a pressed Action.Execute (`CoachBot.on_adaptive_card_invoke`): a quick answer inside
the invoke, the rest after it.

Teams waits for the invoke's answer with a spinner on the button, and Bot Service gives up on the request
after about 15 seconds, so the invoke does only what the card that replaces the pressed one needs:
- an answer is recorded — once, by the answer's unique delivery, however often it is pressed or Teams
  redelivers it — and the answered lesson comes back with the verdict and explanation and no buttons; a
  second press gets the same card and counts nothing;
- a reflection is saved and the card shows it; a card refreshing itself gets the lesson as it stands;
- a Save comes back as the form showing what was saved, or, for a value to correct, as a message over the
  form the person filled in, untouched.
The rest runs after the answer as a proactive turn (`later.LaterTurns`), once per pressed card and button
(`bot.chat.once`): the message behind the card updated to the same card (for the person's other devices
and the chat's history), "How was this lesson?" with the next-lesson button, and the whole of a team
button's work — a team view can take seconds — while its invoke is answered at once with a short message
and its card stays as it was.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse

from bot.chat.actions import CURRENT_CARD
from bot.chat.coach import Coach
from bot.chat.dates import plain
from bot.chat.once import LESSON_ACTIONS
from bot.chat.pipeline import Pipeline
from bot.couriers import DeliveryError
from bot.lessons.preferences import SettingsError
from bot.replies import AnswerResult, LessonCard, Notice, Phrase, Reply
from handlers.msteams import PLATFORM
from handlers.msteams.adaptive import Card
from handlers.msteams.cards import cards_for, explained, verdict
from handlers.msteams.later import LaterTurns
from handlers.msteams.lesson_cards import REFLECT
from handlers.msteams.members import reader_locale
from handlers.msteams.posting import Backoff, with_backoff
from handlers.msteams.settings_card import SAVE, saved_form, settings_problem, submitted_settings
from handlers.msteams.summary import plain_words
from handlers.msteams.surface import TurnSurface
from handlers.msteams.universal import Press, card_answer, message_answer, request_identity
from handlers.msteams.wire import BUDGET, message, wire_size

log = logging.getLogger(__name__)

ANSWER = "answer"
QUICK = frozenset({ANSWER, REFLECT, SAVE, CURRENT_CARD})
"""Verbs answered with a card inside the invoke; every other verb's work runs after it."""
ON_ITS_WAY = "On its way — it will appear below."
RATE = "How was this lesson? Rate it, or go on to the next one."

Submitted = Callable[[int, dict[str, Any]], Awaitable[Reply]]


class CardActions:
    """Pressed Action.Execute buttons of one bot."""

    def __init__(self, coach: Coach, pipeline: Pipeline, later: LaterTurns, backoff: Backoff,
                 submitted: Submitted, surface: Callable[[TurnContext], TurnSurface]) -> None:
        self.coach = coach
        self.pipeline = pipeline
        self.later = later
        self.backoff = backoff
        self.submitted = submitted
        """What a press does, the same for an Action.Submit's message and an Action.Execute's invoke."""
        self.surface = surface

    async def act(self, turn_context: TurnContext, person_id: int, press: Press) -> AdaptiveCardInvokeResponse:
        """The invoke's answer for the person's press; work that can wait is started to run after it."""
        activity = turn_context.activity
        if press.verb not in QUICK:
            key = card_key("press", activity, _detail(press)) if press.verb in LESSON_ACTIONS else None

            async def work(context: TurnContext) -> None:
                await self.pipeline.handle(self.surface(context), lambda pid: self.submitted(pid, press.data),
                                           once=key)

            self.later.start(request_identity(turn_context), activity, work)
            return message_answer(ON_ITS_WAY)
        if press.verb == SAVE:
            return await self._save(person_id, press.data)
        reply = await self.pipeline.run(PLATFORM, lambda pid: self.submitted(pid, press.data), person_id)
        if _answered_before(reply):  # pressed again, or redelivered: the same card, nothing counted again
            assert isinstance(reply.update, LessonCard)
            reply = await self.coach.press(person_id, CURRENT_CARD, {"d": reply.update.delivery_id}, via=PLATFORM)
        shown, rest = answered_card(reply, self.surface(turn_context).viewer)
        if shown is None:
            return message_answer(_words(reply))
        if press.verb != CURRENT_CARD:
            self._afterwards(turn_context, shown, rest, press)
        return card_answer(shown)

    async def _save(self, person_id: int, data: dict[str, Any]) -> AdaptiveCardInvokeResponse:
        try:
            saved = await self.coach.save_settings(person_id, submitted_settings(data))
        except SettingsError as error:
            return message_answer(plain_words(settings_problem(error)))
        return card_answer(saved_form(await self.coach.settings_form(person_id), _words(saved)))

    def _afterwards(self, turn_context: TurnContext, shown: Card, rest: Reply, press: Press) -> None:
        """After the answer, once per pressed card and button: the pressed message updated to the card the
        person now sees, then the rest of the reply."""
        activity = turn_context.activity
        key = card_key("execute", activity, _detail(press))

        async def work(context: TurnContext) -> None:
            async def follow() -> None:
                if activity.reply_to_id:
                    await self._update(context, shown, activity.reply_to_id)
                await self.pipeline.show(self.surface(context), rest)

            if key is None:
                await follow()
            else:
                await self.pipeline.once.run(key, follow)

        self.later.start(request_identity(turn_context), activity, work)

    async def _update(self, context: TurnContext, shown: Card, activity_id: str) -> None:
        update = message(shown, reader_locale(context.activity))
        update.id = activity_id
        try:
            await with_backoff(lambda: context.update_activity(update), self.backoff)
        except DeliveryError as error:
            log.warning("could not update the pressed card's message: %s", error)


def answered_card(reply: Reply, viewer: str) -> tuple[Card | None, Reply]:
    """The card that replaces the pressed one (None when the reply updates nothing), and the rest of the
    reply. An answer's result joins the answered lesson — verdict, the right answer, why, progress — when
    the two fit in one message; its rating and next-lesson buttons follow as a message of their own."""
    if reply.update is None:
        return None, reply
    shown = cards_for(reply.update, viewer)[-1]
    result = next((item for item in reply.messages if isinstance(item, AnswerResult)), None)
    rest = [item for item in reply.messages if item is not result]
    if result is None:
        return shown, Reply(messages=rest, attachments=reply.attachments)
    joined = {**shown, "body": [*shown["body"], {**verdict(result), "spacing": "Large"}, *explained(result)]}
    if wire_size(message(joined)) > BUDGET:
        return shown, Reply(messages=[result, *rest], attachments=reply.attachments)
    follow = [] if result.repeat else [Notice(RATE, [*result.feedback, *result.buttons])]
    return joined, Reply(messages=[*follow, *rest], attachments=reply.attachments)


def card_key(kind: str, activity: Activity, detail: str = "") -> str | None:
    """The claim on acting on the card the activity answers (None when it names no card)."""
    if not activity.reply_to_id or activity.conversation is None:
        return None
    return f"teams:{kind}:{activity.conversation.id}:{activity.reply_to_id}{detail}"


def _detail(press: Press) -> str:
    value = json.dumps(press.data.get("value"), sort_keys=True, separators=(",", ":"))
    return f":{press.verb}:{value}"


def _answered_before(reply: Reply) -> bool:
    """An answer's reply that only updates the card: the question was answered before."""
    card = reply.update
    return isinstance(card, LessonCard) and card.correct is not None and not any(
        isinstance(item, AnswerResult) for item in reply.messages)


def _words(reply: Reply) -> str:
    """A reply of notices as plain words, for an invoke answered with a message."""
    texts = [plain_words(plain(item.text)) for item in reply.messages
             if isinstance(getattr(item, "text", None), (str, Phrase))]
    return " ".join(texts) or ON_ITS_WAY
