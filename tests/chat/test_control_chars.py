"""Text with control characters (NUL included), at every edge, on SQLite and PostgreSQL (which refuses NUL in
text): removed from what chat platforms and other systems send — trigger bodies, Slack commands, Teams
messages — and refused with FILE:LINE in the files admins maintain (the org chart, content packs)."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.config import Settings
from content.packs import STARTER
from handlers.cli import app
from store.db import Database
from store.models import Delivery, Lesson, Person, Suggestion
from tests.api.test_triggers import trigger_api
from tests.conftest import Clock
from tests.support.dispatching import all_deliveries
from tests.support.fake_connector import TeamsBot, connector, teams
from tests.support.org import SAMPLE_ORG
from tests.support.slack_session import SlackServer, slack

__all__ = ["connector", "slack", "teams"]  # fixtures


async def suggestions(db: Database) -> list[str]:
    async with db.session() as session:
        return [s.text for s in (await session.exec(select(Suggestion))).all()]


async def test_a_trigger_with_nul_bytes_is_taken_without_them(
        db: Database, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    async with trigger_api(db, settings, clock, tmp_path) as api:
        status, body = await api.post({"email": "ben@exa\x00mple.com", "lesson": "infosec-spot-phishing",
                                       "reason": "new\x00 supplier\x07 portal"})
        assert status == 202, body
        status, unknown = await api.post({"email": "\x00nobody@example.com", "lesson": "infosec-spot-phishing"})
        assert status == 404, unknown
        status, bad = await api.post({"email": "ben@example.com", "lesson": "\x00\x01"})
        assert status == 422, bad
    [delivery] = await all_deliveries(db)
    assert delivery.id == body["delivery_id"] and delivery.reason == "new supplier portal"


async def test_a_slack_command_with_a_nul_byte_keeps_the_suggestion(slack: SlackServer) -> None:
    ben = slack.person("UBEN")
    name = await ben.command("suggest pivot\x00 tables")
    [answer] = await slack.fake.wait_for("response_url", name=name)
    assert "passed your suggestion" in answer.text_of_blocks and "went wrong" not in answer.text_of_blocks
    assert await suggestions(slack.coach.services.database) == ["pivot tables"]


async def test_a_teams_message_with_a_nul_byte_keeps_the_suggestion(teams: TeamsBot) -> None:
    ben = teams.user("29:ben")
    [reply] = await ben.say("suggest pivot\x00 tables")
    assert "Thanks" in reply.text
    assert await suggestions(teams.db) == ["pivot tables"]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_an_org_chart_with_a_nul_byte_is_refused_with_file_and_line(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COACH_DATABASE_URL", db_url)
    path = tmp_path / "org.csv"
    lines = SAMPLE_ORG.splitlines()
    lines[3] = lines[3].replace("Omar Owner", "Omar\x00 Owner")
    lines[5] = lines[5].replace("cara@", "ca\x1bra@")
    path.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(app, ["org", "import", str(path)])
    assert result.exit_code == 1, result.output
    assert f"{path}:4: the line holds a control character (U+0000)" in result.output
    assert f"{path}:6: the line holds a control character (U+001B)" in result.output
    assert "Traceback" not in result.output and "ben@example.com" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_content_pack_with_a_nul_byte_is_refused_with_file_and_line(
        empty_db: Database, empty_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = tmp_path / "starter"
    shutil.copytree(STARTER, pack)
    lesson = sorted(pack.rglob("*.md"))[0]
    text = lesson.read_text(encoding="utf-8").splitlines()
    text[-1] += " a\x00b"
    lesson.write_text("\n".join(text) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COACH_DATABASE_URL", empty_db_url)
    result = await asyncio.to_thread(CliRunner().invoke, app, ["content", "import", str(pack)])
    assert result.exit_code == 1, result.output
    assert f"{lesson}:{len(text)}: the line holds a control character (U+0000)" in result.output.replace("\n", "")
    async with empty_db.session() as session:
        assert (await session.exec(select(Lesson))).all() == [] and (await session.exec(select(Person))).all() == []
        assert (await session.exec(select(Delivery))).all() == []


def test_button_values_are_cleaned_like_everything_else() -> None:
    """The rule itself, once: what is removed and what stays."""
    from content.accepted_text import accepted_json
    assert accepted_json({"a\x00": ["x\x00y", "tab\tnew\nline\r", 5, None, {"k": "\x7f\x85ok"}]}) == \
        {"a": ["xy", "tab\tnew\nline\r", 5, None, {"k": "ok"}]}
    assert json.loads(json.dumps(accepted_json("é ✓ 😀"))) == "é ✓ 😀"
