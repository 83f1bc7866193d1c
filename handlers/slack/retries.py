"""When the Web API client waits to retry a call: without a work slot in background work, and not at all
for a call that must be done before an acknowledgement.

The client's retry handlers (`handlers.slack.app.retry_handlers`) decide what is retried and how long to
wait — a 429's `Retry-After`, a backoff for 5xx and dropped connections. Each is wrapped here so that the
wait (a) gives the background task's slot back (`handlers.slack.work.waiting`): eight rate-limited calls
must not stall every other person's follow-up, nor the modal opens whose trigger lasts 3 seconds; and
(b) is skipped inside `no_retries()`, where the call answers something Slack is still waiting for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.work import waiting

_IN_A_HURRY: ContextVar[bool] = ContextVar("slack_no_retries", default=False)


@contextmanager
def no_retries() -> Iterator[None]:
    """Web API calls inside fail at once instead of waiting to retry: for work before Slack's 3-second
    acknowledgement, where a retry after `Retry-After` would answer too late anyway."""
    token = _IN_A_HURRY.set(True)
    try:
        yield
    finally:
        _IN_A_HURRY.reset(token)


class SlotFreeRetry(AsyncRetryHandler):
    """One of the client's retry handlers, waiting without a work slot and never inside `no_retries`."""

    def __init__(self, inner: AsyncRetryHandler) -> None:
        super().__init__(inner.max_retry_count)
        self.inner = inner

    async def can_retry_async(self, *, state: RetryState, request: HttpRequest,
                              response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        if _IN_A_HURRY.get():
            return False
        return await self.inner.can_retry_async(state=state, request=request, response=response, error=error)

    async def prepare_for_next_attempt_async(self, *, state: RetryState, request: HttpRequest,
                                             response: HttpResponse | None = None,
                                             error: Exception | None = None) -> None:
        async with waiting():
            await self.inner.prepare_for_next_attempt_async(state=state, request=request, response=response,
                                                            error=error)


def slot_free(client: AsyncWebClient) -> AsyncWebClient:
    """The client, its retry handlers wrapped in `SlotFreeRetry`."""
    client.retry_handlers = [SlotFreeRetry(handler) for handler in client.retry_handlers]
    return client
