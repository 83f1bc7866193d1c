"""What the chat platforms tell the dispatcher about people: remembered on their chat identity for the next send,
and — for a learner whose time zone nobody gave — their profile's zone, asked for before their first
scheduled lesson so that it arrives in their own working hours, not in UTC's (or the organisation default's).

Slack profiles carry a zone (`users.lookupByEmail`, `users.info`); Teams' member API has none, but every message
from a Teams client carries its `localTimezone`, which the Teams handler keeps the same way — so a Teams-only
learner keeps the organisation's default (`COACH_DEFAULT_TIMEZONE`) only until they first write to the coach.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.couriers import Courier, DeliveryError, Recipient
from bot.dispatch.attempts import Attempt, ResolvingCourier
from bot.lessons.schedule import known_zone
from store import people
from store.db import Database
from store.models import Person

log = logging.getLogger(__name__)


async def learn_zone(database: Database, person: Person, routes: list[tuple[Courier, Recipient]],
                     attempt: Callable[[Courier, Recipient], Attempt]) -> list[tuple[Courier, Recipient]]:
    """Ask the first courier that can look the person up (its calls paced through `attempt`'s budget); remember
    what it says (their zone on the person when the org chart had none). Returns the routes with what was
    learned, so the send needs no second lookup. Raises DeliveryError when the platform failed for now (then the
    send would fail too)."""
    for index, (courier, recipient) in enumerate(routes):
        if not isinstance(courier, ResolvingCourier):
            continue
        try:
            learned = await courier.resolve(recipient, attempt(courier, recipient))
        except DeliveryError as exc:
            if exc.permanent:
                continue
            raise
        async with database.session() as session:
            await remember(session, person, courier.platform, recipient, learned)
        address = learned.get("address") or recipient.address
        found = dataclasses.replace(recipient, external_id=learned.get("external_id") or recipient.external_id,
                                    address=address)
        return [*routes[:index], (courier, found), *routes[index + 1:]]
    return routes


async def remember(session: AsyncSession, person: Person, platform: str, recipient: Recipient,
                   learned: dict[str, Any]) -> None:
    """Keep what the platform told us (user id, DM address, workspace, time zone) for the next send: only
    when it is news, so that sending never makes an identity look recently used."""
    fields = {k: v for k, v in learned.items() if k in ("address", "workspace", "timezone") and v}
    external_id = learned.get("external_id") or recipient.external_id
    if person.id is None or not external_id:
        return
    zone = known_zone(fields.get("timezone"))
    if external_id == recipient.external_id and not (zone and not person.timezone) and all(
            getattr(recipient, k) == fields[k] for k in ("address", "workspace") if k in fields):
        return
    try:
        async with session.begin_nested():
            await people.link_identity(session, person.id, platform, external_id, **fields)
            if zone and not person.timezone:
                await session.exec(update(Person).where(col(Person.id) == person.id, col(Person.timezone).is_(None))
                                   .values(timezone=zone))
                person.timezone = zone
    except IntegrityError:
        log.warning("person %s: %s id %s already belongs to someone else; not remembered", person.id, platform,
                    external_id)
