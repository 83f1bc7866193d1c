"""What the next-lesson policy asks about a learner and the catalogue, and the database answering it one query at a
time.

The policy (`bot.engine.next_lesson`) reads only through `LearningReads`. A person pressing a button gets
`SessionReads`: a dozen small bounded queries (`store.learning`). The dispatcher, choosing for a whole batch,
gets `bot.engine.memory_reads.MemoryReads`: the same answers from the cached catalogue and the batch's
histories loaded at once. Both must answer alike; `tests/engine/test_batch_choice.py` holds them to it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from store import learning
from store.learning import PastDelivery, QuestionRef
from store.models import Lesson, Question


class LearningReads(Protocol):
    async def recent_deliveries(self, person_id: int) -> list[PastDelivery]: ...

    async def due_reviews(self, person_id: int, now: datetime, *, avoid: str | None, limit: int,
                          competencies: list[str] | None) -> list[tuple[Lesson, Question]]: ...

    async def recent_results(self, person_id: int, item_keys: list[str], per_item: int) -> dict[str, list[bool]]: ...

    async def taught_questions(self, person_id: int, competency: str, level: int,
                               before: datetime) -> list[tuple[Lesson, Question]]: ...

    async def delivered_lessons(self, person_id: int, lesson_ids: list[str]) -> set[str]: ...

    async def lessons_up_to_level(self, lesson_ids: list[str], level: int) -> set[str]: ...

    async def fresh_lessons(self, person_id: int, competency: str, level: int, limit: int = 20) -> list[Lesson]: ...

    async def practised_lessons(self, person_id: int, competency: str, level: int) -> list[Lesson]: ...

    async def lesson_questions(self, lesson: Lesson) -> list[Question]: ...

    async def asked_items(self, person_id: int, item_keys: list[str]) -> dict[str, datetime]: ...

    async def placement_question(self, person_id: int, competency: str, level: int) -> QuestionRef | None: ...

    async def lesson(self, lesson_id: str) -> Lesson | None: ...

    async def question(self, question_id: int) -> Question | None: ...


class SessionReads:
    """`LearningReads` answered by the database, one small query per question (`store.learning`)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def recent_deliveries(self, person_id: int) -> list[PastDelivery]:
        return await learning.recent_deliveries(self.session, person_id)

    async def due_reviews(self, person_id: int, now: datetime, *, avoid: str | None, limit: int,
                          competencies: list[str] | None) -> list[tuple[Lesson, Question]]:
        return await learning.due_reviews(self.session, person_id, now, avoid=avoid, limit=limit,
                                          competencies=competencies)

    async def recent_results(self, person_id: int, item_keys: list[str], per_item: int) -> dict[str, list[bool]]:
        return await learning.recent_results(self.session, person_id, item_keys, per_item=per_item)

    async def taught_questions(self, person_id: int, competency: str, level: int,
                               before: datetime) -> list[tuple[Lesson, Question]]:
        return await learning.taught_questions(self.session, person_id, competency, level, before)

    async def delivered_lessons(self, person_id: int, lesson_ids: list[str]) -> set[str]:
        return await learning.delivered_lessons(self.session, person_id, lesson_ids)

    async def lessons_up_to_level(self, lesson_ids: list[str], level: int) -> set[str]:
        return await learning.lessons_up_to_level(self.session, lesson_ids, level)

    async def fresh_lessons(self, person_id: int, competency: str, level: int, limit: int = 20) -> list[Lesson]:
        return await learning.fresh_lessons(self.session, person_id, competency, level, limit=limit)

    async def practised_lessons(self, person_id: int, competency: str, level: int) -> list[Lesson]:
        return await learning.practised_lessons(self.session, person_id, competency, level)

    async def lesson_questions(self, lesson: Lesson) -> list[Question]:
        return await learning.lesson_questions(self.session, lesson)

    async def asked_items(self, person_id: int, item_keys: list[str]) -> dict[str, datetime]:
        return await learning.asked_items(self.session, person_id, item_keys)

    async def placement_question(self, person_id: int, competency: str, level: int) -> QuestionRef | None:
        return await learning.placement_question(self.session, person_id, competency, level)

    async def lesson(self, lesson_id: str) -> Lesson | None:
        return await self.session.get(Lesson, lesson_id)

    async def question(self, question_id: int) -> Question | None:
        return await self.session.get(Question, question_id)
