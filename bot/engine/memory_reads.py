"""`LearningReads` answered from memory: the cached catalogue and one learner's rows, loaded with the rest of the
dispatcher's batch (`store.learning_batch`), so choosing a lesson costs no query at all.

Each answer mirrors its query in `store.learning` — the same filters, the same order, the same limits — and
`tests/engine/test_batch_choice.py` checks that the policy chooses alike through either.
"""

from __future__ import annotations

from datetime import datetime

from bot.engine.catalogue import Catalogue
from store.learning import RECENT, TAUGHT, PastDelivery, QuestionRef
from store.learning_batch import LearnerRows
from store.models import Lesson, Question


class MemoryReads:
    """What one learner's next-lesson choice reads, from the catalogue and their rows."""

    def __init__(self, catalogue: Catalogue, rows: LearnerRows) -> None:
        self.catalogue = catalogue
        self.rows = rows
        self.person_id = rows.settings.person_id
        self._taught_first: dict[str, datetime] = {}
        """Lesson id -> when its text was first shown to the learner."""
        self._last_sent: dict[str, datetime] = {}
        """Lesson id -> when it was last sent, in any kind."""
        self._asked: dict[str, datetime] = {}
        """Item key -> when the question (in any version) was last put to the learner."""
        for delivery in rows.deliveries:
            lesson = delivery.lesson_id
            if delivery.kind in TAUGHT:
                first = self._taught_first.get(lesson)
                self._taught_first[lesson] = delivery.created_at if first is None else min(first, delivery.created_at)
            last = self._last_sent.get(lesson)
            self._last_sent[lesson] = delivery.created_at if last is None else max(last, delivery.created_at)
            key = self._item_key(delivery.question_id)
            if key is not None:
                asked = self._asked.get(key)
                self._asked[key] = delivery.created_at if asked is None else max(asked, delivery.created_at)

    def _item_key(self, question_id: int | None) -> str | None:
        question = self.catalogue.questions.get(question_id) if question_id is not None else None
        return question.item_key if question is not None else None

    def _mine(self, person_id: int) -> None:
        if person_id != self.person_id:
            raise ValueError(f"these reads hold person {self.person_id}'s rows, not person {person_id}'s")

    async def recent_deliveries(self, person_id: int) -> list[PastDelivery]:
        self._mine(person_id)
        recent = []
        for delivery in self.rows.deliveries:  # newest first
            lesson = self.catalogue.lessons.get(delivery.lesson_id)
            if lesson is None:
                continue
            recent.append(PastDelivery(id=delivery.id, lesson_id=delivery.lesson_id, competency=lesson.competency_id,
                                       level=lesson.level, kind=delivery.kind,
                                       item_key=self._item_key(delivery.question_id), created_at=delivery.created_at,
                                       answered=delivery.answered, correct=delivery.correct))
            if len(recent) == RECENT:
                break
        return recent

    async def due_reviews(self, person_id: int, now: datetime, *, avoid: str | None, limit: int,
                          competencies: list[str] | None) -> list[tuple[Lesson, Question]]:
        self._mine(person_id)
        due = []
        for review in self.rows.reviews:  # by due time
            if review.due_at > now:
                break
            lesson = self.catalogue.lessons.get(review.lesson_id)
            if (lesson is None or not lesson.active or review.item_key == (avoid or "")
                    or (competencies is not None and review.competency_id not in competencies)):
                continue
            question = next((q for q in self.catalogue.current.get(lesson.id, []) if q.item_key == review.item_key),
                            None)
            if question is not None:
                due.append((lesson, question))
                if len(due) == limit:
                    break
        return due

    async def recent_results(self, person_id: int, item_keys: list[str], per_item: int) -> dict[str, list[bool]]:
        self._mine(person_id)
        wanted = set(item_keys)
        results: dict[str, list[bool]] = {}
        for delivery in self.rows.deliveries:  # newest first
            key = self._item_key(delivery.question_id)
            if key in wanted and delivery.answered and delivery.correct is not None:
                answers = results.setdefault(key, [])  # type: ignore[arg-type]
                if len(answers) < per_item:
                    answers.append(bool(delivery.correct))
        return results

    async def taught_questions(self, person_id: int, competency: str, level: int,
                               before: datetime) -> list[tuple[Lesson, Question]]:
        self._mine(person_id)
        found = []
        for lesson in self.catalogue.at_level.get((competency, level), []):
            first = self._taught_first.get(lesson.id)
            if first is not None and first < before:
                found.extend((lesson, question) for question in self.catalogue.current.get(lesson.id, []))
        return found[:40]

    async def delivered_lessons(self, person_id: int, lesson_ids: list[str]) -> set[str]:
        self._mine(person_id)
        return {lesson_id for lesson_id in lesson_ids if lesson_id in self._taught_first}

    async def lessons_up_to_level(self, lesson_ids: list[str], level: int) -> set[str]:
        if level < 1:
            return set()
        lessons = self.catalogue.lessons
        return {i for i in lesson_ids if i in lessons and lessons[i].level <= level}

    async def fresh_lessons(self, person_id: int, competency: str, level: int, limit: int = 20) -> list[Lesson]:
        self._mine(person_id)
        fresh = [lesson for lesson in self.catalogue.at_level.get((competency, level), [])
                 if lesson.id not in self._taught_first]
        return fresh[:limit]

    async def practised_lessons(self, person_id: int, competency: str, level: int) -> list[Lesson]:
        self._mine(person_id)
        sent = [lesson for lesson in self.catalogue.at_level.get((competency, level), [])
                if lesson.format != "reflection" and lesson.id in self._last_sent]
        return sorted(sent, key=lambda lesson: (self._last_sent[lesson.id], lesson.id))[:20]

    async def lesson_questions(self, lesson: Lesson) -> list[Question]:
        by_version = [q for q in self.catalogue.current.get(lesson.id, [])
                      if q.lesson_version_id == lesson.current_version_id]
        return by_version

    async def asked_items(self, person_id: int, item_keys: list[str]) -> dict[str, datetime]:
        self._mine(person_id)
        return {key: self._asked[key] for key in item_keys if key in self._asked}

    async def placement_question(self, person_id: int, competency: str, level: int) -> QuestionRef | None:
        self._mine(person_id)
        candidates = [(question.position, lesson.id, lesson, question)
                      for lesson in self.catalogue.at_level.get((competency, level), [])
                      for question in self.catalogue.current.get(lesson.id, [])
                      if question.item_key not in self._asked]
        if not candidates:
            return None
        _, _, lesson, question = min(candidates, key=lambda c: (c[0], c[1]))
        assert lesson.current_version_id is not None
        return QuestionRef(lesson.id, lesson.current_version_id, question.id, question.item_key, lesson.level)

    async def lesson(self, lesson_id: str) -> Lesson | None:
        return self.catalogue.lessons.get(lesson_id)

    async def question(self, question_id: int) -> Question | None:
        return self.catalogue.questions.get(question_id)
