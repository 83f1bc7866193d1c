"""The people views as Adaptive Cards: the manager's team summary, one report in detail, the learner's team.

Their wording comes from `bot.team.text` (the same on every platform). Teams refuses a message over about
28 KB, so a view too large for one message — a team summary listing a hundred people — continues over as
many messages as it needs (`fitting`), every person listed, its buttons under the last part. The heatmap
that comes with a summary is shown in the chat when it fits in a message, and offered as a file when not
(`files`).
"""

from __future__ import annotations

from typing import Any

from bot.replies import Button, PeerView, PersonDetail, TeamSummary, Text, written
from handlers.msteams.adaptive import Card, action_set, card, execute, heading, moment, renderer, text_blocks

GROUP_BUTTONS_PER_ROW = 5
"""Teams shows at most about six buttons side by side; the groups' Show buttons go in rows of five."""


def _titled(text: Text, buttons: list[Button], *, more: list[Button] | None = None) -> Card:
    """The first line as the card's heading, the rest as text (dates with DATE()/TIME()), `more` as rows of
    buttons under it, every button an Action.Execute (with its Action.Submit as fallback)."""
    title, _, rest = written(text, moment).partition("\n")
    body: list[dict[str, Any]] = [heading(title)]
    body += text_blocks(rest)
    extra = more or []
    rows = range(0, len(extra), GROUP_BUTTONS_PER_ROW)
    body += [action_set(extra[at:at + GROUP_BUTTONS_PER_ROW], execute) for at in rows]
    return card(body, [execute(b) for b in buttons], wide=True)


@renderer(TeamSummary)
def team_summary_card(summary: TeamSummary) -> Card:
    """A grouped summary (one line per group) gets each group's Show button, which opens it person by person."""
    shows = [] if summary.listed else [group.show for group in summary.groups if group.show is not None]
    return _titled(summary.text, summary.actions, more=shows)


@renderer(PersonDetail)
def person_detail_card(detail: PersonDetail) -> Card:
    return _titled(detail.text, detail.actions)


@renderer(PeerView)
def peer_view_card(view: PeerView) -> Card:
    return _titled(view.text, view.buttons)
