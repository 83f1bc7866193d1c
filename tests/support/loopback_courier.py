"""A minimal Courier that posts to the fake Slack Web API over real HTTP, so the dispatcher can be tested
in-process before (and independently of) the Slack handler: the same protocol, the same failure mapping
(429 -> `retry_after`, 5xx -> transient, `users_not_found` -> permanent). `PartwiseLoopbackCourier` posts
each message in several parts through the dispatcher's `Attempt`, as the real couriers do with long lessons."""

from __future__ import annotations

from functools import partial
from typing import Any

import aiohttp

from bot.chat.dates import plain
from bot.couriers import DeliveryError, Recipient, Sent
from bot.dispatch.attempts import Attempt
from bot.replies import LessonCard, Notice, Reply


class LoopbackCourier:
    platform = "slack"

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._session: aiohttp.ClientSession | None = None

    def can_reach(self, recipient: Recipient) -> bool:
        return bool(recipient.external_id or recipient.email)

    def rate_key(self, recipient: Recipient) -> str:
        return "T0FAKE"  # one bot token, one workspace

    async def send(self, recipient: Recipient, reply: Reply) -> Sent:
        channel, learned = await self._reach(recipient)
        ts = None
        for message in reply.messages:
            ts = (await self._call("chat.postMessage", _render(channel, message)))["ts"]
        return Sent(message_ref={"channel": channel, "ts": ts}, learned=learned)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _reach(self, recipient: Recipient) -> tuple[str, dict[str, Any]]:
        learned: dict[str, Any] = {}
        user = recipient.external_id
        if user is None:
            found = await self._call("users.lookupByEmail", {"email": recipient.email})
            user = found["user"]["id"]
            learned.update(external_id=user, workspace=found["user"]["team_id"], timezone=found["user"]["tz"])
        channel = (recipient.address or {}).get("channel")
        if channel is None:
            channel = (await self._call("conversations.open", {"users": user}))["channel"]["id"]
            learned["address"] = {"channel": channel}
            learned.setdefault("external_id", user)
        return channel, learned

    async def _call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.post(self.base_url + method, json=body) as response:
                if response.status == 429:
                    raise DeliveryError("rate limited", retry_after=float(response.headers.get("Retry-After", "1")))
                if response.status >= 500:
                    raise DeliveryError(f"server error {response.status}")
                data = await response.json()
        except aiohttp.ClientError as exc:
            raise DeliveryError(f"connection failed: {exc}") from exc
        if not data.get("ok"):
            raise DeliveryError(data.get("error", "error"), permanent=data.get("error") == "users_not_found")
        return data


class PartwiseLoopbackCourier(LoopbackCourier):
    """Each message goes out as `parts` posts, each through `Attempt.post` (paced, never posted twice)."""

    def __init__(self, base_url: str, parts: int = 2) -> None:
        super().__init__(base_url)
        self.parts = parts

    async def send_attempt(self, recipient: Recipient, reply: Reply, attempt: Attempt) -> Sent:
        channel, learned = await self._reach(recipient)
        ref: dict[str, Any] = {}
        index = 0
        for message in reply.messages:
            body = _render(channel, message)
            for part in range(1, self.parts + 1):
                piece = body | {"text": f"{body['text']} ({part}/{self.parts})"}
                ref = await attempt.post(index, partial(self._post, piece))
                index += 1
        return Sent(message_ref=ref, learned=learned)

    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"channel": body["channel"], "ts": (await self._call("chat.postMessage", body))["ts"]}


def _render(channel: str, message: Any) -> dict[str, Any]:
    if isinstance(message, LessonCard):
        return {"channel": channel, "text": f"{message.title}\n{message.reason or ''}\n{message.body}",
                "metadata": {"event_type": "lesson", "event_payload": {"delivery_id": message.delivery_id,
                                                                       "kind": message.kind}}}
    assert isinstance(message, Notice)
    return {"channel": channel, "text": plain(message.text)}  # dates in words, as in a notification
