"""Bolt listeners: each acknowledges at once, then turns the Slack payload into a use-case call that runs in
the background through the request pipeline (`bot.chat.pipeline`), with `Outbox` as Slack's side of it.

Commands, buttons, modals and events all identify the person first (`Outbox.identify`); someone the
org chart does not list hears so, kindly. Events API callbacks are handled once per `event_id`, and a
button that creates a lesson ("Next lesson", a topic pick) once per message it sits on, so a retry or a
double click sends one lesson; answers are idempotent in the use case itself.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.chat.coach import Coach
from bot.chat.once import LESSON_ACTIONS
from bot.chat.pipeline import Pipeline, UseCase
from bot.lessons.preferences import SettingsError
from bot.replies import Notice, Reply
from handlers.slack.blocks import ACTION_PREFIX, action_of
from handlers.slack.chat import SlackChat
from handlers.slack.home import home_view, unknown_home_view
from handlers.slack.modals import (
    REFLECTION_BLOCK,
    REFLECTION_CALLBACK,
    SETTINGS_CALLBACK,
    reflection_modal,
    reflection_submission,
    settings_error_block,
    settings_values,
)
from handlers.slack.outbox import Origin, Outbox
from handlers.slack.people import Directory, ProfileUnavailable
from handlers.slack.renderers.lessons import REFLECT_ACTION
from handlers.slack.work import Background

log = logging.getLogger(__name__)

COMMANDS = ("/learn", "/team")
EVENTS = ("app_home_opened", "message")
"""What the listeners answer; manifest.yaml subscribes to exactly these (`message` as `message.im`)."""
SORRY = Notice("Sorry — something went wrong on my side. Please try again in a minute.")
BUSY = Notice("Sorry — Slack didn't tell me who you are just now, so I can't answer yet. Please try again in "
              "a minute.")
NO_SETTINGS = "I couldn't save your settings just now. Please try again in a minute."
SETTINGS_AGAIN = "Open them again with `/learn settings`."
NOT_SAVED = Notice("Sorry — Slack didn't tell me who you are just now, so I couldn't save your settings. "
                   f"Please try again in a minute. {SETTINGS_AGAIN}")


class SlackListeners:
    def __init__(self, coach: Coach, chat: SlackChat, directory: Directory, background: Background) -> None:
        self.coach = coach
        self.chat = chat
        self.directory = directory
        self.background = background
        self.pipeline = Pipeline(coach.services)

    def register(self, app: AsyncApp) -> None:
        learn, team = COMMANDS
        app.command(learn)(self.on_learn)
        app.command(team)(self.on_team)
        # Block actions only: a bare action id would also match legacy payloads by their callback_id.
        app.action({"type": "block_actions", "action_id": re.compile("^" + re.escape(ACTION_PREFIX))})(self.on_press)
        app.action({"type": "block_actions", "action_id": REFLECT_ACTION})(self.on_reflect_button)
        app.view(SETTINGS_CALLBACK)(self.on_settings)
        app.view(REFLECTION_CALLBACK)(self.on_reflection)
        home_opened, message = EVENTS
        app.event(home_opened)(self.on_home_opened)
        app.event(message)(self.on_message)

    # Slash commands ---------------------------------------------------------------------------------------

    async def on_learn(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        self._command(body, "learn")

    async def on_team(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        self._command(body, "team")

    def _command(self, body: dict[str, Any], default: str) -> None:
        origin = Origin(user_id=body["user_id"], team_id=body.get("team_id"), via="command",
                        channel_id=body.get("channel_id"), response_url=body.get("response_url"),
                        trigger_id=body.get("trigger_id"))
        # The command's own name goes first: `/learn team` (peers) must not read as `/team` (managers).
        self._spawn(self._words(origin, f"{default} {body.get('text') or ''}", default), origin)

    async def _words(self, origin: Origin, text: str, default: str, *, once: str | None = None) -> None:
        async def command(person_id: int) -> Reply:
            return await self.coach.command(person_id, await self.directory.plain_words(text), default=default)

        await self._handle(origin, command, once=once)

    # Buttons ----------------------------------------------------------------------------------------------

    async def on_press(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        origin = _button_origin(body)
        name = action_of(action["action_id"])
        value = _json_object(action.get("value"))
        if name in LESSON_ACTIONS:
            view = body.get("view") if isinstance(body.get("view"), dict) else {}
            where = origin.message_ts or view.get("hash") or body.get("trigger_id")
            key = f"slack:press:{origin.user_id}:{origin.channel_id}:{where}:{action['action_id']}"
            self._spawn(self._press(origin, name, value, once=key), origin)
        else:
            self._spawn(self._press(origin, name, value), origin)

    async def _press(self, origin: Origin, name: str, value: dict[str, Any], *, once: str | None = None) -> None:
        await self._handle(origin, lambda person_id: self.coach.press(person_id, name, value, via="slack"),
                           once=once)
        if origin.via == "home":
            await self._publish_home(origin)

    async def on_reflect_button(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Open the reflection modal straight away (the trigger lasts 3 seconds); the text is checked and
        stored on submission."""
        await ack()
        origin = _button_origin(body)
        value = _json_object(action.get("value"))
        delivery, prompt = value.get("d"), value.get("p")
        if not isinstance(delivery, int) or not isinstance(prompt, str) or not origin.trigger_id:
            return
        modal = reflection_modal(delivery, prompt, origin.channel_id, origin.message_ts)
        self._spawn(self.chat.open_modal(origin.trigger_id, modal), origin)

    # Modals -----------------------------------------------------------------------------------------------

    async def on_settings(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Saved before acknowledging, so a value to correct is shown on its field in the open modal: whoever
        opened the modal is nearly always known by their Slack id by now, and that needs no call to Slack.
        Someone who is not must be named by Slack's profile first, which may take longer than the 3 seconds
        Slack waits for the acknowledgement (a 429's Retry-After, a slow answer): their modal closes at once,
        and the outcome follows in their DM (`_settings_later`)."""
        origin = Origin(user_id=body["user"]["id"], team_id=_team_id(body), via="modal")
        values = settings_values(view)
        try:
            person = await self.directory.known(origin.user_id, origin.team_id)
            if person is None or person.id is None:
                await ack()
                self._spawn(self._settings_later(origin, values), origin)
                return
            reply = await self.coach.save_settings(person.id, values)
        except SettingsError as exc:
            await ack(response_action="errors", errors={settings_error_block(exc.field): str(exc)})
            return
        except Exception:
            log.exception("saving settings failed")
            await ack(response_action="errors", errors={"days": NO_SETTINGS})
            return
        await ack()
        self._spawn(self._after_settings(reply, origin), origin)

    async def _after_settings(self, reply: Reply, origin: Origin) -> None:
        await self.pipeline.show(self._outbox(origin), reply)
        await self._publish_home(origin)

    async def _settings_later(self, origin: Origin, values: dict[str, Any]) -> None:
        """A settings form from someone Slack had to name first, after its modal closed: saved once Slack's
        profile says who they are (its 429s waited out), with the outcome in their DM — or a value to correct,
        or that they are not in the org chart, or that Slack could not say who they are."""
        async def save(person_id: int) -> Reply:
            try:
                return await self.coach.save_settings(person_id, values)
            except SettingsError as exc:
                return Reply.text(f"I couldn't save your settings: {exc} {SETTINGS_AGAIN}", ephemeral=True)

        try:
            await self._handle(origin, save)
        except ProfileUnavailable:
            await self._outbox(origin).say(NOT_SAVED, ephemeral=True)
            return
        await self._publish_home(origin)

    async def on_reflection(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        metadata, text = reflection_submission(view)
        if not text.strip():
            await ack(response_action="errors", errors={REFLECTION_BLOCK: "Write a sentence or two, then save."})
            return
        await ack()
        delivery = metadata.get("d")
        if not isinstance(delivery, int):
            return
        origin = Origin(user_id=body["user"]["id"], team_id=_team_id(body), via="modal",
                        channel_id=_str(metadata.get("c")), message_ts=_str(metadata.get("ts")))
        self._spawn(self._reflect(origin, delivery, text), origin)

    async def _reflect(self, origin: Origin, delivery: int, text: str) -> None:
        await self._handle(origin, lambda person_id: self.coach.reflect(person_id, delivery, text, via="slack"))

    # Events -----------------------------------------------------------------------------------------------

    async def on_home_opened(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home") or not isinstance(event.get("user"), str):
            return
        origin = Origin(user_id=event["user"], team_id=_team_id(body), via="home",
                        channel_id=_str(event.get("channel")))
        self._spawn(self.pipeline.once.run(_event_key(body), lambda: self._publish_home(origin)), origin)

    async def on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """Words typed in the DM with the bot; edits, bots' messages and other channels are not commands."""
        text = event.get("text")
        if (event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id")
                or not isinstance(event.get("user"), str) or not isinstance(text, str) or not text.strip()):
            return
        origin = Origin(user_id=event["user"], team_id=_team_id(body), via="dm", channel_id=_str(event.get("channel")))
        self._spawn(self._words(origin, text, "learn", once=_event_key(body)), origin)

    # Shared -----------------------------------------------------------------------------------------------

    async def _publish_home(self, origin: Origin) -> None:
        address = {"channel": origin.channel_id} if origin.in_dm else None
        person = await self.directory.person(origin.user_id, origin.team_id, address=address)
        if person is None or person.id is None:
            profile = await self.directory.profile(origin.user_id)
            await self.chat.publish_home(origin.user_id, unknown_home_view(self.directory.unknown_text(profile)))
            return
        await self.chat.publish_home(origin.user_id, home_view(await self.coach.command(person.id, "progress")))

    def _outbox(self, origin: Origin) -> Outbox:
        return Outbox(self.chat, self.directory, origin)

    async def _handle(self, origin: Origin, use_case: UseCase, *, once: str | None = None) -> None:
        await self.pipeline.handle(self._outbox(origin), use_case, once=once)

    def _spawn(self, work: Any, origin: Origin) -> None:
        async def sorry(error: Exception) -> None:
            notice = BUSY if isinstance(error, ProfileUnavailable) else SORRY
            await self._outbox(origin).say(notice, ephemeral=True)

        self.background.spawn(work, on_error=sorry)


def _button_origin(body: dict[str, Any]) -> Origin:
    container = body.get("container") if isinstance(body.get("container"), dict) else {}
    channel = body.get("channel") if isinstance(body.get("channel"), dict) else {}
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    return Origin(
        user_id=body["user"]["id"], team_id=_team_id(body), via="home" if container.get("type") == "view" else "button",
        channel_id=_str(channel.get("id") or container.get("channel_id")),
        response_url=_str(body.get("response_url")), trigger_id=_str(body.get("trigger_id")),
        message_ts=_str(container.get("message_ts") or message.get("ts")),
        ephemeral=bool(container.get("is_ephemeral")),
    )


def _team_id(body: dict[str, Any]) -> str | None:
    team = body.get("team")
    if isinstance(team, dict):
        return _str(team.get("id"))
    return _str(team) or _str(body.get("team_id"))


def _event_key(body: dict[str, Any]) -> str:
    return f"slack:event:{body['event_id']}"


def _json_object(raw: Any) -> dict[str, Any]:
    try:
        value = json.loads(raw) if isinstance(raw, str) else None
    except (ValueError, RecursionError):  # a forged or broken button value: treated as carrying nothing
        return {}
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
