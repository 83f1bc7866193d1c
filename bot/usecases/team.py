"""Use case: `/team` — a manager's view of their reports (direct and indirect), and nothing more.

Every path starts from the reports of the person asking, so a refusal never reveals whether anyone else
exists or what they did."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.replies import Reply
from bot.reports import competency_summary, team_members
from store import people

if TYPE_CHECKING:
    from bot.coach import Coach

ACTIONS: tuple[str, ...] = ()
NOT_A_MANAGER = ("`/team` shows a summary of the people who report to you, and the org chart lists no one "
                 "reporting to you. If that's wrong, ask your HR or L&D admin to update the org chart.")


async def run(coach: Coach, person_id: int, verb: str, args: str) -> Reply:
    async with coach.database.session() as session:
        if not await people.report_ids(session, person_id):
            return Reply.text(NOT_A_MANAGER, ephemeral=True)
        members = await team_members(session, person_id, coach.clock(), coach.config.mastery_threshold)
    lines = [f"**Your team: {len(members)} people**"]
    for competency in competency_summary(members):
        if competency["with_target"]:
            below = len(competency["below_target"])
            lines.append(f"• {competency['name']}: average mastery {competency['average_mastery']:.0%}, "
                         f"{below} of {competency['with_target']} below target")
    return Reply.text("\n".join(lines), ephemeral=True)


async def press(coach: Coach, person_id: int, action: str, value: dict[str, Any]) -> Reply:
    return Reply.text("That button is no longer active.", ephemeral=True)
