"""A large subtree's summary, counted by the database (`store.subtree`): one line per direct report's group
with its level distribution against target, engagement and biggest gaps, each a Show button away from the
same view one level down. Nobody's row is loaded, so a director over 100,000 people costs a few grouped
queries; the lines read exactly like those `bot.team.view` builds from loaded people for smaller teams (the
same `TeamGroup`, the same text), and the tests hold the two to the same figures."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from scipy.special import ndtri
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.fitted import load_model
from bot.engine.mastery import MasteryModel
from bot.replies import Button, Choice, LevelCounts, Moment, Phrase, TeamGroup, TeamSummary
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
from store import groups, subtree, team_totals
from store.db import Database
from store.subtree import GroupActivity, GroupAnswered, GroupRole, GroupTotals, LevelRule
from store.team_totals import Refreshed

log = logging.getLogger(__name__)

COUNT_ABOVE = LIST_LIMIT
"""A team with sub-managers and more people than this is counted by the database rather than loaded: above it
no one is listed or drawn anyway (`LIST_LIMIT`), so the loaded rows would only be summed."""
COUNTED_NOTE = ("Each group is one line here, its figures counted over everyone in it: press its Show button to "
                "see it one level down, and so on down to the people themselves. `/team export` has everyone as "
                "a spreadsheet.")
KEPT_FOR = timedelta(days=1)
"""The oldest kept totals (`store.team_totals`) a summary shows, with their age; older ones (a scheduler that has
stopped) are not shown: the summary is counted at the request instead, as slow as the subtree is large."""


@dataclass(frozen=True)
class Totals:
    """A counted summary's totals, and when they were counted when they are kept ones (None: counted now)."""

    totals: GroupTotals
    kept_at: datetime | None


def counted(roles: list[GroupRole], extra: int = 0) -> bool:
    """Whether a subtree of these groups (plus `extra` people, such as the group's own lead) is summed in the
    database: more than COUNT_ABOVE people, and someone in it manages others (a flat team is grouped by role
    and name instead, `bot.team.view.flat_groups`)."""
    people = sum(r.people for r in roles) + extra
    return people > max(COUNT_ABOVE, GROUP_ABOVE) and any(r.deepest > 1 for r in roles)


async def totals_of(session: AsyncSession, root: int, now: datetime, model: MasteryModel, threshold: float, *,
                    extra: int = 0) -> Totals | None:
    """The totals of `root`'s groups when its summary is counted (`counted`, with `extra` people besides the
    groups), else None (the summary lists people one by one, live). Kept totals when they are fit to show
    (`store.team_totals.kept`: a few rows, whatever the subtree's size), else counted now over the subtree:
    so after a change to the org chart (an import), until the scheduler's next count."""
    rule = level_rule(model, threshold)
    kept = await team_totals.kept(session, root, rule, now, KEPT_FOR)
    if kept is not None:
        return Totals(kept.totals, kept.as_of) if counted(kept.totals.roles, extra) else None
    if not counted(await subtree.group_roles(session, root), extra):
        return None
    return Totals(await subtree.group_totals(session, root, rule, now), None)


async def refresh_totals(session: AsyncSession, now: datetime, threshold: float, *,
                         every: timedelta | None = None) -> Refreshed:
    """Count every manager's subtree again and keep the totals (`store.team_totals.refresh`; with `every`,
    only when the kept ones are older than that, or were counted under another rule or before the last
    import that changed the org chart): the scheduler's `team-totals` job calls it."""
    return await team_totals.refresh(session, level_rule(await load_model(session), threshold), now, every=every)


async def count_after_import(database: Database, now: datetime, threshold: float) -> Refreshed | None:
    """Count the kept totals again right after an org import has committed, in a transaction of their own (so
    the import's write lock is not held through the count), so that the first director's summary after the
    import reads kept rows instead of counting live. Only when the kept ones are not fit for a summary to show
    (counted before the import's change to the chart, under another rule, more than `KEPT_FOR` ago, or never):
    an import that changed no one leaves current totals as they are and counts nothing. None when the count
    failed: the import stands, and large summaries count live until the scheduler's `team-totals` job counts."""
    try:
        async with database.session() as session:
            return await refresh_totals(session, now, threshold, every=KEPT_FOR)
    except (OSError, SQLAlchemyError):  # the import stands whatever happens to the count (a lost connection too)
        log.warning("the team totals were not counted after the org import; large teams' summaries are counted "
                    "live until the scheduler counts them", exc_info=True)
        return None


