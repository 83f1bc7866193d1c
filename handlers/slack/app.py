"""The Bolt app and its Web API client, built from the coach's settings.

The client talks to `SLACK_API_URL` (a proxy or a test's fake) and retries what is worth retrying: 429
after `Retry-After`, 500/503, and dropped connections. Listeners answer after acknowledging, so the Bolt
app runs with `process_before_response=True`: each listener acknowledges at once and hands the slow part
to the background (`handlers.slack.work`), and the HTTP answer leaves without Bolt's ack polling loop.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings

RETRIES = 2


def retry_handlers() -> list[AsyncRetryHandler]:
    """Fresh retry handlers for one client (they keep no state, but each client gets its own list)."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=RETRIES),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RETRIES),
        AsyncServerErrorRetryHandler(max_retry_count=RETRIES),
    ]


def web_client(config: Settings) -> AsyncWebClient:
    assert config.slack_bot_token is not None
    base_url = config.slack_api_url if config.slack_api_url.endswith("/") else config.slack_api_url + "/"
    return AsyncWebClient(token=config.slack_bot_token.get_secret_value(), base_url=base_url,
                          retry_handlers=retry_handlers(), logger=logging.getLogger("handlers.slack.api"))


def bolt_app(config: Settings, client: AsyncWebClient) -> AsyncApp:
    """The Bolt app without listeners (`handlers.slack.listeners` adds them)."""
    assert config.slack_signing_secret is not None
    return AsyncApp(
        name="learning-coach",
        client=client,
        signing_secret=config.slack_signing_secret.get_secret_value(),
        process_before_response=True,
        logger=logging.getLogger("handlers.slack.bolt"),
    )
