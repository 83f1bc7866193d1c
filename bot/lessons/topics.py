"""Use case: `/learn <any words>` — the lesson that best matches the words, right now.

Search ranks lessons by relevance to the words (`content.search`); the learner's competencies and level only
reorder near-ties. When even the best match is weak, the learner picks from the closest three instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.fitted import load_model
from bot.engine.learner import LearnerContext, load_learner
from bot.engine.mastery import SkillState
from bot.lessons.lessons import card_for, given_lesson, no_lesson_found
from bot.replies import Reply
from bot.services import Services
from content.search import Hit, LessonIndex, SearchDoc, confident
from store import search

_INDEXES: dict[str, tuple[tuple[int, int, str], LessonIndex]] = {}
"""Per database: the catalogue stamp an index was built for, and the index (rebuilt when the stamp moves)."""


async def lesson_index(services: Services, session: AsyncSession) -> LessonIndex:
    """The search index of the current catalogue and the packs' synonyms, built once per process and import."""
    stamp = await search.catalogue_stamp(session)
    cached = _INDEXES.get(services.database.url)
    if cached is None or cached[0] != stamp:
        index = LessonIndex(await search.lesson_documents(session), await search.synonym_groups(session))
        cached = _INDEXES[services.database.url] = (stamp, index)
    return cached[1]


async def find_lessons(services: Services, session: AsyncSession, ctx: LearnerContext, words: str) -> list[Hit]:
    """The best three lessons for the words, for this learner."""
    index = await lesson_index(services, session)
    return index.search(words, limit=3, prefer=await learner_preference(services, session, ctx))


async def learner_preference(services: Services, session: AsyncSession,
                             ctx: LearnerContext) -> Callable[[SearchDoc], tuple[float, ...]]:
    """Among near-ties: competencies the learner works on (most urgent first), then lessons nearest the level
    they are working at (one above the level they have shown)."""
    model = await load_model(session)
    states = ctx.skill_states()

    def key(doc: SearchDoc) -> tuple[float, ...]:
        target = ctx.targets.get(doc.competency)
        shown = model.level(states.get(doc.competency) or SkillState.from_json(None), services.config.mastery_threshold)
        working = min(shown + 1, target.level if target else 3)
        return (0.0 if target else 1.0, -(target.priority if target else 0.0), float(abs(doc.level - working)))

    return key


async def lesson_on_topic(services: Services, person_id: int, words: str, *,
                          otherwise: Callable[[], Awaitable[Reply]] | None = None) -> Reply:
    """The best lesson on the words; when none matches well, `otherwise` answers (if given) or the closest
    lessons are offered."""
    async with services.database.session() as session:
        ctx = await load_learner(session, person_id)
        hits = await find_lessons(services, session, ctx, words)
    if not confident(hits) and otherwise is not None:
        return await otherwise()
    if not confident(hits):
        return no_lesson_found(words, [(hit.doc.lesson_id, hit.doc.title) for hit in hits])
    delivery = await given_lesson(services, person_id, hits[0].doc.lesson_id, origin="topic")
    assert delivery is not None and delivery.id is not None
    return Reply(messages=[await card_for(services, delivery.id)])
