"""The Slack courier: how the dispatcher, triggers and nudges reach someone in Slack without them writing
first. The DM is opened with `conversations.open`; someone who never wrote is found by `users.lookupByEmail`.

Slack limits each Web API method by its tier, per workspace (api.slack.com/docs/rate-limits): chat.postMessage
about one a second per channel and several hundred a minute per workspace; users.lookupByEmail and
conversations.open are Tier 3 (50+ a minute); users.info Tier 4 (100+ a minute). Every call goes through the
dispatcher's `Attempt`, which waits for its kind's turn in the budget all processes share (`slack_paces`, from
COACH_SLACK_*), so a first rollout to thousands of people paces its lookups instead of meeting a wall of 429s.

Posts use a Web API client that does not retry a 429 by itself: the dispatcher's send budget owns them, so that
one 429 makes the whole workspace wait for `Retry-After`, in every process, instead of the refused request alone
sleeping while the others keep posting; and a retry never posts again a part that already arrived. Lookups post
nothing, so their client lets slack_sdk's retry handler wait out a 429's `Retry-After` and ask again.

Slack takes no idempotency key, so a post whose answer is lost (a timeout, a connection dropped after the
request left, a 5xx) may have arrived all the same. Each lesson message carries Slack message metadata naming
its delivery and part (`lesson_metadata`); its post client never sends such a request again by itself, and
before the dispatcher posts that part again the courier looks in the DM (`conversations.history` with
`include_all_metadata`, from the failed post's start) for a message carrying it. Found, it counts as posted.
Reading a DM's history needs the `im:history` scope: without it the part is posted again, as before.
"""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import Any

from aiohttp import ClientConnectorError, ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.couriers import DeliveryError, Pace, Recipient, Sent
from bot.dispatch.attempts import POST, Attempt
from bot.metrics import SEND_FAILURES
from bot.replies import LessonCard, Reply
from handlers.slack.app import retry_handlers
from handlers.slack.blocks import SlackMessage
from handlers.slack.chat import SlackChat, SlackFailure, error_code, retry_after_of
from handlers.slack.keepalive import KeptSession
from handlers.slack.lesson_cache import lesson_messages

log = logging.getLogger(__name__)

GONE = {"users_not_found", "user_not_found", "user_disabled", "account_inactive", "cannot_dm_bot", "user_is_bot"}
"""Errors about the person or their DM: retrying cannot help until the org chart or Slack changes."""

CHANNEL_GONE = {"channel_not_found", "not_in_channel", "is_archived"}
"""A shout-out channel the app cannot post to until someone invites it (or fixes COACH_SHOUTOUT_CHANNEL)."""


TIER3 = "tier3"
"""users.lookupByEmail, conversations.open, conversations.history."""
TIER4 = "tier4"
"""users.info."""


LESSON_EVENT = "coach_lesson_part"
"""The metadata `event_type` of every lesson message the courier posts; its payload names the delivery and part."""
LOST_ANSWER_CODES = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
"""Slack's own errors after which a post may have been stored all the same."""
NO_HISTORY = {"missing_scope", "not_allowed_token_type", "no_permission"}
"""The app may not read the DM (no `im:history`): a post whose answer was lost is posted again."""
LOOK_BACK = 120.0
"""Seconds before a lost post's start from which its DM is searched: room for the two clocks to differ."""
HISTORY_PAGES = 5
"""Pages of 200 messages searched at most; a DM with the bot rarely holds more since a failed post."""


def lesson_metadata(delivery_id: int, part: int) -> dict[str, Any]:
    """Slack message metadata naming one part of one delivery's lesson: unique to it, and kept by Slack."""
    return {"event_type": LESSON_EVENT, "event_payload": {"delivery_id": delivery_id, "part": part}}


def answer_lost(exc: BaseException) -> bool:
    """Whether a failed post may have arrived: its request left but no answer came back (a timeout, a dropped
    connection, a 5xx). A connection never made, or an error Slack answered, posted nothing."""
    if isinstance(exc, TimeoutError):
        return True
    if isinstance(exc, ClientError):
        return not isinstance(exc, ClientConnectorError)
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return exc.response.status_code >= 500 or error_code(exc) in LOST_ANSWER_CODES
    return False


