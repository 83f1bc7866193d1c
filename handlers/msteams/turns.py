"""What the bot does with each Teams activity: find the person, call the coach, show the reply — through the
request pipeline (`bot.chat.pipeline`), with `surface.TurnSurface` as Teams' side of it.

Typed words go to `Coach.command`, card submits (an Action.Submit arrives as a message with `value`) to
`Coach.press`, `Coach.reflect` or `Coach.save_settings`; a button that creates a lesson acts once per card
it sits on (`bot.chat.once`), and so does the answer to a file the coach offered (an invoke, see `files.py`).
Every turn stores the person's conversation reference, so scheduled lessons can reach them later (see
`courier.py`); when Teams can't say who someone is just now, `members.py` keeps trying.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue, ChannelAccount

from bot.chat.coach import Coach
from bot.chat.once import LESSON_ACTIONS
from bot.chat.pipeline import Pipeline
from bot.couriers import DeliveryError
from bot.lessons.preferences import SettingsError
from bot.replies import Notice, Reply
from handlers.msteams import PLATFORM
from handlers.msteams.card_actions import CardActions, card_key
from handlers.msteams.cards import activity_for
from handlers.msteams.files import CONSENT, ConsentAnswer, answer_consent, consent_answer
from handlers.msteams.later import LaterTurns
from handlers.msteams.lesson_cards import REFLECT
from handlers.msteams.members import Contacts, LookupUnavailable, Retry, member_email, reported_zone
from handlers.msteams.posting import Backoff, with_backoff
from handlers.msteams.settings_card import SAVE, settings_problem, submitted_settings
from handlers.msteams.summary import plain_words
from handlers.msteams.surface import TurnSurface
from handlers.msteams.universal import INVOKE, Press, error_answer, invoke_response, invoke_value, message_answer
from store.models import Person

log = logging.getLogger(__name__)

TAGS = re.compile(r"<[^>]+>")

NOT_IN_ORG = ("Hi! I couldn't find you in the org chart your L&D team gave me, so I can't send you lessons yet. "
              "If you think you should be included, ask your HR or L&D admin to add you to it — then say hi again.")
ONE_TO_ONE = ("I coach people one to one, so lessons and team summaries stay private. Open a chat with me "
              "(the app's **Chat** tab) and type **help**.")
TRY_AGAIN = ("Sorry — Teams couldn't tell me who you are just now, so I can't look you up in the org chart. "
             "Please try again in a minute.")
SORRY = "Sorry — something went wrong on my side. Please try again in a minute."
NO_LONGER_ACTIVE = "That form is no longer active. Type **help** to see what I can do."
STALE_BUTTON = "That button is no longer active. Type **help** to see what I can do."
TRIGGER = "coach.adaptive_card_trigger"
"""Where the turn keeps what started an `adaptiveCard/action` (a press, or a refresh Teams made on its own)."""
ID_LIMIT = 2**31
"""Ids are 32-bit integer columns: a submitted number beyond them names no row (a stale or forged button)."""


def command_for(text: str) -> tuple[str, str]:
    """Typed words as (command, arguments). Teams has no slash commands, so the words alone decide:
    `team …` is the manager's `/team …`, everything else is `/learn …` — which makes the learner's own
    team view `learn team`. A leading slash is accepted too."""
    words = text.strip().lstrip("/").strip()
    first, _, rest = words.partition(" ")
    if first.lower() in ("team", "learn"):
        return first.lower(), rest.strip()
    return "learn", words


def spoken_text(activity: Activity) -> str:
    """The words of a message without the bot's @mention, tags or HTML entities."""
    text = activity.text if isinstance(activity.text, str) else ""
    for mention in _bot_mentions(activity):
        text = text.replace(mention, " ")
    return html.unescape(TAGS.sub(" ", text)).strip()


def _bot_mentions(activity: Activity) -> list[str]:
    """How the message @mentions the bot (`<at>Coach</at>`). Entities are whatever the sender put there,
    so they are read defensively (the SDK's own `remove_recipient_mention` fails on `[{}]`)."""
    bot = activity.recipient.id if activity.recipient else None
    found = []
    for entity in activity.entities or []:
        extra = getattr(entity, "additional_properties", None) or {}
        mentioned = extra.get("mentioned")
        if str(getattr(entity, "type", None) or "").lower() != "mention" or not isinstance(mentioned, dict):
            continue
        if bot is None or mentioned.get("id") != bot:
            continue
        written, name = extra.get("text"), mentioned.get("name")
        if isinstance(written, str) and written:
            found.append(written)
        elif isinstance(name, str) and name:
            found.append(f"<at>{name}</at>")
    return found


