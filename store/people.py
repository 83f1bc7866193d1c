"""Queries about people: the org chart, reporting lines, and chat identities."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import exists, literal
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import ChatIdentity, Person
from store.types import utcnow

UNVERIFIED_ADDRESS = "coachUnverified"
"""Marks a stored chat address that came from a request nobody authenticated (Teams dev mode)."""


async def person_by_email(session: AsyncSession, email: str) -> Person | None:
    return (await session.exec(select(Person).where(Person.email == email.strip().lower()))).first()


async def people_by_email(session: AsyncSession, emails: Iterable[str]) -> dict[str, Person]:
    wanted = sorted({e.lower() for e in emails})
    if not wanted:
        return {}
    rows = await session.exec(select(Person).where(col(Person.email).in_(wanted)))
    return {person.email: person for person in rows.all()}


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
