"""`coach teams package`: the zip an admin uploads — a schema 1.16 manifest for this app id, a command menu
of words the bot understands, and real icons of the sizes Teams requires."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
from matplotlib import image
from typer.testing import CliRunner

from bot.chat.commands import parse
from handlers.cli import app
from handlers.msteams.turns import command_for

APP_ID = "6F0C7A52-4D1E-4C39-9A4B-2F5E8D7C1B00"


def _package(tmp_path: Path, *options: str) -> tuple[dict, zipfile.ZipFile]:
    out = tmp_path / "coach.zip"
    result = CliRunner().invoke(app, ["teams", "package", "--app-id", APP_ID, "--out", str(out), *options])
    assert result.exit_code == 0, result.output
    archive = zipfile.ZipFile(out)
    return json.loads(archive.read("manifest.json")), archive


def test_the_package_holds_a_filled_manifest_and_real_icons(tmp_path: Path) -> None:
    manifest, archive = _package(tmp_path, "--domain", "coach.example.com")
    assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
    assert tuple(int(p) for p in manifest["manifestVersion"].split(".")) >= (1, 16)
    assert manifest["id"] == manifest["bots"][0]["botId"] == APP_ID.lower()
    assert manifest["validDomains"] == ["coach.example.com"]
    assert manifest["developer"]["privacyUrl"] == "https://coach.example.com/privacy"
    assert "${{" not in json.dumps(manifest)
    assert manifest["bots"][0]["scopes"] == ["personal"]
    assert manifest["bots"][0]["supportsFiles"] is True  # without it Teams shows no file consent cards

    color = image.imread(io.BytesIO(archive.read("color.png")))
    outline = image.imread(io.BytesIO(archive.read("outline.png")))
    assert color.shape[:2] == (192, 192) and outline.shape == (32, 32, 4)
    assert np.all(outline[..., :3] == 1.0), "the outline icon must be white on transparent"
    assert 0 < (outline[..., 3] > 0.5).mean() < 0.9 and outline[0, 0, 3] == 0


def test_every_menu_command_is_a_command_the_bot_knows(tmp_path: Path) -> None:
    manifest, _ = _package(tmp_path)
    commands = manifest["bots"][0]["commandLists"][0]["commands"]
    titles = [c["title"] for c in commands]
    assert len(titles) <= 10 and all(len(t) <= 32 and len(c["description"]) <= 128
                                     for t, c in zip(titles, commands, strict=True))
    verbs = set()
    for title in titles:
        name, args = command_for(title)
        command = parse(f"{name} {args}".strip(), name)
        assert command.verb != "topic", title  # a menu entry must never be read as a lesson search
        verbs.add((command.name, command.verb))
    assert {("learn", "lesson"), ("learn", "progress"), ("learn", "settings"), ("learn", "pause"),
            ("learn", "resume"), ("learn", "goal"), ("learn", "team"), ("team", "summary"), ("learn", "suggest"),
            ("learn", "help")} == verbs
    assert manifest["validDomains"] == []


def test_bad_values_get_a_sentence_not_a_traceback(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["teams", "package", "--app-id", "my-bot", "--out", str(tmp_path / "x.zip")])
    assert result.exit_code == 1 and "is not an app id" in result.output
    result = runner.invoke(app, ["teams", "package", "--app-id", APP_ID, "--domain", "https://coach.example.com/",
                                 "--out", str(tmp_path / "x.zip")])
    assert result.exit_code == 1 and "is not a host name" in result.output
    result = runner.invoke(app, ["teams", "package", "--app-id", APP_ID, "--developer", "L&D " * 9,
                                 "--out", str(tmp_path / "x.zip")])
    assert result.exit_code == 1 and "1 to 32 characters" in result.output
    assert not (tmp_path / "x.zip").exists()
    manifest, _ = _package(tmp_path, "--developer", "Людмила из отдела обучения и раз")  # 32: Teams takes it
    assert manifest["developer"]["name"] == "Людмила из отдела обучения и раз"
