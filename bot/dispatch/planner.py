"""Planning scheduled lessons: claim the learners whose slot has come, choose each one's lesson, record it.

A claim sets the learner's `planning_until` a lease ahead on the wall clock inside the claiming transaction,
so no other process takes them while their lesson is chosen — not even one ticking `--at` another time; if
this process dies, the lease runs out and another one plans them. The delivery carries the slot's key, and
`(person_id, slot)` is unique: whatever happens, a learner gets one lesson per slot. A lesson of an earlier slot that
an outage kept from them takes the new slot instead of a second lesson (`bot.dispatch.windows`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.dispatch.batch_plan import plan_together
from bot.dispatch.sender import Sender
from bot.dispatch.windows import RETRY_UNSCHEDULABLE, next_at
from bot.engine.learner import load_learner
from bot.lessons.lessons import create_from_plan, next_plan
from bot.lessons.schedule import due_slot, own_zone, zone_of
from bot.services import Services
from store import dispatch as claims
from store.models import LearnerSettings, Person

log = logging.getLogger(__name__)



@dataclass
class PlannedBatch:
    claimed: int = 0
    enrolled: int = 0
    """Learners seen for the first time (no slot yet): only their first slot was computed."""
    created: list[int] = field(default_factory=list)
    """Deliveries created, claimed by this process, to be sent now."""


def _first_slot(settings: LearnerSettings, zone: str, now: datetime) -> datetime:
    """A new learner's first slot; a schedule that cannot be read (edited outside the settings form) is logged
    and looked at again a day later, without holding up the others claimed with it."""
    try:
        return next_at(settings, zone, now)
    except ValueError:
        log.exception("the schedule of person %s cannot be read; looked at again tomorrow", settings.person_id)
        return now + RETRY_UNSCHEDULABLE


async def plan_batch(services: Services, sender: Sender, now: datetime, *, limit: int, lease: timedelta,
                     planners: int = 1) -> PlannedBatch:
    """Claim up to `limit` due learners and create their slot's delivery, all of them together
    (`plan_learners`); newcomers' first slots and profile lookups go `planners` at once (PostgreSQL; SQLite's
    single writer takes them one by one anyway).

    A learner whose zone nobody gave (not they, not the org chart, not a chat profile yet) is looked up on the
    chat platform first — after the claim is committed, never inside a transaction — so that even their first
    slot falls in their own working hours.
    """
    batch = PlannedBatch()
    due: list[tuple[LearnerSettings, Person, bool]] = []
    newcomers: list[tuple[LearnerSettings, Person]] = []
    leased: list[int] = []
    first_slots: dict[int, datetime] = {}
    default = services.config.default_timezone
    unknown = sender.can_learn_zones()
    async with services.database.session() as session:
        rows = await claims.claim_learners(session, now, wall=services.clock(), limit=limit)
        for settings, person in rows:
            assert person.id is not None
            ask = unknown and own_zone(settings, person) is None
            if settings.next_slot_at is None:
                batch.enrolled += 1
                if ask:
                    newcomers.append((settings, person))
                    leased.append(person.id)
                else:
                    first_slots[person.id] = _first_slot(settings, zone_of(settings, person, default), now)
            else:
                due.append((settings, person, ask))
                leased.append(person.id)
        # The claim, in two plain statements rather than a unit of work over every row loaded: a lease on those
        # whose lesson (or profile) comes next, the first slot of newcomers whose zone is known.
        await claims.lease_learners(session, leased, until=services.clock() + lease)
        await claims.set_next_slots(session, first_slots)
        batch.claimed = len(rows)
    gate = asyncio.Semaphore(max(1, planners))

    async def enrol(settings: LearnerSettings, person: Person) -> None:
        async with gate:
            await sender.learn_zone(person)
            first = _first_slot(settings, zone_of(settings, person, default), now)
            async with services.database.session() as session:
                await claims.set_next_slot(session, settings.person_id, first)

    async def zone(person: Person) -> None:
        async with gate:
            await sender.learn_zone(person)

    await asyncio.gather(*(enrol(settings, person) for settings, person in newcomers))
    await asyncio.gather(*(zone(person) for _, person, ask in due if ask))
    batch.created = await plan_learners(services, sender, [(settings, person) for settings, person, _ in due], now)
    return batch


async def plan_learners(services: Services, sender: Sender, claimed: list[tuple[LearnerSettings, Person]],
                        now: datetime) -> list[int]:
    """The deliveries for the claimed learners' due slots (`plan_learner` for each, in one transaction and a
    few queries: `bot.dispatch.batch_plan`), from their settings and person as the claim read them. Should the
    batch's transaction fail as a whole (another process took a slot meanwhile, a lost connection), each
    learner is planned alone instead, as before."""
    person_ids = [person.id for _, person in claimed if person.id is not None]
    if not person_ids:
        return []
    try:
        return await plan_together(services, sender, claimed, now)
    except Exception:
        log.warning("planning %d learners together failed; planning them one by one", len(person_ids),
                    exc_info=True)
    planned = [await plan_learner(services, sender, person_id, now) for person_id in person_ids]
    return [d for d in planned if d is not None]


async def plan_learner(services: Services, sender: Sender, person_id: int, now: datetime) -> int | None:
    """The delivery for the learner's slot that is due now, if any; always sets their next slot.

    Never raises: one learner whose lesson cannot be chosen (bad data, a bug) must not stop the tick for
    everyone else. Their claim's lease then stays, so they are looked at again after it.
    """
    try:
        return await _plan_learner(services, sender, person_id, now)
    except IntegrityError:
        # Another process planned this slot in the meantime (and the slot is found taken next time).
        return None
    except Exception:
        log.exception("could not plan the lesson of person %s; tried again after the lease", person_id)
        return None


async def _plan_learner(services: Services, sender: Sender, person_id: int, now: datetime) -> int | None:
    async with services.database.session() as session:
        ctx = await load_learner(session, person_id)
        zone = zone_of(ctx.settings, ctx.person, services.config.default_timezone)
        slot = due_slot(ctx.settings, zone, now)
        ctx.settings.next_slot_at = next_at(ctx.settings, zone, now)
        ctx.settings.planning_until = None
        session.add(ctx.settings)
        if slot is None or await claims.slot_taken(session, person_id, slot.key):
            return None
        owed = await claims.older_unsent_slot(session, person_id, slot.key)
        if owed is not None:  # an outage kept an earlier day's lesson from them: it becomes this slot's
            await claims.move_to_slot(session, owed, slot.key)
            return None
        if not await sender.reachable(session, ctx.person):
            return None
        plan = await next_plan(services, session, ctx)
        if plan is None:
            return None
        delivery = await create_from_plan(services, session, person_id, plan, origin="scheduled", slot=slot.key)
        return delivery.id
