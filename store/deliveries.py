"""Queries that create, claim and settle deliveries; the claim protocol the dispatcher and handlers share.

A delivery to send now is created already claimed by whoever will send it (`claimed_by`, `lease_until`); one
held for later (a manager's note for the learner's window, a deferred trigger) is created pending, and the
dispatcher claims it when it is due. The sender posts it, then `mark_sent` — only if the claim is still
theirs. If the sender dies, the lease runs out and the dispatcher claims it again; if a send fails,
`release_for_retry` schedules another attempt; `postpone` holds it for the learner's window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, case, func, insert, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import Delivery


@dataclass(frozen=True)
class Claim:
    """Who sends a delivery right away, and for how long from its creation the claim is theirs alone."""

    worker: str
    lease: timedelta


async def create_delivery(session: AsyncSession, *, person_id: int, lesson_id: str, version_id: int,
                          question_id: int | None, kind: str, origin: str, now: datetime, claim: Claim | None,
                          due_at: datetime | None = None, reason: str | None = None,
                          requested_by: int | None = None, slot: str | None = None) -> Delivery:
    """Record a delivery before anything is sent (so nothing gets lost): claimed by `claim` for its creator to
    send now, or, without one, pending for the dispatcher from `due_at` (default now)."""
    delivery = Delivery(**delivery_values(
        person_id=person_id, lesson_id=lesson_id, version_id=version_id, question_id=question_id, kind=kind,
        origin=origin, now=now, claim=claim, due_at=due_at, reason=reason, requested_by=requested_by, slot=slot))
    session.add(delivery)
    await session.flush()
    return delivery


def delivery_values(*, person_id: int, lesson_id: str, version_id: int, question_id: int | None, kind: str,
                    origin: str, now: datetime, claim: Claim | None, due_at: datetime | None = None,
                    reason: str | None = None, requested_by: int | None = None,
                    slot: str | None = None) -> dict[str, Any]:
    """A new delivery's columns (`insert_deliveries` takes a batch of them)."""
    return {"person_id": person_id, "lesson_id": lesson_id, "lesson_version_id": version_id,
            "question_id": question_id, "kind": kind, "origin": origin, "reason": reason,
            "requested_by": requested_by, "slot": slot, "status": "sending" if claim else "pending",
            "due_at": due_at or now, "claimed_by": claim.worker if claim else None,
            "lease_until": now + claim.lease if claim else None, "created_at": now}


async def insert_deliveries(session: AsyncSession, rows: list[dict[str, Any]]) -> list[int]:
    """Insert a batch of new deliveries (the dispatcher's plans) in one statement; their ids (in no set order)."""
    if not rows:
        return []
    result = await session.exec(insert(Delivery).returning(col(Delivery.id)), params=rows)
    return [row[0] for row in result.all()]


@dataclass(frozen=True)
class SentRecord:
    """One send to record: where it landed and when to remind the learner (None: never)."""

    delivery_id: int
    platform: str
    message_ref: dict[str, Any] | None
    remind_at: datetime | None = None


async def mark_many_sent(session: AsyncSession, claimed_by: str, records: list[SentRecord], now: datetime) -> set[int]:
    """`mark_sent` for a group of sends in one Core UPDATE … RETURNING on the session's connection, no ORM unit
    of work: only the claims still ours change (the row locks the UPDATE takes keep another process's takeover
    out until the commit), each with its own platform, message and reminder time. Every send of the dispatcher
    passes here, a group at a time (`bot.lessons.ledger`). Returns the ids that were still ours."""
    records = list({r.delivery_id: r for r in records}.values())
    params: dict[str, Any] = {"worker": claimed_by, "now": now}
    for i, r in enumerate(records):
        params |= {f"id{i}": r.delivery_id, f"via{i}": r.platform, f"ref{i}": r.message_ref, f"remind{i}": r.remind_at}
    connection = await session.connection()
    return set((await connection.execute(_sent_update(len(records)), params)).scalars())


@lru_cache(maxsize=64)
def _sent_update(size: int) -> Any:
    """`mark_many_sent`'s statement for `size` sends, built once per size (groups are small, so few sizes are
    kept). Its parameters are named by position (`id0`, `ref0`, …), so neither the statement nor its cache key
    is built again for every group."""
    table = Delivery.__table__  # type: ignore[attr-defined]

    def each(name: str, column: Any) -> Any:
        return case(*((table.c.id == bindparam(f"id{i}"), bindparam(f"{name}{i}", type_=column.type))
                      for i in range(size)))

    return (update(table)
            .where(table.c.id.in_([bindparam(f"id{i}") for i in range(size)]),
                   table.c.claimed_by == bindparam("worker"), table.c.status == "sending")
            .values(status="sent", platform=each("via", table.c.platform), message_ref=each("ref", table.c.message_ref),
                    sent_at=bindparam("now", type_=table.c.sent_at.type), lease_until=None,
                    attempts=table.c.attempts + 1,
                    remind_at=func.coalesce(each("remind", table.c.remind_at), table.c.remind_at))
            .returning(table.c.id))


async def mark_sent(session: AsyncSession, delivery_id: int, claimed_by: str, *, platform: str,
                    message_ref: dict[str, Any] | None, now: datetime, remind_at: datetime | None = None) -> bool:
    """Record one send if the claim is still ours (and when to remind, if ever); False means another process
    took it over."""
    record = SentRecord(delivery_id, platform, message_ref, remind_at)
    return delivery_id in await mark_many_sent(session, claimed_by, [record], now)


async def release_for_retry(session: AsyncSession, delivery_id: int, claimed_by: str, *, error: str,
                            retry_at: datetime, status: str = "pending",
                            progress: dict[str, Any] | None = None) -> None:
    """A failed send: try again at `retry_at` (`pending`), or settle it as `failed` (a permanent refusal) or
    `expired` (it kept failing for too long). `progress` keeps the parts of a long message that did arrive,
    so the next try posts only the rest."""
    await session.exec(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.claimed_by) == claimed_by)
        .values(status=status, due_at=retry_at, claimed_by=None, lease_until=None, last_error=error[:500],
                attempts=Delivery.attempts + 1, message_ref=progress)
    )


async def postpone(session: AsyncSession, delivery_id: int, claimed_by: str, *, until: datetime) -> None:
    """Not a failure, just not now (outside the learner's window): back to pending until `until`."""
    await session.exec(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.claimed_by) == claimed_by)
        .values(status="pending", due_at=until, claimed_by=None, lease_until=None)
    )


async def delivery_for(session: AsyncSession, delivery_id: int, person_id: int) -> Delivery | None:
    """The delivery if it belongs to this person (a pressed button can be forwarded; never trust it)."""
    delivery = await session.get(Delivery, delivery_id)
    return delivery if delivery is not None and delivery.person_id == person_id else None
