"""`coach report feedback`: what learners told L&D — lessons rated too hard, too easy or not relevant, the
least useful lessons, the topics they asked for, and the content gaps (what they searched for with `/learn
<words>` that no lesson answered well), each ranked by how many people asked.

Suggestions are free text, so similar ones are grouped: two suggestions belong together when most of
their meaningful words (lower-cased, plural and -ing endings dropped, small words ignored) are shared.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.lessons.answers import FEEDBACK
from store.feedback import LessonRatings, ratings_by_lesson, suggestions
from store.search_log import unanswered

RATINGS = tuple(rating for rating, _ in FEEDBACK)
MIN_RATINGS = 2
"""A lesson needs this many ratings before it can be called one of the least useful."""
TOP = 10
SAME_TOPIC = 0.5
"""Share of words two suggestions must have in common (Jaccard) to count as the same topic."""
WORD = re.compile(r"[a-z0-9&]+")
SMALL_WORDS = {"a", "an", "the", "to", "of", "for", "on", "in", "and", "or", "how", "what", "why", "when", "with",
               "about", "do", "i", "we", "our", "my", "is", "are", "can", "more", "some", "lesson", "lessons",
               "please", "learn", "learning", "want", "would", "like", "need", "course", "training"}


@dataclass
class Topic:
    words: set[str]
    texts: list[str] = field(default_factory=list)
    people: set[int] = field(default_factory=set)


def topic_words(text: str) -> set[str]:
    words = set()
    for word in WORD.findall(text.lower()):
        if word in SMALL_WORDS:
            continue
        for ending in ("ing", "s"):
            if len(word) > len(ending) + 2 and word.endswith(ending):
                word = word[: -len(ending)]
                break
        words.add(word)
    return words


def rank_topics(rows: list[tuple[int, str, Any]]) -> list[dict[str, Any]]:
    """Group similar suggestions; rank by distinct people asking, then by suggestions."""
    topics: list[Topic] = []
    for person_id, text, _ in rows:
        words = topic_words(text) or {text.strip().lower()}
        best = max(topics, key=lambda t: _overlap(t.words, words), default=None)
        if best is None or _overlap(best.words, words) < SAME_TOPIC:
            best = Topic(set(words))
            topics.append(best)
        best.words |= words
        best.texts.append(text.strip())
        best.people.add(person_id)
    ranked = sorted(topics, key=lambda t: (-len(t.people), -len(t.texts), Counter(t.texts).most_common(1)[0][0]))
    return [{"topic": Counter(t.texts).most_common(1)[0][0], "people": len(t.people), "suggestions": len(t.texts),
             "examples": sorted(set(t.texts))[:5]} for t in ranked]


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _lesson(entry: LessonRatings, rating: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"lesson": entry.lesson_id, "title": entry.title, "competency": entry.competency,
                            "level": entry.level, "ratings": entry.total}
    if rating:
        data["count"] = entry.counts.get(rating, 0)
        data["share"] = round(data["count"] / entry.total, 3)
    return data


async def feedback_report(session: AsyncSession) -> dict[str, Any]:
    """The report as one JSON-ready object."""
    lessons = await ratings_by_lesson(session)
    report: dict[str, Any] = {
        "ratings": {rating: sum(e.counts.get(rating, 0) for e in lessons) for rating in RATINGS},
        "lessons_rated": len(lessons),
    }
    for rating in ("too_hard", "too_easy", "not_relevant"):
        flagged = [e for e in lessons if e.counts.get(rating)]
        flagged.sort(key=lambda e: (-e.counts[rating], -e.counts[rating] / e.total, e.lesson_id))
        report[rating] = [_lesson(e, rating) for e in flagged[:TOP]]
    rated = [e for e in lessons if e.total >= MIN_RATINGS]
    rated.sort(key=lambda e: (e.counts.get("useful", 0) / e.total, -e.total, e.lesson_id))
    report["least_useful"] = [{**_lesson(e), "useful": e.counts.get("useful", 0),
                               "useful_share": round(e.counts.get("useful", 0) / e.total, 3)} for e in rated[:TOP]]
    report["suggested_topics"] = rank_topics(await suggestions(session))
    report["content_gaps"] = rank_topics(await unanswered(session))
    return report
