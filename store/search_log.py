"""What topic search remembers per organisation: each search and its outcome, and people's word on which
lesson answers which words (a pick among the choices, a rating of the lesson sent).

Evidence is filed under the search's key (its terms, see `content.search.Query.key`) and the organisation
(the person's Slack team or Teams tenant). `learned_lessons` turns it into weights for the ranking: each
signal fades with a half-life, and a lesson counts only once enough different people agree, so that one odd
pick does not steer everyone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import ChatIdentity, SearchEvidence, TopicSearch

HALF_LIFE_DAYS = 90.0
"""A signal counts half after this many days: content and people's words change."""
MIN_PEOPLE = 2
"""Different people who must agree on a lesson for the same words before it counts."""
MIN_WEIGHT = 1.5
"""…and the faded sum of their signals must reach this (or fall below minus this, for a rejection)."""
RATING_SIGNALS = {"useful": 1, "not_relevant": -1}
"""Ratings that say whether a lesson answered the search; too easy or too hard say nothing about that."""


async def org_of(session: AsyncSession, person_id: int) -> str:
    """The person's organisation for search evidence: the Slack team or Teams tenant of their first chat account
    that names one, '' when none does (the terminal, or one organisation per database)."""
    workspace = (await session.exec(
        select(ChatIdentity.workspace).where(ChatIdentity.person_id == person_id,
                                             col(ChatIdentity.workspace).is_not(None))
        .order_by(col(ChatIdentity.id)).limit(1)
    )).first()
    return workspace or ""


async def record_search(session: AsyncSession, *, org: str, person_id: int, words: str, key: str, outcome: str,
                        offered: list[str], now: datetime) -> TopicSearch:
    """Remember one search and what the coach did with it."""
    search = TopicSearch(org=org, person_id=person_id, words=words[:500], key=key[:500], outcome=outcome,
                         offered=offered, created_at=now)
    session.add(search)
    await session.flush()
    return search


async def picked(session: AsyncSession, search_id: int, person_id: int, lesson_id: str, delivery_id: int,
                 now: datetime) -> bool:
    """The person picked one of the lessons their search offered: evidence for it (once per search; a second
    click or another pick from the same choices changes nothing). False when nothing was recorded."""
    search = await session.get(TopicSearch, search_id)
    if search is None or search.person_id != person_id or lesson_id not in search.offered:
        return False
    try:
        async with session.begin_nested():
            session.add(SearchEvidence(search_id=search_id, org=search.org, key=search.key, lesson_id=lesson_id,
                                       person_id=person_id, source="pick", signal=1, created_at=now))
            search.delivery_id = search.delivery_id or delivery_id
            session.add(search)
    except IntegrityError:
        return False
    return True


async def rated(session: AsyncSession, delivery_id: int, rating: str, now: datetime) -> None:
    """A rating of a lesson a search sent: 👍 says it answered the words, "not relevant" that it did not. A new
    rating replaces the old one; other ratings withdraw it."""
    search = (await session.exec(select(TopicSearch).where(TopicSearch.delivery_id == delivery_id))).first()
    if search is None or search.id is None:
        return
    existing = (await session.exec(select(SearchEvidence).where(SearchEvidence.search_id == search.id,
                                                                 SearchEvidence.source == "rating"))).first()
    signal = RATING_SIGNALS.get(rating)
    if signal is None:
        if existing is not None:
            await session.delete(existing)
        return
    lesson_id = search.offered[0] if search.outcome == "sure" else await _picked_lesson(session, search.id)
    if lesson_id is None:
        return
    evidence = existing or SearchEvidence(search_id=search.id, org=search.org, key=search.key, lesson_id=lesson_id,
                                          person_id=search.person_id, source="rating", signal=signal)
    evidence.signal, evidence.created_at = signal, now
    session.add(evidence)


async def _picked_lesson(session: AsyncSession, search_id: int) -> str | None:
    return (await session.exec(select(SearchEvidence.lesson_id).where(SearchEvidence.search_id == search_id,
                                                                      SearchEvidence.source == "pick"))).first()


async def learned_lessons(session: AsyncSession, org: str, key: str, now: datetime) -> dict[str, float]:
    """Lesson id -> the organisation's faded evidence that it answers these words (negative: it does not),
    only for lessons enough different people agree on."""
    rows = (await session.exec(
        select(SearchEvidence.lesson_id, SearchEvidence.person_id, SearchEvidence.signal, SearchEvidence.created_at)
        .where(SearchEvidence.org == org, SearchEvidence.key == key[:500])
    )).all()
    weights: dict[str, float] = {}
    people: dict[tuple[str, int], set[int]] = {}
    for lesson_id, person_id, signal, created_at in rows:
        age = max(0.0, (now - created_at).total_seconds() / 86_400)
        weights[lesson_id] = weights.get(lesson_id, 0.0) + signal * 0.5 ** (age / HALF_LIFE_DAYS)
        people.setdefault((lesson_id, signal), set()).add(person_id)
    return {lesson_id: weight for lesson_id, weight in weights.items()
            if abs(weight) >= MIN_WEIGHT and len(people.get((lesson_id, 1 if weight > 0 else -1), ())) >= MIN_PEOPLE}


async def unanswered(session: AsyncSession) -> list[tuple[int, str, datetime]]:
    """(person, words, when) of every search that found no good match — nothing fitted, or choices were offered
    and none was picked — oldest first: the content gaps L&D should hear about."""
    picks = select(SearchEvidence.search_id).where(SearchEvidence.source == "pick")
    rows = await session.exec(
        select(TopicSearch.person_id, TopicSearch.words, TopicSearch.created_at)
        .where(col(TopicSearch.outcome).in_(["choose", "nothing"]), col(TopicSearch.id).not_in(picks))
        .order_by(col(TopicSearch.created_at))
    )
    return list(rows.all())
