"""Queries about people: the org chart, reporting lines, and chat identities."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, bindparam, exists, literal
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import ChatIdentity, LearnerSettings, Person
from store.types import utcnow

UNVERIFIED_ADDRESS = "coachUnverified"
"""Marks a stored chat address that came from a request nobody authenticated (Teams dev mode)."""


@dataclass(frozen=True)
class OrgRow:
    """One validated line of the org chart CSV."""

    line: int
    email: str
    name: str
    manager_email: str | None
    role: str | None
    timezone: str | None
    slack_user_id: str | None
    teams_user_id: str | None


@dataclass(frozen=True)
class OrgUpsert:
    created: int
    updated: int
    unchanged: int
    deactivated: int = 0


async def person_by_email(session: AsyncSession, email: str) -> Person | None:
    return (await session.exec(select(Person).where(Person.email == email.strip().lower()))).first()


async def people_by_email(session: AsyncSession, emails: Iterable[str]) -> dict[str, Person]:
    wanted = sorted({e.lower() for e in emails})
    if not wanted:
        return {}
    rows = await session.exec(select(Person).where(col(Person.email).in_(wanted)))
    return {person.email: person for person in rows.all()}


async def manager_links(session: AsyncSession) -> dict[str, str | None]:
    """Every known person's email -> their manager's email (for cycle checks across file and database)."""
    manager = select(Person.id, Person.email).subquery()
    rows = await session.exec(
        select(Person.email, manager.c.email).outerjoin(manager, manager.c.id == Person.manager_id)
    )
    return {email: manager_email for email, manager_email in rows.all()}


async def identities_in_use(session: AsyncSession, platform: str, ids: Iterable[str]) -> dict[str, str]:
    """external id -> email of the person who already holds it on that platform. One read of the platform's
    identities, filtered here: a list of 100,000 ids would not fit in one SQL statement's parameters."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.exec(
        select(ChatIdentity.external_id, Person.email)
        .join(Person, col(Person.id) == ChatIdentity.person_id)
        .where(ChatIdentity.platform == platform)
    )
    return {external_id: email for external_id, email in rows.all() if external_id in wanted}


CHUNK = 5000
"""Rows per executemany: large enough to keep round trips few, small enough to keep each batch's memory small."""


async def upsert_org(session: AsyncSession, rows: list[OrgRow], *, deactivate_missing: bool = False) -> OrgUpsert:
    """Create or update everyone in the file (already validated), then wire managers and chat ids. With
    `deactivate_missing` the file is the whole organisation: anyone not in it has left (no more lessons, not
    shown to managers); everyone in it is active again.

    Set-based, so its cost per row stays flat from a team to a 100,000-person company: a few whole-table reads
    into plain tuples, then one batched statement per kind of change (new people, changed people, managers,
    enrolments, chat ids). Only what differs is written: re-importing an unchanged file writes nothing."""
    connection = await session.connection()
    now = utcnow()
    person = Person.__table__  # type: ignore[attr-defined]
    before = {email: (pid, name, role, zone, manager, active) for pid, email, name, role, zone, manager, active in
              (await connection.execute(select(person.c.id, person.c.email, person.c.name, person.c.role_id,
                                               person.c.timezone, person.c.manager_id, person.c.active))).all()}
    fresh = [{"email": r.email, "name": r.name, "role_id": r.role, "timezone": r.timezone, "active": True,
              "manager_id": None, "created_at": now, "updated_at": now} for r in rows if r.email not in before]
    await _in_chunks(connection, person.insert(), fresh)
    ids = {email: pid for email, pid in (await connection.execute(select(person.c.email, person.c.id))).all()}
    changes = []
    updated = 0
    for row in rows:
        manager = ids[row.manager_email] if row.manager_email else None
        wanted = (row.name, row.role, row.timezone, manager, True)
        old = before.get(row.email)
        if old is None:
            if manager is not None:
                changes.append({"pid": ids[row.email], "name": row.name, "role_id": row.role, "timezone": row.timezone,
                                "manager_id": manager, "active": True, "updated_at": now})
        elif old[1:] != wanted:
            updated += 1
            changes.append({"pid": old[0], "name": row.name, "role_id": row.role, "timezone": row.timezone,
                            "manager_id": manager, "active": True, "updated_at": now})
    await _in_chunks(connection, person.update().where(person.c.id == bindparam("pid")), changes)
    await _enrol(connection, [ids[r.email] for r in rows])
    for platform, column in (("slack", "slack_user_id"), ("teams", "teams_user_id")):
        await _link_identities(connection, platform, {ids[r.email]: getattr(r, column) for r in rows
                                                      if getattr(r, column)}, now)
    deactivated = 0
    if deactivate_missing:
        listed = {r.email for r in rows}
        leaving = [{"pid": pid, "updated_at": now} for email, (pid, *_rest, active) in before.items()
                   if active and email not in listed]
        await _in_chunks(connection, person.update().where(person.c.id == bindparam("pid")).values(active=False),
                         leaving)
        deactivated = len(leaving)
    created = len(fresh)
    return OrgUpsert(created=created, updated=updated, unchanged=len(rows) - created - updated,
                     deactivated=deactivated)


