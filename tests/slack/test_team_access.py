"""`/team` read without colour, over real HTTP on both databases: every cell of the summary is text
(level/target and a mark), the PNG heatmap comes with alt text and a text summary beside it, and a
60-person heatmap keeps rows and labels large enough to read."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image

from tests.support.learner import answer
from tests.support.org import load_sample_org, sixty_people
from tests.support.slack_session import SlackServer, slack

__all__ = ["slack"]  # fixture

COLOURED = re.compile("[🟩🟨🟥⬛⬜🟦🟧🟪🟫]")
CELL = re.compile(r"^(?:\d/\d(?:✓|↓↓|↓)?|–/\d|·)$")
"""What a cell may be: `3/3✓`, `2/3↓`, `0/3↓↓`, `–/2` or `·` — readable without seeing colour."""


async def test_team_cells_are_text_and_the_heatmap_has_alt_text_and_a_summary(slack: SlackServer) -> None:
    ben = slack.ids["ben@example.com"]
    card = (await slack.coach.command(ben, "purchase approvals")).messages[0]
    await answer(slack.coach, ben, card, False)
    mia = slack.person("UMIA")
    name = await mia.command("", command="/team")
    [summary] = await slack.fake.wait_for("response_url", name=name)
    text = summary.text_of_blocks
    assert not COLOURED.search(text), "no meaning carried by colour alone"
    assert "cells are level/target: ✓ target met · ↓ one level below · ↓↓ two or more below" in text
    rows = [line for line in text.splitlines() if "*Ben Buyer*" in line or "*Cara Agent*" in line]
    assert len(rows) == 2
    for row in rows:
        cells = row.split(" *")[0].split()
        assert cells and all(CELL.match(cell) for cell in cells), row
    assert re.search(r"\d/\d↓", rows[0]) or "–/" in rows[0]  # Ben is below a target, said in text

    [start] = await slack.fake.wait_for("files.getUploadURLExternal")
    [complete] = await slack.fake.wait_for("files.completeUploadExternal")
    alt = start.args["alt_txt"]
    assert alt.startswith("Heatmap of levels against targets: 3 people × ") and "cells at target" in alt
    assert len(alt) <= 1000 and not COLOURED.search(alt)
    assert complete.args["initial_comment"] == alt  # the same words shown beside the picture


async def test_a_sixty_person_heatmap_stays_readable(slack: SlackServer, tmp_path: Path) -> None:
    lines = [line + "," for line in sixty_people()]
    lines[0] += "slack_user_id"
    lines[1] += "UBOSS"
    (tmp_path / "big").mkdir()
    await load_sample_org(slack.coach.services.database, tmp_path / "big", "\n".join(lines) + "\n")
    slack.fake.add_user("UBOSS", "boss@example.com", "Europe/Paris")
    boss = slack.person("UBOSS")
    await boss.command("", command="/team")
    [start, *_] = await slack.fake.wait_for("files.getUploadURLExternal")
    assert start.args["alt_txt"].startswith("Heatmap of levels against targets: 60 people × ")
    uploads = await slack.fake.wait_for("file.upload", 2)
    [png] = [c.args["data"] for c in uploads if c.args["data"].startswith(b"\x89PNG")]
    image = Image.open(io.BytesIO(png))
    width, height = image.size
    assert height >= 60 * 18, "at least 18 pixels a row: 8-point names and labels stay legible"
    assert width <= 2000 and height <= 2400, "and the whole picture fits a screen or two"
