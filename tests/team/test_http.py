"""The people views over the real HTTP paths: signed Slack slash commands and button presses against the
fake Slack Web API (files land in the manager's DM, never the channel), and Bot Framework activities
against the fake Teams connector (cards, the heatmap inline, large teams within one message)."""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlmodel import select

from bot.chat.coach import Coach
from bot.replies import Choice, Engagement, HeatCell, MemberLine, TeamGroup, TeamSummary
from bot.team.shoutouts import post_shoutouts
from bot.team.text import summary_text
from handlers.msteams.cards import cards_for
from handlers.msteams.wire import BUDGET, message, wire_size
from store.models import Badge, Delivery
from tests.support.fake_connector import TeamsBot, connector, teams
from tests.support.learner import answer
from tests.support.slack_session import STRANGER, SlackServer, button, slack
from tests.support.teams_calls import submits

__all__ = ["connector", "slack", "teams"]  # fixtures

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def _ephemeral(slack: SlackServer, name: str):  # type: ignore[no-untyped-def]
    [answer] = await slack.fake.wait_for("response_url", name=name)
    assert answer.args["response_type"] == "ephemeral"
    return answer


async def wrong_answers(coach: Coach, person_id: int, topic: str, times: int = 2) -> None:
    """The learner answers lessons on a topic wrongly: a gap the summary can show (it shows none before any
    answer)."""
    for _ in range(times):
        card = (await coach.command(person_id, topic)).messages[0]
        await answer(coach, person_id, card, False)


@SQLITE
async def test_slack_team_summary_heatmap_actions_and_export(slack: SlackServer) -> None:
    mia = slack.person("UMIA")
    await wrong_answers(slack.coach, slack.ids["ben@example.com"], "purchase approvals")
    summary = await _ephemeral(slack, await mia.command("", command="/team", channel="C0GENERAL"))
    text = summary.text_of_blocks
    for name in ("Ben Buyer", "Cara Agent", "Eli Operator"):
        assert f"*{name}*" in text
    assert "Dana" not in text and "Fay" not in text
    assert "Biggest gaps" in text and "↓↓" in text
    [complete] = await slack.fake.wait_for("files.completeUploadExternal")
    assert complete.args["channel_id"] == mia.dm, "files go to the manager's DM, never the channel"
    [upload] = await slack.fake.wait_for("file.upload")
    assert Image.open(io.BytesIO(upload.args["data"])).format == "PNG"

    await mia.press(button(summary, "Nudge Cara"), ephemeral_url=slack.fake.response_url("nudge"))
    await slack.settle()
    [done] = await slack.fake.wait_for("response_url", name="nudge")
    assert "Nudge sent — Cara gets a lesson" in done.text_of_blocks
    async with slack.coach.services.database.session() as session:
        [nudge] = (await session.exec(select(Delivery).where(Delivery.origin == "nudge"))).all()
    assert nudge.person_id == slack.ids["cara@example.com"] and nudge.requested_by == slack.ids["mia@example.com"]

    await mia.command("export", command="/team")
    await slack.fake.wait_for("file.upload", 2)
    data = slack.fake.calls_to("file.upload")[-1].args["data"]
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert sorted(r["email"] for r in rows) == ["ben@example.com", "cara@example.com", "eli@example.com"]


@SQLITE
async def test_slack_one_report_by_mention_and_identical_refusals(slack: SlackServer) -> None:
    mia = slack.person("UMIA")
    detail = await _ephemeral(slack, await mia.command("<@UBEN|ben>", command="/team"))
    assert "Ben Buyer" in detail.text_of_blocks and "Levels against targets" in detail.text_of_blocks
    not_mine = await _ephemeral(slack, await mia.command("<@UFAY>", command="/team"))
    stranger = await _ephemeral(slack, await mia.command(f"<@{STRANGER}>", command="/team"))  # not in the org
    assert not_mine.text_of_blocks.replace("fay@", "x@") == stranger.text_of_blocks.replace("nobody@", "x@")
    assert "can't find" in not_mine.text_of_blocks
    ghost = await _ephemeral(slack, await mia.command("<@UGHOST404>", command="/team"))  # Slack can't resolve it
    assert "can't find" in ghost.text_of_blocks and "Your team" not in ghost.text_of_blocks

    peers = await _ephemeral(slack, await slack.person("UBEN").command("team"))
    assert "Your team and you" in peers.text_of_blocks and "Eli" not in peers.text_of_blocks