async def _in_chunks(connection: AsyncConnection, statement: Executable, params: list[dict[str, Any]]) -> None:
    """One executemany per CHUNK rows (nothing at all for no rows)."""
    for start in range(0, len(params), CHUNK):
        await connection.execute(statement, params[start:start + CHUNK])


async def _enrol(connection: AsyncConnection, person_ids: list[int]) -> None:
    """Enrol with the default schedule whoever has no settings yet; a learner's own changes are never
    overwritten by a re-import."""
    table = LearnerSettings.__table__  # type: ignore[attr-defined]
    enrolled = set((await connection.execute(select(table.c.person_id))).scalars().all())
    defaults = LearnerSettings(person_id=0).model_dump()
    await _in_chunks(connection, table.insert(), [{**defaults, "person_id": pid} for pid in dict.fromkeys(person_ids)
                                                  if pid not in enrolled])


async def _link_identities(connection: AsyncConnection, platform: str, wanted: dict[int, str],
                           now: datetime) -> None:
    """Each person's id on the platform as the file gives it: new identities inserted, re-pointed ones updated
    (the file was checked: no id belongs to someone else), the same ones left alone."""
    if not wanted:
        return
    table = ChatIdentity.__table__  # type: ignore[attr-defined]
    held = {pid: (row_id, external) for row_id, pid, external in (await connection.execute(
        select(table.c.id, table.c.person_id, table.c.external_id).where(table.c.platform == platform))).all()}
    fresh, moved = [], []
    for pid, external in wanted.items():
        if pid not in held:
            fresh.append({"person_id": pid, "platform": platform, "external_id": external, "updated_at": now})
        elif held[pid][1] != external:
            moved.append({"row": held[pid][0], "external_id": external, "updated_at": now})
    await _in_chunks(connection, table.update().where(table.c.id == bindparam("row")), moved)
    await _in_chunks(connection, table.insert(), fresh)


async def link_identity(session: AsyncSession, person_id: int, platform: str, external_id: str,
                        **fields: Any) -> ChatIdentity:
    """The person's identity on a platform, created or re-pointed to this external id. Two first contacts
    at once (a DM and a slash command) both end with the one row: the loser of the insert updates it.
    `unverified_address` (from a request nobody authenticated) is stored only where no address is known,
    marked UNVERIFIED_ADDRESS, and never replaces one."""
    for _attempt in range(3):
        try:
            async with session.begin_nested():
                return await _upsert_identity(session, person_id, platform, external_id, fields)
        except IntegrityError:
            continue
    return await _upsert_identity(session, person_id, platform, external_id, fields)


