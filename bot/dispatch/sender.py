"""Sending claimed deliveries through the couriers, then recording each send the moment the platform took it.

Which courier: the platform of the person's most recently used chat identity, then every other enabled
courier that can reach them (Slack finds people by email). A permanent refusal moves on to the next one.
Transient errors are retried a few times within the tick (a 429 holds that workspace or tenant for its
`Retry-After`), then handed back to the database with a backoff; after `MAX_ATTEMPTS` the delivery fails.

The only window for a duplicate is between the platform accepting a message and `mark_sent` committing:
each send is recorded in its own short transaction straight away to keep that window small.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.coach import Coach
from bot.config import Settings
from bot.couriers import Courier, DeliveryError, Recipient, Sent
from bot.dispatch.rate import RateLimiter
from bot.dispatch.reminders import REMINDED_ORIGINS, remind_time
from bot.metrics import LESSONS_SENT, SEND_FAILURES
from bot.replies import Reply
from bot.schedule import known_zone, zone_of
from bot.usecases.lessons import card_from
from bot.usecases.welcome import welcome_notice
from store import deliveries, people
from store import dispatch as claims
from store.models import ChatIdentity, LearnerSettings, Person

log = logging.getLogger(__name__)

INLINE_ATTEMPTS = 3
"""Tries within one tick before the delivery goes back to the database for a later tick."""
MAX_INLINE_WAIT = 15.0
"""A longer `Retry-After` (seconds) hands the delivery back rather than keeping a sender slot waiting."""
MAX_ATTEMPTS = 8
"""Recorded failed attempts (across ticks) after which a delivery is given up as failed."""
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    DEFERRED = "deferred"


@dataclass
class Outgoing:
    """A claimed delivery, ready to post: the card, the learner, and the couriers to try in order."""

    delivery_id: int
    origin: str
    attempts: int
    person: Person
    settings: LearnerSettings
    zone: str
    reply: Reply
    routes: list[tuple[Courier, Recipient]]


class Postponed(Exception):
    """Not now: try again in `wait` seconds at the earliest."""

    def __init__(self, error: str, wait: float) -> None:
        super().__init__(error)
        self.wait = wait


def backoff(attempt: int) -> timedelta:
    """Exponential backoff between ticks: 1, 2, 4 … minutes, at most an hour."""
    return min(RETRY_CAP, RETRY_BASE * 2 ** max(0, attempt - 1))


class Sender:
    """Posts claimed deliveries for one process; holds no state that matters beyond the current tick."""

    def __init__(self, coach: Coach, couriers: Mapping[str, Courier], config: Settings) -> None:
        self.coach = coach
        self.couriers = dict(couriers)
        self.limiter = RateLimiter(config.sends_per_second)
        self.lease = timedelta(seconds=config.dispatch_lease_seconds)
        self.in_hand: set[int] = set()
        """Claims this process holds (queued or being sent): their leases are renewed until they are settled."""

    def routes(self, person: Person, identities: Sequence[ChatIdentity],
               prefer: str | None = None) -> list[tuple[Courier, Recipient]]:
        """The couriers to try, best first, each with what it knows of the person."""
        assert person.id is not None
        found: dict[str, tuple[Courier, Recipient]] = {}
        for identity in identities:
            courier = self.couriers.get(identity.platform)
            if courier is not None and identity.platform not in found:
                found[identity.platform] = (courier, Recipient(
                    person_id=person.id, email=person.email, name=person.name, external_id=identity.external_id,
                    address=identity.address, workspace=identity.workspace))
        for platform, courier in self.couriers.items():
            if platform not in found:
                found[platform] = (courier, Recipient(person_id=person.id, email=person.email, name=person.name))
        usable = [(c, r) for c, r in found.values() if c.can_reach(r)]
        usable.sort(key=lambda cr: cr[0].platform != prefer)
        return usable

    async def reachable(self, session: AsyncSession, person: Person) -> bool:
        """Whether some courier could reach the person: by email alone (Slack), else through an identity."""
        assert person.id is not None
        bare = Recipient(person_id=person.id, email=person.email, name=person.name)
        if any(courier.can_reach(bare) for courier in self.couriers.values()):
            return True
        return bool(self.routes(person, await people.identities_of(session, [person.id])))

    async def prepare(self, ids: Sequence[int]) -> list[Outgoing]:
        """Load what the claimed deliveries need (cards, people, identities) in a fixed number of queries."""
        if not ids:
            return []
        async with self.coach.database.session() as session:
            found = await claims.addressees(session, ids)
        prepared = []
        for item in found:
            assert item.delivery.id is not None
            card = card_from(item.delivery, item.version, item.lesson, item.competency_name, item.question)
            prepared.append(Outgoing(
                delivery_id=item.delivery.id, origin=item.delivery.origin, attempts=item.delivery.attempts,
                person=item.person, settings=item.settings, zone=zone_of(item.settings, item.person),
                reply=Reply(messages=[card]), routes=self.routes(item.person, item.identities)))
        return prepared

    async def deliver(self, out: Outgoing) -> Outcome:
        """Post one claimed delivery and record the result; never raises for a platform's failure.

        A learner reached for the first time gets the welcome as a message of its own just before: if the
        lesson then fails, only the lesson is retried, and the welcome is never repeated.
        """
        error, wait, platform = "no enabled chat platform can reach this person", None, "none"
        for courier, recipient in out.routes:
            platform = courier.platform
            try:
                await self._welcome(out, courier, recipient)
                sent = await self._post(courier, recipient, out.reply)
            except DeliveryError as exc:
                error = f"{courier.platform}: {exc}"
                continue
            except Postponed as exc:
                error, wait = f"{courier.platform}: {exc}", exc.wait
                break
            await self._record(out, courier, recipient, sent)
            return Outcome.SENT
        outcome = await self._release(out, error, wait)
        # The couriers count each failed call; this counts lessons handed back for later, or given up.
        SEND_FAILURES.labels(platform, "given_up" if outcome is Outcome.FAILED else "handed_back").inc()
        return outcome

    async def send_notice(self, person: Person, reply: Reply, *, prefer: str | None = None) -> bool:
        """A message that is not a delivery (a reminder): one try per courier, no retry later."""
        async with self.coach.database.session() as session:
            identities = await people.identities_of(session, [person.id or 0])
        for courier, recipient in self.routes(person, identities, prefer):
            try:
                await self._post(courier, recipient, reply)
                return True
            except (DeliveryError, Postponed) as exc:
                log.info("reminder to person %s not sent via %s: %s", person.id, courier.platform, exc)
        return False

    async def renew_leases(self) -> None:
        """Extend the claims still in hand, so a long wait never lets another process take them over."""
        if self.in_hand:
            async with self.coach.database.session() as session:
                await claims.renew_leases(session, sorted(self.in_hand), worker=self.coach.worker_id,
                                          lease_until=self.coach.clock() + self.lease)

    async def _post(self, courier: Courier, recipient: Recipient, reply: Reply) -> Sent:
        """Send with retries inside the tick; raises DeliveryError (permanent) or Postponed."""
        key = f"{courier.platform}:{courier.rate_key(recipient)}"
        attempt = 0
        while True:
            await self.limiter.acquire(key)
            try:
                return await courier.send(recipient, reply)
            except DeliveryError as exc:
                if exc.permanent:
                    raise
                error, retry_after = str(exc), exc.retry_after
            except Exception as exc:  # a network error the courier did not wrap: transient as well
                error, retry_after = f"{type(exc).__name__}: {exc}", None
            attempt += 1
            wait = retry_after if retry_after is not None else 0.25 * 2 ** attempt * (0.5 + random.random())
            if retry_after is not None:
                self.limiter.hold(key, retry_after)
            if attempt >= INLINE_ATTEMPTS or wait > MAX_INLINE_WAIT:
                raise Postponed(error, wait)
            if retry_after is None:
                await asyncio.sleep(wait)

    async def _welcome(self, out: Outgoing, courier: Courier, recipient: Recipient) -> None:
        """Greet a learner reached for the first time (once, even with two sends to them at once)."""
        if out.settings.welcomed_at is not None or out.person.id is None:
            return
        now = self.coach.clock()
        async with self.coach.database.session() as session:
            if not await claims.claim_welcome(session, out.person.id, now):
                return
        try:
            await self._post(courier, recipient, Reply(messages=[welcome_notice(out.person, out.settings, out.zone)]))
        except BaseException:
            async with self.coach.database.session() as session:
                await claims.unclaim_welcome(session, out.person.id, now)
            raise
        out.settings.welcomed_at = now

    async def _record(self, out: Outgoing, courier: Courier, recipient: Recipient, sent: Sent) -> None:
        now = self.coach.clock()
        async with self.coach.database.session() as session:
            ours = await deliveries.mark_sent(session, out.delivery_id, self.coach.worker_id,
                                              platform=courier.platform, message_ref=sent.message_ref, now=now)
            if not ours:
                log.warning("delivery %s was taken over while it was being sent; the learner may see it twice",
                            out.delivery_id)
            elif out.origin in REMINDED_ORIGINS:
                remind_at = remind_time(out.settings, out.zone, now)
                if remind_at is not None:
                    await claims.set_reminder(session, out.delivery_id, remind_at)
            await _remember(session, out.person, courier.platform, recipient, sent.learned)
        LESSONS_SENT.labels(courier.platform, out.origin).inc()

    async def _release(self, out: Outgoing, error: str, wait: float | None) -> Outcome:
        """Back to the database: retried after a backoff, or failed for good."""
        attempts = out.attempts + 1
        give_up = wait is None or attempts >= MAX_ATTEMPTS
        retry_at = self.coach.clock() + max(backoff(attempts), timedelta(seconds=wait or 0))
        async with self.coach.database.session() as session:
            await deliveries.release_for_retry(session, out.delivery_id, self.coach.worker_id, error=error,
                                               retry_at=retry_at, give_up=give_up)
        if give_up:
            log.warning("delivery %s to person %s failed for good: %s", out.delivery_id, out.person.id, error)
        return Outcome.FAILED if give_up else Outcome.DEFERRED


async def _remember(session: AsyncSession, person: Person, platform: str, recipient: Recipient,
                    learned: dict[str, Any]) -> None:
    """Keep what the platform told us (user id, DM address, workspace, time zone) for the next send: only
    when it is news, so that sending never makes an identity look recently used."""
    fields = {k: v for k, v in learned.items() if k in ("address", "workspace", "timezone") and v}
    external_id = learned.get("external_id") or recipient.external_id
    if person.id is None or not external_id:
        return
    if external_id == recipient.external_id and all(
            getattr(recipient, k) == fields[k] for k in ("address", "workspace") if k in fields):
        return
    try:
        async with session.begin_nested():
            await people.link_identity(session, person.id, platform, external_id, **fields)
            if known_zone(fields.get("timezone")) and not person.timezone:
                await session.exec(update(Person).where(col(Person.id) == person.id, col(Person.timezone).is_(None))
                                   .values(timezone=fields["timezone"]))
    except IntegrityError:
        log.warning("person %s: %s id %s already belongs to someone else; not remembered", person.id, platform,
                    external_id)
