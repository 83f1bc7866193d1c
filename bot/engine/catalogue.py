"""The catalogue and the fitted mastery model as one process holds them between content imports and refits.

Choosing a lesson reads the catalogue over and over (which lessons sit at a level, their questions, what a role
needs) and the model once per choice. The dispatcher chooses for hundreds of learners a tick, so it keeps both
in memory and asks the database only whether they changed: `store.catalogue_versions` holds a counter that
content import and `coach fit` bump in the transaction that changes them. `CatalogueCache.current` reads the
counters (one small query) and reloads only what moved — so several processes on one PostgreSQL act on a new
catalogue from their next batch on, and never on a stale one longer than that.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.mastery import MasteryModel, ModelParams
from store import catalogue_versions, learning_batch
from store.db import Database
from store.learning import DEFAULT_ROLE
from store.models import Lesson, Question


@dataclass
class Catalogue:
    """Every lesson and question, indexed the ways the next-lesson policy asks for them, and the fitted model."""

    lessons: dict[str, Lesson]
    questions: dict[int, Question]
    """Every question of every version, by id (answers and deliveries point at old versions too)."""
    roles: dict[str, dict[str, int]]
    model: MasteryModel
    versions: dict[str, int]
    current: dict[str, list[Question]] = field(default_factory=dict)
    """Each lesson's current version's questions, in order."""
    at_level: dict[tuple[str, int], list[Lesson]] = field(default_factory=dict)
    """Active lessons by (competency, level), by id."""

    @classmethod
    def build(cls, lessons: Iterable[Lesson], questions: Iterable[Question], roles: dict[str, dict[str, int]],
              model: MasteryModel, versions: dict[str, int]) -> Catalogue:
        catalogue = cls({lesson.id: lesson for lesson in lessons}, {q.id: q for q in questions if q.id is not None},
                        roles, model, versions)
        by_version: dict[int, list[Question]] = {}
        for question in sorted(catalogue.questions.values(), key=lambda q: (q.lesson_version_id, q.position)):
            by_version.setdefault(question.lesson_version_id, []).append(question)
        for lesson in sorted(catalogue.lessons.values(), key=lambda lesson: lesson.id):
            catalogue.current[lesson.id] = by_version.get(lesson.current_version_id or -1, [])
            if lesson.active:
                catalogue.at_level.setdefault((lesson.competency_id, lesson.level), []).append(lesson)
        return catalogue

    def role_needs(self, role_id: str | None) -> dict[str, int]:
        """What `store.learning.role_requirements` answers: the role's levels, `everyone`'s for no role."""
        return dict(self.roles.get(role_id or DEFAULT_ROLE, {}))


class CatalogueCache:
    """One process's copy of the catalogue and model per database, reloaded when a counter says it changed."""

    def __init__(self) -> None:
        self._held: weakref.WeakKeyDictionary[Database, Catalogue] = weakref.WeakKeyDictionary()
        self.loads = 0
        """How many times the catalogue was read in full (tests and benchmarks count them)."""

    async def current(self, database: Database, session: AsyncSession) -> Catalogue:
        """The catalogue as of `session`'s transaction: the held copy if no counter moved, else a fresh one."""
        versions = await catalogue_versions.current(session)
        held = self._held.get(database)
        if held is not None and held.versions == versions:
            return held
        lessons, questions, roles, fit = await learning_batch.catalogue_rows(session)
        params = ModelParams.from_json(fit) if fit else ModelParams.default()
        catalogue = Catalogue.build(lessons, questions, roles, MasteryModel(params), versions)
        self._held[database] = catalogue
        self.loads += 1
        return catalogue


CATALOGUES = CatalogueCache()
"""The process's cache (one per process, as the database pool is)."""
