"""Where each part of a reply goes in Slack, given where the person acted.

- Lessons always go to the learner's DM with the bot (never a channel); the delivery is then recorded as
  sent (or released for the dispatcher to retry if Slack refused it).
- Everything else answers a slash command privately (`response_url`, ephemeral), answers a typed DM or a
  button in the DM in that DM, and goes to the DM when it came from the App Home or a modal.
- `Reply.update` replaces the message the person acted on (the answered lesson card).
- A settings form opens as a modal when Slack gave a `trigger_id` (a click or a command).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.coach import Coach
from bot.metrics import LESSONS_SENT, SEND_FAILURES
from bot.replies import LessonCard, Notice, Reply, SettingsForm, TeamSummary
from bot.team_text import heatmap_alt_text
from handlers.slack.chat import SlackChat, SlackFailure, retry_after_of
from handlers.slack.modals import settings_modal

log = logging.getLogger(__name__)

RETRY_LATER = timedelta(minutes=1)
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
    def __init__(self, coach: Coach, chat: SlackChat) -> None:
        self.coach = coach
        self.chat = chat

    async def deliver(self, reply: Reply, origin: Origin) -> None:
        """Show every part of the reply in the right place."""
        if reply.update is not None:
            await self._replace(reply.update, origin)
        for item in reply.messages:
            if isinstance(item, LessonCard):
                await self.lesson(item, origin)
            elif isinstance(item, SettingsForm) and origin.trigger_id:
                await self.chat.open_modal(origin.trigger_id, settings_modal(item))
            else:
                await self.say(item, origin, ephemeral=reply.ephemeral)
        if reply.attachments:
            summary = next((item for item in reply.messages if isinstance(item, TeamSummary)), None)
            await self.chat.upload(await self.chat.open_dm(origin.user_id), reply.attachments,
                                   alt_text=heatmap_alt_text(summary) if summary else None)

    async def lesson(self, card: LessonCard, origin: Origin) -> None:
        """Post a lesson to the DM and record it; if Slack refuses, the dispatcher retries it later."""
        try:
            channel = await self.chat.open_dm(origin.user_id)
            ts = await self.chat.post(channel, card)
        except SlackFailure as exc:
            retry_after = retry_after_of(exc)
            SEND_FAILURES.labels("slack", "deferred" if retry_after else "failed").inc()
            log.warning("lesson %s not posted: %s", card.delivery_id, exc)
            await self.coach.send_failed(card.delivery_id, str(exc),
                                         self.coach.clock() + max(RETRY_LATER, timedelta(seconds=retry_after or 0)))
            if origin.response_url:
                await self.chat.respond(origin.response_url, COULD_NOT_SEND)
            return
        if await self.coach.sent(card.delivery_id, platform="slack", message_ref={"channel": channel, "ts": ts}):
            LESSONS_SENT.labels("slack", card.origin).inc()
        else:
            log.warning("lesson %s was posted after another process took its send over", card.delivery_id)
        if origin.via == "command" and origin.channel_id != channel and origin.response_url:
            await self.chat.respond(origin.response_url, SENT_TO_DM)

    async def say(self, item: Any, origin: Origin, *, ephemeral: bool) -> None:
        """A non-lesson message, privately where it has to be."""
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

    async def _replace(self, item: Any, origin: Origin) -> None:
        if origin.ephemeral and origin.response_url:
            await self.chat.respond(origin.response_url, item, replace_original=True)
        elif origin.channel_id and origin.message_ts:
            await self.chat.update(origin.channel_id, origin.message_ts, item)
        else:
            log.debug("nothing to update for a reply via %s", origin.via)

