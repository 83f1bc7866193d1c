"""One request pipeline for every chat platform, in the spirit of Bolt's middleware chain:

    identify → once → use case → show → record sent or handed back → metrics

Each step is written once, here; a platform supplies a small adapter (`Surface`) that knows only its own
side: who is asking, and how one message is shown there. Slack, Teams and the terminal use it for what a
person does; the dispatcher records what it sends through the same `Ledger`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol

from bot.chat.once import Once
from bot.couriers import DeliveryError
from bot.lessons.ledger import Ledger
from bot.metrics import ANSWERS, SEND_FAILURES
from bot.replies import AnswerResult, LessonCard, Reply
from bot.services import Services
from store.models import Person

log = logging.getLogger(__name__)

RETRY_LATER = timedelta(minutes=1)
"""When the dispatcher retries a lesson a platform refused while the person was there, unless the platform
said when (`Retry-After`)."""

UseCase = Callable[[int], Awaitable[Reply]]
"""What the person asked for, given who they are (their org-chart id): usually a `Coach` call."""


class Surface(Protocol):
    """One platform's side of one request."""

    platform: str

    async def identify(self) -> Person | None:
        """The person acting; None once they have been told why not (not in the org chart, or the platform
        could not say who they are just now)."""
        ...

    async def replace(self, item: Any) -> bool:
        """Replace the message the person acted on (the answered card); False when there is none to replace,
        so the item is shown as a new message instead."""
        ...

    async def post(self, item: Any, *, ephemeral: bool) -> dict[str, Any] | None:
        """Show one message where it belongs and say where it landed; raises DeliveryError when the
        platform refused it."""
        ...

    async def attach(self, files: list[tuple[str, bytes, str]]) -> None:
        """Files (a heatmap, a CSV) to the person."""
        ...

    async def lesson_deferred(self, card: LessonCard) -> None:
        """The lesson could not be posted and went back to the dispatcher: say so, where that helps."""
        ...


class Pipeline:
    """The steps every request takes, in order; see the module's docstring."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.once = Once(services.database)
        self.ledger = Ledger(services)

    async def handle(self, surface: Surface, use_case: UseCase, *, once: str | None = None) -> None:
        """Identify the person, then (once per `once` key, across retries, double clicks and processes) run
        the use case and show its reply."""
        person = await surface.identify()
        if person is None or person.id is None:
            return
        person_id = person.id

        async def act() -> None:
            await self.show(surface, await self.run(surface.platform, use_case, person_id))

        if once is None:
            await act()
        else:
            await self.once.run(once, act)

    async def run(self, platform: str, use_case: UseCase, person_id: int) -> Reply:
        """The use case, with its answers counted (an answer counts when it is recorded, whether or not the
        result could be shown)."""
        reply = await use_case(person_id)
        for item in reply.messages:
            if isinstance(item, AnswerResult) and not item.repeat:
                ANSWERS.labels(platform, str(item.correct).lower()).inc()
        return reply

    async def show(self, surface: Surface, reply: Reply) -> None:
        """Every part of the reply, in order. A lesson posted is recorded as sent; one the platform refused
        is handed back to the dispatcher, never lost; any other message that fails is logged and the rest
        still shown."""
        messages = list(reply.messages)
        if reply.update is not None and not await surface.replace(reply.update):
            messages.insert(0, reply.update)
        for item in messages:
            lesson = isinstance(item, LessonCard) and not item.answered
            try:
                landed = await surface.post(item, ephemeral=reply.ephemeral)
            except DeliveryError as error:
                if lesson:
                    await self._hand_back(surface, item, error)
                else:
                    _not_shown(surface, type(item).__name__, error)
                continue
            if lesson:
                await self.ledger.sent(item.delivery_id, platform=surface.platform, origin=item.origin,
                                       message_ref=landed)
        if reply.attachments:
            try:
                await surface.attach(reply.attachments)
            except DeliveryError as error:
                _not_shown(surface, "file", error)

    async def _hand_back(self, surface: Surface, card: LessonCard, error: DeliveryError) -> None:
        log.warning("lesson %s not posted to %s: %s", card.delivery_id, surface.platform, error)
        wait = timedelta(seconds=error.retry_after) if error.retry_after else RETRY_LATER
        await self.ledger.handed_back(card.delivery_id, platform=surface.platform, error=str(error),
                                      retry_at=self.services.clock() + wait)
        await surface.lesson_deferred(card)


def _not_shown(surface: Surface, what: str, error: DeliveryError) -> None:
    log.warning("could not post a %s to %s: %s", what, surface.platform, error)
    SEND_FAILURES.labels(surface.platform, "failed").inc()
