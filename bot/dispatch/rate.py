"""How fast the coach may call one Slack workspace or Teams tenant, across every process: a token bucket per
workspace — and per kind of call where the platform limits kinds apart (Slack's method tiers, `Pace`) — in the
database (`store.dispatch.take_send_tokens`), and a hold when the platform answered 429 with `Retry-After`
(every send to that workspace waits it out — in every process, not just the one refused).

Each process takes a few tokens per database round trip (a quarter of a second's worth) and spends them
straight away, so the shared budget costs a handful of short transactions a second, never one per message
(none at all while the rate is far above what is sent), and no lock is held while anything waits. The clock
is the wall clock (`Timer`): budgets are shared between machines, so they cannot run on a process's own fake
time; tests inject a simulated one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.couriers import Pace
from store import dispatch as claims
from store.db import Database

PREFETCH = 0.25
"""Seconds of sends a process takes from the shared budget at once; left unused that long, they lapse."""


class Timer(Protocol):
    """Where the send budget reads the time and waits: the wall clock, or a simulated one in tests."""

    def now(self) -> datetime: ...

    async def sleep_until(self, moment: datetime) -> None: ...


class WallTimer:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, moment: datetime) -> None:
        await asyncio.sleep(max(0.0, (moment - self.now()).total_seconds()))


@dataclass
class _InHand:
    """What this process knows of one workspace's budget: tokens taken and not yet spent, and a hold."""

    tokens: int = 0
    fresh_until: datetime | None = None
    held_until: datetime | None = None

    def spend(self, now: datetime) -> bool:
        """Spend a token in hand unless they lapsed: unused for PREFETCH, they may no longer be spent (a process
        never brings a stock of old tokens to a burst; at any time it holds at most one chunk)."""
        if self.tokens > 0 and self.fresh_until is not None and self.fresh_until > now:
            self.tokens -= 1
            self.fresh_until = now + timedelta(seconds=PREFETCH)
            return True
        return False


class SendBudget:
    """`rate` messages a second per workspace for all processes together, with bursts of up to `burst` — or, for a
    key acquired with a `Pace` of its own (a Slack method tier), that pace."""

    def __init__(self, database: Database, rate: float, *, burst: float | None = None,
                 timer: Timer | None = None) -> None:
        if rate <= 0:
            raise ValueError("the send rate must be positive (COACH_SENDS_PER_SECOND)")
        self.database = database
        self.default = Pace(rate * 60.0, burst if burst is not None else max(1.0, rate))
        self.timer: Timer = timer or WallTimer()
        self._known: dict[str, _InHand] = {}
        self._paces: dict[str, Pace] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def acquire(self, key: str, pace: Pace | None = None) -> None:
        """Wait until one more call may go to `key` (at `pace`, else the default rate), then take it."""
        if pace is not None:
            self._paces[key] = pace
        hand = self._known.setdefault(key, _InHand())
        while True:
            now = self.timer.now()
            if hand.held_until is not None and hand.held_until > now:
                await self.timer.sleep_until(hand.held_until)
                continue
            if hand.spend(now):
                return
            async with self._locks.setdefault(key, asyncio.Lock()):  # one round trip per key at a time
                if hand.spend(self.timer.now()):
                    return
                until = await self._take(key, hand)
            if until is None:
                return
            await self.timer.sleep_until(until)

    async def hold(self, key: str, seconds: float) -> None:
        """The platform asked to slow down: nothing goes to `key` from any process for `seconds`."""
        until = self.timer.now() + timedelta(seconds=max(0.0, seconds))
        hand = self._known.setdefault(key, _InHand())
        hand.tokens = 0
        hand.held_until = max(until, hand.held_until or until)
        async with self.database.session() as session:
            await claims.hold_sends(session, key, until, burst=self._pace(key).burst)

    def _pace(self, key: str) -> Pace:
        return self._paces.get(key, self.default)

    async def wait(self, seconds: float) -> None:
        """A pause between two tries of one send, on the budget's clock."""
        await self.timer.sleep_until(self.timer.now() + timedelta(seconds=seconds))

    async def _take(self, key: str, hand: _InHand) -> datetime | None:
        """Tokens from the shared budget: None when one was taken (the rest are kept in hand for a moment),
        else when to ask again."""
        now = self.timer.now()
        pace = self._pace(key)
        chunk = max(1, int(min(pace.burst, pace.per_second * PREFETCH)))
        async with self.database.session() as session:
            grant = await claims.take_send_tokens(session, key, now, rate=pace.per_second, burst=pace.burst,
                                                  want=chunk)
        if grant.held_until is not None:
            hand.held_until = grant.held_until
        if grant.tokens == 0:
            return now + timedelta(seconds=grant.wait)
        hand.tokens, hand.fresh_until = grant.tokens - 1, now + timedelta(seconds=PREFETCH)
        return None
