"""Totals over a manager's whole subtree, one row per direct report's group, computed by the database.

A director over 100,000 people must not load 100,000 people to see eight lines. Every query here walks the
subtree once with a recursive CTE over `person.manager_id` (the index `report_ids` uses) and hands back only
`GROUP BY` results: one row per group (or per group and competency), never a person. Each person is placed in
the group of the direct report above them (`head`; a direct report who left the org chart still heads the
group of the people who reported to them, as `bot.team.view.Org` places them).

A level is worked out in SQL from the stored model state exactly as `MasteryModel.level` does from it: the
highest level k whose bar the ability clears by `z` standard deviations, where `z` is the normal quantile of
the mastery threshold (`LevelRule`): P(ability > bar) >= threshold  <=>  ability - bar >= z * sd.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CTE, Float, Select, and_, case, cast, func, literal, select, union_all
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from store.learning import DEFAULT_ROLE
from store.models import Answer, Focus, MasteryState, Person, RoleRequirement
from store.people import MAX_DEPTH

FOCUS_LEVEL = 2
"""The level a manager's focus asks for when the role asks for less (`bot.engine.targets.FOCUS_DEFAULT_LEVEL`)."""
MIN_SD = 1e-6


@dataclass(frozen=True)
class LevelRule:
    """What `MasteryModel.level` needs, as plain numbers: the three level bars, the normal quantile of the
    mastery threshold, and the newcomer's belief (for a state that has answers but no ability stored)."""

    bars: tuple[float, float, float]
    z: float
    newcomer: tuple[float, float]


@dataclass(frozen=True)
class GroupRole:
    """How many active people of one role (`DEFAULT_ROLE` for none) a group holds, and how many levels below
    the root its deepest one is (1: the direct report alone)."""

    head: int
    role: str
    people: int
    deepest: int


@dataclass(frozen=True)
class GroupAnswered:
    """One group and competency: of the people with a target in it and answers in it, how many meet the
    target, are one level below, two or more below."""

    head: int
    competency: str
    met: int
    near: int
    far: int


@dataclass(frozen=True)
class GroupFocus:
    """Open focuses of the group's people, per role and competency (they add targets to the role's)."""

    head: int
    role: str
    competency: str
    people: int


@dataclass(frozen=True)
class GroupActivity:
    head: int
    answered_7: int
    answered_30: int
    active_7: int
    active_14: int


@dataclass(frozen=True)
class GroupTotals:
    """Everything a counted summary needs, from one statement (see `group_totals`)."""

    roles: list[GroupRole]
    """Per group and role: how many active people (a role's targets are the same for everyone who holds it,
    so this is all the counts of people with a target need), and how deep the group goes."""
    focuses: list[GroupFocus]
    answered: list[GroupAnswered]
    activity: dict[int, GroupActivity]
    below_people: dict[int, int]
    """Per group: how many people are below target (on their answers) in at least one competency."""


@dataclass(frozen=True)
class Head:
    id: int
    name: str
    active: bool


def _members(root: int) -> CTE:
    """Everyone active below `root`, with the direct report whose group they are in: (id, head, role, depth)."""
    return members_of(select(col(Person.id).label("id"), col(Person.id).label("head"))
                      .where(Person.manager_id == root))


def members_of(heads: Select[Any]) -> CTE:
    """Everyone active in the groups of `heads` (rows of (id, head): each head itself), with the head whose
    group they are in: (id, head, role, depth), the head at depth 1. A person sits in the group of every head
    above them that `heads` names (`store.team_totals` names every manager at once)."""
    tree = heads.add_columns(literal(1).label("depth")).cte("tree", recursive=True)
    step = select(col(Person.id), tree.c.head, tree.c.depth + 1).join(tree, col(Person.manager_id) == tree.c.id) \
        .where(tree.c.depth < MAX_DEPTH)
    tree = tree.union_all(step)
    return select(tree.c.id, tree.c.head, tree.c.depth,
                  func.coalesce(col(Person.role_id), DEFAULT_ROLE).label("role")) \
        .join(Person, col(Person.id) == tree.c.id).where(col(Person.active)).cte("members")


async def heads(session: AsyncSession, ids: list[int]) -> dict[int, Head]:
    """The people the groups are named after (some may have left the org chart)."""
    if not ids:
        return {}
    rows = await session.exec(select(Person.id, Person.name, Person.active).where(col(Person.id).in_(ids)))  # type: ignore[call-overload]
    return {pid: Head(pid, name, active) for pid, name, active in rows.all()}


def _answered(members: CTE, rule: LevelRule) -> Any:
    """(id, head, competency, gap) for every member's competency with answers and a target (the role's, or an
    open focus's: at least FOCUS_LEVEL); gap = target - level. Only stored states are read, so people
    without answers cost nothing here."""
    required = func.coalesce(col(RoleRequirement.level), 0)
    target = case((col(Focus.id).is_not(None), case((required < FOCUS_LEVEL, FOCUS_LEVEL), else_=required)),
                  else_=required)
    return select(members.c.id, members.c.head, col(MasteryState.competency_id).label("competency"),
                  (target - _level(rule)).label("gap")) \
        .join(MasteryState, col(MasteryState.person_id) == members.c.id) \
        .outerjoin(RoleRequirement, and_(col(RoleRequirement.role_id) == members.c.role,
                                         col(RoleRequirement.competency_id) == col(MasteryState.competency_id))) \
        .outerjoin(Focus, and_(col(Focus.person_id) == members.c.id, col(Focus.cleared_at).is_(None),
                               col(Focus.competency_id) == col(MasteryState.competency_id))) \
        .where(col(MasteryState.attempts) > 0, target > 0).subquery("answered")


