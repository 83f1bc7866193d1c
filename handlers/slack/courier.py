"""The Slack courier: how the dispatcher, triggers and nudges reach someone in Slack without them writing
first. The DM is opened with `conversations.open`; someone who never wrote is found by `users.lookupByEmail`.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.couriers import DeliveryError, Recipient, Sent
from bot.metrics import SEND_FAILURES
from bot.replies import LessonCard, Reply
from handlers.slack.chat import SlackChat, SlackFailure, retry_after_of

log = logging.getLogger(__name__)

GONE = {"users_not_found", "user_not_found", "user_disabled", "account_inactive", "cannot_dm_bot", "user_is_bot"}
"""Errors about the person or their DM: retrying cannot help until the org chart or Slack changes."""

CHANNEL_GONE = {"channel_not_found", "not_in_channel", "is_archived"}
"""A shout-out channel the app cannot post to until someone invites it (or fixes COACH_SHOUTOUT_CHANNEL)."""


class SlackCourier:
    platform = "slack"

    def __init__(self, chat: SlackChat, workspace: str | None = None) -> None:
        self.chat = chat
        self.workspace = workspace

    def can_reach(self, recipient: Recipient) -> bool:
        return bool(recipient.external_id or recipient.email)

    def rate_key(self, recipient: Recipient) -> str:
        """One workspace (this app's installation) shares Slack's rate limits."""
        return f"slack:{recipient.workspace or self.workspace or 'workspace'}"

    async def send(self, recipient: Recipient, reply: Reply) -> Sent:
        """Post every message of the reply to the person's DM; the lesson card's message is the reference."""
        learned: dict[str, Any] = {}
        try:
            if recipient.external_id:
                user_id = recipient.external_id
            else:
                found = await self._lookup(recipient.email)
                user_id, learned["timezone"] = str(found["id"]), found.get("tz")
            channel = (recipient.address or {}).get("channel") or await self.chat.open_dm(user_id)
            refs: dict[str, str] = {}
            for item in reply.messages:
                ts = await self.chat.post(channel, item)
                if isinstance(item, LessonCard) or not refs:
                    refs = {"channel": channel, "ts": ts}
            if reply.attachments:
                await self.chat.upload(channel, reply.attachments)
        except SlackFailure as exc:
            raise self._failure(recipient, exc) from exc
        learned.update({"external_id": user_id, "address": {"channel": channel}})
        if self.workspace:
            learned["workspace"] = self.workspace
        return Sent(message_ref=refs or {"channel": channel}, learned=learned)

    async def post_to_channel(self, channel: str, reply: Reply) -> Sent:
        """A message for a whole channel (opt-in shout-outs, `bot.shoutouts`); the app must be a member."""
        refs: dict[str, str] = {"channel": channel}
        try:
            for item in reply.messages:
                refs["ts"] = await self.chat.post(channel, item)
        except SlackFailure as exc:
            code = exc.response.get("error") if isinstance(exc, SlackApiError) and exc.response is not None else None
            raise DeliveryError(f"Slack: {code or exc}", retry_after=retry_after_of(exc),
                                permanent=code in CHANNEL_GONE) from exc
        return Sent(message_ref=refs)

    async def _lookup(self, email: str) -> dict[str, Any]:
        """Slack's user object for someone who never wrote to the app (its `tz` is their profile's zone)."""
        response = await self.chat.client.users_lookupByEmail(email=email)
        return dict(response["user"])

    def _failure(self, recipient: Recipient, exc: Exception) -> DeliveryError:
        retry_after = retry_after_of(exc)
        code = exc.response.get("error") if isinstance(exc, SlackApiError) and exc.response is not None else None
        permanent = code in GONE
        outcome = "permanent" if permanent else "deferred" if retry_after is not None else "failed"
        SEND_FAILURES.labels("slack", outcome).inc()
        log.warning("Slack send to person %s failed (%s): %s", recipient.person_id, outcome, code or exc)
        return DeliveryError(f"Slack: {code or exc}", retry_after=retry_after, permanent=permanent)
