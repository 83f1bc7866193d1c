"""Slack's side of a request (`bot.chat.pipeline.Surface`): who is asking, and where each part of a reply
goes in Slack, given where the person acted.

- Lessons always go to the learner's DM with the bot (never a channel); the pipeline then records them as
  sent, or hands them back to the dispatcher when Slack refused them.
- Everything else answers a slash command privately (`response_url`, ephemeral), answers a typed DM or a
  button in the DM in that DM, and goes to the DM when it came from the App Home or a modal.
- `Reply.update` replaces the message the person acted on (the answered lesson card).
- A settings form opens as a modal when Slack gave a `trigger_id` (a click or a command).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.couriers import DeliveryError
from bot.replies import LessonCard, Notice, SettingsForm, TeamSummary
from bot.team.text import heatmap_alt_text
from handlers.slack.chat import SlackChat, SlackFailure, retry_after_of
from handlers.slack.modals import settings_modal
from handlers.slack.people import Directory
from store.models import Person

log = logging.getLogger(__name__)

SENT_TO_DM = Notice("📬 Sent to your DM with me.")
COULD_NOT_SEND = Notice("I couldn't post the lesson to your DM just now (Slack is busy). It's saved, and I'll "
                        "send it there as soon as Slack lets me.")


@dataclass(frozen=True)
class Origin:
    """Where and how a person acted: `via` is command | dm | button | home | modal."""

    user_id: str
    team_id: str | None
    via: str
    channel_id: str | None = None
    response_url: str | None = None
    trigger_id: str | None = None
    message_ts: str | None = None
    ephemeral: bool = False

    @property
    def in_dm(self) -> bool:
        """Slack's direct-message channel ids start with D; the bot only ever posts in its own DMs."""
        return bool(self.channel_id and self.channel_id.startswith("D"))


class Outbox:
    """One request's replies in Slack."""

    platform = "slack"

    def __init__(self, chat: SlackChat, directory: Directory, origin: Origin) -> None:
        self.chat = chat
        self.directory = directory
        self.origin = origin
        self._summary: TeamSummary | None = None  # the summary its heatmap describes, once shown

    async def identify(self) -> Person | None:
        """The person in the org chart; someone it does not list hears so, kindly. A typed DM also tells
        where to reach them."""
        origin = self.origin
        address = {"channel": origin.channel_id} if origin.via == "dm" else None
        person = await self.directory.person(origin.user_id, origin.team_id, address=address)
        if person is None or person.id is None:
            profile = await self.directory.profile(origin.user_id)
            await self.say(Notice(self.directory.unknown_text(profile)), ephemeral=True)
            return None
        return person

    async def post(self, item: Any, *, ephemeral: bool) -> dict[str, Any] | None:
        if isinstance(item, TeamSummary):
            self._summary = item
        if isinstance(item, LessonCard):
            return await self._lesson(item)
        if isinstance(item, SettingsForm) and self.origin.trigger_id:
            await self.chat.open_modal(self.origin.trigger_id, settings_modal(item))
        else:
            await self.say(item, ephemeral=ephemeral)
        return None

    async def replace(self, item: Any) -> bool:
        """The message acted on is replaced where Slack lets the bot, and otherwise left as it is (a new copy
        of an answered card would only clutter the DM)."""
        origin = self.origin
        if origin.ephemeral and origin.response_url:
            await self.chat.respond(origin.response_url, item, replace_original=True)
        elif origin.channel_id and origin.message_ts:
            await self.chat.update(origin.channel_id, origin.message_ts, item)
        else:
            log.debug("nothing to update for a reply via %s", origin.via)
        return True

    async def attach(self, files: list[tuple[str, bytes, str]]) -> None:
        """The files to the DM; a team's heatmap with words for it (alt text, and beside it)."""
        alt_text = heatmap_alt_text(self._summary) if self._summary is not None else None
        await self.chat.upload(await self.chat.open_dm(self.origin.user_id), files, alt_text=alt_text)

    async def lesson_deferred(self, card: LessonCard) -> None:
        if self.origin.response_url:
            await self.chat.respond(self.origin.response_url, COULD_NOT_SEND)

    async def say(self, item: Any, *, ephemeral: bool) -> None:
        """A non-lesson message, privately where it has to be."""
        origin = self.origin
        if (origin.via == "command" or origin.ephemeral) and origin.response_url:
            await self.chat.respond(origin.response_url, item)
        elif origin.via in ("dm", "button") and origin.in_dm:
            assert origin.channel_id is not None
            if ephemeral and origin.via == "button":
                await self.chat.post_ephemeral(origin.channel_id, origin.user_id, item)
            else:
                await self.chat.post(origin.channel_id, item)
        elif origin.via == "button" and origin.channel_id:
            await self.chat.post_ephemeral(origin.channel_id, origin.user_id, item)
        else:
            await self.chat.post(await self.chat.open_dm(origin.user_id), item)

    async def _lesson(self, card: LessonCard) -> dict[str, Any]:
        """A lesson to the DM; a refusal is the pipeline's to hand back to the dispatcher."""
        origin = self.origin
        try:
            channel = await self.chat.open_dm(origin.user_id)
            ts = await self.chat.post(channel, card)
        except SlackFailure as exc:
            raise DeliveryError(str(exc), retry_after=retry_after_of(exc)) from exc
        if origin.via == "command" and origin.channel_id != channel and origin.response_url:
            await self.chat.respond(origin.response_url, SENT_TO_DM)
        return {"channel": channel, "ts": ts}
