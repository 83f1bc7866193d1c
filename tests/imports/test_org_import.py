"""Org chart CSV: every bad line reported with its number; all-or-nothing; idempotent; enrolment."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from bot.chat.coach import Coach
from bot.config import Settings
from bot.imports.org_chart import OrgChartError, import_org_chart
from handlers.cli import app
from store.db import Database
from store.models import ChatIdentity, LearnerSettings, Person
from store.people import report_ids
from tests.support.org import SAMPLE_ORG, load_sample_org


async def people_count(database: Database) -> int:
    async with database.session() as session:
        return (await session.exec(select(func.count()).select_from(Person))).one()


async def test_bad_lines_are_all_reported_and_nothing_is_loaded(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "org.csv"
    path.write_text(
        "email,name,manager_email,role,timezone\n"
        "boss@x.com,Boss,,people-manager,Europe/Berlin\n"   # 2 ok
        "a@x.com,A,ghost@x.com,buyer,\n"                     # 3 unknown manager
        "b@x.com,B,c@x.com,buyer,\n"                         # 4 cycle b -> c -> b
        "c@x.com,C,b@x.com,buyer,\n"                         # 5 cycle
        "boss@x.com,Boss Again,,buyer,\n"                    # 6 duplicate email
        "d@x.com,D,boss@x.com,buyer,Mars/Olympus\n"          # 7 bad zone
        "e@x.com,E,boss@x.com,astronaut,\n"                  # 8 unknown role
        "not-an-email,F,,,\n"                                # 9 bad email
        "g@x.com,,boss@x.com,,\n"                            # 10 empty name
    )
    with pytest.raises(OrgChartError) as caught:
        await import_org_chart(db, path)
    by_line = {p.line: p.message for p in caught.value.problems}
    assert "unknown manager ghost@x.com" in by_line[3]
    assert "manager cycle" in by_line[4] and "manager cycle" in by_line[5]
    assert "duplicate email boss@x.com (first on line 2)" in by_line[6]
    assert "'Mars/Olympus' is not an IANA time zone" in by_line[7]
    assert "unknown role 'astronaut'" in by_line[8]
    assert "not an email address" in by_line[9]
    assert "the name is empty" in by_line[10]
    assert 2 not in by_line
    assert await people_count(db) == 0


async def test_import_is_idempotent_and_updates(db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    again = tmp_path / "again.csv"
    again.write_text(SAMPLE_ORG)
    result = await import_org_chart(db, again)
    assert (result.created, result.updated) == (0, 0)
    moved = SAMPLE_ORG.replace("Ben Buyer,mia@example.com", "Ben Buyer,omar@example.com")
    again.write_text(moved)
    result = await import_org_chart(db, again)
    assert (result.created, result.updated) == (0, 1)
    async with db.session() as session:
        assert sorted(await report_ids(session, ids["omar@example.com"])) == sorted(
            [ids["fay@example.com"], ids["gus@example.com"], ids["ben@example.com"]])
        dana_reports = await report_ids(session, ids["dana@example.com"])
        assert len(dana_reports) == 7  # direct and indirect
        settings = (await session.exec(select(func.count()).select_from(LearnerSettings))).one()
        assert settings == 8  # everyone enrolled
        slack_ids = (await session.exec(select(ChatIdentity.external_id).where(ChatIdentity.platform == "slack"))).all()
        assert "UBEN" in slack_ids and len(slack_ids) == 7


async def test_a_cycle_with_people_already_loaded_is_refused(db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    path = tmp_path / "cycle.csv"
    path.write_text("email,name,manager_email\ndana@example.com,Dana Director,ben@example.com\n")
    with pytest.raises(OrgChartError) as caught:
        await import_org_chart(db, path)
    assert caught.value.problems[0].line == 2 and "manager cycle" in caught.value.problems[0].message
    async with db.session() as session:
        dana = await session.get(Person, ids["dana@example.com"])
        assert dana is not None and dana.manager_id is None


def test_cli_reports_lines_and_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COACH_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    path = tmp_path / "org.csv"
    path.write_text("email,name,manager_email\na@x.com,A,nobody@x.com\n")
    result = CliRunner().invoke(app, ["org", "import", str(path)])
    assert result.exit_code == 1
    assert f"{path}:2: unknown manager nobody@x.com" in result.output
    path.write_text("email,name,manager_email,role\na@x.com,A,,buyer\nb@x.com,B,a@x.com,\n")
    result = CliRunner().invoke(app, ["org", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 new" in result.output


async def test_two_first_contacts_at_once_leave_one_identity(db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    coach = Coach(db, Settings(_env_file=None, database_url=db.url))

    async def email() -> str:
        return "gus@example.com"

    found = await asyncio.gather(*(coach.identify("slack", "UGUS", email=email, workspace="T1") for _ in range(4)))
    assert {p.id for p in found if p is not None} == {ids["gus@example.com"]}
    async with db.session() as session:
        rows = (await session.exec(select(ChatIdentity).where(ChatIdentity.person_id == ids["gus@example.com"],
                                                              ChatIdentity.platform == "slack"))).all()
    assert [(r.external_id, r.workspace) for r in rows] == [("UGUS", "T1")]


async def test_people_a_full_org_chart_no_longer_lists_have_left(coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    path = tmp_path / "after.csv"
    path.write_text("\n".join(line for line in SAMPLE_ORG.splitlines() if not line.startswith("eli@")) + "\n")
    result = await import_org_chart(db, path, deactivate_missing=True)
    assert result.deactivated == 1
    summary = await coach.command(ids["mia@example.com"], "", default="team")
    assert "Eli" not in " ".join(str(getattr(m, "text", "")) for m in summary.messages)
    async with db.session() as session:
        assert sorted(await report_ids(session, ids["mia@example.com"])) == sorted(
            [ids["ben@example.com"], ids["cara@example.com"]])
    path.write_text(SAMPLE_ORG)
    back = await import_org_chart(db, path, deactivate_missing=True)
    assert (back.deactivated, back.updated) == (0, 1)
    async with db.session() as session:
        assert len(await report_ids(session, ids["mia@example.com"])) == 3