async def _upsert_identity(session: AsyncSession, person_id: int, platform: str, external_id: str,
                           fields: dict[str, Any]) -> ChatIdentity:
    identity = (await session.exec(
        select(ChatIdentity).where(ChatIdentity.person_id == person_id, ChatIdentity.platform == platform)
    )).first()
    if identity is None:
        identity = ChatIdentity(person_id=person_id, platform=platform, external_id=external_id)
    identity.external_id = external_id
    unverified = fields.get("unverified_address")
    if unverified is not None and not identity.address:
        identity.address = {**unverified, UNVERIFIED_ADDRESS: True}
    for name, value in fields.items():
        if name != "unverified_address":
            setattr(identity, name, value)
    identity.updated_at = utcnow()
    session.add(identity)
    await session.flush()
    return identity


async def person_by_identity(session: AsyncSession, platform: str, external_id: str) -> Person | None:
    """Who this platform account belongs to; Teams also matches the AAD object id given in the org chart."""
    condition = ChatIdentity.external_id == external_id
    if platform == "teams":
        condition = condition | (ChatIdentity.alt_id == external_id)
    return (await session.exec(
        select(Person).join(ChatIdentity, col(ChatIdentity.person_id) == Person.id)
        .where(ChatIdentity.platform == platform, condition)
    )).first()


async def identities_of(session: AsyncSession, ids: Iterable[int]) -> list[ChatIdentity]:
    """The chat accounts of these people, most recently used first (the platform to try first, the accounts
    an @mention may name)."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list((await session.exec(
        select(ChatIdentity).where(col(ChatIdentity.person_id).in_(wanted))
        .order_by(col(ChatIdentity.updated_at).desc(), col(ChatIdentity.id))
    )).all())


MAX_DEPTH = 50
"""How many levels of the org chart the reporting-line queries follow (a deeper chain is cut there)."""


async def report_ids(session: AsyncSession, manager_id: int) -> list[int]:
    """Ids of everyone below the manager in the org chart (direct and indirect), by a recursive query.

    It reads only the manager's subtree through the `manager_id` index, so it does not grow with the
    size of the whole organisation. To know only whether someone manages anyone, or whether one person is
    below another, ask `manages_anyone` or `is_below`: for a CEO this list is the whole organisation.
    """
    base = select(Person.id.label("id"), literal(1).label("depth")).where(Person.manager_id == manager_id)  # type: ignore[union-attr]
    tree = base.cte("reports", recursive=True)
    step = select(Person.id, tree.c.depth + 1).join(tree, Person.manager_id == tree.c.id) \
        .where(tree.c.depth < MAX_DEPTH)
    tree = tree.union_all(step)
    rows = await session.exec(
        select(Person.id).where(col(Person.id).in_(select(tree.c.id)), col(Person.active))  # leavers: not shown
    )
    return [row for row in rows.all()]


async def manages_anyone(session: AsyncSession, person_id: int) -> bool:
    """Whether anyone reports to the person: one probe of the `manager_id` index, whatever the team's size."""
    return bool((await session.exec(select(exists().where(col(Person.manager_id) == person_id,
                                                          col(Person.active))))).one())


async def is_below(session: AsyncSession, manager_id: int, person_id: int, *, leavers: bool = False) -> bool:
    """Whether the person reports to the manager, directly or not (never oneself): a walk up the person's
    chain of managers by primary key, at most `MAX_DEPTH` levels as `report_ids` goes down, and it stops at
    the manager. Its cost is the depth of the chart, never the size of anyone's team. A leaver (`active`
    false) is below no one, as `report_ids` leaves them out, so that an old button cannot act on them;
    with `leavers` they count where they last were (a leaver still names the group of those who reported to
    them)."""
    base = select(col(Person.manager_id).label("id"), literal(1).label("depth")).where(Person.id == person_id)
    if not leavers:
        base = base.where(col(Person.active))
    chain = base.cte("chain", recursive=True)
    step = select(Person.manager_id, chain.c.depth + 1).join(chain, Person.id == chain.c.id) \
        .where(chain.c.depth < MAX_DEPTH, chain.c.id != manager_id)
    chain = chain.union_all(step)
    found = await session.exec(select(chain.c.id).where(chain.c.id == manager_id).limit(1))
    return found.first() is not None


async def people(session: AsyncSession, ids: Iterable[int]) -> list[Person]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list((await session.exec(select(Person).where(col(Person.id).in_(wanted)).order_by(Person.name))).all())
