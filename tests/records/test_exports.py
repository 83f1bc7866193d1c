"""`coach export csv` (every answer, parsed back) and `coach report feedback` for L&D (ratings and suggested
topics ranked), run as commands."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.chat.coach import Coach
from bot.records.csv import RECORD_COLUMNS
from handlers.cli import app
from store.db import Database
from tests.conftest import Clock
from tests.support.learner import all_deliveries, answer, next_card
from tests.support.org import load_sample_org

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def coach_cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.setenv("COACH_DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


async def test_csv_export_has_one_row_per_answer(coach: Coach, db: Database, db_url: str, clock: Clock,
                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = await load_sample_org(db, tmp_path)
    for right in (True, False, True):
        await answer(coach, ids["ben@example.com"], await next_card(coach, ids["ben@example.com"]), right)
        clock.advance(minutes=3)
    reflection = (await coach.press(ids["eli@example.com"], "lesson", {"l": "feedback-reflect-on-your-feedback"},
                                    via="test")).messages[0]
    await coach.reflect(ids["eli@example.com"], reflection.delivery_id, "Something personal", via="test")

    out = tmp_path / "records.csv"
    await coach_cli(db_url, tmp_path, monkeypatch, "export", "csv", "--out", str(out))
    text = out.read_text(encoding="utf-8-sig")
    assert "Something personal" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(RECORD_COLUMNS)
    bens = [r for r in rows if r["email"] == "ben@example.com"]
    assert [r["correct"] for r in bens] == ["yes", "no", "yes"]
    assert all(r["manager_email"] == "mia@example.com" and r["choice"] and r["question"] for r in bens)
    [eli] = [r for r in rows if r["email"] == "eli@example.com"]
    assert eli["correct"] == "" and eli["format"] == "reflection"

    printed = await coach_cli(db_url, tmp_path, monkeypatch, "export", "csv")
    assert list(csv.DictReader(io.StringIO(printed.lstrip("\ufeff")))) == rows, "stdout gives the same file"


async def test_feedback_report_ranks_ratings_and_topics(coach: Coach, db: Database, db_url: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    ids = await load_sample_org(db, tmp_path)
    people = [ids[e] for e in ("ben@example.com", "cara@example.com", "eli@example.com", "fay@example.com")]
    hard_lesson = None
    for person, rating in zip(people, ("too_hard", "too_hard", "not_relevant", "useful"), strict=True):
        card = (await coach.command(person, "phishing")).messages[0]
        await coach.press(person, "feedback", {"d": card.delivery_id, "r": rating}, via="test")
        hard_lesson = hard_lesson or (await all_deliveries(coach, person))[-1].lesson_id
    card = (await coach.command(people[0], "purchase order")).messages[0]
    await coach.press(people[0], "feedback", {"d": card.delivery_id, "r": "too_easy"}, via="test")
    for person, text in ((people[0], "How to read a P&L"), (people[1], "reading P&L statements"),
                         (people[2], "P&L reading please"), (people[2], "pivot tables in Excel"),
                         (people[3], "Excel pivot tables"), (people[0], "How to read a P&L")):
        await coach.command(person, f"suggest {text}")

    data = json.loads(await coach_cli(db_url, tmp_path, monkeypatch, "report", "feedback", "--json"))
    assert data["ratings"] == {"useful": 1, "too_easy": 1, "too_hard": 2, "not_relevant": 1}
    assert data["too_hard"][0]["lesson"] == hard_lesson and data["too_hard"][0]["count"] == 2
    assert data["too_easy"][0]["count"] == 1 and data["not_relevant"][0]["lesson"] == hard_lesson
    assert data["least_useful"][0]["lesson"] == hard_lesson and data["least_useful"][0]["useful_share"] == 0.25
    topics = data["suggested_topics"]
    assert [(t["people"], t["suggestions"]) for t in topics] == [(3, 4), (2, 2)]
    assert topics[0]["topic"] == "How to read a P&L" and "pivot tables" in topics[1]["topic"].lower()

    table = await coach_cli(db_url, tmp_path, monkeypatch, "report", "feedback")
    assert "Suggested topics" in table and "How to read a P&L" in table
