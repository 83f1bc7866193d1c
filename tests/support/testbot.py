"""The in-process test platform (errbot's `testbot`): the real coach and the real request pipeline, with a
surface that keeps what would have been shown instead of calling a chat API. Use-case tests talk to it in a
person's words and read what came back; the HTTP-level tests stay for the Slack and Teams adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.chat.coach import Coach
from bot.chat.pipeline import Pipeline, UseCase
from bot.couriers import DeliveryError
from bot.replies import Button, LessonCard
from store.models import Person

PLATFORM = "test"


@dataclass
class Talker:
    """One person in the test platform; `shown` is everything shown to them, in order."""

    testbot: TestPlatform
    person_id: int
    shown: list[Any] = field(default_factory=list)
    replaced: list[Any] = field(default_factory=list)
    files: list[tuple[str, bytes, str]] = field(default_factory=list)
    deferred: list[LessonCard] = field(default_factory=list)
    refuse_lessons: DeliveryError | None = None
    """Set to make the platform refuse lessons (an outage), as Slack's 429 or Teams' 503 would."""
    platform: str = PLATFORM

    async def say(self, text: str, *, default: str = "learn") -> list[Any]:
        """Typed words (or a slash command's text); returns what they were shown in reply."""
        return await self._do(lambda person_id: self.testbot.coach.command(person_id, text, default=default))

    async def press(self, button: Button, *, once: str | None = None) -> list[Any]:
        return await self._do(lambda person_id: self.testbot.coach.press(person_id, button.action, button.value,
                                                                            via=PLATFORM), once=once)

    async def answer(self, card: LessonCard, option: int) -> list[Any]:
        return await self._do(lambda person_id: self.testbot.coach.press(
            person_id, "answer", {"d": card.delivery_id, "o": option}, via=PLATFORM))

    async def reflect(self, card: LessonCard, text: str) -> list[Any]:
        return await self._do(lambda person_id: self.testbot.coach.reflect(person_id, card.delivery_id, text,
                                                                              via=PLATFORM))

    def lessons(self) -> list[LessonCard]:
        return [item for item in self.shown if isinstance(item, LessonCard) and not item.answered]

    async def _do(self, use_case: UseCase, *, once: str | None = None) -> list[Any]:
        before = len(self.shown)
        await self.testbot.pipeline.handle(self, use_case, once=once)
        return self.shown[before:]

    # The pipeline's Surface --------------------------------------------------------------------------------

    async def identify(self) -> Person | None:
        async with self.testbot.coach.services.database.session() as session:
            person = await session.get(Person, self.person_id)
        return person if person is not None and person.active else None

    async def replace(self, item: Any) -> bool:
        self.replaced.append(item)
        return True

    async def post(self, item: Any, *, ephemeral: bool) -> dict[str, Any] | None:
        if isinstance(item, LessonCard) and not item.answered and self.refuse_lessons is not None:
            raise self.refuse_lessons
        self.shown.append(item)
        return {"index": len(self.shown) - 1}

    async def attach(self, files: list[tuple[str, bytes, str]]) -> None:
        self.files.extend(files)

    async def lesson_deferred(self, card: LessonCard) -> None:
        self.deferred.append(card)


class TestPlatform:
    __test__ = False  # not a test class, whatever its name

    def __init__(self, coach: Coach) -> None:
        self.coach = coach
        self.pipeline = Pipeline(coach.services)

    def person(self, person_id: int) -> Talker:
        return Talker(self, person_id)
