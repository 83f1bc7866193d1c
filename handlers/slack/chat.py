"""The Web API calls the coach makes, on rendered reply items: DMs, updates, ephemeral messages, modals,
the App Home, files, and `response_url` answers. Rendering happens here, once, via `handlers.slack.blocks`."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from handlers.slack.app import retry_handlers
from handlers.slack.blocks import messages_for

log = logging.getLogger(__name__)


class ResponseUrlError(Exception):
    """Slack refused an answer sent to a `response_url` (expired after 30 minutes, or used 5 times)."""


SlackFailure = (SlackApiError, ClientError, TimeoutError, ResponseUrlError)
"""What a Web API call raises when Slack (or the way to it) fails, after the client's own retries."""


def error_code(exc: BaseException) -> str | None:
    """Slack's `error` for a refused call (`users_not_found`); None for anything else, such as a network error
    or a proxy's error page instead of Slack's JSON."""
    if not isinstance(exc, SlackApiError) or exc.response is None or not isinstance(exc.response.data, dict):
        return None
    code = exc.response.data.get("error")
    return code if isinstance(code, str) else None


def retry_after_of(exc: BaseException) -> float | None:
    """Seconds Slack asked to wait (429 `Retry-After`), or None when it did not rate-limit."""
    if not isinstance(exc, SlackApiError) or exc.response is None or exc.response.status_code != 429:
        return None
    value = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else 1.0
    except ValueError:
        return 1.0


class SlackChat:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def open_dm(self, user_id: str) -> str:
        """The bot's DM channel with this person (opened if needed; Slack returns the same one each time)."""
        response = await self.client.conversations_open(users=user_id)
        return str(response["channel"]["id"])

    async def post(self, channel: str, item: Any) -> str:
        """Post an item (several messages if it is longer than one); returns the last message's ts."""
        ts = ""
        for message in messages_for(item):
            response = await self.client.chat_postMessage(channel=channel, text=message.text,
                                                          blocks=message.blocks, unfurl_links=False)
            ts = str(response["ts"])
        return ts

    async def update(self, channel: str, ts: str, item: Any) -> None:
        """Replace a posted message; a long item's last part is the message that held its buttons."""
        message = messages_for(item)[-1]
        await self.client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)

    async def post_ephemeral(self, channel: str, user_id: str, item: Any) -> None:
        for message in messages_for(item):
            await self.client.chat_postEphemeral(channel=channel, user=user_id, text=message.text,
                                                 blocks=message.blocks)

    async def respond(self, response_url: str, item: Any, *, replace_original: bool = False) -> None:
        """Answer through a slash command's or button's `response_url`, visible to the person only."""
        webhook = AsyncWebhookClient(response_url, retry_handlers=retry_handlers())
        for index, message in enumerate(messages_for(item)):
            response = await webhook.send(text=message.text, blocks=message.blocks, response_type="ephemeral",
                                          replace_original=replace_original and index == 0)
            if response.status_code >= 400:
                raise ResponseUrlError(f"response_url answered {response.status_code}: {response.body[:200]}")

    async def open_modal(self, trigger_id: str, view: dict[str, Any]) -> None:
        await self.client.views_open(trigger_id=trigger_id, view=view)

    async def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        await self.client.views_publish(user_id=user_id, view=view)

    async def upload(self, channel: str, attachments: list[tuple[str, bytes, str]], *,
                     alt_text: str | None = None) -> None:
        """Files (a CSV export, a chart) into the channel, one upload each. A picture gets `alt_text` as
        what a screen reader says for it and as the comment shown beside it."""
        for name, data, mime in attachments:
            described = {"alt_txt": alt_text, "initial_comment": alt_text} if alt_text and mime.startswith(
                "image/") else {}
            await self.client.files_upload_v2(channel=channel, file=data, filename=name, title=name, **described)
