"""handlers/slack/manifest.yaml asks for exactly what the Slack handler uses: its commands, events,
interactivity, App Home, and a scope for every Web API method the code calls; `coach slack manifest` fills in
the host and asks for the shout-out scope only when shout-outs are configured."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from handlers.cli import app
from handlers.slack.listeners import COMMANDS, EVENTS

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "handlers" / "slack" / "manifest.yaml"
SCOPES = {
    "conversations_open": {"im:write"},
    "conversations_history": {"im:history"},
    "chat_postMessage": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "views_open": set(),
    "views_publish": set(),
    "users_info": {"users:read", "users:read.email"},
    "users_lookupByEmail": {"users:read.email"},
    "files_upload_v2": {"files:write"},
}
"""Web API method -> the bot scopes it needs (https://api.slack.com/methods)."""


def test_the_manifest_matches_the_code() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    features, settings = manifest["features"], manifest["settings"]
    assert [c["command"] for c in features["slash_commands"]] == list(COMMANDS)
    assert all(c["url"].endswith("/slack/events") for c in features["slash_commands"])
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened", "message.im"]
    assert [e.split(".")[0] for e in settings["event_subscriptions"]["bot_events"]] == list(EVENTS)
    assert settings["interactivity"]["is_enabled"] and settings["interactivity"]["request_url"].endswith(
        "/slack/events")
    assert features["app_home"]["home_tab_enabled"] and features["app_home"]["messages_tab_enabled"]
    assert not features["app_home"]["messages_tab_read_only_enabled"]

    source = "\n".join(p.read_text() for p in (ROOT / "handlers" / "slack").rglob("*.py"))
    called = {a or b for a, b in re.findall(  # the courier's lookups client is also handed to its pacing
        r"\bclient\.([a-z]+_[A-Za-z0-9_]+)\(|\blookups\.([a-z]+_[A-Za-z0-9_]+)[(,]", source)}
    assert called and called <= set(SCOPES), f"add the scopes of {called - set(SCOPES)} to SCOPES and the manifest"
    needed = {"commands", "im:history"} | {scope for method in called for scope in SCOPES[method]}
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    assert needed <= granted and granted - needed <= {"chat:write.public"}  # shout-outs (COACH_SHOUTOUT_CHANNEL)


def test_the_setup_steps_count_the_urls_to_change() -> None:
    text = MANIFEST.read_text()
    manifest = yaml.safe_load(text)
    urls = [c["url"] for c in manifest["features"]["slash_commands"]] + [
        manifest["settings"][part]["request_url"] for part in ("event_subscriptions", "interactivity")]
    assert text.count("https://coach.example.com/") == len(urls) and all("coach.example.com" in u for u in urls)
    word = {2: "two", 3: "three", 4: "four", 5: "five"}[len(urls)]
    header = text.split("display_information:")[0]
    assert f"with your host ({word} places)" in header and f"drop the {word} url/request_url lines" in header
    guide = " ".join((ROOT / "docs" / "slack.md").read_text().split())
    assert f"replace `coach.example.com` with your host in the {word} places it appears" in guide


@pytest.mark.parametrize(("environment", "options", "public"), [
    ({}, [], False),
    ({"COACH_SHOUTOUT_CHANNEL": "C0SHOUT"}, [], True),
    ({}, ["--shoutouts"], True),
    ({"COACH_SHOUTOUT_CHANNEL": "C0SHOUT"}, ["--no-shoutouts"], False),
], ids=["no-channel", "channel", "asked-for", "declined"])
def test_the_manifest_command_asks_for_chat_write_public_only_with_shout_outs(
        environment: dict[str, str], options: list[str], public: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COACH_SHOUTOUT_CHANNEL", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["slack", "manifest", "--host", "coach.acme.com", *options])
    assert result.exit_code == 0, result.output
    made = yaml.safe_load(result.output)
    scopes = made["oauth_config"]["scopes"]["bot"]
    assert ("chat:write.public" in scopes) is public
    assert set(scopes) - {"chat:write.public"} == set(yaml.safe_load(MANIFEST.read_text())["oauth_config"]["scopes"]
                                                      ["bot"]) - {"chat:write.public"}
    urls = [c["url"] for c in made["features"]["slash_commands"]] + [
        made["settings"][part]["request_url"] for part in ("event_subscriptions", "interactivity")]
    assert urls == ["https://coach.acme.com/slack/events"] * 4 and "example.com" not in result.output


def test_the_manifest_command_refuses_a_url_for_a_host() -> None:
    result = CliRunner().invoke(app, ["slack", "manifest", "--host", "https://coach.acme.com/"])
    assert result.exit_code != 0 and "is not a host name" in result.output
