"""One gentle reminder for a lesson the coach brought (scheduled or triggered) that is still unanswered.

When the lesson is sent, `remind_at` is set a few hours later if that moment is still inside the learner's
window on the same day; otherwise there is no reminder (the next lesson comes soon enough). Claiming a
reminder clears `remind_at`, and `reminded_at` is written before the send: a lesson is reminded at most once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.lessons.schedule import in_window, zone_of
from bot.replies import Notice, Reply
from store import dispatch as claims

if TYPE_CHECKING:
    from bot.dispatch.sender import Sender

def reminder(title: str) -> Reply:
    return Reply(messages=[Notice(
        f"A gentle nudge: “{title}” is still waiting for your answer, just above. Two minutes whenever suits "
        "you — or `/learn pause` if this is a busy stretch."
    )])


async def send_reminders(sender: Sender, now: datetime, *, batch: int) -> int:
    """Claim the reminders that are due and send them; returns how many were sent."""
    sent = 0
    while True:
        async with sender.services.database.session() as session:
            due = await claims.claim_reminders(session, now, limit=batch)
            chosen = [d for d in due if d.still_open and not d.settings.paused
                      and in_window(d.settings, zone_of(d.settings, d.person, sender.default_zone), now)]
            for item in chosen:
                assert item.delivery.id is not None
                await claims.mark_reminded(session, item.delivery.id, now)
        for item in chosen:
            if await sender.send_notice(item.person, reminder(item.title), prefer=item.delivery.platform):
                sent += 1
        if len(due) < batch:
            return sent
