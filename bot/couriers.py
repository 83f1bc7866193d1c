"""How the coach reaches a person without them writing first: one courier per chat platform.

The dispatcher (scheduled lessons), triggers and nudges send through a courier; interactive replies go
back through the handler that received the request. Handlers implement this protocol, and the
composition root hands them to the dispatcher, so nothing in `bot/` imports a platform SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.replies import Reply


@dataclass(frozen=True)
class Recipient:
    """Who to reach, with what the coach already knows of them on the courier's platform."""

    person_id: int
    email: str
    name: str
    external_id: str | None = None
    address: dict[str, Any] | None = None
    workspace: str | None = None


@dataclass
class Sent:
    """Where the message landed, and anything learned on the way (to remember on the chat identity)."""

    message_ref: dict[str, Any]
    learned: dict[str, Any] = field(default_factory=dict)  # external_id, address, workspace, timezone


@dataclass(frozen=True)
class Pace:
    """How fast one kind of call may go to one workspace or tenant, every process together: `per_minute` on
    average, up to `burst` at once after a quiet spell. A courier names its kinds (Slack: `post` for
    chat.postMessage, `tier3` and `tier4` for its lookups' method tiers) in `paces`."""

    per_minute: float
    burst: float = 1.0

    def __post_init__(self) -> None:
        if self.per_minute <= 0 or self.burst < 1:
            raise ValueError("a pace needs a positive rate and a burst of at least one call")

    @property
    def per_second(self) -> float:
        return self.per_minute / 60.0


class DeliveryError(Exception):
    """A send failed. `retry_after` (seconds) when the platform asked to slow down; `permanent` when
    retrying cannot help (the person is not on this platform, the app was uninstalled)."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class Courier(Protocol):
    platform: str

    def can_reach(self, recipient: Recipient) -> bool:
        """Whether this courier could try (it knows the person, or can look them up by email)."""
        ...

    def rate_key(self, recipient: Recipient) -> str:
        """The key rate limits apply to: the Slack workspace or the Teams tenant."""
        ...

    async def send(self, recipient: Recipient, reply: Reply) -> Sent:
        """Post the reply's messages to the person's DM; raises DeliveryError."""
        ...
