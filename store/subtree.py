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

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CTE, Float, and_, case, cast, func, literal, select, union_all
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
class GroupSize:
    head: int
    people: int
    deepest: int
    """How many levels below the root the group reaches (1: the direct report alone)."""


@dataclass(frozen=True)
class GroupLevels:
    """One group and competency: how many people with a target in it meet it, are one level below, two or
    more below, or have no answers in it yet."""

    head: int
    competency: str
    met: int
    near: int
    far: int
    new: int


@dataclass(frozen=True)
class GroupActivity:
    head: int
    answered_7: int
    answered_30: int
    active_7: int
    active_14: int


@dataclass(frozen=True)
class Head:
    id: int
    name: str
    active: bool


def _members(root: int) -> CTE:
    """Everyone active below `root`, with the direct report whose group they are in: (id, head, role, depth)."""
    base = select(col(Person.id).label("id"), col(Person.id).label("head"), literal(1).label("depth")) \
        .where(Person.manager_id == root)
    tree = base.cte("tree", recursive=True)
    step = select(col(Person.id), tree.c.head, tree.c.depth + 1).join(tree, col(Person.manager_id) == tree.c.id) \
        .where(tree.c.depth < MAX_DEPTH)
    tree = tree.union_all(step)
    return select(tree.c.id, tree.c.head, tree.c.depth,
                  func.coalesce(col(Person.role_id), DEFAULT_ROLE).label("role")) \
        .join(Person, col(Person.id) == tree.c.id).where(col(Person.active)).cte("members")


async def group_sizes(session: AsyncSession, root: int) -> list[GroupSize]:
    """Per group: how many active people it holds and how deep it goes (a team whose groups are all one
    level deep is flat)."""
    members = _members(root)
    rows = await session.exec(select(members.c.head, func.count(), func.max(members.c.depth))  # type: ignore[call-overload]
                              .group_by(members.c.head))
    return [GroupSize(head, people, deepest) for head, people, deepest in rows.all()]


async def heads(session: AsyncSession, ids: list[int]) -> dict[int, Head]:
    """The people the groups are named after (some may have left the org chart)."""
    if not ids:
        return {}
    rows = await session.exec(select(Person.id, Person.name, Person.active).where(col(Person.id).in_(ids)))  # type: ignore[call-overload]
    return {pid: Head(pid, name, active) for pid, name, active in rows.all()}


def _targets(members: CTE) -> Any:
    """(id, head, competency, target) for every member and competency their role or an open focus of their
    manager asks for: the team view's targets (a learner's goal role and interests are their own plan)."""
    asked = union_all(
        select(members.c.id, members.c.head, col(RoleRequirement.competency_id).label("competency"),
               col(RoleRequirement.level).label("level"))
        .join(RoleRequirement, col(RoleRequirement.role_id) == members.c.role),
        select(members.c.id, members.c.head, col(Focus.competency_id), literal(FOCUS_LEVEL))
        .join(Focus, and_(col(Focus.person_id) == members.c.id, col(Focus.cleared_at).is_(None))),
    ).subquery("asked")
    return select(asked.c.id, asked.c.head, asked.c.competency, func.max(asked.c.level).label("target")) \
        .group_by(asked.c.id, asked.c.head, asked.c.competency).subquery("targets")


def _level(rule: LevelRule) -> Any:
    """The level a stored state shows, in SQL (see the module's docstring)."""
    state = col(MasteryState.state)
    own = cast(state["ability"].as_float(), Float)
    ability = func.coalesce(own, rule.newcomer[0])
    sd = case((own.is_(None), rule.newcomer[1]), else_=func.coalesce(cast(state["ability_sd"].as_float(), Float), 0.0))
    spread = case((sd < MIN_SD, MIN_SD), else_=sd) * rule.z
    return sum((case((ability - bar >= spread, 1), else_=0) for bar in rule.bars), start=literal(0))


async def group_levels(session: AsyncSession, root: int, rule: LevelRule) -> list[GroupLevels]:
    """Per group and competency that anyone in it has a target for: met / one below / two or more below / no
    answers yet (the cells of the per-person heatmap, counted)."""
    targets = _targets(_members(root))
    answered = func.coalesce(col(MasteryState.attempts), 0) > 0
    gap = targets.c.target - _level(rule)
    rows = await session.exec(
        select(targets.c.head, targets.c.competency,  # type: ignore[call-overload]
               func.sum(case((and_(answered, gap <= 0), 1), else_=0)),
               func.sum(case((and_(answered, gap == 1), 1), else_=0)),
               func.sum(case((and_(answered, gap >= 2), 1), else_=0)),
               func.sum(case((answered, 0), else_=1)))
        .select_from(targets)
        .outerjoin(MasteryState, and_(col(MasteryState.person_id) == targets.c.id,
                                      col(MasteryState.competency_id) == targets.c.competency))
        .where(targets.c.target > 0)
        .group_by(targets.c.head, targets.c.competency)
    )
    return [GroupLevels(head, competency, int(met), int(near), int(far), int(new))
            for head, competency, met, near, far, new in rows.all()]


async def below_people(session: AsyncSession, root: int, rule: LevelRule) -> dict[int, int]:
    """Per group: how many people are below target (on their answers) in at least one competency."""
    targets = _targets(_members(root))
    rows = await session.exec(
        select(targets.c.head, func.count(func.distinct(targets.c.id)))  # type: ignore[call-overload]
        .select_from(targets)
        .join(MasteryState, and_(col(MasteryState.person_id) == targets.c.id,
                                 col(MasteryState.competency_id) == targets.c.competency))
        .where(targets.c.target > 0, col(MasteryState.attempts) > 0, targets.c.target > _level(rule))
        .group_by(targets.c.head)
    )
    return dict(rows.all())


async def group_activity(session: AsyncSession, root: int, now: datetime) -> dict[int, GroupActivity]:
    """Per group: lessons answered in the last 7 and 30 days, and how many people answered in the last 7 and
    14 (answers up to `now`, the coach's clock, through ix_answer_person_time)."""
    members = _members(root)
    week, fortnight = now - timedelta(days=7), now - timedelta(days=14)
    at = col(Answer.answered_at)
    rows = await session.exec(
        select(members.c.head,  # type: ignore[call-overload]
               func.sum(case((at >= week, 1), else_=0)), func.count(),
               func.count(func.distinct(case((at >= week, members.c.id)))),
               func.count(func.distinct(case((at >= fortnight, members.c.id)))))
        .select_from(members).join(Answer, col(Answer.person_id) == members.c.id)
        .where(at >= now - timedelta(days=30), at <= now)
        .group_by(members.c.head)
    )
    return {head: GroupActivity(head, int(a7), int(a30), int(p7), int(p14)) for head, a7, a30, p7, p14 in rows.all()}


async def is_within(session: AsyncSession, root: int, person_id: int) -> bool:
    """Whether `person_id` is somewhere below `root` (never `root` itself): a walk up from the person, by
    primary key, at most MAX_DEPTH levels. Unlike `people.is_below` the person may have left the org chart:
    a leaver still names the group of those who reported to them."""
    base = select(col(Person.manager_id).label("id"), literal(1).label("depth")).where(Person.id == person_id)
    chain = base.cte("chain", recursive=True)
    step = select(col(Person.manager_id), chain.c.depth + 1).join(chain, col(Person.id) == chain.c.id) \
        .where(chain.c.depth < MAX_DEPTH, chain.c.id != root)
    chain = chain.union_all(step)
    found = await session.exec(select(chain.c.id).where(chain.c.id == root).limit(1))  # type: ignore[call-overload]
    return found.first() is not None
