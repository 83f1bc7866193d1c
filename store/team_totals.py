"""Every manager's subtree counted once and kept (`TeamTotal`), so that a director's summary reads the rows of
their direct reports' groups instead of walking and counting everyone below them on every request.

The refresh is set-based: one statement walks the whole chart from every manager at once (`members_of` with
every manager as a head; the walk is cut at `MAX_DEPTH` levels as everywhere else) and writes the same rows
`store.subtree.group_totals` counts for one root, for all of them. It runs in one transaction with the state
row locked, so processes sharing one PostgreSQL never refresh at once and readers see either the old totals or
the new ones. The totals are keyed to the org chart they were counted on: the org state's write counter
(`OrgState.changes`, which database triggers move whenever a person, a chat id or an enrolment is written),
read before the count. Only an org import changes who reports to whom (and so which groups exist), and it
leaves the counter it ended on in `OrgState.digest_changes`. A reader uses the kept rows only when they were
counted after the last import that changed something, under its own level rule, and are not older than it
accepts; else it counts live, and the scheduler's next `team-totals` job counts them again. So the import's
own transaction need not count them (a 3,000-deep chain would pay more for the count than for the import, and
hold the import's lock through it): `coach org import` counts them in a transaction of its own once the import
has committed (`bot.team.rollup.count_after_import`), and no summary shows the groups as they were before an
import, even where that count failed or another process imported. Other writes (a leaver, a chat id, an
enrolment) show at the next count, as answers do, and the summary says how old its figures are. A direct report
who manages no one is counted live, next to the kept rows (one person's rows: the cost of a request stays that of
the number of direct reports, not of the subtree).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, delete, distinct, exists, func, insert, union_all, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import OrgState, Person, TeamTotal, TeamTotalsState
from store.subtree import GroupTotals, LevelRule, collect, members_of, parts

STATE = "totals"
COLUMNS = ("kind", "head_id", "role", "competency", "a", "b", "c", "d")


@dataclass(frozen=True)
class KeptTotals:
    """A root's groups as they were counted at `as_of`."""

    totals: GroupTotals
    as_of: datetime


@dataclass(frozen=True)
class Refreshed:
    """What a refresh did: whether it counted (or found the totals fresh enough), the rows it wrote and the
    managers they count (each manager's subtree is one group)."""

    counted: bool
    rows: int
    as_of: datetime | None
    managers: int = 0


def rule_key(rule: LevelRule) -> str:
    """The rule as the state row keeps it (floats written by `json` read back exactly)."""
    return json.dumps([list(rule.bars), rule.z, list(rule.newcomer)])


async def refresh(session: AsyncSession, rule: LevelRule, now: datetime, *,
                  every: timedelta | None = None) -> Refreshed:
    """Count every manager's subtree as of `now` and replace the kept totals, in the caller's transaction.
    With `every`, only when the kept totals are older than that, in the future, counted under another rule or
    before the last import that changed the chart, or missing; another process that refreshed meanwhile makes
    this one a no-op (the state row is locked first, so the second waits for the first and then finds fresh
    totals). The chart's counter is read before the count: a change committed while it runs leaves the totals
    marked as counted before it (counted again at the next call), never the other way round."""
    state = (await session.exec(select(TeamTotalsState.as_of, TeamTotalsState.rule, TeamTotalsState.changes)
                                .where(TeamTotalsState.name == STATE).with_for_update())).first()
    chart = (await session.exec(select(OrgState.changes, OrgState.digest_changes).where(OrgState.id == 1))).one()
    if state is None:
        session.add(TeamTotalsState(name=STATE))
        await session.flush()
    elif every is not None and _current(state, rule, chart.digest_changes) and now - every < state.as_of <= now:
        return Refreshed(False, 0, state.as_of)
    await session.exec(delete(TeamTotal))  # type: ignore[call-overload]
    reports = aliased(Person)
    managers = select(col(Person.id).label("id"), col(Person.id).label("head")) \
        .where(exists().where(col(reports.manager_id) == col(Person.id)))
    await session.exec(insert(TeamTotal).from_select(  # type: ignore[call-overload]
        COLUMNS, union_all(*parts(members_of(managers), rule, now))))
    written, heads = (await session.exec(  # rowcount: not on SQLite
        select(func.count(), func.count(distinct(TeamTotal.head_id))).select_from(TeamTotal))).one()
    await session.exec(update(TeamTotalsState).where(col(TeamTotalsState.name) == STATE)  # type: ignore[call-overload]
                       .values(as_of=now, rule=rule_key(rule), changes=chart.changes))
    return Refreshed(True, int(written), now, int(heads))


async def kept(session: AsyncSession, root: int, rule: LevelRule, now: datetime,
               oldest: timedelta) -> KeptTotals | None:
    """The groups of `root`'s direct reports from the kept totals (a direct report who manages no one counted
    live), or None when there are none fit to show: never counted, counted under another rule or before the
    last import that changed the chart, older than `oldest`, or after `now` (a clock set back). Two statements,
    whatever the subtree's size."""
    chart = select(OrgState.digest_changes).where(OrgState.id == 1).scalar_subquery().label("chart")
    state = (await session.exec(select(TeamTotalsState.as_of, TeamTotalsState.rule, TeamTotalsState.changes, chart)
                                .where(TeamTotalsState.name == STATE))).first()
    if state is None or not _current(state, rule, state.chart) or not now - oldest <= state.as_of <= now:
        return None
    reports = aliased(Person)
    manages = exists().where(col(reports.manager_id) == col(Person.id))
    direct = select(Person.id).where(Person.manager_id == root)
    stored = select(*(getattr(TeamTotal, name) for name in COLUMNS)).where(col(TeamTotal.head_id).in_(direct))
    alone = select(col(Person.id).label("id"), col(Person.id).label("head")) \
        .where(Person.manager_id == root, ~manages)
    rows = await session.exec(union_all(stored, *parts(members_of(alone), rule, now)))  # type: ignore[call-overload]
    return KeptTotals(collect(rows.all()), state.as_of)


def _current(state: Row, rule: LevelRule, imported: int | None) -> bool:
    """Whether a state row's totals were counted under `rule` after the last import that changed the chart
    (`imported`: the write counter that import ended on; None when nothing was ever imported)."""
    return state.as_of is not None and state.rule == rule_key(rule) and (
        imported is None or (state.changes is not None and state.changes >= imported))
