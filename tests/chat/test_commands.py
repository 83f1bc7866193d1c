"""The words people type, parsed once for every platform."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.chat.coach import Coach
from bot.chat.commands import Command, parse
from bot.replies import LessonCard, PeerView, ProgressView, SettingsForm
from store.db import Database
from store.models import LearnerSettings, Person
from tests.support.org import load_sample_org


@pytest.mark.parametrize(("text", "default", "expected"), [
    ("", "learn", Command("learn", "lesson", "")),
    ("/learn", "learn", Command("learn", "lesson", "")),
    ("learn purchase orders", "learn", Command("learn", "topic", "purchase orders")),
    ("purchase orders", "learn", Command("learn", "topic", "purchase orders")),
    ("Progress", "learn", Command("learn", "progress", "")),
    ("learn goal people-manager", "learn", Command("learn", "goal", "people-manager")),
    ("suggest reading a P&L", "learn", Command("learn", "suggest", "reading a P&L")),
    ("away 2026-12-24", "learn", Command("learn", "away", "2026-12-24")),
    ("hello", "learn", Command("learn", "help", "")),
    ("learn team", "learn", Command("learn", "team", "")),
    ("team", "learn", Command("team", "summary", "")),
    ("/team", "learn", Command("team", "summary", "")),
    ("", "team", Command("team", "summary", "")),
    ("assign ben@example.com infosec", "team", Command("team", "assign", "ben@example.com infosec")),
    ("/team Ben Buyer", "learn", Command("team", "person", "Ben Buyer")),
    ("team export", "learn", Command("team", "export", "")),
    # a topic that starts with a command word is a topic
    ("learn pause and resume meetings", "learn", Command("learn", "topic", "pause and resume meetings")),
    ("/learn team building", "learn", Command("learn", "topic", "team building")),
    ("progress reports", "learn", Command("learn", "topic", "progress reports")),
    ("help desk escalation", "learn", Command("learn", "topic", "help desk escalation")),
    ("settings for VPN", "learn", Command("learn", "topic", "settings for VPN")),
    ("resume writing", "learn", Command("learn", "topic", "resume writing")),
    ("hello world", "learn", Command("learn", "topic", "hello world")),
])
def test_parse(text: str, default: str, expected: Command) -> None:
    assert parse(text, default) == expected


async def test_typed_team_is_the_summary_for_managers_and_a_refusal_for_everyone_else(
    coach: Coach, db: Database, tmp_path: Path
) -> None:
    """CONTRACTS.md: `/team` (typed `team` too) for someone who manages nobody shows no one's data."""
    ids = await load_sample_org(db, tmp_path)
    assert "Your team" in _text(await coach.command(ids["mia@example.com"], "team"))
    peers = _text(await coach.command(ids["ben@example.com"], "learn team"))
    assert "Your team and you" in peers
    for typed in ("team", "/team", "TEAM"):
        refusal = await coach.command(ids["ben@example.com"], typed)
        assert [_text(refusal)] == [m.text for m in refusal.messages] and refusal.ephemeral, typed
        assert "no one reporting to you" in _text(refusal) and "`/learn team`" in _text(refusal), typed
        assert "Your team and you" not in _text(refusal), typed
    assert _text(await coach.command(ids["ben@example.com"], "", default="team")) == _text(refusal)


async def test_a_topic_that_starts_with_a_command_word_is_searched_not_run(coach: Coach, db: Database,
                                                                          tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    for words in ("learn pause and resume meetings", "settings for VPN", "progress reports",
                  "help desk escalation", "learn team building"):
        reply = await coach.command(ben, words)
        assert not any(isinstance(m, ProgressView | SettingsForm | PeerView) for m in reply.messages), words
        assert "Here's what I can do" not in _text(reply), words
    async with db.session() as session:
        settings = await session.get(LearnerSettings, ben)
        assert settings is not None and not settings.paused


async def test_goal_words_that_name_no_role_are_a_topic(coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    [card] = (await coach.command(ben, "goal setting")).messages
    assert isinstance(card, LessonCard) and card.title.startswith("Set a goal role")

    listing = _text(await coach.command(ben, "goal"))
    assert listing.startswith("Which role?") and "`people-manager` (People manager)" in listing
    unknown = _text(await coach.command(ben, "goal astronaut"))
    assert "I don't know the role “astronaut”" in unknown and "`buyer` (Buyer)" in unknown
    async with db.session() as session:
        settings = await session.get(LearnerSettings, ben)
        assert settings is not None and settings.goal_role_id is None

    [goal] = (await coach.command(ben, "goal People Manager")).messages
    assert "People manager" in goal.text
    async with db.session() as session:
        settings = await session.get(LearnerSettings, ben)
        assert settings is not None and settings.goal_role_id == "people-manager"


def _text(reply) -> str:  # type: ignore[no-untyped-def]
    return " ".join(str(getattr(m, "text", m)) for m in reply.messages)


async def test_an_unknown_time_zone_from_a_chat_profile_is_never_used(coach: Coach, db: Database,
                                                                      tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)

    async def email() -> str:
        return "gus@example.com"

    async with db.session() as session:
        gus = await session.get(Person, ids["gus@example.com"])
        assert gus is not None
        gus.timezone = None
        session.add(gus)
    await coach.identify("slack", "UGUS", email=email, timezone="Mars/Olympus_Mons")
    async with db.session() as session:
        gus = await session.get(Person, ids["gus@example.com"])
        assert gus is not None and gus.timezone is None
        gus.timezone = "Atlantis/Capital"  # e.g. a zone the zone database has since dropped
        session.add(gus)
    for words in ("progress", "resume", "settings"):
        reply = await coach.command(ids["gus@example.com"], words)
        assert reply.messages, words
    assert (await coach.settings_form(ids["gus@example.com"])).timezone == "UTC"