def _level(rule: LevelRule) -> Any:
    """The level a stored state shows, in SQL (see the module's docstring)."""
    state = col(MasteryState.state)
    own = cast(state["ability"].as_float(), Float)
    ability = func.coalesce(own, rule.newcomer[0])
    sd = case((own.is_(None), rule.newcomer[1]), else_=func.coalesce(cast(state["ability_sd"].as_float(), Float), 0.0))
    spread = case((sd < MIN_SD, MIN_SD), else_=sd) * rule.z
    return sum((case((ability - bar >= spread, 1), else_=0) for bar in rule.bars), start=literal(0))


async def group_roles(session: AsyncSession, root: int) -> list[GroupRole]:
    """Per group and role under `root`, its people and how deep the group goes: all it takes to decide whether
    a summary is counted here (`bot.team.rollup.counted`), without the totals a small team never uses."""
    rows = await session.exec(select(_roles(_members(root))))  # type: ignore[call-overload]
    return [GroupRole(head, role, int(people), int(depth)) for head, role, people, depth in rows.all()]


def _roles(members: CTE) -> Any:
    """(head, role, people, deepest) per group and role of `members`."""
    return select(members.c.head, members.c.role, func.count().label("people"),
                  func.max(members.c.depth).label("deepest")).group_by(members.c.head, members.c.role).subquery()


async def group_totals(session: AsyncSession, root: int, rule: LevelRule, now: datetime) -> GroupTotals:
    """The totals of every group below `root`, counted now: one statement (`parts`), so the subtree is walked
    once (a CTE used several times is computed once, on both databases)."""
    rows = await session.exec(union_all(*parts(_members(root), rule, now)))  # type: ignore[call-overload]
    return collect(rows.all())


def parts(members: CTE, rule: LevelRule, now: datetime) -> list[Select[Any]]:
    """Per group of `members` (`members_of`): its people by role and its depth; open focuses by role and
    competency; per competency, among the people with a target and answers in it, how many meet it, are one
    below, two or more below; lessons answered in the last 7 and 30 days and people who answered in the last 7
    and 14 (up to `now`, the coach's clock); how many people are below target anywhere. Each part is one kind
    of row for a UNION ALL: (kind, head, role, competency, a, b, c, d), `collect` reads them back."""
    answered, roles = _answered(members, rule), _roles(members)
    week, fortnight = now - timedelta(days=7), now - timedelta(days=14)
    at = col(Answer.answered_at)
    none, zero = literal(""), literal(0)
    return [
        select(literal("role"), roles.c.head, roles.c.role, none, roles.c.people, roles.c.deepest, zero, zero),
        select(literal("focus"), members.c.head, members.c.role, col(Focus.competency_id), func.count(), zero, zero,
               zero)
        .join(Focus, and_(col(Focus.person_id) == members.c.id, col(Focus.cleared_at).is_(None)))
        .group_by(members.c.head, members.c.role, col(Focus.competency_id)),
        select(literal("answered"), answered.c.head, none, answered.c.competency,
               func.sum(case((answered.c.gap <= 0, 1), else_=0)), func.sum(case((answered.c.gap == 1, 1), else_=0)),
               func.sum(case((answered.c.gap >= 2, 1), else_=0)), zero)
        .group_by(answered.c.head, answered.c.competency),
        select(literal("below"), answered.c.head, none, none, func.count(func.distinct(answered.c.id)), zero, zero,
               zero)
        .where(answered.c.gap > 0).group_by(answered.c.head),
        select(literal("activity"), members.c.head, none, none, func.sum(case((at >= week, 1), else_=0)),
               func.count(), func.count(func.distinct(case((at >= week, members.c.id)))),
               func.count(func.distinct(case((at >= fortnight, members.c.id)))))
        .select_from(members).join(Answer, col(Answer.person_id) == members.c.id)
        .where(at >= now - timedelta(days=30), at <= now).group_by(members.c.head),
    ]


def collect(rows: Iterable[Any]) -> GroupTotals:
    """`GroupTotals` from rows of `parts` (counted now, or kept: `store.team_totals`)."""
    totals = GroupTotals([], [], [], {}, {})
    for kind, head, role, competency, a, b, c, d in rows:
        if kind == "role":
            totals.roles.append(GroupRole(head, role, int(a), int(b)))
        elif kind == "focus":
            totals.focuses.append(GroupFocus(head, role, competency, int(a)))
        elif kind == "answered":
            totals.answered.append(GroupAnswered(head, competency, int(a), int(b), int(c)))
        elif kind == "below":
            totals.below_people[head] = int(a)
        else:
            totals.activity[head] = GroupActivity(head, int(a), int(b), int(c), int(d))
    return totals
