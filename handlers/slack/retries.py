"""When the Web API client waits to retry a call: without a work slot in background work.

The client's retry handlers (`handlers.slack.app.retry_handlers`) decide what is retried and how long to
wait — a 429's `Retry-After`, a backoff for 5xx and dropped connections. Each is wrapped here so that the
wait gives the background task's slot back (`handlers.slack.work.waiting`): eight rate-limited calls must not
stall every other person's follow-up, nor the modal opens whose trigger lasts 3 seconds. No call is made
before an acknowledgement (`handlers.slack.listeners`), so none has to skip its retries.
"""

from __future__ import annotations

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.work import waiting


class SlotFreeRetry(AsyncRetryHandler):
    """One of the client's retry handlers, waiting without a work slot."""

    def __init__(self, inner: AsyncRetryHandler) -> None:
        super().__init__(inner.max_retry_count)
        self.inner = inner

    async def can_retry_async(self, *, state: RetryState, request: HttpRequest,
                              response: HttpResponse | None = None, error: Exception | None = None) -> bool:
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