class CoachBot(ActivityHandler):
    """The coach as a Bot Framework bot: translation only, no behaviour of its own."""

    def __init__(self, coach: Coach, backoff: Backoff, adapter: CloudAdapter, app_id: str, retry: Retry,
                 later: LaterTurns) -> None:
        self.coach = coach
        self.backoff = backoff
        self.pipeline = Pipeline(coach.services)
        self.card_actions = CardActions(coach, self.pipeline, later, backoff, self._submitted, self._surface)
        self.contacts = Contacts(coach.services.database, adapter, app_id, self._resume, retry)
        self.authenticated = bool(app_id)
        """With an app id the endpoint lets only authenticated activities through; without, none is."""

    async def on_turn(self, turn_context: TurnContext) -> None:
        try:
            await super().on_turn(turn_context)
        except Exception:
            log.exception("Teams turn failed (%s activity)", turn_context.activity.type)
            try:
                await turn_context.send_activity(activity_for(Notice(SORRY)))
            except Exception:
                log.warning("could not tell the person about the failure either")

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """The invokes the coach takes: a pressed Action.Execute or a card refreshing itself
        (`adaptiveCard/action`, read and answered by `universal` because botbuilder 4.17.1 can't), and the
        answer to a file it offered (`files`), answered with an empty 200. Every other invoke (task modules,
        message extensions, sign-in) is declined plainly: the SDK's default answers to some of them can't
        even be serialised."""
        activity = turn_context.activity
        if activity.name == INVOKE:
            read = invoke_value(activity.value)
            if isinstance(read, str):
                return invoke_response(error_answer(HTTPStatus.BAD_REQUEST, read))
            value, trigger = read
            turn_context.turn_state[TRIGGER] = trigger
            return invoke_response(await self.on_adaptive_card_invoke(turn_context, value))
        if activity.name != CONSENT:
            return InvokeResponse(status=int(HTTPStatus.NOT_IMPLEMENTED))
        answer = consent_answer(activity.value)
        if answer is None or not _one_to_one(activity):
            return InvokeResponse(status=int(HTTPStatus.BAD_REQUEST))
        person = await self._known(turn_context, welcome=False)
        if person is not None and person.id is not None:
            person_id = person.id

            async def deliver() -> None:
                await self._answer_file(turn_context, person_id, answer)

            await self._once(card_key("file", activity), deliver)  # Allow pressed twice saves one file
        return InvokeResponse(status=int(HTTPStatus.OK))

    async def on_adaptive_card_invoke(self, turn_context: TurnContext,
                                      invoke_value: AdaptiveCardInvokeValue) -> AdaptiveCardInvokeResponse:
        """A pressed Action.Execute (lesson, settings and team cards) or a lesson card refreshing itself: the
        answer is the card that replaces it for this person (`card_actions`)."""
        activity = turn_context.activity
        press = Press.of(invoke_value, turn_context.turn_state.get(TRIGGER))
        if not _one_to_one(activity):
            return message_answer(plain_words(ONE_TO_ONE))
        if any(isinstance(v, int) and not -ID_LIMIT <= v < ID_LIMIT for v in _values(press.data)):
            return message_answer(plain_words(STALE_BUTTON))
        try:  # whoever presses was known when the card came: only their words are needed now
            person = await self._identify(turn_context)
        except LookupUnavailable:
            return message_answer(plain_words(TRY_AGAIN))
        if person is None or person.id is None:
            return message_answer(plain_words(NOT_IN_ORG))
        return await self.card_actions.act(turn_context, person.id, press)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        """An install greets; an upgrade to a new version of the app (`add-upgrade`) only refreshes where
        to reach the person — they have heard the welcome before."""
        if turn_context.activity.action == "add-upgrade":
            await self._known(turn_context, welcome=False, quiet=True)
            return
        await self._welcome(turn_context)

    async def on_members_added_activity(self, members_added: list[ChannelAccount],
                                        turn_context: TurnContext) -> None:
        """A personal install also sends installationUpdate; greet here only when a person (not the bot)
        was added, so nobody is welcomed twice."""
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(member.id != bot_id for member in members_added):
            await self._welcome(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if not _one_to_one(activity):
            await self._show(turn_context, Reply.text(ONE_TO_ONE))
            return
        surface = self._surface(turn_context)
        if isinstance(activity.value, dict) and activity.value.get("action"):
            data = activity.value
            await self.pipeline.handle(surface, lambda person_id: self._submitted(person_id, data),
                                       once=press_key(activity))
            return
        text = spoken_text(activity)
        name, args = command_for(text)

        async def command(person_id: int) -> Reply:
            if not text:
                return Reply()  # an empty message still tells where to reach the person
            return await self.coach.command(person_id, f"{name} {args}".strip(), default=name)

        await self.pipeline.handle(surface, command)

    async def _welcome(self, turn_context: TurnContext) -> None:
        if not _one_to_one(turn_context.activity):
            return
        await self.pipeline.handle(self._surface(turn_context, welcome=True), self.coach.welcome)

    def _surface(self, turn_context: TurnContext, *, welcome: bool = False) -> TurnSurface:
        return TurnSurface(turn_context, self.backoff, lambda: self._known(turn_context, welcome=welcome))

    async def _known(self, turn_context: TurnContext, *, welcome: bool, quiet: bool = False) -> Person | None:
        """The person behind the activity, or None once they have been told why not (unless `quiet`): not
        in the org chart, or Teams couldn't say who they are just now — then the lookup is retried in the
        background (`members.Contacts`), owing them the welcome if this was their install."""
        user_id = turn_context.activity.from_property.id
        looked_up: list[bool] = []
        try:
            person = await self._identify(turn_context, looked_up)
        except LookupUnavailable:
            await self.contacts.add(user_id, _reference(turn_context.activity), welcome=welcome)
            if not quiet:
                await self._show(turn_context, Reply.text(TRY_AGAIN))
            return None
        if looked_up:  # only someone Teams had to name can have been kept for a retry
            await self.contacts.forget(user_id)
        if (person is None or person.id is None) and not quiet:
            await self._show(turn_context, Reply.text(NOT_IN_ORG))
        return person

    async def _resume(self, turn_context: TurnContext, welcome: bool) -> bool:
        """A retried lookup, in a turn continued from the person's stored reference: on success their
        reference is stored, and an install that went unanswered gets its welcome now."""
        try:
            person = await self._identify(turn_context)
        except LookupUnavailable:
            return False
        if person is not None and person.id is not None and welcome:
            await self._show(turn_context, await self.coach.welcome(person.id))
        return True

    async def _identify(self, turn_context: TurnContext, looked_up: list[bool] | None = None) -> Person | None:
        """The org-chart person behind the sender, remembering where to reach them; raises
        LookupUnavailable when only Teams could say and it can't just now. `looked_up` is appended to
        when Teams was asked."""
        activity = turn_context.activity
        user = activity.from_property

        async def email() -> str | None:
            if looked_up is not None:
                looked_up.append(True)
            return await member_email(turn_context, user.id, self.backoff)

        return await self.coach.identify(PLATFORM, user.id, email=email, alt_id=user.aad_object_id,
                                         workspace=_tenant(activity), address=_reference(activity),
                                         timezone=reported_zone(activity), trusted=self.authenticated)

    async def _once(self, key: str | None, work: Callable[[], Awaitable[None]]) -> None:
        if key is None:
            await work()
        else:
            await self.pipeline.once.run(key, work)

    async def _answer_file(self, turn_context: TurnContext, person_id: int, answer: ConsentAnswer) -> None:
        shown = await answer_consent(self.coach, person_id, answer, self.backoff)
        try:
            await with_backoff(lambda: turn_context.send_activity(shown), self.backoff)
        except DeliveryError as error:
            log.warning("could not tell a Teams user about their file: %s", error)

    async def _submitted(self, person_id: int, data: dict[str, Any]) -> Reply:
        """A pressed Action.Submit: its data carries the action and value; inputs are merged in."""
        action = str(data["action"])
        value = data.get("value") if isinstance(data.get("value"), dict) else {}
        if any(isinstance(v, int) and not -ID_LIMIT <= v < ID_LIMIT for v in _values(data)):
            return Reply.text(STALE_BUTTON)
        if action == SAVE:
            try:
                return await self.coach.save_settings(person_id, submitted_settings(data))
            except SettingsError as error:
                return Reply.text(settings_problem(error))
        if action == REFLECT:
            delivery = value.get("d")
            if not isinstance(delivery, int) or isinstance(delivery, bool):
                return Reply.text(NO_LONGER_ACTIVE)
            return await self.coach.reflect(person_id, delivery, str(data.get("text") or ""), via=PLATFORM)
        return await self.coach.press(person_id, action, value, via=PLATFORM)

    async def _show(self, turn_context: TurnContext, reply: Reply) -> None:
        await self.pipeline.show(self._surface(turn_context), reply)


def press_key(activity: Activity) -> str | None:
    """The claim that makes a lesson-creating button act once per card it sits on (pressed twice, or two
    devices at once), like Slack's; None for other buttons, or a submit that names no card."""
    data = activity.value
    action = str(data.get("action"))
    if action not in LESSON_ACTIONS:
        return None
    value = json.dumps(data.get("value"), sort_keys=True, separators=(",", ":"))
    return card_key("press", activity, f":{action}:{value}")


def _values(data: dict[str, Any]) -> list[Any]:
    """The values a press carries (ids among them)."""
    return list(data["value"].values()) if isinstance(data.get("value"), dict) else []


def _reference(activity: Activity) -> dict[str, Any]:
    """Where to reach the sender later: the conversation reference, for a proactive message that starts
    fresh rather than as a reply to this activity."""
    reference = TurnContext.get_conversation_reference(activity)
    reference.activity_id = None
    return reference.serialize()


def _one_to_one(activity: Activity) -> bool:
    conversation_type = activity.conversation.conversation_type if activity.conversation else None
    return conversation_type in (None, "personal")


def _tenant(activity: Activity) -> str | None:
    if activity.conversation and activity.conversation.tenant_id:
        return activity.conversation.tenant_id
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant")
    return tenant.get("id") if isinstance(tenant, dict) else None
