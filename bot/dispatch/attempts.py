"""What a courier that posts in several calls gets from the dispatcher for one try at a delivery.

A lesson can take several platform messages (Slack's 50-block limit, Teams' card size) and a first-time
recipient a lookup before them. Given an `Attempt`, the courier posts each part through `Attempt.post`:
every part waits for the workspace's turn in the shared send budget (so a 429 seen by anyone holds this send's
next part as well), and a part an earlier try already posted is not posted again — the dispatcher keeps the
parts that arrived with the delivery when it hands a failed send back.

A post whose outcome is unknown (it timed out, or the connection dropped after the request left) may have
arrived. The courier marks the attempt `unsure` from the moment that post started, and before that part is
posted again the courier's `find` looks for it on the platform (Slack: in the conversation, by the delivery id
the message carries). Found, it counts as posted; not found, or when the platform offers no way to look, it is
posted again — up to `LOOKED_REPOSTS` times within the try, after a pause (what the platform client's own
retries of a 5xx or a dropped connection did before, without looking). The mark travels with the delivery when
it is handed back, so a later tick looks too.

Couriers may also offer `resolve`: who the person is on the platform and their profile's time zone, without
posting anything, so that the dispatcher can check the learner's window in their own zone before the first
lesson.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from bot.couriers import Pace, Recipient, Sent
from bot.replies import Reply

if TYPE_CHECKING:
    from bot.dispatch.rate import SendBudget

T = TypeVar("T")
Find = Callable[[float], Awaitable["dict[str, Any] | None"]]
"""Where a part posted at or after the given epoch second landed, when it did arrive; None when it did not."""


LOOKED_REPOSTS = 2
"""Posts again, within one try, of a part whose answer was lost and which the platform shows did not arrive."""
LOOK_PAUSE = 0.5
"""Seconds before looking for a lost post, doubling with each look: a 5xx may be the platform overloaded."""

POST = "post"
"""The kind of call that posts a message (its pace is the courier's `paces[POST]`, else COACH_SENDS_PER_SECOND)."""


class Attempt:
    """One try at posting one delivery through one courier: its rate key, the courier's paces per kind of call,
    and the parts already posted."""

    def __init__(self, key: str, budget: SendBudget | None = None,
                 posted: list[dict[str, Any]] | None = None, paces: Mapping[str, Pace] | None = None,
                 unsure_since: float | None = None) -> None:
        self.key = key
        self.budget = budget
        self.paces = dict(paces or {})
        self.posted: list[dict[str, Any]] = list(posted or [])
        """References of the parts that reached the platform, in order (earlier tries' first)."""
        self.unsure_since = unsure_since
        """Epoch second at which a post of the next part started whose outcome is unknown; None when every post
        so far either arrived or surely did not."""
        self._lost = False
        """Whether the latest post's own answer was lost (`unsure` was called for it)."""

    def progress(self, platform: str) -> dict[str, Any] | None:
        """What the delivery keeps of this try when it is handed back (None: nothing worth keeping)."""
        if not self.posted and self.unsure_since is None:
            return None
        kept: dict[str, Any] = {"platform": platform, "posted": self.posted}
        if self.unsure_since is not None:
            kept["unsure_since"] = self.unsure_since
        return kept

    def unsure(self, since: float) -> None:
        """The post of the next part that started at `since` may have arrived (a timeout, a dropped answer)."""
        self.unsure_since = since if self.unsure_since is None else min(self.unsure_since, since)
        self._lost = True

    async def post(self, index: int, call: Callable[[], Awaitable[dict[str, Any]]],
                   find: Find | None = None) -> dict[str, Any]:
        """Part `index` of the message: posted now, once the workspace's budget allows, or — when an earlier try
        already posted it, or `find` shows that a post whose outcome was unknown did arrive — that reference.
        Parts are posted in order."""
        if index < len(self.posted):
            return self.posted[index]
        found = await self._look(find)
        looks = 0
        while found is None:
            await self.turn(POST)
            self._lost = False
            try:
                found = await call()
            except Exception:
                if find is None or not self._lost or looks >= LOOKED_REPOSTS:
                    raise
                await self._pause(LOOK_PAUSE * 2 ** looks)
                looks += 1
                found = await self._look(find)
        self.unsure_since = None
        self.posted.append(found)
        return found

    async def _look(self, find: Find | None) -> dict[str, Any] | None:
        """Where the post whose answer was lost landed, if it did and the courier can look."""
        return await find(self.unsure_since) if find is not None and self.unsure_since is not None else None

    async def _pause(self, seconds: float) -> None:
        if self.budget is not None:
            await self.budget.wait(seconds)
        else:
            await asyncio.sleep(seconds)

    async def call(self, kind: str, call: Callable[[], Awaitable[T]]) -> T:
        """A call that posts nothing (finding the person, opening their DM), once its kind's budget allows: each
        kind (a Slack method tier) has a bucket of its own per workspace, shared by every process."""
        await self.turn(kind)
        return await call()

    async def turn(self, kind: str) -> None:
        """Wait for the workspace's turn for one call of this kind."""
        if self.budget is not None:
            key = self.key if kind == POST else f"{self.key}:{kind}"
            await self.budget.acquire(key, self.paces.get(kind))


@runtime_checkable
class PacedCourier(Protocol):
    """A courier whose platform limits each kind of call on its own (Slack's method tiers)."""

    paces: Mapping[str, Pace]


@runtime_checkable
class PartwiseCourier(Protocol):
    """A courier that posts through an `Attempt` (every part paced, none posted twice)."""

    async def send_attempt(self, recipient: Recipient, reply: Reply, attempt: Attempt) -> Sent: ...


@runtime_checkable
class ResolvingCourier(Protocol):
    """A courier that can find the person on its platform without posting."""

    async def resolve(self, recipient: Recipient, attempt: Attempt | None = None) -> dict[str, Any]:
        """What `Sent.learned` would hold (external_id, address, workspace, timezone); raises DeliveryError."""
        ...
