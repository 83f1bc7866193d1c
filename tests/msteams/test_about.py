"""The Teams app's About links answer: the manifest's website, privacy and terms URLs, fetched from the
running server, are readable pages — or, when the organisation has its own, the manifest links there."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from bot.config import Settings
from handlers.cli import app
from handlers.msteams.package import AppDetails, manifest
from store.db import Database
from tests.support.fake_connector import FakeConnector, TeamsBot, connector, teams, teams_bot

__all__ = ["connector", "teams"]  # fixtures

APP_ID = "6f0c7a52-4d1e-4c39-9a4b-2f5e8d7c1b00"
SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _links(made: dict) -> list[str]:
    developer = made["developer"]
    return [developer["websiteUrl"], developer["privacyUrl"], developer["termsOfUseUrl"]]


@SQLITE
async def test_the_manifest_links_answer_200_on_the_running_server(teams: TeamsBot) -> None:
    links = _links(manifest(AppDetails(app_id=APP_ID, domain="coach.example.com")))
    pages = {}
    for link in links:
        assert link.startswith("https://coach.example.com/")
        async with teams.http.get(teams.url + urlsplit(link).path, allow_redirects=False) as response:
            assert response.status == 200, link
            assert response.content_type == "text/html"
            pages[urlsplit(link).path] = await response.text()
    privacy = pages["/privacy"]
    assert "What the learning coach keeps about you" in privacy
    assert "never see the text of a reflection" in privacy and "HR or L&amp;D team" in privacy
    assert "names you in a channel" not in privacy  # no shout-out channel configured: nothing shared
    assert "Terms of use" in pages["/terms"] and 'href="/privacy"' in pages["/"]


@SQLITE
async def test_an_organisations_own_pages_are_linked_and_ours_lead_there(
        db: Database, settings: Settings, clock: Callable[[], datetime], connector: FakeConnector,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Set, the organisation's pages are the manifest's links, and anyone still sent here goes on there."""
    own = {"privacy_url": "https://intranet.example.com/privacy", "terms_url": "https://intranet.example.com/terms"}
    async with teams_bot(db, settings, clock, connector, tmp_path, **own, shoutout_channel="C1") as bot:
        for path, url in (("/privacy", own["privacy_url"]), ("/terms", own["terms_url"])):
            async with bot.http.get(bot.url + path, allow_redirects=False) as response:
                assert response.status == 302 and response.headers["Location"] == url
    monkeypatch.setenv("COACH_PRIVACY_URL", own["privacy_url"])
    monkeypatch.setenv("COACH_TERMS_URL", own["terms_url"])
    out = tmp_path / "coach.zip"
    result = CliRunner().invoke(app, ["teams", "package", "--app-id", APP_ID, "--domain", "coach.example.com",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    made = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    assert _links(made)[1:] == [own["privacy_url"], own["terms_url"]]


def test_a_link_that_is_not_https_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="https://"):
        Settings(COACH_PRIVACY_URL="http://intranet.example.com/privacy")
