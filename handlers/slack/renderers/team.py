"""The people views in Block Kit: the manager's team summary and one report in detail (`/team`), and the
learner's team view (`/learn team`). Their wording comes from `bot.team_text` (the same on every
platform); here each paragraph becomes its own section — with a divider before each group of a large
team and notes as context — and the suggested actions become buttons. A long paragraph becomes several
sections, and `messages_for` splits a reply past Slack's 50 blocks into several messages, so nobody on a
large team is ever left out."""

from __future__ import annotations

from bot.replies import PeerView, PersonDetail, TeamSummary
from handlers.slack.blocks import Block, button_rows, context, divider, renderer, sections


def laid_out(text: str) -> list[Block]:
    blocks: list[Block] = []
    for part in (p for p in text.split("\n\n") if p.strip()):
        if part.startswith("_") and part.endswith("_"):
            blocks.append(context(part))
            continue
        if "'s group**" in part.split("\n", 1)[0]:
            blocks.append(divider())
        blocks += sections(part)
    return blocks


@renderer(TeamSummary)
def team_summary_blocks(summary: TeamSummary) -> list[Block]:
    return [*laid_out(summary.text), *button_rows(summary.actions)]


@renderer(PersonDetail)
def person_detail_blocks(detail: PersonDetail) -> list[Block]:
    return [*laid_out(detail.text), *button_rows(detail.actions)]


@renderer(PeerView)
def peer_view_blocks(view: PeerView) -> list[Block]:
    return [*laid_out(view.text), *button_rows(view.buttons)]
