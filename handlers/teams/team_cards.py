"""The people views as Adaptive Cards: the manager's team summary, one report in detail, the learner's team.

Their wording comes from `bot.team_text` (the same on every platform). Teams refuses a message over about
28 KB, so a team too large to list person by person in one card is shown with each group's totals and
says so; the heatmap image sent with it has everyone, and `team export` gives the spreadsheet.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from bot.replies import Button, PeerView, PersonDetail, TeamSummary
from bot.team_text import summary_text
from handlers.teams.adaptive import Card, card, heading, renderer, submit, text_blocks

CARD_BYTES = 24_000
"""Leave room under Teams' ~28 KB for the message envelope."""
TOO_MANY = ("{n} people are more than one Teams message can list: each group shows its totals. The heatmap "
            "image has everyone, and **team export** gives the whole summary as a spreadsheet.")


def _titled(text: str, buttons: list[Button]) -> Card:
    """The first line as the card's heading, the rest as text, the buttons as Action.Submit."""
    title, _, rest = text.partition("\n")
    body: list[dict[str, Any]] = [heading(title)]
    body += text_blocks(rest)
    return card(body, [submit(b) for b in buttons], wide=True)


@renderer(TeamSummary)
def team_summary_card(summary: TeamSummary) -> Card:
    made = _titled(summary.text, summary.actions)
    if summary.listed and summary.as_of is not None and len(json.dumps(made)) > CARD_BYTES:
        compact = dataclasses.replace(summary, listed=False, note=TOO_MANY.format(n=summary.people))
        made = _titled(summary_text(compact, summary.as_of), summary.actions)
    return made


@renderer(PersonDetail)
def person_detail_card(detail: PersonDetail) -> Card:
    return _titled(detail.text, detail.actions)


@renderer(PeerView)
def peer_view_card(view: PeerView) -> Card:
    return _titled(view.text, view.buttons)
