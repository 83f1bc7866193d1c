"""An organisation with more competencies than a Slack select holds (100): the settings modal still offers
every one, grouped, and an interest past the hundredth is saved."""

from __future__ import annotations

from pathlib import Path

from bot.imports.packs import import_content
from store.models import LearnerSettings
from tests.support.slack_session import SlackServer, slack

__all__ = ["slack"]  # fixture

COMPETENCIES = 130


def _big_pack(folder: Path) -> Path:
    pack = folder / "many"
    pack.mkdir()
    lines = ["id: many", "title: Many competencies", "competencies:"]
    lines += [f"  - {{id: skill-{n:03}, name: Skill {n:03}}}" for n in range(COMPETENCIES)]
    lines += ["roles:", "  - {id: generalist, name: Generalist, requires: {skill-000: 1}}"]
    (pack / "pack.yaml").write_text("\n".join(lines) + "\n")
    (pack / "one.md").write_text("---\nid: many-one\ncompetency: skill-000\nlevel: 1\nformat: text\nminutes: 2\n"
                                 "questions:\n  - ask: Two?\n    options:\n      - {text: Yes, correct: true}\n"
                                 "      - No\n    explain: Yes.\n---\nOne lesson.\n")
    return pack


async def test_every_competency_is_offered_in_the_settings_modal_and_the_last_is_saved(
        slack: SlackServer, tmp_path: Path) -> None:
    report = await import_content(slack.coach.services.database, [_big_pack(tmp_path)])
    assert report.packs == ["many"]
    eli = slack.person("UELI")
    await eli.command("settings")
    [modal] = await slack.fake.wait_for("views.open")
    blocks = modal.args["view"]["blocks"]
    assert len(blocks) <= 100
    [interests] = [b for b in blocks if b.get("block_id") == "interests"]
    element = interests["element"]
    assert "options" not in element and len(element["option_groups"]) >= 2
    assert all(len(group["options"]) <= 100 and len(group["label"]["text"]) <= 75
               for group in element["option_groups"])
    offered = [o["value"] for group in element["option_groups"] for o in group["options"]]
    assert {f"skill-{n:03}" for n in range(COMPETENCIES)} <= set(offered) and len(offered) == len(set(offered))
    assert element["option_groups"][0]["label"]["text"].startswith(element["option_groups"][0]["options"][0]
                                                                  ["text"]["text"])

    last = f"skill-{COMPETENCIES - 1:03}"
    saved = await eli.submit(modal, {"interests": {"type": "multi_static_select",
                                                   "selected_options": [{"value": last}]}})
    assert saved.status == 200 and not saved.text
    await slack.fake.wait_for("chat.postMessage", channel=eli.dm)
    async with slack.coach.services.database.session() as session:
        settings = await session.get(LearnerSettings, slack.ids["eli@example.com"])
    assert settings is not None and settings.interests == [last]
