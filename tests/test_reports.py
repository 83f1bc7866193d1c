"""`coach report learner|team --json` per CONTRACTS.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.coach import Coach
from bot.reports import learner_report, team_report
from store.db import Database
from tests.support.org import load_sample_org


async def answer_lessons(coach: Coach, person_id: int, n: int) -> None:
    for _ in range(n):
        card = (await coach.command(person_id, "")).messages[0]
        right = next(b for b in card.options if b.value["o"] == 0)
        await coach.press(person_id, "answer", right.value, via="test")


async def test_learner_report_has_the_contract_keys(coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    await answer_lessons(coach, ids["ben@example.com"], 3)
    async with db.session() as session:
        data = await learner_report(session, "BEN@example.com", coach.clock(), 0.8)
    assert data["email"] == "ben@example.com" and data["role"] == "buyer"
    assert {"name", "streak_days", "competencies", "deliveries"} <= set(data)
    procurement = next(c for c in data["competencies"] if c["id"] == "procurement")
    assert procurement["target_level"] == 3 and procurement["attempts"] == 3
    assert 0 <= procurement["mastery"] <= 1 and isinstance(procurement["level"], int)
    assert len(data["deliveries"]) == 0  # handlers mark sends; none was posted in this test


async def test_team_report_covers_direct_and_indirect_reports(coach: Coach, db: Database, tmp_path: Path) -> None:
    await load_sample_org(db, tmp_path)
    async with db.session() as session:
        data = await team_report(session, "dana@example.com", coach.clock(), 0.8)
    assert data["manager"] == "dana@example.com"
    assert len(data["members"]) == 7
    infosec = next(c for c in data["competencies"] if c["id"] == "infosec")
    assert {"average_mastery", "below_target"} <= set(infosec)
    assert "ben@example.com" in infosec["below_target"]
    async with db.session() as session:
        mia = await team_report(session, "mia@example.com", coach.clock(), 0.8)
    assert sorted(m["email"] for m in mia["members"]) == ["ben@example.com", "cara@example.com", "eli@example.com"]


def test_unknown_email_is_one_line_and_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COACH_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    result = CliRunner().invoke(app, ["report", "learner", "nobody@x.com", "--json"])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "nobody@x.com" in result.output
    assert "Traceback" not in result.output


def test_cli_json_is_parseable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COACH_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    org = tmp_path / "org.csv"
    org.write_text("email,name,manager_email,role\nm@x.com,M,,people-manager\na@x.com,A,m@x.com,buyer\n")
    assert CliRunner().invoke(app, ["org", "import", str(org)]).exit_code == 0
    result = CliRunner().invoke(app, ["report", "team", "m@x.com", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["members"][0]["email"] == "a@x.com"
