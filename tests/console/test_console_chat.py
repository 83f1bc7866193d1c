"""`coach chat`: the same conversation as in Slack, typed in a terminal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from sqlmodel import select

from bot.chat.coach import Coach
from bot.lessons.lessons import card_for, given_lesson
from bot.replies import Reply
from handlers.console.session import ConsoleChat
from store.db import Database
from store.models import Answer, LearnerSettings, LessonFeedback
from tests.conftest import Clock
from tests.support.learner import answer, next_card
from tests.support.org import load_sample_org


class Terminal:
    """Scripted input; recorded output."""

    def __init__(self, answers: list[str]) -> None:
        self.console = Console(record=True, width=100, force_terminal=False)
        self.answers: Iterator[str] = iter(answers)

    def ask(self, _prompt: str) -> str:
        return next(self.answers)

    def read(self) -> str:
        return self.console.export_text(clear=True)


async def test_a_lesson_answered_by_number_then_feedback_by_letter(coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    terminal = Terminal([])
    chat = ConsoleChat(coach, ids["ben@example.com"], terminal.console, terminal.ask)
    assert await chat.handle("learn")
    shown = terminal.read()
    assert "Purchase approvals · level" in shown and "1)" in shown and "2)" in shown
    await chat.handle("2")
    shown = terminal.read()
    assert "(updated)" in shown and ("Right!" in shown or "Not quite" in shown)
    assert "[a] Next lesson" in shown and "Too easy" in shown
    feedback_key = next(key for key, button in chat.keys.buttons.items() if button.value.get("r") == "too_easy")
    await chat.handle(feedback_key)
    assert "harder lessons" in terminal.read()
    async with db.session() as session:
        assert len((await session.exec(select(Answer))).all()) == 1
        assert (await session.exec(select(LessonFeedback))).one().rating == "too_easy"
    await chat.handle("a")  # Next lesson
    assert "1)" in terminal.read()
    assert not await chat.handle("quit")


async def test_commands_settings_and_reflection(coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    terminal = Terminal(["mon wed", "09:00", "12:00", "Europe/Paris", "2", "scenario", "y", "n"])
    chat = ConsoleChat(coach, ben, terminal.console, terminal.ask)
    await chat.handle("progress")
    shown = terminal.read()
    assert "What your manager sees" in shown and "No answers yet" in shown
    await chat.handle("/learn settings")
    assert "Your settings" in terminal.read()
    await chat.handle("s")
    assert "Saved." in terminal.read()
    async with db.session() as session:
        settings = await session.get(LearnerSettings, ben)
    assert settings is not None
    assert (settings.days, settings.window_start, settings.window_end) == ("13", "09:00", "12:00")
    assert settings.lessons_per_day == 2 and settings.formats == ["scenario"] and settings.show_name_to_peers
    delivery = await given_lesson(coach.services, ben, "procurement-fix-the-friction", origin="topic")
    assert delivery is not None and delivery.id is not None
    await chat.show(Reply(messages=[await card_for(coach.services, delivery.id)]))
    assert "type your answer" in terminal.read()
    await chat.handle("Fewer approvers for small orders.")
    assert "reflection is saved" in terminal.read()
    async with db.session() as session:
        assert (await session.exec(select(Answer))).one().text == "Fewer approvers for small orders."
    await chat.handle("pause")
    assert "Paused" in terminal.read()


async def test_dates_are_iso_on_the_learners_clock_whatever_the_machines_locale(
        coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)  # Ben's zone is Europe/Berlin
    terminal = Terminal([])
    chat = ConsoleChat(coach, ids["ben@example.com"], terminal.console, terminal.ask)
    assert await chat.handle("away 2026-12-24")
    assert "up to and including 2026-12-24." in terminal.read()
    async with db.session() as session:
        settings = await session.get(LearnerSettings, ids["ben@example.com"])
        assert settings is not None
        settings.away_until, settings.next_slot_at = None, datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
        session.add(settings)
    assert await chat.handle("progress")
    assert "Next scheduled lesson: 2026-12-02 10:30 (Europe/Berlin)" in terminal.read()


async def test_a_managers_dates_are_iso_on_her_own_clock(coach: Coach, db: Database, clock: Clock,
                                                          tmp_path: Path) -> None:
    """Ben last answered at 00:30 on 2 December in Berlin (1 December in UTC), then nothing for 40 days: Mia
    (Europe/Berlin) reads that day, and the day of his rating, on her own calendar."""
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    clock.now = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    card = await next_card(coach, ben)
    await answer(coach, ben, card, True)
    await coach.press(ben, "feedback", {"d": card.delivery_id, "r": "useful"}, via="test")
    clock.advance(days=40)
    terminal = Terminal([])
    chat = ConsoleChat(coach, ids["mia@example.com"], terminal.console, terminal.ask)
    assert await chat.handle("team ben")
    shown = terminal.read()
    assert "last active 2026-12-02" in " ".join(shown.split())
    assert "(2026-12-02)" in shown, "the rating's day, ISO on Mia's clock"
    assert "no lesson answered since 2026-12-02" in shown
