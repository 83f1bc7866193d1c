"""Large teams and files in Teams, over real HTTP: every person listed however many messages it takes, no
message over Teams' limit (the fake connector refuses those with 413, as Teams does), and the heatmap and
CSV that don't fit in a message saved through Teams' file consent — the person presses Allow, the bot
uploads to the session Teams opened (served here by the fake connector) and shows the file."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from bot.config import Settings
from bot.team.view import GROUP_ABOVE
from store.db import Database
from tests.support.fake_connector import FakeConnector, TeamsBot, TeamsUser, connector, teams, teams_bot
from tests.support.org import SAMPLE_ORG
from tests.support.teams_calls import FILE_CONSENT, FILE_INFO, Call, submits

__all__ = ["connector", "teams"]  # fixtures

HEADER = SAMPLE_ORG.splitlines()[0]
ROLES = ("buyer", "call-centre-agent", "shop-floor-operator", "new-hire")


def _org(leads: int, each: int) -> str:
    """Boss, with `leads` direct reports who each manage `each` people (flat when `each` is 0): names with
    letters that take six bytes each on the wire."""
    rows = [HEADER, "boss@example.com,Борис Босс,,people-manager,Europe/Berlin,,29:boss"]
    for lead in range(leads):
        rows.append(f"lead{lead}@example.com,Лидия Лид {lead:02d},boss@example.com,"
                    f"{'people-manager' if each else ROLES[lead % 4]},Europe/Berlin,,")
        rows += [f"p{lead}-{n}@example.com,Пётр Работник {lead:02d}-{n:02d},lead{lead}@example.com,{ROLES[n % 4]},"
                 "Europe/Berlin,," for n in range(each)]
    return "\n".join(rows) + "\n"


def _people(org: str) -> list[tuple[str, str]]:
    return [(row.split(",")[0], row.split(",")[1]) for row in org.splitlines()[2:]]


@pytest.fixture
async def large(db: Database, settings: Settings, clock: Callable[[], datetime], connector: FakeConnector,
                tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[tuple[TeamsBot, str]]:
    org = _org(*request.param)
    async with teams_bot(db, settings, clock, connector, tmp_path, org=org) as bot:
        yield bot, org


async def _allowed(boss: TeamsUser, offer: Call) -> tuple[bytes, Call]:
    """Press Allow: the invoke is answered with an empty 200 (an invoke answer with a body is what
    botbuilder 4.17.1 turns into a 500), the bytes land in the upload session, and the file is shown."""
    uploads = set(boss.connector.uploads)
    status, body, posted = await boss.answer_file(offer)
    assert (status, body) == (200, b"")
    [session] = set(boss.connector.uploads) - uploads
    [shown] = posted
    [info] = shown.attachments(FILE_INFO)
    assert info["name"] == offer.attachments(FILE_CONSENT)[0]["name"] and session in info["contentUrl"]
    assert info["content"] == {"uniqueId": session, "fileType": info["name"].rpartition(".")[2]}
    return boss.connector.uploads[session], shown


async def _boss_asks_for_the_team(teams: TeamsBot) -> tuple[TeamsUser, int, list[Call]]:
    """Boss types `team`: returns him, where the connector's calls stood before, and what was posted —
    none of it refused for its size."""
    boss = teams.user("29:boss", "Борис Босс")
    mark = len(teams.connector.calls)
    posted = await boss.say("team")
    assert teams.connector.too_large(after=mark) == []
    return boss, mark, posted


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("large", [(5, 11), (120, 0)],
                         ids=["sixty-grouped", "hundred-twenty-flat"], indirect=["large"])
async def test_a_large_team_is_listed_in_full_and_its_heatmap_shown_or_saved_as_a_file(
        large: tuple[TeamsBot, str]) -> None:
    """Sixty people in five groups (few competencies each) fit their heatmap in a message, and so, since the
    heatmap is a 4-bit PNG, do a hundred and twenty in one flat team (shown in role and name-range groups);
    a picture too large for a message is offered as a file (tests/msteams/test_cards.py)."""
    teams, org = large
    boss, mark, posted = await _boss_asks_for_the_team(teams)
    summary = [c for c in posted if c.cards]
    shown = "\n".join(c.text for c in summary)
    shows = [s for c in summary for s in submits(c) if s["data"]["action"] == "team_group"]
    for show in shows:  # a grouped summary: one line per group, each opened person by person by its button
        _, opened = await boss.press(summary[0], show["data"])
        assert teams.connector.too_large(after=mark) == []
        shown += "\n" + "\n".join(c.text for c in opened if c.cards)
    grouped = any(",lead" in row for row in org.splitlines()) or len(_people(org)) > GROUP_ABOVE
    assert bool(shows) == grouped, "teams with leads, and flat teams over 15: a Show button per group"
    for _, name in _people(org):
        assert shown.count(f"**{name}**") == 1, name  # everyone, once
    if len(summary) > 1:  # continued over several messages: each says so, the buttons come with the last
        assert all("(continued)" in part.texts[0] for part in summary[1:])
        assert all("actions" not in part.cards[0] for part in summary[:-1])
    assert "image has everyone" not in shown
    pictures = [a for c in posted for a in c.attachments("image/png")]
    assert len(pictures) == 1 and not any(
        a["name"].endswith(".png") for c in posted for a in c.attachments(FILE_CONSENT))
    png = base64.b64decode(pictures[0]["contentUrl"].partition(",")[2])
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.height > 20 * len(_people(org))  # a row per person

    mark = len(teams.connector.calls)
    [note, offer] = await boss.say("team export")
    assert f"{len(_people(org))} people" in note.text and teams.connector.too_large(after=mark) == []
    data, _ = await _allowed(boss, offer)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert sorted((r["email"], r["name"]) for r in rows) == sorted(_people(org))


async def test_a_file_is_saved_once_and_declining_saves_nothing(teams: TeamsBot) -> None:
    mia = teams.user("29:mia", "Mia Manager")
    [_, offer] = await mia.say("team export")
    data, _ = await _allowed(mia, offer)
    assert data.startswith("\ufeffgroup,name,email".encode())
    uploads = dict(teams.connector.uploads)
    status, _, posted = await mia.answer_file(offer)  # Allow pressed again on the same card
    assert status == 200 and posted == [] and teams.connector.uploads == uploads

    [_, another] = await mia.say("team export")
    status, body, [declined] = await mia.answer_file(another, allow=False)
    assert (status, body) == (200, b"") and "won't save it" in declined.text
    assert teams.connector.uploads == uploads


async def test_an_offer_answered_by_someone_whose_team_it_is_not_uploads_nothing(teams: TeamsBot) -> None:
    [_, offer] = await teams.user("29:mia", "Mia Manager").say("team export")
    ben = teams.user("29:ben", "Ben Buyer")
    ben.conversation = teams.user("29:mia").conversation  # a forged answer: the file is made for who answers
    uploads = dict(teams.connector.uploads)
    status, _, [refused] = await ben.answer_file(offer)
    assert status == 200 and "no longer available" in refused.text and teams.connector.uploads == uploads


async def test_onedrive_failing_is_said_plainly(teams: TeamsBot) -> None:
    mia = teams.user("29:mia", "Mia Manager")
    [_, offer] = await mia.say("team export")
    teams.connector.fail(403, method="PUT", route="uploads")
    status, _, [failed] = await mia.answer_file(offer)
    assert status == 200 and "couldn't save the file" in failed.text and "team export" in failed.text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("value", [
    None, "accept", {"action": "accept"}, {"action": "maybe", "context": {"mime": "text/csv"}},
    {"action": "accept", "context": {"mime": "application/x-sh"}, "uploadInfo": {"name": "x", "uploadUrl": "x"}},
    {"action": "accept", "context": {"mime": "text/csv"}},
    {"action": "accept", "context": {"mime": "text/csv"},
     "uploadInfo": {"name": "team.csv", "uploadUrl": "http://collector.example.org/upload"}},
])
async def test_a_consent_invoke_that_is_not_an_answer_to_an_offer_is_refused(teams: TeamsBot, value: object) -> None:
    mia = teams.user("29:mia", "Mia Manager")
    mark = len(teams.connector.calls)
    status, _ = await mia.exchange(mia.activity("invoke", name="fileConsent/invoke", value=value))
    assert status == 400 and teams.connector.calls[mark:] == []


@pytest.mark.parametrize("large", [(30, 0)], ids=["thirty-flat"], indirect=True)
async def test_a_thirty_person_heatmap_is_shown_in_the_chat(large: tuple[TeamsBot, str]) -> None:
    """Before, every heatmap of 20 or more people became a file to allow; now a team of thirty sees it inline."""
    teams, org = large
    _, _, posted = await _boss_asks_for_the_team(teams)
    [picture] = [c for c in posted if c.attachments("image/png")]
    offered = [a["name"] for c in posted for a in c.attachments(FILE_CONSENT)]
    assert not [name for name in offered if name.endswith(".png")], "no picture to allow (the CSV of the groups may be)"
    [attachment] = picture.attachments("image/png")
    header, _, data = attachment["contentUrl"].partition(",")
    png = base64.b64decode(data)
    image = Image.open(io.BytesIO(png))
    assert header == "data:image/png;base64" and image.height > 20 * len(_people(org))  # a row per person
    assert picture.body is not None and picture.body["summary"].startswith("A picture: team-heatmap-")
