"""A manager's double click, on SQLite and PostgreSQL: two simultaneous presses of Focus or Nudge leave one
focus and one queued lesson, and the second press is told so."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlmodel import col, select

from bot.chat.coach import Coach
from bot.chat.dates import plain
from store.db import Database
from store.models import Delivery, Focus
from tests.support.org import load_sample_org


async def rows(db: Database, person_id: int) -> tuple[list[Focus], list[Delivery]]:
    async with db.session() as session:
        focus = list((await session.exec(select(Focus).where(Focus.person_id == person_id))).all())
        queued = list((await session.exec(select(Delivery).where(
            Delivery.person_id == person_id, col(Delivery.origin).in_(["focus", "nudge"])))).all())
    return focus, queued


async def test_two_focus_presses_at_once_assign_it_once(coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    fay, dana = ids["fay@example.com"], ids["dana@example.com"]
    replies = await asyncio.gather(*(coach.press(dana, "team_focus", {"p": fay, "c": "safety"}, via="slack")
                                     for _ in range(2)))
    texts = sorted(plain(reply.messages[0].text) for reply in replies)
    focus, queued = await rows(db, fay)
    assert [(f.competency_id, f.cleared_at) for f in focus] == [("safety", None)] and len(queued) == 1
    assert texts[0].startswith("Done — Shop-floor safety is now Fay's focus"), texts
    assert texts[1].startswith("Shop-floor safety is already Fay's focus"), texts


async def test_two_nudge_presses_at_once_queue_one_lesson(coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    cara, mia = ids["cara@example.com"], ids["mia@example.com"]
    replies = await asyncio.gather(*(coach.press(mia, "team_nudge", {"p": cara}, via="slack") for _ in range(2)))
    texts = sorted(plain(reply.messages[0].text) for reply in replies)
    _, queued = await rows(db, cara)
    assert [(d.origin, d.slot) for d in queued] == [("nudge", "nudge:2026-12-01")]
    assert texts[0].startswith("Cara already got a lesson from you today"), texts
    assert texts[1].startswith("Nudge sent — Cara gets a lesson"), texts
