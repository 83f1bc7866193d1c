"""Proactive sends to Teams: scheduled and triggered lessons, through the person's stored reference.

Teams lets a bot write first only into a conversation that exists, so the courier reaches people who have
installed the app (their ConversationReference is stored on their chat identity at install or at their
first message) and continues that conversation with `CloudAdapter.continue_conversation`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ConversationReference, ResourceResponse
from msrest.exceptions import DeserializationError

from bot.couriers import DeliveryError, Recipient, Sent
from bot.dispatch.attempts import Attempt
from bot.replies import LessonCard, Reply
from handlers.msteams.cards import all_messages
from handlers.msteams.posting import Backoff, call_once, with_backoff
from handlers.msteams.service_urls import clean_reference, usable_reference

Call = Callable[[], Awaitable[ResourceResponse | None]]
"""One connector call: posting one activity."""


class TeamsCourier:
    """The `bot.couriers.Courier` for Teams."""

    platform = "teams"

    def __init__(self, adapter: CloudAdapter, app_id: str, backoff: Backoff,
                 service_hosts: tuple[str, ...] | None = None) -> None:
        self.adapter = adapter
        self.app_id = app_id
        self.backoff = backoff
        self.service_hosts = service_hosts
        """None in dev mode; with an app id, the hosts a stored reference may point at (`service_urls`)."""

    def can_reach(self, recipient: Recipient) -> bool:
        """Only people with a stored reference: a bot can't open a chat with someone who hasn't installed it.
        With an app id, only a reference an authenticated activity gave, on a Microsoft service host."""
        address = recipient.address or {}
        return bool(address.get("serviceUrl") and (address.get("conversation") or {}).get("id")) \
            and usable_reference(address, self.service_hosts)

    def rate_key(self, recipient: Recipient) -> str:
        """Teams throttles per app and tenant: the tenant id."""
        tenant = recipient.workspace or ((recipient.address or {}).get("conversation") or {}).get("tenantId")
        return str(tenant or "unknown")

    async def send(self, recipient: Recipient, reply: Reply) -> Sent:
        """Post the reply's messages into the person's chat with the bot. Each message is retried on its
        own, so a throttled second message never re-sends the first. Notification words follow the locale
        the stored conversation reference carries (the client's, when the person last wrote)."""

        async def post(_part: int, call: Call) -> str | None:
            response = await with_backoff(call, self.backoff)
            return response.id if response else None

        return await self._send(recipient, reply, post)

    async def send_attempt(self, recipient: Recipient, reply: Reply, attempt: Attempt) -> Sent:
        """The dispatcher's send: each message waits for the tenant's turn in the shared send budget, a throttle
        goes straight back to the dispatcher (which holds the whole tenant for its Retry-After), and a retry
        posts only the messages that did not arrive."""

        async def post(part: int, call: Call) -> str | None:
            return (await attempt.post(part, partial(_reference, call))).get("id")

        return await self._send(recipient, reply, post)

    async def _send(self, recipient: Recipient, reply: Reply,
                    post_one: Callable[[int, Call], Awaitable[str | None]]) -> Sent:
        if not self.can_reach(recipient):
            raise DeliveryError(f"{recipient.email} has not installed the Teams app", permanent=True)
        try:
            reference = ConversationReference().deserialize(clean_reference(recipient.address or {}))
        except DeserializationError as error:
            raise DeliveryError(f"stored Teams reference of {recipient.email} is unusable", permanent=True) from error
        posted: list[tuple[Any, str | None]] = []

        async def post(turn_context: TurnContext) -> None:
            part = 0
            for item, activities in all_messages(reply, recipient.external_id or "", reference.locale):
                for activity in activities:
                    activity_id = await post_one(part, partial(turn_context.send_activity, activity))
                    part += 1
                posted.append((item, activity_id))  # a lesson's last: its question

        await self.adapter.continue_conversation(reference, post, self.app_id)
        lesson_ids = [activity_id for item, activity_id in posted if isinstance(item, LessonCard)]
        activity_id = lesson_ids[0] if lesson_ids else (posted[-1][1] if posted else None)
        return Sent(message_ref={"activity_id": activity_id, "conversation_id": reference.conversation.id})


async def _reference(call: Call) -> dict[str, Any]:
    """Post one activity for the dispatcher; its id is what a later try gets back instead of posting it again."""
    response = await call_once(call)
    return {"id": response.id if response else None}
