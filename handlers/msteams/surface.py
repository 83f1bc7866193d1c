"""Teams' side of a request (`bot.chat.pipeline.Surface`): who is asking, and each part of a reply as the
activities of the turn — the answered card updated in place, new messages posted with backoff (a lesson may
take several; the last, which holds the question, is the one recorded), files inline or offered."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import TurnContext

from bot.couriers import DeliveryError
from bot.replies import LessonCard
from handlers.msteams import PLATFORM
from handlers.msteams.cards import activities_for, file_activity, update_for
from handlers.msteams.members import reader_locale
from handlers.msteams.posting import Backoff, with_backoff
from store.models import Person

log = logging.getLogger(__name__)


class TurnSurface:
    """One turn's replies in Teams."""

    platform = PLATFORM

    def __init__(self, turn_context: TurnContext, backoff: Backoff,
                 identify: Callable[[], Awaitable[Person | None]]) -> None:
        self.turn_context = turn_context
        self.backoff = backoff
        self._identify = identify

    @property
    def viewer(self) -> str:
        """The Teams id of the person in the turn, for whom a lesson card refreshes itself."""
        sender = self.turn_context.activity.from_property
        return str(sender.id) if sender and sender.id else ""

    @property
    def locale(self) -> str | None:
        """The language the person's Teams client runs in (`de-DE`), as each activity from it says: the
        plain-text words of a date (a notification) follow it."""
        return reader_locale(self.turn_context.activity)

    async def identify(self) -> Person | None:
        return await self._identify()

    async def replace(self, item: Any) -> bool:
        """Update the card the person acted on; a submit that names no card gets the item as a new message."""
        replied_to = self.turn_context.activity.reply_to_id
        if not replied_to:
            return False
        update = update_for(item, replied_to, self.viewer, self.locale)
        try:
            await with_backoff(lambda: self.turn_context.update_activity(update), self.backoff)
        except DeliveryError as error:
            log.warning("could not update the answered card: %s", error)
        return True

    async def post(self, item: Any, *, ephemeral: bool) -> dict[str, Any] | None:
        response = None
        for activity in activities_for(item, self.viewer, self.locale):
            response = await with_backoff(lambda a=activity: self.turn_context.send_activity(a), self.backoff)
        return {"activity_id": response.id if response else None,
                "conversation_id": self.turn_context.activity.conversation.id}

    async def attach(self, files: list[tuple[str, bytes, str]]) -> None:
        for name, data, mime in files:
            shown = file_activity(name, data, mime)
            await with_backoff(lambda a=shown: self.turn_context.send_activity(a), self.backoff)

    async def lesson_deferred(self, card: LessonCard) -> None:
        """Nothing to add in Teams: the dispatcher posts the lesson as soon as Teams takes it."""
