"""The Bolt app and its Web API client, built from the coach's settings.

The client talks to `SLACK_API_URL` (a proxy or a test's fake) and retries what is worth retrying: 429
after `Retry-After`, any 5xx, and dropped connections. Listeners answer after acknowledging, so the Bolt
app runs with `process_before_response=True`: each listener acknowledges at once and hands the slow part
to the background (`handlers.slack.work`), and the HTTP answer leaves without Bolt's ack polling loop.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import ClientConnectorError
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from content.accepted_text import accepted_json

RETRIES = 2


class AnyServerErrorRetryHandler(AsyncServerErrorRetryHandler):
    """Every 5xx, not only slack_sdk's 500 and 503: a proxy or load balancer on the way answers 502 or 504."""

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        return response is not None and 500 <= response.status_code < 600


def retry_handlers(*, rate_limits: bool = True, resend: bool = True) -> list[AsyncRetryHandler]:
    """Fresh retry handlers for one client (they keep no state, but each client gets its own list).

    `rate_limits=False` leaves a 429 to the caller: the dispatcher's client, whose send budget makes the whole
    workspace wait out `Retry-After` rather than only the request that was refused.
    `resend=False` retries only a connection that was never made: a request that may have reached Slack (a
    dropped connection, a 5xx) is the caller's to judge — the dispatcher's lesson posts, whose courier looks in the
    conversation for a lesson whose answer was lost before it posts it again (`handlers.slack.courier`).
    """
    if not resend:
        return [AsyncConnectionErrorRetryHandler(max_retry_count=RETRIES, error_types=[ClientConnectorError])]
    handlers: list[AsyncRetryHandler] = [AsyncConnectionErrorRetryHandler(max_retry_count=RETRIES)]
    if rate_limits:
        handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=RETRIES))
    handlers.append(AnyServerErrorRetryHandler(max_retry_count=RETRIES))
    return handlers


def web_client(config: Settings) -> AsyncWebClient:
    """The app's client: every call gives up after COACH_SLACK_TIMEOUT_SECONDS (slack_sdk's own default, 30)."""
    assert config.slack_bot_token is not None
    base_url = config.slack_api_url if config.slack_api_url.endswith("/") else config.slack_api_url + "/"
    return AsyncWebClient(token=config.slack_bot_token.get_secret_value(), base_url=base_url,
                          timeout=config.slack_timeout_seconds,  # type: ignore[arg-type]  (typed int; aiohttp takes a float)
                          retry_handlers=retry_handlers(), logger=logging.getLogger("handlers.slack.api"))


def bolt_app(config: Settings, client: AsyncWebClient) -> AsyncApp:
    """The Bolt app without listeners (`handlers.slack.listeners` adds them)."""
    assert config.slack_signing_secret is not None
    app = AsyncApp(
        name="learning-coach",
        client=client,
        signing_secret=config.slack_signing_secret.get_secret_value(),
        process_before_response=True,
        logger=logging.getLogger("handlers.slack.bolt"),
    )
    app.use(accepted_text_only)
    return app


async def accepted_text_only(req: AsyncBoltRequest, next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
    """After the signature check (on the bytes Slack signed), every string of the request loses the control
    characters the coach does not accept (`content.accepted_text`), whichever listener reads it."""
    req.body = accepted_json(req.body)
    return await next()
