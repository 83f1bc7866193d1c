"""What a courier that posts in several calls gets from the dispatcher for one try at a delivery.

A lesson can take several platform messages (Slack's 50-block limit, Teams' card size) and a first-time
recipient a lookup before them. Given an `Attempt`, the courier posts each part through `Attempt.post`:
every part waits for the workspace's turn in the shared send budget (so a 429 seen by anyone holds this send's
next part as well), and a part an earlier try already posted is not posted again — the dispatcher keeps the
parts that arrived with the delivery when it hands a failed send back.

Couriers may also offer `resolve`: who the person is on the platform and their profile's time zone, without
posting anything, so that the dispatcher can check the learner's window in their own zone before the first
lesson.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from bot.couriers import Pace, Recipient, Sent
from bot.replies import Reply

if TYPE_CHECKING:
    from bot.dispatch.rate import SendBudget

T = TypeVar("T")


POST = "post"
"""The kind of call that posts a message (its pace is the courier's `paces[POST]`, else COACH_SENDS_PER_SECOND)."""


class Attempt:
    """One try at posting one delivery through one courier: its rate key, the courier's paces per kind of call,
    and the parts already posted."""

    def __init__(self, key: str, budget: SendBudget | None = None,
                 posted: list[dict[str, Any]] | None = None, paces: Mapping[str, Pace] | None = None) -> None:
        self.key = key
        self.budget = budget
        self.paces = dict(paces or {})
        self.posted: list[dict[str, Any]] = list(posted or [])
        """References of the parts that reached the platform, in order (earlier tries' first)."""

    async def post(self, index: int, call: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        """Part `index` of the message: posted now, once the workspace's budget allows, or — when an earlier try
        already posted it — that try's reference. Parts are posted in order."""
        if index < len(self.posted):
            return self.posted[index]
        await self.turn(POST)
        ref = await call()
        self.posted.append(ref)
        return ref

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
