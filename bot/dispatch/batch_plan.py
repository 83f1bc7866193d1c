"""Planning a claimed batch of learners together: the same choices as `bot.dispatch.planner.plan_learner` makes for
each alone, in one transaction and a fixed number of queries instead of about twenty per learner.

The catalogue and the fitted model come from the process's cache (`bot.engine.catalogue`, one small query to see
that they are current); the learners' rows — settings, mastery, focuses, deliveries with answers, review cards,
chat identities and the deliveries holding their slots — from one query each (`store.learning_batch`,
`store.dispatch.slot_holders`); the engine then chooses each lesson in memory (`bot.engine.memory_reads`), and
the new deliveries are inserted in one flush.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.dispatch.sender import Sender
from bot.dispatch.windows import next_at
from bot.engine.catalogue import CATALOGUES, Catalogue
from bot.engine.learner import learner_context
from bot.engine.memory_reads import MemoryReads
from bot.engine.next_lesson import plan_next
from bot.lessons.lessons import delivery_from_plan, policy_config
from bot.lessons.schedule import Slot, due_slot, zone_of
from bot.services import Services
from store import deliveries, learning_batch, people
from store import dispatch as claims
from store.dispatch import SlotHolder
from store.learning_batch import LearnerRows
from store.models import ChatIdentity, LearnerSettings, Person

log = logging.getLogger(__name__)


async def plan_together(services: Services, sender: Sender, claimed: list[tuple[LearnerSettings, Person]],
                        now: datetime) -> list[int]:
    """Plan every claimed learner's due slot, from their settings and person as the claim read them; returns the
    deliveries created (claimed by this process).

    Two short transactions: one reads (the claims keep other processes off these learners meanwhile), then the
    lessons are chosen with no transaction open — on SQLite, without holding the write lock that the sends'
    records wait for — and one writes the new deliveries and next slots (the unique slot key still refuses a
    second lesson for a slot). A learner whose lesson cannot be chosen is logged and keeps their claim's lease,
    so they are looked at again after it, as when planned alone. Raises when a transaction fails as a whole."""
    async with services.database.session() as session:
        catalogue = await CATALOGUES.current(services.database, session)
        learners = await learning_batch.learners(session, claimed)
        default = services.config.default_timezone
        zones = {pid: zone_of(rows.settings, rows.person, default) for pid, rows in learners.items()}
        slots = {pid: slot for pid, rows in learners.items()
                 if (slot := due_slot(rows.settings, zones[pid], now)) is not None}
        holders: dict[int, list[SlotHolder]] = {}
        for holder in await claims.slot_holders(session, {pid: slot.key for pid, slot in slots.items()}):
            holders.setdefault(holder.person_id, []).append(holder)
        identities: dict[int, list[ChatIdentity]] = {}
        for identity in await people.identities_of(session, list(learners)):
            identities.setdefault(identity.person_id, []).append(identity)
    planned = Planned()
    for pid, rows in learners.items():
        try:
            await _plan_one(services, sender, catalogue, rows, zones[pid], now, slots.get(pid),
                            holders.get(pid, []), identities.get(pid, []), planned)
        except Exception:
            log.exception("could not plan the lesson of person %s; tried again after the lease", pid)
    async with services.database.session() as session:
        for delivery_id, slot_key in planned.moves:
            await claims.move_to_slot(session, delivery_id, slot_key)
        await claims.set_next_slots(session, planned.next_slots)
        return await deliveries.insert_deliveries(session, planned.deliveries)


@dataclass
class Planned:
    """What planning the batch writes: each planned learner's next slot, lessons of earlier slots an outage kept
    from them that take the due slot instead, and the new deliveries."""

    next_slots: dict[int, datetime] = field(default_factory=dict)
    moves: list[tuple[int, str]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    """New deliveries' columns (`store.deliveries.delivery_values`)."""


async def _plan_one(services: Services, sender: Sender, catalogue: Catalogue, rows: LearnerRows, zone: str,
                    now: datetime, slot: Slot | None, holders: list[SlotHolder], identities: list[ChatIdentity],
                    planned: Planned) -> None:
    """`planner._plan_learner` for one learner of the batch, from memory, given their due slot (`due_slot`);
    adds what to write to `planned` (all of it, or nothing when it raises)."""
    settings, person = rows.settings, rows.person
    assert person.id is not None
    next_slot = next_at(settings, zone, now)
    if slot is None or any(h.slot == slot.key for h in holders):
        planned.next_slots[person.id] = next_slot
        return
    owed = min((h for h in holders if h.unsent_scheduled and h.slot < slot.key), key=lambda h: h.slot, default=None)
    if owed is not None:  # an outage kept an earlier day's lesson from them: it becomes this slot's
        planned.next_slots[person.id] = next_slot
        planned.moves.append((owed.delivery_id, slot.key))
        return
    plan = None
    if sender.reaches(person, identities):
        goal = catalogue.role_needs(settings.goal_role_id) if settings.goal_role_id else {}
        ctx = learner_context(person, settings, rows.states, catalogue.role_needs(person.role_id), goal,
                              rows.focuses)
        plan = await plan_next(MemoryReads(catalogue, rows), ctx, catalogue.model, services.clock(),
                               policy_config(services))
    planned.next_slots[person.id] = next_slot
    if plan is not None:
        planned.deliveries.append(delivery_from_plan(services, person.id, plan, origin="scheduled", slot=slot.key))
