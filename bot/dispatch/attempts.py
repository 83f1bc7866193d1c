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

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bot.couriers import Recipient, Sent
from bot.replies import Reply

if TYPE_CHECKING:
    from bot.dispatch.rate import SendBudget


class Attempt:
    """One try at posting one delivery through one courier: its rate key and the parts already posted."""

    def __init__(self, key: str, budget: SendBudget | None = None,
                 posted: list[dict[str, Any]] | None = None) -> None:
        self.key = key
        self.budget = budget
        self.posted: list[dict[str, Any]] = list(posted or [])
        """References of the parts that reached the platform, in order (earlier tries' first)."""

    async def post(self, index: int, call: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        """Part `index` of the message: posted now, once the workspace's budget allows, or — when an earlier try
        already posted it — that try's reference. Parts are posted in order."""
        if index < len(self.posted):
            return self.posted[index]
        if self.budget is not None:
            await self.budget.acquire(self.key)
        ref = await call()
        self.posted.append(ref)
        return ref


@runtime_checkable
class PartwiseCourier(Protocol):
    """A courier that posts through an `Attempt` (every part paced, none posted twice)."""

    async def send_attempt(self, recipient: Recipient, reply: Reply, attempt: Attempt) -> Sent: ...


@runtime_checkable
class ResolvingCourier(Protocol):
    """A courier that can find the person on its platform without posting."""

    async def resolve(self, recipient: Recipient) -> dict[str, Any]:
        """What `Sent.learned` would hold (external_id, address, workspace, timezone); raises DeliveryError."""
        ...
