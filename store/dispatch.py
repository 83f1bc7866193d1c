"""The dispatcher's claim queries: which learners are due, which deliveries to send, which need a reminder.

Every claim is one short transaction: select a batch with `FOR UPDATE SKIP LOCKED` (PostgreSQL: rows that
another process is claiming are skipped, not waited for), mark it as ours with a lease, commit. Sending
happens afterwards, outside any transaction, so no lock is held while a chat platform is slow.

SQLite has no row locks and SQLAlchemy leaves `FOR UPDATE` out there; `store.db` makes every SQLite
transaction `BEGIN IMMEDIATE`, so the same select-then-mark runs under the single writer lock and two
processes can never claim the same rows either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import (
    Answer,
    ChatIdentity,
    Competency,
    Delivery,
    LearnerSettings,
    Lesson,
    LessonVersion,
    Person,
    Question,
)
from store.models.outgoing import SendBudget
from store.people import identities_of


async def claim_learners(session: AsyncSession, now: datetime, *, wall: datetime,
                         limit: int) -> list[tuple[LearnerSettings, Person]]:
    """Active, unpaused learners whose next slot has come by `now` (the schedule's time, which `coach dispatch
    --at` sets) or was never computed (new enrolments), and whom no process is planning as of `wall`.

    The caller must set each one's `planning_until` (a lease on the wall clock, `lease_learners`) or move
    `next_slot_at` past `now` (`set_next_slots`) before committing: that is the claim, so other processes stop
    seeing them as due. A lease is read
    with the clock it was written with — whatever time a tick simulates — so a tick `--at` tomorrow never
    takes a learner another process is planning right now.
    """
    due = or_(col(LearnerSettings.next_slot_at).is_(None), col(LearnerSettings.next_slot_at) <= now)
    free = or_(col(LearnerSettings.planning_until).is_(None), col(LearnerSettings.planning_until) <= wall)
    rows = await session.exec(
        select(LearnerSettings, Person).join(Person, col(Person.id) == LearnerSettings.person_id)
        .where(~col(LearnerSettings.paused), col(Person.active), due, free)
        .order_by(col(LearnerSettings.next_slot_at))
        .limit(limit)
        .with_for_update(of=LearnerSettings, skip_locked=True)  # type: ignore[arg-type]
    )
    return list(rows.all())


async def lease_learners(session: AsyncSession, person_ids: Sequence[int], *, until: datetime) -> None:
    """Claim these learners until `until` (wall clock): one UPDATE, whatever the batch's size."""
    if person_ids:
        await session.exec(update(LearnerSettings).where(col(LearnerSettings.person_id).in_(list(person_ids)))
                           .values(planning_until=until))


async def claim_deliveries(session: AsyncSession, now: datetime, *, wall: datetime, worker: str,
                           lease_until: Callable[[], datetime], limit: int) -> list[int]:
    """Deliveries due for a (re)try by `now` (the schedule's time), and those whose sender's lease ran out by
    `wall` (it died): now ours to send. Leases are written and read on the wall clock only, so a tick at a
    simulated time never takes over a claim that is alive. `lease_until` is asked once the rows are locked,
    so that waiting for the lock never shortens the lease.

    Deliveries of paused learners stay where they are until the learner resumes. One the learner has already
    answered was seen after all (a post that timed out but arrived, a sender that died before recording its
    send): it is marked sent instead, never sent again.
    """
    paused = exists().where(col(LearnerSettings.person_id) == Delivery.person_id, col(LearnerSettings.paused))
    answered = exists().where(col(Answer.delivery_id) == Delivery.id)
    ready = or_(and_(col(Delivery.status) == "pending", col(Delivery.due_at) <= now),
                and_(col(Delivery.status) == "sending", col(Delivery.lease_until) < wall))
    seen = list((await session.exec(
        select(Delivery.id).where(ready, answered).limit(limit).with_for_update(skip_locked=True)
    )).all())
    if seen:  # it was there by the time of the answer, on the platform the answer came from
        await session.exec(
            update(Delivery).where(col(Delivery.id).in_(seen))
            .values(status="sent", lease_until=None,
                    sent_at=func.coalesce(Delivery.sent_at, _answers(Answer.answered_at)),
                    platform=func.coalesce(Delivery.platform, _answers(Answer.via)))
        )
    ids = list((await session.exec(
        select(Delivery.id).where(ready, ~paused, ~answered).order_by(col(Delivery.due_at)).limit(limit)
        .with_for_update(skip_locked=True)
    )).all())
    if ids:
        await session.exec(
            update(Delivery).where(col(Delivery.id).in_(ids))
            .values(status="sending", claimed_by=worker, lease_until=lease_until())
        )
    return [i for i in ids if i is not None]


def _answers(column: Any) -> Any:
    """The delivery's answer's `column`, as a subquery of a statement about deliveries."""
    return select(column).where(col(Answer.delivery_id) == Delivery.id).scalar_subquery()


async def renew_leases(session: AsyncSession, ids: Sequence[int], *, worker: str, lease_until: datetime) -> None:
    """Keep the claims still in hand (a long rate-limit wait must not let another process take them)."""
    if ids:
        await session.exec(
            update(Delivery).where(col(Delivery.id).in_(list(ids)), col(Delivery.claimed_by) == worker,
                                   col(Delivery.status) == "sending")
            .values(lease_until=lease_until)
        )


@dataclass(frozen=True)
class Addressee:
    """A claimed delivery with what its card needs, who it goes to, and every chat identity they have (most
    recently used first)."""

    delivery: Delivery
    version: LessonVersion
    lesson: Lesson
    competency_name: str
    question: Question | None
    person: Person
    settings: LearnerSettings
    identities: list[ChatIdentity]


async def addressees(session: AsyncSession, ids: Sequence[int]) -> list[Addressee]:
    """The claimed deliveries with their lessons, questions, people, settings and chat identities, in two
    queries whatever the batch's size."""
    if not ids:
        return []
    rows = (await session.exec(
        select(Delivery, LessonVersion, Lesson, Competency.name, Question, Person, LearnerSettings)
        .join(LessonVersion, col(LessonVersion.id) == Delivery.lesson_version_id)
        .join(Lesson, col(Lesson.id) == Delivery.lesson_id)
        .outerjoin(Competency, col(Competency.id) == Lesson.competency_id)
        .outerjoin(Question, col(Question.id) == Delivery.question_id)
        .join(Person, col(Person.id) == Delivery.person_id)
        .outerjoin(LearnerSettings, col(LearnerSettings.person_id) == Delivery.person_id)
        .where(col(Delivery.id).in_(list(ids))).order_by(col(Delivery.id))
    )).all()
    known: dict[int, list[ChatIdentity]] = {}
    for identity in await identities_of(session, (p.id for *_, p, _ in rows if p.id is not None)):
        known.setdefault(identity.person_id, []).append(identity)
    return [Addressee(d, v, lesson, name or lesson.competency_id, q, p, s or LearnerSettings(person_id=p.id),
                      known.get(p.id or 0, []))
            for d, v, lesson, name, q, p, s in rows]


async def claim_welcome(session: AsyncSession, person_id: int, now: datetime) -> bool:
    """Take the right to welcome this person (True once, ever), so two sends at once do not both greet."""
    result = await session.exec(
        update(LearnerSettings).where(col(LearnerSettings.person_id) == person_id,
                                      col(LearnerSettings.welcomed_at).is_(None))
        .values(welcomed_at=now)
    )
    return (result.rowcount or 0) > 0  # type: ignore[attr-defined]


async def unclaim_welcome(session: AsyncSession, person_id: int, claimed_at: datetime) -> None:
    """The welcome was not delivered after all: greet with the next message instead."""
    await session.exec(
        update(LearnerSettings).where(col(LearnerSettings.person_id) == person_id,
                                      col(LearnerSettings.welcomed_at) == claimed_at)
        .values(welcomed_at=None)
    )


@dataclass(frozen=True)
class ReminderDue:
    delivery: Delivery
    title: str
    settings: LearnerSettings
    person: Person
    still_open: bool
    """False once answered, or when a newer lesson has been sent since: then no reminder is needed."""


async def claim_reminders(session: AsyncSession, now: datetime, *, limit: int) -> list[ReminderDue]:
    """Deliveries whose reminder time has come. Each is claimed by clearing `remind_at` in this transaction,
    so a reminder is considered at most once, whatever happens to its send."""
    newer = aliased(Delivery)
    answered = exists().where(col(Answer.delivery_id) == Delivery.id)
    superseded = exists().where(newer.person_id == Delivery.person_id, newer.created_at > Delivery.created_at,
                                col(newer.status).in_(["sending", "sent"]))
    rows = (await session.exec(
        select(Delivery, LessonVersion.title, LearnerSettings, Person, ~answered & ~superseded)
        .join(LessonVersion, col(LessonVersion.id) == Delivery.lesson_version_id)
        .join(LearnerSettings, col(LearnerSettings.person_id) == Delivery.person_id)
        .join(Person, col(Person.id) == Delivery.person_id)
        .where(col(Delivery.remind_at) <= now)
        .order_by(col(Delivery.remind_at)).limit(limit)
        .with_for_update(of=Delivery, skip_locked=True)  # type: ignore[arg-type]
    )).all()
    if rows:
        await session.exec(update(Delivery).where(col(Delivery.id).in_([d.id for d, *_ in rows]))
                           .values(remind_at=None))
    return [ReminderDue(d, title, s, p, bool(open_)) for d, title, s, p, open_ in rows]


async def mark_reminded(session: AsyncSession, delivery_id: int, now: datetime) -> None:
    await session.exec(update(Delivery).where(col(Delivery.id) == delivery_id).values(reminded_at=now))


async def slot_taken(session: AsyncSession, person_id: int, slot: str) -> bool:
    """Whether the learner's slot already has its lesson (the unique key would refuse a second one anyway)."""
    return (await session.exec(
        select(Delivery.id).where(Delivery.person_id == person_id, Delivery.slot == slot)
    )).first() is not None


async def set_next_slot(session: AsyncSession, person_id: int, at: datetime) -> None:
    """The learner's next slot, planned: their planning lease ends with it."""
    await session.exec(update(LearnerSettings).where(col(LearnerSettings.person_id) == person_id)
                       .values(next_slot_at=at, planning_until=None))


@dataclass(frozen=True)
class SlotHolder:
    """A delivery that holds one of a learner's slots."""

    person_id: int
    delivery_id: int
    slot: str
    unsent_scheduled: bool


async def slot_holders(session: AsyncSession, slots: dict[int, str]) -> list[SlotHolder]:
    """For a batch of learners and each one's due slot: the deliveries holding that slot, and their scheduled
    lessons not sent yet (which `older_unsent_slot` looks among), in one query."""
    if not slots:
        return []
    unsent = (col(Delivery.origin) == "scheduled") & col(Delivery.status).in_(["pending", "sending"])
    rows = await session.exec(
        select(Delivery.person_id, Delivery.id, Delivery.slot, unsent)
        .where(col(Delivery.person_id).in_(list(slots)), col(Delivery.slot).is_not(None),
               or_(col(Delivery.slot).in_(sorted(set(slots.values()))), unsent))
    )
    return [SlotHolder(p, i, s, bool(u)) for p, i, s, u in rows.all() if s is not None and i is not None]


async def set_next_slots(session: AsyncSession, next_slots: dict[int, datetime]) -> None:
    """`set_next_slot` for a batch of learners, in one statement."""
    if next_slots:
        table = LearnerSettings.__table__  # type: ignore[attr-defined]
        connection = await session.connection()  # a plain executemany: no ORM objects to keep in step
        await connection.execute(
            update(table).where(table.c.person_id == bindparam("pid"))
            .values(next_slot_at=bindparam("at"), planning_until=None),
            [{"pid": person_id, "at": at} for person_id, at in next_slots.items()])


async def older_unsent_slot(session: AsyncSession, person_id: int, slot: str) -> int | None:
    """A scheduled lesson of an earlier slot that has not reached the learner yet (an outage): it takes `slot`
    instead of a second lesson. Slot keys (`YYYY-MM-DD#n`) sort by date."""
    return (await session.exec(
        select(Delivery.id).where(Delivery.person_id == person_id, Delivery.origin == "scheduled",
                                  col(Delivery.status).in_(["pending", "sending"]), col(Delivery.slot) < slot)
        .order_by(col(Delivery.slot)).limit(1)
    )).first()


async def move_to_slot(session: AsyncSession, delivery_id: int, slot: str) -> bool:
    """Give the delivery another slot; False when the learner already has a lesson for it."""
    try:
        async with session.begin_nested():
            result = await session.exec(update(Delivery).where(col(Delivery.id) == delivery_id).values(slot=slot))
    except IntegrityError:
        return False
    return (result.rowcount or 0) > 0  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Grant:
    """What the shared send budget allows now: `tokens` sends, else wait `wait` seconds (until `held_until`
    when the platform asked everyone to hold off)."""

    tokens: int
    wait: float = 0.0
    held_until: datetime | None = None


async def take_send_tokens(session: AsyncSession, key: str, now: datetime, *, rate: float, burst: float,
                           want: int) -> Grant:
    """Take up to `want` sends from the workspace's budget that every process shares (a token bucket refilled
    at `rate` a second up to `burst`). The row is locked for this short transaction only."""
    row = await _budget(session, key, now, burst)
    if row.hold_until is not None and row.hold_until > now:
        return Grant(0, (row.hold_until - now).total_seconds(), row.hold_until)
    tokens = min(burst, row.tokens + max(0.0, (now - row.refilled_at).total_seconds()) * rate)
    granted = min(want, int(tokens))
    row.tokens, row.refilled_at = tokens - granted, max(now, row.refilled_at)
    session.add(row)
    return Grant(granted, 0.0 if granted else (1.0 - tokens) / rate)


async def hold_sends(session: AsyncSession, key: str, until: datetime, *, burst: float) -> None:
    """The platform answered 429: no process sends to this workspace before `until`, then one, then the pace."""
    row = await _budget(session, key, until, burst)
    if row.hold_until is None or row.hold_until < until:
        row.hold_until, row.tokens, row.refilled_at = until, 1.0, until
        session.add(row)


async def _budget(session: AsyncSession, key: str, now: datetime, burst: float) -> SendBudget:
    query = select(SendBudget).where(SendBudget.key == key).with_for_update()
    row = (await session.exec(query)).first()
    if row is None:
        try:
            async with session.begin_nested():
                session.add(SendBudget(key=key, tokens=burst, refilled_at=now))
        except IntegrityError:  # another process created it first
            pass
        row = (await session.exec(query)).one()
    return row
