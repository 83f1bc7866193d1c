"""The people views in Block Kit: the manager's team summary and one report in detail (`/team`), and the
learner's team view (`/learn team`). Their wording comes from `bot.team.text` (the same on every
platform); here each paragraph becomes its own section — with a divider before each group of a large
team and notes as context — and the suggested actions become buttons. A grouped summary shows one section
per group with its Show button beside it. A long paragraph becomes several sections, and `messages_for`
splits a reply past Slack's 50 blocks into several messages, so nobody on a large team is ever left out."""

from __future__ import annotations

from bot.replies import Button, PeerView, PersonDetail, TeamSummary, Text, split, written
from bot.team.text import group_line
from handlers.slack.blocks import Block, actions, button_rows, coach_button, context, divider, renderer, sections


def laid_out(text: Text, groups: dict[str, Button | None] | None = None) -> list[Block]:
    """The text's paragraphs as blocks (a date in them as Slack's date token). A paragraph that starts with
    one of `groups` (a group's line) comes after a divider, with the group's Show button beside it when it
    has one."""
    blocks: list[Block] = []
    for part in split(text, "\n\n"):
        shape = written(part, lambda _moment: "·")  # the paragraph's outline: where its lines start and end
        if not shape.strip():
            continue
        if shape.startswith("_") and shape.endswith("_"):
            blocks.append(context(part))
            continue
        first = shape.split("\n", 1)[0]
        if groups and first in groups:
            blocks.append(divider())
        button = (groups or {}).get(first)
        pieces = sections(part)
        if button is not None and len(pieces) == 1 and first == shape:
            pieces[0]["accessory"] = coach_button(button, len(blocks))
        elif button is not None:
            pieces += actions([coach_button(button, len(blocks))])
        blocks += pieces
    return blocks


@renderer(TeamSummary)
def team_summary_blocks(summary: TeamSummary) -> list[Block]:
    groups = {group_line(g): None if summary.listed else g.show for g in summary.groups}
    return [*laid_out(summary.text, groups), *button_rows(summary.actions)]


@renderer(PersonDetail)
def person_detail_blocks(detail: PersonDetail) -> list[Block]:
    return [*laid_out(detail.text), *button_rows(detail.actions)]


@renderer(PeerView)
def peer_view_blocks(view: PeerView) -> list[Block]:
    return [*laid_out(view.text), *button_rows(view.buttons)]