def slack_paces(config: Settings) -> dict[str, Pace]:
    """Each kind of call's pace per workspace (COACH_SLACK_*), with a burst of COACH_SLACK_BURST_SECONDS' worth."""

    def pace(per_minute: float) -> Pace:
        return Pace(per_minute, max(1.0, per_minute / 60.0 * config.slack_burst_seconds))

    return {POST: pace(config.slack_posts_per_minute), TIER3: pace(config.slack_tier3_per_minute),
            TIER4: pace(config.slack_tier4_per_minute)}


def dispatch_client(client: AsyncWebClient, *, rate_limits: bool = False, resend: bool = True) -> AsyncWebClient:
    """The app's client again (same token, URL and timeout); by default leaving 429s to the dispatcher, and with
    `resend=False` never sending again by itself a request that may have reached Slack (lesson posts)."""
    return AsyncWebClient(token=client.token, base_url=client.base_url, timeout=client.timeout,
                          retry_handlers=retry_handlers(rate_limits=rate_limits, resend=resend), logger=client.logger)


class SlackCourier:
    platform = "slack"

    def __init__(self, chat: SlackChat, workspace: str | None = None,
                 paces: dict[str, Pace] | None = None) -> None:
        self.chat = SlackChat(dispatch_client(chat.client))
        """Posts of what names no delivery (a welcome, a reminder) and files: a 5xx is retried blind, as ever."""
        self.lesson_posts = dispatch_client(chat.client, resend=False)
        """Posts of lesson messages: one whose answer was lost is looked for before it is posted again."""
        self.lookups = dispatch_client(chat.client, rate_limits=True)
        self.connections = KeptSession(chat.client.timeout)
        """The clients' HTTP session: connections kept open from one post to the next."""
        self.workspace = workspace
        self.paces = paces or {}

    async def close(self) -> None:
        await self.connections.close()

    def _connected(self) -> None:
        """Point the clients at the running loop's kept session before they call Slack."""
        self.chat.client.session = self.lesson_posts.session = self.lookups.session = self.connections.session()

    def can_reach(self, recipient: Recipient) -> bool:
        return bool(recipient.external_id or recipient.email)

    def rate_key(self, recipient: Recipient) -> str:
        """One bot token is one workspace, and Slack's limits are the workspace's: every recipient shares it."""
        return f"slack:{self.workspace or 'workspace'}"

    async def resolve(self, recipient: Recipient, attempt: Attempt | None = None) -> dict[str, Any]:
        """Who the person is in Slack, their profile's time zone and their DM, without posting anything: the
        dispatcher checks the learner's window in that zone before the first lesson."""
        self._connected()
        try:
            return await self._reach(recipient, attempt or Attempt(self.rate_key(recipient)), profile=True)
        except SlackFailure as exc:
            raise self._failure(recipient, exc) from exc

    async def send(self, recipient: Recipient, reply: Reply) -> Sent:
        """Post every message of the reply to the person's DM; the lesson card's message is the reference."""
        return await self.send_attempt(recipient, reply, Attempt(self.rate_key(recipient)))

    async def send_attempt(self, recipient: Recipient, reply: Reply, attempt: Attempt) -> Sent:
        """`send`, with each message paced by the dispatcher and none posted twice across its retries."""
        self._connected()
        try:
            learned = await self._reach(recipient, attempt, profile=False)
            channel = learned["address"]["channel"]
            refs: dict[str, Any] = {}
            part = 0
            for item in reply.messages:
                delivery_id = item.delivery_id if isinstance(item, LessonCard) else None
                for message in lesson_messages(item):
                    if delivery_id is None:
                        ref = await attempt.post(part, partial(self._post, channel, message))
                    else:
                        metadata = lesson_metadata(delivery_id, part)
                        ref = await attempt.post(part, partial(self._post, channel, message, metadata, attempt),
                                                 partial(self._find, channel, metadata, attempt))
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
        self._connected()
        try:
            for item in reply.messages:
                refs["ts"] = await self.chat.post(channel, item)
        except SlackFailure as exc:
            code = error_code(exc)
            raise DeliveryError(f"Slack: {code or exc}", retry_after=retry_after_of(exc),
                                permanent=code in CHANNEL_GONE) from exc
        return Sent(message_ref=refs)

    async def _reach(self, recipient: Recipient, attempt: Attempt, *, profile: bool) -> dict[str, Any]:
        """The person's user id and DM channel (looked up and opened when not known yet), and with `profile`
        (or when they had to be found by email) what their Slack profile says, such as their zone."""
        learned: dict[str, Any] = {}
        user_id = recipient.external_id
        if user_id is None or profile:
            found = await self._profile(recipient, attempt)
            user_id, learned["timezone"] = str(found["id"]), found.get("tz")
        channel = (recipient.address or {}).get("channel")
        if not channel:
            channel = await attempt.call(TIER3, partial(self._open_dm, user_id))
        learned.update({"external_id": user_id, "address": {"channel": channel}})
        if self.workspace:
            learned["workspace"] = self.workspace
        return learned

    async def _profile(self, recipient: Recipient, attempt: Attempt) -> dict[str, Any]:
        """Slack's user object: by id when known, else by email for someone who never wrote to the app."""
        if recipient.external_id:
            response = await attempt.call(TIER4, partial(self.lookups.users_info, user=recipient.external_id))
        else:
            response = await attempt.call(TIER3, partial(self.lookups.users_lookupByEmail, email=recipient.email))
        return dict(response["user"])

    async def _open_dm(self, user_id: str) -> str:
        response = await self.lookups.conversations_open(users=user_id)
        return str(response["channel"]["id"])

    async def _post(self, channel: str, message: SlackMessage, metadata: dict[str, Any] | None = None,
                    attempt: Attempt | None = None) -> dict[str, Any]:
        """One message; a lesson's carries `metadata`, and a failure that may have posted it marks `attempt`."""
        started = time.time()
        client = self.chat.client if metadata is None else self.lesson_posts
        try:
            response = await client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks,
                                                     unfurl_links=False, metadata=metadata)
        except SlackFailure as exc:
            if attempt is not None and answer_lost(exc):
                attempt.unsure(started)
            raise
        return {"channel": channel, "ts": str(response["ts"])}

    async def _find(self, channel: str, metadata: dict[str, Any], attempt: Attempt,
                    since: float) -> dict[str, Any] | None:
        """The message carrying `metadata` in the DM, posted at `since` or later (less LOOK_BACK), if it arrived;
        None when it did not, or when the app may not read the DM."""
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            try:
                response = await attempt.call(TIER3, partial(
                    self.lookups.conversations_history, channel=channel, oldest=f"{since - LOOK_BACK:.6f}",
                    include_all_metadata=True, limit=200, cursor=cursor))
            except SlackApiError as exc:
                if error_code(exc) in NO_HISTORY:
                    log.warning("Slack: cannot read the DM %s to find a lesson whose answer was lost (add the "
                                "im:history scope); posting it again", channel)
                    return None
                raise
            for found in response.get("messages") or []:
                if found.get("metadata") == metadata:
                    log.info("Slack: a lesson post whose answer was lost had arrived (%s in %s)", found["ts"],
                             channel)
                    return {"channel": channel, "ts": str(found["ts"])}
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                break
        return None

    def _failure(self, recipient: Recipient, exc: Exception) -> DeliveryError:
        retry_after = retry_after_of(exc)
        code = error_code(exc)
        permanent = code in GONE
        outcome = "permanent" if permanent else "deferred" if retry_after is not None else "failed"
        SEND_FAILURES.labels("slack", outcome).inc()
        log.warning("Slack send to person %s failed (%s): %s", recipient.person_id, outcome, code or exc)
        return DeliveryError(f"Slack: {code or exc}", retry_after=retry_after, permanent=permanent)
