"""Just-in-time search over Slack, end to end: a signed `/learn` with a conversational question against the real
server gets the lesson of a test pack directly in the DM, and a pick among choices is remembered for the
workspace — on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from bot.imports.packs import import_content
from store.models import SearchEvidence, TopicSearch
from tests.support.slack_session import TEAM, SlackServer, button, slack

__all__ = ["slack"]  # fixture

PACK = {
    "pack.yaml": "id: facilities\ntitle: Facilities\nroles: []\n"
                 "competencies:\n  - id: facilities\n    name: Facilities\n",
    "loading-bay.md": """---
id: facilities-loading-bay
title: Keep the loading bay clear
competency: facilities
level: 1
format: text
tags: [loading bay, loading bay doors, deliveries]
asks:
  - a car is blocking the loading bay again
  - who do I tell when the delivery area is blocked
  - can I park in the loading bay for five minutes
questions:
  - ask: A van cannot reach the loading bay because a car is parked there. What do you do?
    options:
      - {text: Call reception to page the driver, correct: true}
      - Let the van wait
    explain: Reception pages the driver; deliveries are not left waiting.
---
Nobody parks in the loading bay, not even for five minutes: call reception, who page the driver.
""",
    "fire-doors.md": """---
id: facilities-fire-doors
title: Fire doors stay shut
competency: facilities
level: 1
format: text
tags: [fire door, wedged door]
asks:
  - someone wedged the fire door open
  - is it ok to prop a fire door open when it is hot
  - fire door will not close properly
questions:
  - ask: A fire door is wedged open to let air in. What do you do?
    options:
      - {text: Remove the wedge and tell facilities, correct: true}
      - Leave it, it is hot
    explain: A wedged fire door lets fire and smoke spread.
---
Fire doors hold back fire and smoke only when they are shut. Remove wedges and report doors that do not close.
""",
}


async def _facilities_pack(slack: SlackServer, tmp_path: Path) -> None:
    folder = tmp_path / "facilities"
    folder.mkdir()
    for name, text in PACK.items():
        (folder / name).write_text(text)
    await import_content(slack.coach.services.database, [folder])


async def test_a_conversational_question_gets_the_lesson_directly_in_the_dm(
        slack: SlackServer, tmp_path: Path) -> None:
    await _facilities_pack(slack, tmp_path)
    ben = slack.person("UBEN")
    await ben.command("what do I do if someone keeps parking their car in the loading bay?", channel=ben.dm)
    [lesson] = await slack.fake.wait_for("chat.postMessage", channel=ben.dm)
    assert lesson.args["blocks"][0]["type"] == "header" and "Keep the loading bay clear" in lesson.text_of_blocks
    async with slack.coach.services.database.session() as session:
        [search] = (await session.exec(select(TopicSearch))).all()
    assert (search.org, search.outcome, search.offered) == (TEAM, "sure", ["facilities-loading-bay"])


async def test_a_pick_among_choices_over_slack_is_evidence_for_the_workspace(
        slack: SlackServer, tmp_path: Path) -> None:
    await _facilities_pack(slack, tmp_path)
    mia = slack.person("UMIA")
    name = await mia.command("blocked doors", channel=mia.dm)  # the loading bay doors, or the fire doors?
    [offer] = await slack.fake.wait_for("response_url", name=name)
    assert "not sure which lesson fits “blocked doors”" in offer.text_of_blocks
    await mia.press(button(offer, "Fire doors stay shut"), ephemeral_url=slack.fake.response_url("doors"))
    [card] = await slack.fake.wait_for("chat.postMessage", channel=mia.dm)
    assert "Fire doors stay shut" in card.text_of_blocks
    async with slack.coach.services.database.session() as session:
        [evidence] = (await session.exec(select(SearchEvidence))).all()
    assert (evidence.org, evidence.key, evidence.lesson_id) == (TEAM, "block door", "facilities-fire-doors")