@SQLITE
async def test_teams_team_summary_with_its_heatmap_and_buttons(teams: TeamsBot) -> None:
    mia = teams.user("29:mia", "Mia Manager")
    await wrong_answers(teams.coach, teams.ids["ben@example.com"], "purchase approvals")
    posted = await mia.say("team")
    card = next(c for c in posted if c.cards)
    assert "Your team: 4 people" in card.text and "Hal Aad" in card.text and "Biggest gaps" in card.text
    image = next(a for call in posted for a in (call.body or {}).get("attachments", [])
                 if a.get("contentType") == "image/png")
    header, _, encoded = image["contentUrl"].partition(",")
    assert header == "data:image/png;base64"
    assert Image.open(io.BytesIO(base64.b64decode(encoded))).format == "PNG"

    focus = next(s for s in submits(card) if s["data"]["action"] == "team_focus")
    _, replies = await mia.press(card, focus["data"])
    assert any("is now" in r.text and "focus" in r.text for r in replies)

    [detail, *_] = await mia.say("team <at>Ben Buyer</at>")
    assert "Ben Buyer" in detail.text and "Answers in the last 30 days" in detail.text
    [peers, *_] = await teams.user("29:ben", "Ben Buyer").say("learn team")
    assert "Your team and you" in peers.text


def test_a_team_too_large_for_one_teams_message_continues_over_several_with_everyone() -> None:
    competencies = [Choice(f"c{i}", f"Competency {i}") for i in range(8)]
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)

    def member(n: int) -> MemberLine:
        return MemberLine(n, f"Person number {n:03d}", f"p{n}@example.com",
                          [HeatCell(n % 3, 2, 0.5) for _ in competencies], Engagement(1, 4, 2, now), False, [], [])

    groups = [TeamGroup(f"Lead {g}", [member(g * 50 + n) for n in range(50)], 50, 200, [10] * 8, 0)
              for g in range(4)]
    summary = TeamSummary("Boss", competencies, groups, grouped=True, listed=True, gaps=[], attention=[],
                          actions=[], text="", as_of=now)
    summary.text = summary_text(summary, now)
    made = cards_for(summary)
    assert len(made) > 1 and all(wire_size(message(part)) <= BUDGET for part in made)
    shown = "\n".join(block["text"] for part in made for block in part["body"])
    assert all(f"**Lead {g}'s group: 50 people** — " in shown for g in range(4))
    assert all(f"**Person number {n:03d}**" in shown for n in range(200))
    assert all(part["body"][0]["text"] == "Your team: 200 people (continued)" for part in made[1:])


@SQLITE
async def test_slack_posts_an_opted_in_shoutout_to_the_channel(slack: SlackServer) -> None:
    coach = slack.coach
    coach.services.config = coach.services.config.model_copy(update={"shoutout_channel": "C0SHOUT"})
    ben = slack.ids["ben@example.com"]
    await coach.save_settings(ben, {"shoutout_opt_in": True})
    async with coach.services.database.session() as session:
        session.add(Badge(person_id=ben, kind="goal_complete", key="team-lead", awarded_at=coach.services.clock()))
    assert await post_shoutouts(coach.services, slack.platforms.couriers, coach.services.clock()) == 1
    [post] = await slack.fake.wait_for("chat.postMessage", channel="C0SHOUT")
    assert "Ben Buyer" in post.text_of_blocks and "Team lead" in post.text_of_blocks
    assert await post_shoutouts(coach.services, slack.platforms.couriers, coach.services.clock()) == 0
