"""The App Home at Slack's 100-block cap: the help line and the buttons always stay; a list too long for
the view loses its middle, and a line there says how much and where to see it all."""

from __future__ import annotations

import pytest

from bot.replies import Button, CompetencyRow, ProgressView, Reply
from handlers.slack.home import HELP_LINE, HOME_BLOCKS, home_view
from handlers.slack.mrkdwn import to_mrkdwn


def _progress(rows: int) -> Reply:
    """A learner with `rows` competencies, each explained at such length that it takes a section of its own."""
    view = ProgressView(
        name="Ada", streak_days=2, next_lesson_at=None, timezone="Europe/Paris", paused=False,
        manager_sees="Your manager sees your levels.", badges=["First steps"],
        buttons=[Button("Lesson now", "next", {}, "primary"), Button("Settings", "settings", {})],
        rows=[CompetencyRow(f"c{n}", f"Competency {n:03}", 1, 2, 0.5, 3, 2, "role",
                            explanation=f"row {n:03} " + "because " * 250) for n in range(rows)])
    return Reply(messages=[view])


def _texts(view: dict) -> list[str]:
    found = []
    for block in view["blocks"]:
        if isinstance(block.get("text"), dict):
            found.append(block["text"]["text"])
        found += [e["text"] for e in block.get("elements", []) if isinstance(e.get("text"), str)]
    return found


@pytest.mark.parametrize("rows", [90, 95, 96, 97, 150])
def test_the_help_line_and_buttons_stay_at_the_cap(rows: int) -> None:
    view = home_view(_progress(rows))
    blocks = view["blocks"]
    texts = "\n".join(_texts(view))
    assert len(blocks) <= HOME_BLOCKS
    assert blocks[-1] == {"type": "context", "elements": [{"type": "mrkdwn", "text": to_mrkdwn(HELP_LINE)}]}
    assert [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]] == [
        "Lesson now", "Settings"]
    assert "First steps" in texts and "Your manager sees your levels." in texts
    shown = [n for n in range(rows) if f"row {n:03} " in texts]
    more = [t for t in _texts(view) if t.startswith("…and ")]
    if len(shown) == rows:
        assert more == []
    else:  # the first rows, then how many more, then the end of the view
        assert shown == list(range(len(shown)))
        assert more == [f"…and {rows - len(shown)} more — `/learn progress` in the Messages tab shows everything."]
        assert len(blocks) == HOME_BLOCKS
