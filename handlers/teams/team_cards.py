"""The people views as Adaptive Cards: the manager's team summary, one report in detail, the learner's team.

Their wording comes from `bot.team_text` (the same on every platform). Teams refuses a message over about
28 KB, so a view too large for one message — a team summary listing a hundred people — continues over as
many messages as it needs (`fitting`), every person listed, its buttons under the last part. The heatmap
that comes with a summary is shown in the chat when it fits in a message, and offered as a file when not
(`files`).
"""

from __future__ import annotations

from typing import Any

from bot.replies import Button, PeerView, PersonDetail, TeamSummary
from handlers.teams.adaptive import Card, card, heading, renderer, submit, text_blocks


def _titled(text: str, buttons: list[Button]) -> Card:
    """The first line as the card's heading, the rest as text, the buttons as Action.Submit."""
    title, _, rest = text.partition("\n")
    body: list[dict[str, Any]] = [heading(title)]
    body += text_blocks(rest)
    return card(body, [submit(b) for b in buttons], wide=True)


@renderer(TeamSummary)
def team_summary_card(summary: TeamSummary) -> Card:
    return _titled(summary.text, summary.actions)


@renderer(PersonDetail)
def person_detail_card(detail: PersonDetail) -> Card:
    return _titled(detail.text, detail.actions)


@renderer(PeerView)
def peer_view_card(view: PeerView) -> Card:
    return _titled(view.text, view.buttons)
