"""How fast this process may post to one Slack workspace or Teams tenant: a token bucket per key, and a hold
when the platform answered 429 with `Retry-After` (every send to that key waits it out, not just the one
that was refused). Waiting happens here, in memory, after the claim was committed: no database lock is held.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float
    held_until: float = 0.0


class RateLimiter:
    """`rate` sends per second per key, with bursts of up to `burst`."""

    def __init__(self, rate: float, *, burst: float | None = None) -> None:
        if rate <= 0:
            raise ValueError("the send rate must be positive (COACH_SENDS_PER_SECOND)")
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self._buckets: dict[str, _Bucket] = {}
        self._lock = asyncio.Lock()

    async def acquire(self, key: str) -> None:
        """Wait until a send to `key` is allowed, then take its token."""
        while True:
            async with self._lock:
                wait = self._take(key, time.monotonic())
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    def hold(self, key: str, seconds: float) -> None:
        """The platform asked to slow down: nothing goes to `key` for `seconds`."""
        now = time.monotonic()
        bucket = self._bucket(key, now)
        bucket.held_until = max(bucket.held_until, now + max(0.0, seconds))
        bucket.tokens, bucket.updated = 1.0, bucket.held_until  # then one send, and the normal pace after it

    def _bucket(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=self.burst, updated=now)
        return bucket

    def _take(self, key: str, now: float) -> float:
        bucket = self._bucket(key, now)
        if now < bucket.held_until:
            return bucket.held_until - now
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate
