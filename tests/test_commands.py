"""The words people type, parsed once for every platform."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.coach import Coach
from bot.commands import Command, parse
from store.db import Database
from store.models import Person
from tests.support.org import load_sample_org


@pytest.mark.parametrize(("text", "default", "expected"), [
    ("", "learn", Command("learn", "lesson", "")),
    ("/learn", "learn", Command("learn", "lesson", "")),
    ("learn purchase orders", "learn", Command("learn", "topic", "purchase orders")),
    ("purchase orders", "learn", Command("learn", "topic", "purchase orders")),
    ("Progress", "learn", Command("learn", "progress", "")),
    ("learn goal people-manager", "learn", Command("learn", "goal", "people-manager")),
    ("suggest reading a P&L", "learn", Command("learn", "suggest", "reading a P&L")),
    ("hello", "learn", Command("learn", "help", "")),
    ("learn team", "learn", Command("learn", "team", "")),
    ("team", "learn", Command("team", "summary", "", typed_team=True)),
    ("", "team", Command("team", "summary", "")),
    ("assign ben@example.com infosec", "team", Command("team", "assign", "ben@example.com infosec")),
    ("/team Ben Buyer", "learn", Command("team", "person", "Ben Buyer")),
    ("team export", "learn", Command("team", "export", "")),
])
def test_parse(text: str, default: str, expected: Command) -> None:
    assert parse(text, default) == expected


async def test_typed_team_is_the_summary_for_managers_and_the_peer_view_for_others(
    coach: Coach, db: Database, tmp_path: Path
) -> None:
    ids = await load_sample_org(db, tmp_path)
    for_manager = await coach.command(ids["mia@example.com"], "team")
    for_learner = await coach.command(ids["ben@example.com"], "team")
    refusal = await coach.command(ids["ben@example.com"], "", default="team")
    assert "report to you" not in _text(for_learner)
    assert "report to you" in _text(refusal) or "manage" in _text(refusal)
    assert _text(for_manager) != _text(for_learner)


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
