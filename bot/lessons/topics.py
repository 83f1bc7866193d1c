"""Use case: `/learn <any words>` — the lesson that best matches the words, right now.

Search ranks lessons by relevance to the words (`content.search`); the learner's competencies and level only
reorder near-ties. A clear match is sent at once; when two are close the learner picks, and when nothing fits
the coach says so. Every search is remembered per organisation (`store.search_log`): a pick among the choices,
or a rating of the lesson sent, becomes evidence that later searches with the same words use, and searches
nothing answered are the content gaps in `coach report feedback`.
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
from content.search import Hit, LessonIndex, SearchDoc, Verdict, choices, judge
from content.semantic import load_reranker
from store import search, search_log

RERANKED = 10
"""How many lexical hits the semantic model (when configured) re-ranks."""
_INDEXES: dict[str, tuple[tuple[int, int, str], LessonIndex]] = {}
"""Per database: the catalogue stamp an index was built for, and the index (rebuilt when the stamp moves)."""


async def lesson_index(services: Services, session: AsyncSession) -> LessonIndex:
    """The search index of the current catalogue, the packs' synonyms and phrasing, built once per process and
    import."""
    stamp = await search.catalogue_stamp(session)
    cached = _INDEXES.get(services.database.url)
    if cached is None or cached[0] != stamp:
        index = LessonIndex(await search.lesson_documents(session), await search.synonym_groups(session),
                            await search.pack_phrasing(session))
        cached = _INDEXES[services.database.url] = (stamp, index)
    return cached[1]


async def find_lessons(services: Services, session: AsyncSession, ctx: LearnerContext, words: str) -> list[Hit]:
    """The best three lessons for the words, for this learner, with what their organisation taught search."""
    index = await lesson_index(services, session)
    learned = await search_log.learned_lessons(session, await search_log.org_of(session, ctx.id),
                                               index.query(words).key, services.clock())
    ranked = index.search(words, limit=RERANKED, prefer=await learner_preference(services, session, ctx),
                          learned=learned)
    model = services.config.search_model
    return (load_reranker(model).rerank(words, ranked) if model else ranked)[:3]  # loaded once per process


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
    """The best lesson on the words; when none is clearly right, `otherwise` answers (if given), or the close
    lessons are offered, or the coach says that nothing fits."""
    async with services.database.session() as session:
        ctx = await load_learner(session, person_id)
        hits = await find_lessons(services, session, ctx, words)
    verdict = judge(hits)
    if verdict is not Verdict.SURE and otherwise is not None:
        return await otherwise()  # outside the session: it may write (SQLite has one writer)
    async with services.database.session() as session:
        offered = hits[:1] if verdict is Verdict.SURE else choices(hits) if verdict is Verdict.CHOOSE else []
        index = await lesson_index(services, session)
        logged = await search_log.record_search(
            session, org=await search_log.org_of(session, person_id), person_id=person_id, words=words,
            key=index.query(words).key, outcome=verdict.value, offered=[hit.doc.lesson_id for hit in offered],
            now=services.clock())
        assert logged.id is not None
    if verdict is not Verdict.SURE:
        return no_lesson_found(words, [(hit.doc.lesson_id, hit.doc.title) for hit in offered], search_id=logged.id)
    delivery = await given_lesson(services, person_id, hits[0].doc.lesson_id, origin="topic")
    assert delivery is not None and delivery.id is not None
    async with services.database.session() as session:
        logged.delivery_id = delivery.id
        session.add(logged)
    return Reply(messages=[await card_for(services, delivery.id)])


async def picked_lesson(services: Services, person_id: int, lesson_id: str, search_id: int | None) -> Reply | None:
    """A lesson picked among a search's choices: sent, and the pick recorded as evidence for those words.
    None when no active lesson has that id."""
    delivery = await given_lesson(services, person_id, lesson_id, origin="topic")
    if delivery is None or delivery.id is None:
        return None
    if search_id is not None:
        async with services.database.session() as session:
            await search_log.picked(session, search_id, person_id, lesson_id, delivery.id, services.clock())
    return Reply(messages=[await card_for(services, delivery.id)])
