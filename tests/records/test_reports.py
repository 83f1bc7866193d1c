"""`coach report learner|team --json` per CONTRACTS.md."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from typer.testing import CliRunner

from bot.chat.coach import Coach
from bot.team.reports import learner_report, team_report
from bot.team.summary import team_summary
from handlers.cli import app
from store.db import Database
from tests.support.learner import answer
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
        data = await learner_report(session, "BEN@example.com", coach.services.clock(), 0.8)
    assert data["email"] == "ben@example.com" and data["role"] == "buyer"
    assert {"name", "streak_days", "competencies", "deliveries"} <= set(data)
    procurement = next(c for c in data["competencies"] if c["id"] == "procurement")
    assert procurement["target_level"] == 3 and procurement["attempts"] == 3
    assert 0 <= procurement["mastery"] <= 1 and isinstance(procurement["level"], int)
    assert len(data["deliveries"]) == 0  # handlers mark sends; none was posted in this test
    assert data["goal"] is None


async def test_team_report_covers_direct_and_indirect_reports(coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    for _ in range(2):
        card = (await coach.command(ids["ben@example.com"], "phishing")).messages[0]
        await answer(coach, ids["ben@example.com"], card, False)
    async with db.session() as session:
        data = await team_report(session, "dana@example.com", coach.services.clock(), 0.8)
        ben = await learner_report(session, "ben@example.com", coach.services.clock(), 0.8)
    assert data["manager"] == "dana@example.com"
    assert len(data["members"]) == 7
    infosec = next(c for c in data["competencies"] if c["id"] == "infosec")
    assert {"average_mastery", "below_target"} <= set(infosec)
    assert infosec["below_target"] == ["ben@example.com"], "only people with answers can be below target"
    assert infosec["with_evidence"] == 1 and infosec["with_target"] == 7
    mine = next(c for c in ben["competencies"] if c["id"] == "infosec")
    assert infosec["average_mastery"] == mine["mastery"], "the average is over the people with answers"
    career = next(c for c in data["competencies"] if c["id"] == "career")
    assert career["average_mastery"] is None and career["below_target"] == [] and career["with_evidence"] == 0
    async with db.session() as session:
        mia = await team_report(session, "mia@example.com", coach.services.clock(), 0.8)
    assert sorted(m["email"] for m in mia["members"]) == ["ben@example.com", "cara@example.com", "eli@example.com"]


async def test_a_goal_moves_no_team_figure_and_the_learner_report_lists_it_apart(
        coach: Coach, db: Database, tmp_path: Path) -> None:
    """Ben picks a goal role: a voluntary plan, not a deficit his manager's figures should show."""
    ids = await load_sample_org(db, tmp_path)
    await answer_lessons(coach, ids["ben@example.com"], 2)
    async with db.session() as session:
        before = await team_report(session, "mia@example.com", coach.services.clock(), 0.8)
    await coach.command(ids["ben@example.com"], "goal team-lead")
    await coach.save_settings(ids["ben@example.com"], {"interests": ["career"]})
    async with db.session() as session:
        after = await team_report(session, "mia@example.com", coach.services.clock(), 0.8)
        ben = await learner_report(session, "ben@example.com", coach.services.clock(), 0.8)
    assert after == before
    assert {c["source"] for c in ben["competencies"]} <= {"role", "focus", "practised"}
    assert ben["goal"]["role"] == "team-lead"
    assert {c["id"]: c["target_level"] for c in ben["goal"]["competencies"]} == {
        "feedback": 2, "career": 2, "inclusion": 2, "infosec": 2, "privacy": 1, "customer": 1}
    assert all({"level", "attempts"} <= set(c) for c in ben["goal"]["competencies"])


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs."""
    sent: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", note)


async def test_the_team_report_reads_as_many_queries_for_seven_people_as_for_three(
        coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    for email in ("ben@example.com", "fay@example.com"):
        await answer_lessons(coach, ids[email], 2)
    counts = {}
    for manager in ("mia@example.com", "dana@example.com"):
        async with db.session() as session:
            with statements(db) as sent:
                await team_report(session, manager, coach.services.clock(), 0.8)
        counts[manager] = len(sent)
    assert counts["mia@example.com"] == counts["dana@example.com"], counts


async def test_the_team_report_and_team_agree_on_every_member(coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    await answer_lessons(coach, ids["ben@example.com"], 3)
    async with db.session() as session:
        report = await team_report(session, "dana@example.com", coach.services.clock(), 0.8)
        summary = await team_summary(session, ids["dana@example.com"], coach.services.clock(), 0.8)
    assert summary is not None
    lines = {m.email: m for m in summary.members}
    assert set(lines) == {m["email"] for m in report["members"]}
    for member in report["members"]:
        line = lines[member["email"]]
        assert member["streak_days"] == line.engagement.streak_days
        for competency in summary.competencies:
            cell = line.cells[[c.value for c in summary.competencies].index(competency.value)]
            shown = next((c for c in member["competencies"] if c["id"] == competency.value), None)
            assert (cell is None) == (shown is None)
            if cell is not None and shown is not None:
                assert (shown["level"], shown["target_level"], shown["mastery"]) == \
                    (cell.level, cell.target, cell.mastery), (member["email"], competency.value)


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
    assert {c["average_mastery"] for c in data["competencies"]} == {None}, "nobody has answered yet"
    table = CliRunner().invoke(app, ["report", "team", "m@x.com"])
    assert table.exit_code == 0 and "no answers yet" in table.output
