"""Use case: `/learn <any words>` — the lesson that best matches the words, right now."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlmodel import col, select

from bot.replies import Reply
from bot.usecases.lessons import card_for, given_lesson, no_lesson_found
from store.models import Lesson

if TYPE_CHECKING:
    from bot.coach import Coach

WORD = re.compile(r"[a-z0-9]+")


async def lesson_on_topic(coach: Coach, person_id: int, words: str) -> Reply:
    wanted = set(WORD.findall(words.lower()))
    async with coach.database.session() as session:
        lessons = (await session.exec(select(Lesson).where(col(Lesson.active)))).all()
    scored = sorted(((len(wanted & set(WORD.findall((lesson.title + " " + " ".join(lesson.tags)).lower()))), lesson)
                     for lesson in lessons), key=lambda sl: (-sl[0], sl[1].id))
    if not scored or scored[0][0] == 0:
        return no_lesson_found(words, [(lesson.id, lesson.title) for _, lesson in scored[:3] if _ > 0])
    delivery = await given_lesson(coach, person_id, scored[0][1].id, origin="topic")
    assert delivery is not None and delivery.id is not None
    return Reply(messages=[await card_for(coach, delivery.id)])
