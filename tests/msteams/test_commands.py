"""The CONTRACTS.md commands typed to the Teams bot (with or without a slash, with an @mention), the
settings card form, and the manager's `team` with its refusal — over real HTTP, on both databases."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from bot.chat.commands import Command, parse
from bot.team.summary import NOT_A_MANAGER
from handlers.msteams.adaptive import inline
from handlers.msteams.turns import command_for
from store.models import LearnerSettings, Suggestion
from tests.support.fake_connector import BOT_ID, TENANT, TeamsBot, connector, teams
from tests.support.teams_calls import Call, submits

__all__ = ["connector", "teams"]  # fixtures


@pytest.mark.parametrize(("typed", "expected", "parsed"), [
    ("team", ("team", ""), Command("team", "summary", "")),
    ("/team", ("team", ""), Command("team", "summary", "")),
    ("Team ben@example.com", ("team", "ben@example.com"), Command("team", "person", "ben@example.com")),
    ("team export", ("team", "export"), Command("team", "export", "")),
    ("team learn", ("team", "learn"), Command("team", "person", "learn")),
    ("learn team", ("learn", "team"), Command("learn", "team", "")),
    ("/learn team", ("learn", "team"), Command("learn", "team", "")),
    ("learn", ("learn", ""), Command("learn", "lesson", "")),
    ("progress", ("learn", "progress"), Command("learn", "progress", "")),
    ("teamwork at the till", ("learn", "teamwork at the till"), Command("learn", "topic", "teamwork at the till")),
])
def test_typed_words_map_to_commands(typed: str, expected: tuple[str, str], parsed: Command) -> None:
    """In Teams `team` is the manager's /team; the learner's peer view is `learn team`."""
    assert command_for(typed) == expected
    name, args = expected
    assert parse(f"{name} {args}".strip(), name) == parsed


def _card_types(call: Call) -> set[str]:
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("type"), str):
                found.add(node["type"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(call.cards)
    return found


async def test_every_learner_command(teams: TeamsBot) -> None:
    ben = teams.user("29:ben", "Ben Buyer")
    [help_] = await ben.say("help")
    assert "Here's what I can do" in help_.text and "**learn progress**" in help_.text
    assert "Here's what I can do" in (await ben.say("/learn help"))[0].text
    assert "Here's what I can do" in (await ben.say("hi"))[0].text

    for typed in ("learn", "/learn", "learn purchase order"):
        [lesson] = await ben.say(typed)
        assert submits(lesson) and all(b["data"]["action"] == "answer" for b in submits(lesson)), typed

    for typed in ("progress", "/learn progress"):
        [view] = await ben.say(typed)
        assert "your progress" in view.text and "FactSet" in _card_types(view), typed
        assert "no answers yet" in view.text and "0/0 right" not in view.text, typed  # no prior shown as mastery
        assert "No answers yet on this competency" in json.dumps(view.cards), typed
    mention = {"type": "mention", "mentioned": {"id": BOT_ID, "name": "Coach"}, "text": "<at>Coach</at>"}
    [view] = await ben.say("<at>Coach</at> progress", entities=[mention])
    assert "your progress" in view.text

    [form] = await ben.say("settings")
    assert {"Input.ChoiceSet", "Input.Time", "Input.Toggle"} <= _card_types(form)

    assert "Paused" in (await ben.say("pause"))[0].text
    assert "already paused" in (await ben.say("/learn pause"))[0].text
    assert "Welcome back" in (await ben.say("resume"))[0].text

    [goal] = await ben.say("goal team-lead")
    assert "Goal: Team lead" in goal.text
    assert "already your role" in (await ben.say("goal buyer"))[0].text
    assert "don't know the role" in (await ben.say("goal astronaut"))[0].text

    [peers] = await ben.say("learn team")
    assert peers.text and inline(NOT_A_MANAGER) not in peers.text

    assert "Thanks" in (await ben.say("suggest a lesson on pivot tables"))[0].text
    async with teams.db.session() as session:
        suggestion = (await session.exec(select(Suggestion))).one()
    assert suggestion.text == "a lesson on pivot tables" and suggestion.person_id == teams.ids["ben@example.com"]


async def test_settings_card_saves_and_names_the_field_to_fix(teams: TeamsBot) -> None:
    eli = teams.user("29:eli", "Eli")
    teams.connector.members["29:eli"] = {"id": "29:eli", "email": "eli@example.com"}
    [form] = await eli.say("settings")
    [save] = submits(form)
    values = {"days": "1,3", "window_start": "09:00", "window_end": "12:00", "lessons_per_day": "2",
              "timezone": "Europe/Paris", "formats": "text,video", "goal_role": "", "interests": "",
              "show_name_to_peers": "true", "shoutout_opt_in": "false"}
    _, [saved] = await eli.press(form, {**save["data"], **values})
    assert "Saved" in saved.text
    person_id = teams.ids["eli@example.com"]
    async with teams.db.session() as session:
        settings = await session.get(LearnerSettings, person_id)
    assert settings is not None
    assert (settings.days, settings.window_start, settings.window_end) == ("13", "09:00", "12:00")
    assert (settings.lessons_per_day, settings.timezone, settings.formats) == (2, "Europe/Paris", ["text", "video"])
    assert settings.show_name_to_peers is True and settings.shoutout_opt_in is False
    assert settings.away_until is None  # an empty "away until" means not away

    _, [away] = await eli.press(form, {**save["data"], **values, "away_until": "2026-12-31"})
    assert "Saved" in away.text
    async with teams.db.session() as session:
        settings = await session.get(LearnerSettings, person_id)
    assert settings is not None and str(settings.away_until) == "2026-12-31"
    [form] = await eli.say("settings")
    assert any(b.get("id") == "away_until" and b.get("value") == "2026-12-31" for b in form.cards[0]["body"])

    _, [refused] = await eli.press(form, {**save["data"], **values, "window_start": "15:00"})
    assert "must end after it starts" in refused.text and "Nothing was changed" in refused.text
    assert "Please check **From**" in refused.text or "Please check **Until**" in refused.text
    _, [refused] = await eli.press(form, {**save["data"], **values, "timezone": "Mars/Olympus"})
    assert "**Time zone**" in refused.text
    async with teams.db.session() as session:
        unchanged = await session.get(LearnerSettings, person_id)
    assert unchanged is not None and (unchanged.window_start, unchanged.timezone) == ("09:00", "Europe/Paris")


async def test_manager_summary_and_refusal(teams: TeamsBot) -> None:
    mia = teams.user("29:mia", "Mia Manager")
    [summary, *_] = await mia.say("team")
    assert inline(NOT_A_MANAGER) not in summary.text
    assert "Ben Buyer" in summary.text or "3" in summary.text
    [detail, *_] = await mia.say("team ben@example.com")
    assert "Ben" in detail.text
    [other, *_] = await mia.say("team dana@example.com")  # her own manager: not hers to see
    assert "Dana Director" not in other.text

    channel = {"id": "19:general@thread.tacv2", "conversationType": "channel", "tenantId": TENANT}
    mark = len(teams.connector.calls)
    assert await mia.post(mia.activity("message", text="<at>Coach</at> team", conversation=channel)) == 200
    [pointer] = teams.connector.sent(channel["id"], after=mark)
    assert "one to one" in pointer.text and "Ben" not in pointer.text  # no team data in front of others

    ben = teams.user("29:ben", "Ben Buyer")
    for typed in ("team", "/team", "team mia@example.com"):
        [refusal] = await ben.say(typed)
        assert refusal.text == inline(NOT_A_MANAGER), typed


@pytest.mark.parametrize(("typed", "shows"), [
    ("/learn settings", "Your lesson settings"),
    ("/learn pause", "Paused"),
    ("/learn resume", "not paused"),
    ("/learn goal buyer", "Goal: Buyer"),
    ("/learn suggest a lesson on pivot tables", "Thanks"),
])
async def test_learn_subcommands_typed_with_the_slash(teams: TeamsBot, typed: str, shows: str) -> None:
    fay = teams.user("29:fay", "Fay Newhire")
    teams.connector.members["29:fay"] = {"id": "29:fay", "email": "fay@example.com"}
    [reply] = await fay.say(typed)
    assert shows in reply.text, reply.text
    if typed.startswith("/learn suggest"):
        async with teams.db.session() as session:
            suggestion = (await session.exec(select(Suggestion))).one()
        assert suggestion.text == "a lesson on pivot tables" and suggestion.person_id == teams.ids["fay@example.com"]
    if typed == "/learn settings":
        assert {"Input.ChoiceSet", "Input.Time", "Input.Toggle"} <= _card_types(reply)