def kept_note(kept_at: datetime, now: datetime, zone: str) -> Phrase:
    """How old kept figures are, the time a `Moment` in the reader's zone: `Counted 12 minutes ago, at Mon 7
    Dec, 17:40 (Europe/Berlin): …` (each platform writes it in its reader's own zone and words)."""
    minutes = int((now - kept_at).total_seconds() // 60)
    if minutes < 1:
        ago = "less than a minute ago"
    elif minutes < 120:
        ago = f"{minutes} minute{'' if minutes == 1 else 's'} ago"
    else:
        ago = f"{minutes // 60} hours ago"
    return Phrase.of(f"Counted {ago}, at ", Moment(kept_at, zone), ": the coach counts large teams again every "
                     "few minutes; answers given since then show at the next count.")


def level_rule(model: MasteryModel, threshold: float) -> LevelRule:
    """What the database needs to work out a level as `MasteryModel.level` does."""
    ability, sd = model.newcomer
    bars = model.params.thresholds()
    return LevelRule(bars=(float(bars[0]), float(bars[1]), float(bars[2])), z=float(ndtri(threshold)),
                     newcomer=(float(ability), float(sd)))


async def counted_groups(session: AsyncSession, totals: GroupTotals, names: dict[str, str],
                         also: Collection[str] = ()) -> tuple[list[Choice], list[TeamGroup]]:
    """The competency columns (any target in the subtree, plus `also`) and one group per direct report of the
    subtree's root (`totals`: `store.subtree.group_totals` of it), in the order `bot.team.view.summary` lists
    them."""
    roles = totals.roles
    needs = await groups.requirements_of(session, {r.role for r in roles})
    with_target: Counter[tuple[int, str]] = Counter()
    for row in roles:
        for competency, level in needs[row.role].items():
            if level > 0:
                with_target[row.head, competency] += row.people
    for focus in totals.focuses:
        if needs.get(focus.role, {}).get(focus.competency, 0) <= 0:
            with_target[focus.head, focus.competency] += focus.people
    done = {(row.head, row.competency): row for row in totals.answered}
    wanted = {competency for _, competency in with_target} | set(also)
    competencies = [Choice(c, names.get(c, c)) for c in sorted(wanted, key=lambda c: names.get(c, c).lower())]
    people: Counter[int] = Counter()
    for row in roles:
        people[row.head] += row.people
    heads = await subtree.heads(session, list(people))
    result = []
    for head_id, size in people.items():
        head = heads[head_id]
        act = totals.activity.get(head_id) or GroupActivity(head_id, 0, 0, 0, 0)
        title = group_title(head.name, left=not head.active)
        columns = [_counts(with_target[head_id, c.value], done.get((head_id, c.value))) for c in competencies]
        result.append(TeamGroup(
            lead=head.name, members=[], answered_7=act.answered_7, answered_30=act.answered_30,
            below=[c.below for c in columns], quiet=0, key=head_id, title=title, left=not head.active,
            below_people=totals.below_people.get(head_id, 0), active_7=act.active_7,
            show=show_button(title, {"g": head_id}), levels=columns, active_14=act.active_14,
            gaps=group_gaps(columns, competencies), headcount=size,
        ))
    result.sort(key=group_order)
    return competencies, result


def _counts(with_target: int, answered: GroupAnswered | None) -> LevelCounts:
    """A group's column: those with answers by how they stand, the rest of those with a target new."""
    if answered is None:
        return LevelCounts(new=with_target)
    return LevelCounts(answered.met, answered.near, answered.far,
                       with_target - answered.met - answered.near - answered.far)


async def counted_summary(session: AsyncSession, manager: str, totals: GroupTotals, now: datetime,
                          names: dict[str, str], *, scope: str = "", lead: Standing | None = None,
                          kept_at: datetime | None = None, zone: str = "UTC") -> TeamSummary:
    """The summary of everyone below a root (`totals`: `store.subtree.group_totals` of it) by direct report's
    group. With `scope` it is one group opened from a summary a level up (`lead`: the group's own head, shown
    as a line of their own before their reports' groups). `kept_at`: the totals are kept ones counted then
    (the summary says how long ago, in the reader's `zone`, and `as_of` is that time)."""
    also = {row.competency_id for row in lead.rows if row.target} if lead else set()
    competencies, groups = await counted_groups(session, totals, names, also)
    if lead is not None:
        alone = group_of([member_line(lead, competencies, names)], competencies, now,
                       naming=(lead.person.name, f"{lead.person.name} (who leads this group)", False))
        groups.insert(0, alone)
    totals = [sum((g.levels[i] for g in groups), LevelCounts()) for i in range(len(competencies))]
    view = TeamSummary(
        manager=manager, competencies=competencies, groups=groups, grouped=True, listed=False,
        gaps=gap_lines(totals, competencies), attention=[],
        actions=[Button("Back to the team", "team_summary", {})] if scope else [], text="",
        note=f"{COUNTED_NOTE} " + kept_note(kept_at, now, zone) if kept_at else COUNTED_NOTE,
        as_of=kept_at or now, scope=scope, counted=True, zone=zone,
    )
    view.text = summary_text(view, now)
    return view
