"""The Slack courier: how the dispatcher, triggers and nudges reach someone in Slack without them writing
first. The DM is opened with `conversations.open`; someone who never wrote is found by `users.lookupByEmail`.

It has a Web API client of its own that does not retry a 429 by itself: the dispatcher's send budget owns
rate limits, so that one 429 makes the whole workspace wait for `Retry-After`, in every process, instead of
the refused request alone sleeping while the others keep posting. Each message of a reply is posted through
the dispatcher's `Attempt`, so a retry never posts again a part that already arrived.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.couriers import DeliveryError, Recipient, Sent
from bot.dispatch.attempts import Attempt
from bot.metrics import SEND_FAILURES
from bot.replies import LessonCard, Reply
from handlers.slack.app import retry_handlers
from handlers.slack.blocks import SlackMessage, messages_for
from handlers.slack.chat import SlackChat, SlackFailure, retry_after_of

log = logging.getLogger(__name__)

GONE = {"users_not_found", "user_not_found", "user_disabled", "account_inactive", "cannot_dm_bot", "user_is_bot"}
"""Errors about the person or their DM: retrying cannot help until the org chart or Slack changes."""

CHANNEL_GONE = {"channel_not_found", "not_in_channel", "is_archived"}
"""A shout-out channel the app cannot post to until someone invites it (or fixes COACH_SHOUTOUT_CHANNEL)."""


def dispatch_client(client: AsyncWebClient) -> AsyncWebClient:
    """The app's client again (same token, URL and timeout), leaving 429s to the dispatcher."""
    return AsyncWebClient(token=client.token, base_url=client.base_url, timeout=client.timeout,
                          retry_handlers=retry_handlers(rate_limits=False), logger=client.logger)


class SlackCourier:
    platform = "slack"

    def __init__(self, chat: SlackChat, workspace: str | None = None) -> None:
        self.chat = SlackChat(dispatch_client(chat.client))
        self.workspace = workspace

    def can_reach(self, recipient: Recipient) -> bool:
        return bool(recipient.external_id or recipient.email)

    def rate_key(self, recipient: Recipient) -> str:
        """One bot token is one workspace, and Slack's limits are the workspace's: every recipient shares it."""
        return f"slack:{self.workspace or 'workspace'}"

    async def resolve(self, recipient: Recipient) -> dict[str, Any]:
        """Who the person is in Slack, their profile's time zone and their DM, without posting anything: the
        dispatcher checks the learner's window in that zone before the first lesson."""
        try:
            return await self._reach(recipient, profile=True)
        except SlackFailure as exc:
            raise self._failure(recipient, exc) from exc

    async def send(self, recipient: Recipient, reply: Reply) -> Sent:
        """Post every message of the reply to the person's DM; the lesson card's message is the reference."""
        return await self.send_attempt(recipient, reply, Attempt(self.rate_key(recipient)))

    async def send_attempt(self, recipient: Recipient, reply: Reply, attempt: Attempt) -> Sent:
        """`send`, with each message paced by the dispatcher and none posted twice across its retries."""
        try:
            learned = await self._reach(recipient, profile=False)
            channel = learned["address"]["channel"]
            refs: dict[str, Any] = {}
            part = 0
            for item in reply.messages:
                for message in messages_for(item):
                    ref = await attempt.post(part, partial(self._post, channel, message))
                    part += 1
                if isinstance(item, LessonCard) or not refs:
                    refs = ref
            if reply.attachments:
                await self.chat.upload(channel, reply.attachments)
        except SlackFailure as exc:
            raise self._failure(recipient, exc) from exc
        return Sent(message_ref=refs or {"channel": channel}, learned=learned)

    async def post_to_channel(self, channel: str, reply: Reply) -> Sent:
        """A message for a whole channel (opt-in shout-outs, `bot.team.shoutouts`); the app must be a member."""
        refs: dict[str, str] = {"channel": channel}
        try:
            for item in reply.messages:
                refs["ts"] = await self.chat.post(channel, item)
        except SlackFailure as exc:
            code = exc.response.get("error") if isinstance(exc, SlackApiError) and exc.response is not None else None
            raise DeliveryError(f"Slack: {code or exc}", retry_after=retry_after_of(exc),
                                permanent=code in CHANNEL_GONE) from exc
        return Sent(message_ref=refs)

    async def _reach(self, recipient: Recipient, *, profile: bool) -> dict[str, Any]:
        """The person's user id and DM channel (looked up and opened when not known yet), and with `profile`
        (or when they had to be found by email) what their Slack profile says, such as their zone."""
        learned: dict[str, Any] = {}
        user_id = recipient.external_id
        if user_id is None or profile:
            found = await self._profile(recipient)
            user_id, learned["timezone"] = str(found["id"]), found.get("tz")
        channel = (recipient.address or {}).get("channel") or await self.chat.open_dm(user_id)
        learned.update({"external_id": user_id, "address": {"channel": channel}})
        if self.workspace:
            learned["workspace"] = self.workspace
        return learned

    async def _profile(self, recipient: Recipient) -> dict[str, Any]:
        """Slack's user object: by id when known, else by email for someone who never wrote to the app."""
        if recipient.external_id:
            response = await self.chat.client.users_info(user=recipient.external_id)
        else:
            response = await self.chat.client.users_lookupByEmail(email=recipient.email)
        return dict(response["user"])

    async def _post(self, channel: str, message: SlackMessage) -> dict[str, Any]:
        response = await self.chat.client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks,
                                                           unfurl_links=False)
        return {"channel": channel, "ts": str(response["ts"])}

    def _failure(self, recipient: Recipient, exc: Exception) -> DeliveryError:
        retry_after = retry_after_of(exc)
        code = exc.response.get("error") if isinstance(exc, SlackApiError) and exc.response is not None else None
        permanent = code in GONE
        outcome = "permanent" if permanent else "deferred" if retry_after is not None else "failed"
        SEND_FAILURES.labels("slack", outcome).inc()
        log.warning("Slack send to person %s failed (%s): %s", recipient.person_id, outcome, code or exc)
        return DeliveryError(f"Slack: {code or exc}", retry_after=retry_after, permanent=permanent)
