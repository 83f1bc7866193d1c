"""The demo's chat platform: a courier that hands every message to the simulated learner it is for, and
keeps the transcript of one featured learner's conversation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.couriers import Recipient, Sent
from bot.replies import LessonCard, Reply

PLATFORM = "demo"


@dataclass
class SimulatedChat:
    """Implements `bot.couriers.Courier` for the simulation: delivery always succeeds."""

    featured: int | None = None
    platform: str = PLATFORM
    inbox: list[tuple[int, Reply]] = field(default_factory=list)
    transcript: list[tuple[str, Any]] = field(default_factory=list)
    sent: int = 0
    """Lessons delivered (welcomes, reminders and digests are not counted)."""

    def can_reach(self, recipient: Recipient) -> bool:
        return True

    def rate_key(self, recipient: Recipient) -> str:
        return PLATFORM

    async def send(self, recipient: Recipient, reply: Reply) -> Sent:
        self.sent += sum(isinstance(message, LessonCard) for message in reply.messages)
        self.inbox.append((recipient.person_id, reply))
        if recipient.person_id == self.featured:
            self.transcript.extend(("coach", message) for message in reply.messages)
        return Sent(message_ref={"n": len(self.transcript)})

    def take(self) -> list[tuple[int, Reply]]:
        """Everything delivered since the last call, oldest first."""
        delivered, self.inbox = self.inbox, []
        return delivered

    def record(self, person_id: int, speaker: str, item: Any) -> None:
        if person_id == self.featured:
            self.transcript.append((speaker, item))
