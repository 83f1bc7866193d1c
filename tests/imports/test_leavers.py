"""People who have left the org chart (`coach org import --deactivate-missing`) are nobody to the coach: no
lesson on request, no team summary, no peer average counting them, no old button acting on them — over
Slack's real HTTP path, the Teams bot and the console, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

from bot.chat.coach import Coach
from bot.imports.org_chart import import_org_chart
from handlers.cli import app
from handlers.msteams.adaptive import inline
from handlers.msteams.turns import NOT_IN_ORG
from store import groups, people
from store.db import Database
from store.models import Delivery, Person
from tests.support.fake_connector import ORG, TeamsBot, connector
from tests.support.fake_connector import teams as teams_bot
from tests.support.org import SAMPLE_ORG, load_sample_org
from tests.support.slack_session import SlackServer, slack

__all__ = ["connector", "slack", "teams_bot"]  # fixtures


def _after_leaving(org: str, *leavers: str) -> str:
    """The org chart without the leavers; whoever reported to a leaver now reports to Dana."""
    lines = [line for line in org.splitlines() if line.split(",")[0] not in leavers]
    moved = [",".join([*cells[:2], "dana@example.com", *cells[3:]]) if cells[2] in leavers else line
             for line in lines if (cells := line.split(","))]
    return "\n".join(moved) + "\n"


async def _leave(database: Database, tmp_path: Path, org: str, *leavers: str) -> None:
    path = tmp_path / "org-after.csv"
    path.write_text(_after_leaving(org, *leavers))
    result = await import_org_chart(database, path, deactivate_missing=True)
    assert result.deactivated == len(leavers)


async def _deliveries(database: Database, person_id: int) -> list[Delivery]:
    async with database.session() as session:
        return list((await session.exec(select(Delivery).where(Delivery.person_id == person_id))).all())


async def test_over_slack_a_leaver_gets_no_lesson_and_a_leaving_manager_no_team(slack: SlackServer,
                                                                                 tmp_path: Path) -> None:
    await _leave(slack.coach.services.database, tmp_path, SAMPLE_ORG, "ben@example.com", "mia@example.com")

    ben = slack.person("UBEN")
    [answer] = await slack.fake.wait_for("response_url", name=await ben.command(""))
    assert "couldn't find you in our org chart" in answer.text_of_blocks
    await ben.say("learn purchase order")
    [said] = await slack.fake.wait_for("chat.postMessage", channel=ben.dm)
    assert "couldn't find you in our org chart" in said.text_of_blocks and not said.buttons()
    await slack.settle()
    assert await _deliveries(slack.coach.services.database, slack.ids["ben@example.com"]) == []

    mia = slack.person("UMIA")
    [team] = await slack.fake.wait_for("response_url", name=await mia.command("", command="/team"))
    assert "couldn't find you in our org chart" in team.text_of_blocks
    await mia.say("team")
    [typed] = await slack.fake.wait_for("chat.postMessage", channel=mia.dm)
    assert "couldn't find you in our org chart" in typed.text_of_blocks
    for shown in (team.text_of_blocks, typed.text_of_blocks):
        assert not any(name in shown for name in ("Cara", "Eli", "Ben", "Your team"))

    dana = slack.person("UDANA")  # the old team is hers now, without the leavers
    [summary] = await slack.fake.wait_for("response_url", name=await dana.command("", command="/team"))
    assert "Cara Agent" in summary.text_of_blocks and "Ben Buyer" not in summary.text_of_blocks


async def test_in_teams_a_leaver_is_not_in_the_org_chart(teams_bot: TeamsBot, tmp_path: Path) -> None:
    await _leave(teams_bot.db, tmp_path, ORG, "ben@example.com", "mia@example.com")
    for user_id, typed in (("29:ben", "learn"), ("29:ben", "progress"), ("29:mia", "team")):
        [reply] = await teams_bot.user(user_id).say(typed)
        assert reply.text == inline(NOT_IN_ORG), (user_id, typed)
    assert await _deliveries(teams_bot.db, teams_bot.ids["ben@example.com"]) == []


def test_in_the_console_a_leaver_is_not_in_the_org_chart(db_url: str, tmp_path: Path,
                                                          monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COACH_DATABASE_URL", db_url)
    (tmp_path / "org.csv").write_text(SAMPLE_ORG)
    (tmp_path / "after.csv").write_text(_after_leaving(SAMPLE_ORG, "ben@example.com"))
    runner = CliRunner()
    assert runner.invoke(app, ["org", "import", "org.csv"]).exit_code == 0
    assert runner.invoke(app, ["org", "import", "after.csv", "--deactivate-missing"]).exit_code == 0

    left = runner.invoke(app, ["chat", "--as", "ben@example.com"], input="learn\nquit\n")
    assert left.exit_code == 1
    assert "no one with the email ben@example.com is in the org chart" in left.output
    stays = runner.invoke(app, ["chat", "--as", "cara@example.com"], input="quit\n")
    assert stays.exit_code == 0 and "Here's what I can do" in stays.output


async def test_peer_view_counts_active_teammates_only(coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben, mia = ids["ben@example.com"], ids["mia@example.com"]
    assert "fewer than" not in (await coach.command(ben, "learn team")).messages[0].text  # Ben, Cara, Eli

    await _leave(db, tmp_path, SAMPLE_ORG, "eli@example.com")
    async with db.session() as session:
        assert [p.email for p in await groups.direct_reports(session, mia)] == ["ben@example.com",
                                                                              "cara@example.com"]
        eli = await session.get(Person, ids["eli@example.com"])
        assert eli is not None and eli.manager_id == mia and not eli.active  # still on file, but gone
    [too_small] = (await coach.command(ben, "learn team")).messages
    assert "fewer than 3 people" in too_small.text


async def test_an_old_focus_or_nudge_button_does_not_act_on_a_leaver(coach: Coach, db: Database,
                                                                     tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    mia, eli = ids["mia@example.com"], ids["eli@example.com"]
    await _leave(db, tmp_path, SAMPLE_ORG, "eli@example.com")
    async with db.session() as session:
        assert not await people.is_below(session, mia, eli)
        assert not await people.is_below(session, ids["dana@example.com"], eli)
        assert await people.is_below(session, mia, ids["cara@example.com"])
    for action, value in (("team_nudge", {"p": eli}), ("team_focus", {"p": eli, "c": "infosec"})):
        reply = await coach.press(mia, action, value, via="slack")
        assert "can't find" in reply.messages[0].text
    assert await _deliveries(db, eli) == []
