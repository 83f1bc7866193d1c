"""The people a platform could not identify yet (`PendingContact`): kept, claimed one at a time by whichever
process serves that platform, and dropped or put off after each try.

A claim is a lease like the dispatcher's: a process that dies mid-try leaves the row to the next one after
`lease`. A contact kept again while claimed (the person wrote once more) resets the row, and the claimant's
outcome then leaves the newer one alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import PendingContact


async def keep_contact(session: AsyncSession, platform: str, external_id: str, address: dict[str, Any], *,
                       welcome: bool, due_at: datetime) -> None:
    """Ask the platform again from `due_at` (an owed welcome stays owed)."""
    key = (platform, external_id)
    row = await session.get(PendingContact, key, with_for_update=True)
    if row is None:
        try:
            async with session.begin_nested():
                session.add(PendingContact(platform=platform, external_id=external_id, address=address,
                                           welcome=welcome, due_at=due_at))
            return
        except IntegrityError:  # another process kept them first
            row = await session.get(PendingContact, key, with_for_update=True, populate_existing=True)
            assert row is not None
    row.address, row.welcome, row.attempts = address, row.welcome or welcome, 0
    row.due_at, row.lease_until = due_at, None
    session.add(row)


async def drop_contact(session: AsyncSession, platform: str, external_id: str) -> None:
    """They were identified on their own activity: nothing left to ask."""
    await session.exec(delete(PendingContact).where(  # type: ignore[call-overload]
        col(PendingContact.platform) == platform, col(PendingContact.external_id) == external_id))


async def claim_contact(session: AsyncSession, platform: str, now: datetime,
                        lease: timedelta) -> PendingContact | None:
    """The contact due longest, leased to the caller until `now + lease`; None when none is due."""
    row = (await session.exec(
        select(PendingContact)
        .where(PendingContact.platform == platform, PendingContact.due_at <= now,
               or_(col(PendingContact.lease_until).is_(None), col(PendingContact.lease_until) < now))
        .order_by(col(PendingContact.due_at)).limit(1).with_for_update(skip_locked=True)
    )).first()
    if row is not None:
        row.lease_until = now + lease
        session.add(row)
    return row


async def contact_tried(session: AsyncSession, claimed: PendingContact, *, again_at: datetime | None) -> None:
    """After a try under the claim `claimed`: put it off to `again_at`, or (None: identified, or given up)
    drop it — unless it was kept again meanwhile, which wins."""
    ours = (col(PendingContact.platform) == claimed.platform,
            col(PendingContact.external_id) == claimed.external_id,
            col(PendingContact.lease_until) == claimed.lease_until)
    if again_at is None:
        await session.exec(delete(PendingContact).where(*ours))  # type: ignore[call-overload]
    else:
        await session.exec(update(PendingContact).where(*ours).values(  # type: ignore[call-overload]
            attempts=claimed.attempts + 1, due_at=again_at, lease_until=None))


async def next_contact_due(session: AsyncSession, platform: str) -> datetime | None:
    """When the next contact can be claimed: its due time, or the end of the lease it is under."""
    return (await session.exec(
        select(func.min(func.coalesce(PendingContact.lease_until, PendingContact.due_at)))
        .where(PendingContact.platform == platform)
    )).one()
