"""A flat team of more than 15 (everyone reports to the manager directly): grouped by role, a large role by
ranges of names, so one screen holds it; each group one Show button away (checked like every other button),
over the real Slack HTTP path, in the terminal report and in `coach report team --json` (with `--members` for
the full listing)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.chat.coach import Coach
from bot.replies import Notice, TeamSummary
from bot.team.view import GROUP_ABOVE
from handlers.cli import app
from store.db import Database
from tests.support.org import load_sample_org
from tests.support.slack_session import SlackServer, slack
from tests.team.test_groups import accessories, within_slack_limits

__all__ = ["slack"]  # fixture

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def flat_sixty() -> list[str]:
    """Bea manages 60 people directly: 36 buyers, 12 call-centre agents and 12 shop-floor operators."""
    lines = ["email,name,manager_email,role,timezone,slack_user_id",
             "boss@example.com,Bea Boss,,people-manager,Europe/Paris,UBOSS"]
    roles = ["buyer"] * 36 + ["call-centre-agent"] * 12 + ["shop-floor-operator"] * 12
    lines += [f"f{n}@example.com,Flat {n:02d},boss@example.com,{role},Europe/Paris," for n, role in enumerate(roles)]
    return lines


async def test_a_flat_team_comes_in_role_and_name_range_groups_each_one_button_away(coach: Coach, db: Database,
                                                                                    tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path, "\n".join(flat_sixty()) + "\n")
    boss = ids["boss@example.com"]
    [view] = (await coach.command(boss, "", default="team")).messages
    assert isinstance(view, TeamSummary) and view.grouped and not view.listed
    assert [(g.heading, g.people) for g in view.groups] == [
        ("Buyer: Flat 00 – Flat 11", 12), ("Buyer: Flat 12 – Flat 23", 12), ("Buyer: Flat 24 – Flat 35", 12),
        ("Call-centre agent", 12), ("Shop-floor operator", 12)]
    assert all(g.people <= GROUP_ABOVE for g in view.groups)
    reached: set[str] = set()
    for group in view.groups:
        assert group.show is not None
        [opened] = (await coach.press(boss, group.show.action, group.show.value, via="test")).messages
        assert isinstance(opened, TeamSummary) and opened.listed and opened.scope == group.heading
        assert {m.email for m in opened.members} == {m.email for m in group.members}
        reached |= {m.email for m in opened.members}
    assert reached == {f"f{n}@example.com" for n in range(60)}

    async def group(presser: int, value: dict[str, Any]) -> Any:
        return (await coach.press(presser, "team_group", value, via="test")).messages[0]

    missing = await group(boss, {"f": "astronaut:0"})
    assert isinstance(missing, Notice) and (await group(boss, {"f": ["buyer:0"]})).text == missing.text
    assert (await group(ids["f0@example.com"], {"f": "buyer:0"})).text.startswith("`/team` shows a summary")


@SQLITE
async def test_slack_a_flat_team_of_sixty_fits_one_message(slack: SlackServer, tmp_path: Path) -> None:
    (tmp_path / "flat").mkdir()
    await load_sample_org(slack.coach.services.database, tmp_path / "flat", "\n".join(flat_sixty()) + "\n")
    slack.fake.add_user("UBOSS", "boss@example.com", "Europe/Paris")
    boss = slack.person("UBOSS")
    name = await boss.command("", command="/team")
    [summary] = await slack.fake.wait_for("response_url", name=name)
    within_slack_limits(summary)
    assert "*Your team: 60 people*" in summary.text_of_blocks and "Flat 05*" not in summary.text_of_blocks
    shows = accessories(summary)
    assert [b["text"]["text"] for b in shows][-2:] == ["Show Call-centre agent", "Show Shop-floor operator"]
    reached: set[str] = set()
    for number, show in enumerate(shows):
        await boss.press(show, ephemeral_url=slack.fake.response_url(f"flat{number}"))
        [opened] = await slack.fake.wait_for("response_url", name=f"flat{number}")
        within_slack_limits(opened)
        reached |= {f"Flat {n:02d}" for n in range(60) if f"*Flat {n:02d}*" in opened.text_of_blocks}
    assert len(reached) == 60, "the group buttons cover everyone"


def test_report_team_json_groups_a_large_team_and_lists_everyone_on_request(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COACH_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    org = tmp_path / "org.csv"
    org.write_text("\n".join(flat_sixty()) + "\n")
    assert CliRunner().invoke(app, ["org", "import", str(org)]).exit_code == 0
    grouped = json.loads(CliRunner().invoke(app, ["report", "team", "boss@example.com", "--json"]).output)
    assert grouped["people"] == 60 and "members" not in grouped
    assert [(g["title"], g["people"], g["opens"]) for g in grouped["groups"]][3] == (
        "Call-centre agent", 12, {"f": "call-centre-agent:0"})
    everyone = json.loads(CliRunner().invoke(app, ["report", "team", "boss@example.com", "--json",
                                                   "--members"]).output)
    assert len(everyone["members"]) == 60 and everyone["groups"] == grouped["groups"]
    table = CliRunner().invoke(app, ["report", "team", "boss@example.com"])
    assert table.exit_code == 0 and "Groups (one row each" in table.output and "Shop-floor" in table.output
