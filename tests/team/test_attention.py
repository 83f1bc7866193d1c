"""Who needs attention, counted on the coach's clock: quiet means nothing answered for 14 days outside a
pause or time away (counted from the end of the break), and answers dated after the clock count for nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.chat.coach import Coach
from bot.chat.dates import plain
from bot.replies import MemberLine, TeamSummary
from store.db import Database
from store.models import Answer
from tests.conftest import Clock
from tests.support.learner import answer, next_card
from tests.support.org import load_sample_org

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def line_of(coach: Coach, manager: int, person: int) -> tuple[MemberLine, TeamSummary]:
    summary = (await coach.command(manager, "", default="team")).messages[0]
    assert isinstance(summary, TeamSummary)
    return next(m for m in summary.members if m.person_id == person), summary


async def test_back_from_a_pause_or_time_away_is_not_quiet_until_two_weeks_later(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben, cara, mia = ids["ben@example.com"], ids["cara@example.com"], ids["mia@example.com"]
    for person in (ben, cara):
        await answer(coach, person, await next_card(coach, person), True)
    await coach.command(ben, "pause")
    await coach.command(cara, f"away {(clock.now + timedelta(days=19)):%Y-%m-%d}")
    clock.advance(days=20)
    await coach.command(ben, "resume")

    for person in (ben, cara):
        line, summary = await line_of(coach, mia, person)
        assert not line.quiet, "just back from a break"
        assert not any(b.value == {"p": person} for b in summary.actions), "no nudge either"
    clock.advance(days=13)
    assert not (await line_of(coach, mia, ben))[0].quiet
    clock.advance(days=2)
    line, summary = await line_of(coach, mia, ben)
    assert line.quiet and "Ben Buyer — no lesson answered since Tue, 1 Dec 2026" in map(plain, summary.attention)
    assert (await line_of(coach, mia, cara))[0].quiet


async def test_answers_dated_after_the_clock_count_for_nothing(coach: Coach, db: Database, clock: Clock,
                                                               tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben, mia = ids["ben@example.com"], ids["mia@example.com"]
    await answer(coach, ben, await next_card(coach, ben), True)
    clock.advance(days=3)
    await answer(coach, ben, await next_card(coach, ben), True)
    async with db.session() as session:
        [_, later] = (await session.exec(select(Answer).where(Answer.person_id == ben).order_by(Answer.id))).all()
    clock.advance(days=-3)  # the report is run as of the first day: the later answer is in its future

    line, _ = await line_of(coach, mia, ben)
    assert line.engagement.answered_7 == line.engagement.answered_30 == 1
    assert line.engagement.last_active is not None and line.engagement.last_active < later.answered_at
    assert line.engagement.streak_days == 1
    progress = (await coach.command(ben, "progress")).messages[0]
    assert progress.streak_days == 1
