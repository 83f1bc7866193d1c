"""Large teams: grouped by direct report, one line per group with a Show button that opens it (checked like
every other button), people below a manager who left kept in the team, and a 60-person summary over the real
Slack HTTP path within Slack's limits with everyone reachable."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.chat.coach import Coach
from bot.chat.dates import plain
from bot.dispatch.digest import digest_notice
from bot.imports.org_chart import import_org_chart
from bot.replies import Moment, Notice, ProgressView, TeamSummary
from bot.team.heatmap import DPI, ROW_INCHES
from bot.team.reports import team_report
from handlers.slack.blocks import ACTIONS_ELEMENTS, BUTTON_TEXT, MAX_BLOCKS, SECTION_TEXT
from store.db import Database
from tests.support.fake_slack import Call
from tests.support.org import load_sample_org, sixty_people
from tests.support.slack_session import SlackServer, slack

__all__ = ["slack"]  # fixture

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
HEADER = "email,name,manager_email,role,timezone"


def leavers_org() -> list[str]:
    """Bea manages two leads; under Lead 0, Sam manages three people of his own."""
    lines = [HEADER, "boss@example.com,Bea Boss,,people-manager,Europe/Paris"]
    for lead in range(2):
        lines.append(f"lead{lead}@example.com,Lead {lead},boss@example.com,team-lead,Europe/Paris")
        lines += [f"p{lead}x{n}@example.com,Person {lead}x{n:02d},lead{lead}@example.com,buyer,Europe/Paris"
                  for n in range(8)]
    lines.append("sam@example.com,Sam Sub,lead0@example.com,team-lead,Europe/Paris")
    lines += [f"s{n}@example.com,Sub Report {n},sam@example.com,buyer,Europe/Paris" for n in range(3)]
    return lines


@SQLITE
async def test_people_below_a_manager_who_left_stay_in_the_team_everywhere(coach: Coach, db: Database,
                                                                           tmp_path: Path) -> None:
    lines = leavers_org()
    ids = await load_sample_org(db, tmp_path, "\n".join(lines) + "\n")
    remaining = tmp_path / "org-after.csv"  # Lead 1 and Sam have left the company
    remaining.write_text("\n".join(line for line in lines if not line.startswith(("lead1@", "sam@"))) + "\n")
    assert (await import_org_chart(db, remaining, deactivate_missing=True)).deactivated == 2
    boss = ids["boss@example.com"]
    team = {e for e in ids if e not in ("boss@example.com", "lead1@example.com", "sam@example.com")}

    reply = await coach.command(boss, "", default="team")
    summary = reply.messages[0]
    assert isinstance(summary, TeamSummary) and summary.grouped and summary.people == len(team) == 20
    assert [(g.heading, g.people) for g in summary.groups] == [("Lead 0's group", 12),
                                                               ("Reporting to Lead 1 (left)", 8)]
    assert sum(g.people for g in summary.groups) == summary.people
    lead0 = summary.groups[0]
    assert {m.email for m in lead0.members} >= {"s0@example.com", "s1@example.com", "s2@example.com"}, \
        "below a leaver deeper down: in the group of the direct report above them"
    assert "**Your team: 20 people**" in summary.text
    assert "**Reporting to Lead 1 (left): 8 people**" in summary.text

    leaver = summary.groups[1]
    assert leaver.left and leaver.show is not None
    opened = (await coach.press(boss, leaver.show.action, leaver.show.value, via="test")).messages[0]
    assert isinstance(opened, TeamSummary) and opened.scope == "Reporting to Lead 1 (left)"
    assert {m.email for m in opened.members} == {f"p1x{n}@example.com" for n in range(8)}
    assert opened.text.startswith("**Reporting to Lead 1 (left): 8 people**")

    (_, png, _), (_, data, _) = reply.attachments
    assert Image.open(io.BytesIO(png)).height >= 20 * ROW_INCHES * DPI
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert {r["email"] for r in rows} == team
    assert {r["group"] for r in rows if r["email"].startswith("p1x")} == {"Lead 1 (left)"}
    assert "by 0 of 20 people" in plain(digest_notice(summary, Moment(coach.services.clock(), "UTC", day=True)).text)
    async with db.session() as session:
        report = await team_report(session, "boss@example.com", coach.services.clock(), 0.8, members=True)
    assert {m["email"] for m in report["members"]} == team

    progress = (await coach.command(ids["p1x3@example.com"], "progress")).messages[0]
    assert isinstance(progress, ProgressView) and progress.manager_sees.startswith("Bea Boss (your manager) sees")
    seen = (await coach.press(ids["p1x3@example.com"], "manager_view", {}, via="test")).messages[0]
    assert seen.text.startswith("**What Bea Boss sees about you**")


@SQLITE
async def test_a_group_button_for_someone_elses_group_reveals_nothing(coach: Coach, db: Database,
                                                                      tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    mia, omar = ids["mia@example.com"], ids["omar@example.com"]

    async def group(presser: int, value: dict[str, Any]) -> Any:
        return (await coach.press(presser, "team_group", value, via="test")).messages[0]

    forged, missing = await group(mia, {"g": omar}), await group(mia, {"g": 999_999})
    assert isinstance(forged, Notice) and forged.text == missing.text
    assert "Omar" not in forged.text and "Fay" not in forged.text
    assert (await group(mia, {"g": True})).text == missing.text, "a value that is no id is refused alike"
    assert (await group(ids["ben@example.com"], {"g": mia})).text.startswith("`/team` shows a summary")

    mine = await group(ids["dana@example.com"], {"g": mia})
    assert isinstance(mine, TeamSummary) and mine.scope == "Mia Manager's group"
    assert sorted(m.email for m in mine.members) == ["ben@example.com", "cara@example.com", "eli@example.com",
                                                     "mia@example.com"]


def accessories(call: Call) -> list[dict[str, Any]]:
    """The buttons shown beside sections (a grouped summary's Show buttons)."""
    return [b["accessory"] for b in call.args.get("blocks") or [] if b.get("accessory", {}).get("type") == "button"]


def within_slack_limits(call: Call) -> None:
    blocks = call.args["blocks"]
    assert len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_TEXT
        if block["type"] == "actions":
            assert len(block["elements"]) <= ACTIONS_ELEMENTS
    buttons = [*call.buttons(), *accessories(call)]
    assert all(len(b["text"]["text"]) <= BUTTON_TEXT for b in buttons)
    ids = [b["action_id"] for b in buttons]
    assert len(ids) == len(set(ids)), "action ids are unique within a message"


@SQLITE
async def test_slack_sixty_people_fit_one_message_and_everyone_is_one_button_away(slack: SlackServer,
                                                                                   tmp_path: Path) -> None:
    lines = [line + "," for line in sixty_people()]
    lines[0] += "slack_user_id"
    lines[1] += "UBOSS"
    (tmp_path / "big").mkdir()
    ids = await load_sample_org(slack.coach.services.database, tmp_path / "big", "\n".join(lines) + "\n")
    slack.fake.add_user("UBOSS", "boss@example.com", "Europe/Paris")
    everyone = {line.split(",")[1] for line in lines[2:]}
    assert len(everyone) == 60 == len(ids) - 1

    boss = slack.person("UBOSS")
    name = await boss.command("", command="/team")
    [summary] = await slack.fake.wait_for("response_url", name=name)
    await slack.settle()
    assert len(slack.fake.calls_to("response_url", name=name)) == 1, "one message"
    within_slack_limits(summary)
    text = summary.text_of_blocks
    assert "*Your team: 60 people*" in text and text.count("'s group: 12 people*") == 5
    assert not any(f"*{person}*" in text for person in everyone), "one line per group, people behind Show"
    assert "press its Show button" in text
    shows = accessories(summary)
    assert [b["text"]["text"] for b in shows] == [f"Show Lead {n}'s group" for n in range(5)]

    reached: set[str] = set()
    for number, show in enumerate(shows):
        url = slack.fake.response_url(f"group{number}")
        await boss.press(show, ephemeral_url=url)
        [opened] = await slack.fake.wait_for("response_url", name=f"group{number}")
        within_slack_limits(opened)
        reached |= {person for person in everyone if f"*{person}*" in opened.text_of_blocks}
    assert reached == everyone, "the group buttons cover everyone"

    uploads = await slack.fake.wait_for("file.upload", 2)
    files = [call.args["data"] for call in uploads]
    spreadsheet = next(d for d in files if not d.startswith(b"\x89PNG"))
    rows = list(csv.DictReader(io.StringIO(spreadsheet.decode("utf-8-sig"))))
    assert {r["name"] for r in rows} == everyone
    assert any(d.startswith(b"\x89PNG") for d in files), "and the heatmap image"
    assert json.dumps(summary.args["blocks"]).count('"coach.team_group.') == 5
