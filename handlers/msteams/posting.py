"""Calls to the Bot Framework connector, with the backoff Teams asks for and errors the coach understands.

Teams throttles with 429 (and 412/502/503/504 under load; a proxy in front of it may answer with an HTML
page instead of JSON). The SDK's HTTP layer (msrest on requests) retries some 5xx answers by itself but
never a 429 or a 412, so each call here is retried with a short, bounded backoff that honours
`Retry-After`; when the wait would be longer, or the attempts run out, the call ends in a
`DeliveryError(retry_after=…)` and the dispatcher tries again later — nothing is lost. Only the retries
made here are counted here; whoever gets the error counts the failure. The dispatcher's own sends
use `call_once` instead: its send budget holds the whole tenant after a throttle.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from msrest.exceptions import ClientRequestError, DeserializationError, HttpOperationError

from bot.couriers import DeliveryError
from bot.metrics import SEND_FAILURES

log = logging.getLogger(__name__)
T = TypeVar("T")

THROTTLED = frozenset({412, 429, 502, 503, 504})
GONE = frozenset({403, 404})  # the app was uninstalled or blocked, or the conversation no longer exists
UNREACHABLE_RETRY = 60.0  # seconds before the dispatcher tries again after the connector could not be reached


@dataclass(frozen=True)
class Backoff:
    """How long one call may keep trying before it hands the retry to the dispatcher."""

    attempts: int = 4
    first: float = 1.0
    longest: float = 8.0  # a longer Retry-After is not waited for here


def retry_after(error: HttpOperationError) -> float | None:
    """Seconds from the response's Retry-After header (delta-seconds or an HTTP date), if any."""
    headers = getattr(error.response, "headers", None) or {}
    raw = headers.get("Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(raw) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def status_of(error: HttpOperationError) -> int:
    return int(getattr(error.response, "status_code", 0) or 0)


async def with_backoff(call: Callable[[], Awaitable[T]], backoff: Backoff) -> T:
    """Run one connector call; retry throttling inline while the waits are short. An answer that is not
    JSON at all (a proxy's or gateway's HTML 502 page, which msrest cannot even read) is an outage of the
    same kind and is retried the same way."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call()
        except HttpOperationError as error:
            status = status_of(error)
            if status not in THROTTLED:
                raise DeliveryError(f"Teams answered {status}: {error}", permanent=status in GONE) from error
            await _pause(attempt, retry_after(error), backoff, f"Teams is throttling ({status})", error)
        except DeserializationError as error:
            await _pause(attempt, None, backoff, f"Teams answered with a page that is not JSON ({error})", error)
        except ClientRequestError as error:
            raise DeliveryError(f"Teams connector unreachable: {error}", retry_after=UNREACHABLE_RETRY) from error


async def _pause(attempt: int, asked: float | None, backoff: Backoff, reason: str, error: Exception) -> None:
    """Wait before the next attempt (`asked` by Retry-After, else doubling), or hand the retry to the
    dispatcher when the attempts are used up or Teams asks for a longer pause than is worth waiting here."""
    wait = backoff.first * 2 ** (attempt - 1) if asked is None else asked
    if attempt >= backoff.attempts or wait > backoff.longest:
        raise DeliveryError(reason, retry_after=wait) from error
    SEND_FAILURES.labels("teams", "retried").inc()
    log.info("%s; retrying in %.1fs (attempt %d of %d)", reason, wait, attempt, backoff.attempts)
    await asyncio.sleep(wait)


THROTTLE_HOLD = 1.0
"""Seconds the tenant waits after a throttle that came without `Retry-After`."""


async def call_once(call: Callable[[], Awaitable[T]]) -> T:
    """One connector call for the dispatcher, which owns the waiting: a throttle (429/412/502/503/504) becomes a
    `DeliveryError(retry_after=…)` at once, so that the dispatcher holds the whole tenant for it, instead of
    this call alone sleeping while the tenant's other sends go on."""
    try:
        return await call()
    except HttpOperationError as error:
        status = status_of(error)
        if status in THROTTLED:
            wait = retry_after(error)
            SEND_FAILURES.labels("teams", "deferred").inc()
            raise DeliveryError(f"Teams is throttling ({status})",
                                retry_after=THROTTLE_HOLD if wait is None else wait) from error
        raise DeliveryError(f"Teams answered {status}: {error}", permanent=status in GONE) from error
    except DeserializationError as error:  # a gateway's HTML page: an outage like a 502
        SEND_FAILURES.labels("teams", "deferred").inc()
        raise DeliveryError(f"Teams answered with a page that is not JSON ({error})",
                            retry_after=THROTTLE_HOLD) from error
    except ClientRequestError as error:
        raise DeliveryError(f"Teams connector unreachable: {error}") from error
