"""A large subtree's summary, counted by the database (`store.subtree`): one line per direct report's group
with its level distribution against target, engagement and biggest gaps, each a Show button away from the
same view one level down. Nobody's row is loaded, so a director over 100,000 people costs a few grouped
queries; the lines read exactly like those `bot.team.view` builds from loaded people for smaller teams (the
same `TeamGroup`, the same text), and the tests hold the two to the same figures."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from scipy.special import ndtri
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.mastery import MasteryModel
from bot.replies import Button, Choice, LevelCounts, TeamGroup, TeamSummary
from bot.team.roster import Standing
from bot.team.text import summary_text
from bot.team.view import (
    GROUP_ABOVE,
    LIST_LIMIT,
    gap_lines,
    group_gaps,
    group_of,
    group_order,
    group_title,
    member_line,
    show_button,
)
from store import subtree
from store.subtree import GroupActivity, GroupSize, LevelRule

COUNT_ABOVE = LIST_LIMIT
"""A team with sub-managers and more people than this is counted by the database rather than loaded: above it
no one is listed or drawn anyway (`LIST_LIMIT`), so the loaded rows would only be summed."""
COUNTED_NOTE = ("Each group is one line here, its figures counted over everyone in it: press its Show button to "
                "see it one level down, and so on down to the people themselves. `/team export` has everyone as "
                "a spreadsheet.")


def counted(sizes: list[GroupSize], extra: int = 0) -> bool:
    """Whether a subtree of these groups (plus `extra` people, such as the group's own lead) is summed in the
    database: more than COUNT_ABOVE people, and someone in it manages others (a flat team is grouped by role
    and name instead, `bot.team.view.flat_groups`)."""
    people = sum(s.people for s in sizes) + extra
    return people > max(COUNT_ABOVE, GROUP_ABOVE) and any(s.deepest > 1 for s in sizes)


def level_rule(model: MasteryModel, threshold: float) -> LevelRule:
    """What the database needs to work out a level as `MasteryModel.level` does."""
    ability, sd = model.newcomer
    bars = model.params.thresholds()
    return LevelRule(bars=(float(bars[0]), float(bars[1]), float(bars[2])), z=float(ndtri(threshold)),
                     newcomer=(float(ability), float(sd)))


async def counted_groups(session: AsyncSession, root: int, now: datetime, rule: LevelRule,
                         names: dict[str, str], also: Collection[str] = ()) -> tuple[list[Choice], list[TeamGroup]]:
    """The competency columns (any target in the subtree, plus `also`) and one group per direct report of
    `root`, in the order `bot.team.view.summary` lists them."""
    sizes = await subtree.group_sizes(session, root)
    levels = await subtree.group_levels(session, root, rule)
    activity = await subtree.group_activity(session, root, now)
    below = await subtree.below_people(session, root, rule)
    heads = await subtree.heads(session, [s.head for s in sizes])
    wanted = {row.competency for row in levels} | set(also)
    competencies = [Choice(c, names.get(c, c)) for c in sorted(wanted, key=lambda c: names.get(c, c).lower())]
    counts = {(row.head, row.competency): LevelCounts(row.met, row.near, row.far, row.new) for row in levels}
    groups = []
    for size in sizes:
        head = heads[size.head]
        done = activity.get(size.head) or GroupActivity(size.head, 0, 0, 0, 0)
        title = group_title(head.name, left=not head.active)
        columns = [counts.get((size.head, c.value), LevelCounts()) for c in competencies]
        groups.append(TeamGroup(
            lead=head.name, members=[], answered_7=done.answered_7, answered_30=done.answered_30,
            below=[c.below for c in columns], quiet=0, key=size.head, title=title, left=not head.active,
            below_people=below.get(size.head, 0), active_7=done.active_7, show=show_button(title, {"g": size.head}),
            levels=columns, active_14=done.active_14, gaps=group_gaps(columns, competencies), headcount=size.people,
        ))
    groups.sort(key=group_order)
    return competencies, groups


async def counted_summary(session: AsyncSession, manager: str, root: int, now: datetime, model: MasteryModel,
                          threshold: float, names: dict[str, str], *, scope: str = "",
                          lead: Standing | None = None) -> TeamSummary:
    """The summary of everyone below `root` by direct report's group. With `scope` it is one group opened from
    a summary a level up (`lead`: the group's own head, shown as a line of their own before their reports'
    groups)."""
    also = {row.competency_id for row in lead.rows if row.target} if lead else set()
    competencies, groups = await counted_groups(session, root, now, level_rule(model, threshold), names, also)
    if lead is not None:
        alone = group_of([member_line(lead, competencies, names)], competencies, now,
                       naming=(lead.person.name, f"{lead.person.name} (who leads this group)", False))
        groups.insert(0, alone)
    totals = [sum((g.levels[i] for g in groups), LevelCounts()) for i in range(len(competencies))]
    view = TeamSummary(
        manager=manager, competencies=competencies, groups=groups, grouped=True, listed=False,
        gaps=gap_lines(totals, competencies), attention=[],
        actions=[Button("Back to the team", "team_summary", {})] if scope else [], text="", note=COUNTED_NOTE,
        as_of=now, scope=scope, counted=True,
    )
    view.text = summary_text(view, now)
    return view
