"""Sending claimed deliveries through the couriers, then recording each send the moment the platform took it.

Which courier: the platform of the person's most recently used chat identity, then every other enabled
courier that can reach them (Slack finds people by email). A permanent refusal (the person is unknown or
gone, the app was blocked) moves on to the next one; when none is left the delivery fails. Transient errors
(5xx, 429, timeouts, dropped connections) are retried a few times within the tick — a 429 holds that
workspace or tenant for its `Retry-After`, in every process — then handed back to the database with a
backoff of 1, 2, 4 … up to 60 minutes, for as long as it takes: a scheduled lesson is never given up, anything
else expires after `COACH_EXPIRE_AFTER_DAYS`. `bot.dispatch.windows` says when a delivery may be posted.

Neither platform takes an idempotency key, so a message can repeat when the platform accepted it but the
coach did not learn so (a crash before `mark_sent`, a timeout or dropped connection after the platform took
the post). docs/operations.md lists these windows; each send is recorded straight away (by group commit,
`bot.lessons.ledger`, while the dispatcher's sender posts its next one), and the parts of a long lesson that
arrived are kept, so a retry posts only the rest.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.couriers import Courier, DeliveryError, Recipient, Sent
from bot.dispatch.attempts import POST, Attempt, PacedCourier, PartwiseCourier, ResolvingCourier
from bot.dispatch.profiles import learn_zone, remember
from bot.dispatch.rate import SendBudget, Timer
from bot.dispatch.windows import NEVER_EXPIRE, REMINDED_ORIGINS, current_slot, keeps_to_window, remind_time, retry_time
from bot.lessons.ledger import Ledger
from bot.lessons.lessons import card_from
from bot.lessons.schedule import own_zone, window_opening, zone_of
from bot.lessons.welcome import welcome_notice
from bot.replies import Reply
from bot.services import Services
from store import deliveries, people
from store import dispatch as claims
from store.models import ChatIdentity, LearnerSettings, Person

log = logging.getLogger(__name__)

INLINE_ATTEMPTS = 3
"""Tries within one tick, after failures other than throttling, before the delivery goes back to the database."""
MAX_INLINE_WAIT = 15.0
"""Seconds of `Retry-After` one send waits out within the tick (in all); beyond, it is handed back rather than
keeping a sender slot waiting."""
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    """Refused for good: no platform can reach the person."""
    DEFERRED = "deferred"
    """The platforms failed for now: retried after a backoff."""
    HELD = "held"
    """Not now: outside the learner's window, or its slot is on a later day."""
    EXPIRED = "expired"
    """Kept failing for longer than COACH_EXPIRE_AFTER_DAYS (never a scheduled lesson)."""


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
    created_at: datetime
    slot: str | None
    clock: Callable[[], datetime]
    """The tick's time: what is due and what is inside a window is judged by it (`coach dispatch --at`)."""
    progress: dict[str, Any] | None = None
    """What earlier tries left: {"platform": …, "posted": [reference, …], "unsure_since": epoch second} (the last
    only when a post's outcome was unknown, `bot.dispatch.attempts`)."""

    def progress_on(self, platform: str) -> dict[str, Any]:
        if not self.progress or self.progress.get("platform") != platform:
            return {}
        return self.progress


class Postponed(Exception):
    """Not now: try again in `wait` seconds at the earliest."""

    def __init__(self, error: str, wait: float) -> None:
        super().__init__(error)
        self.wait = wait


@cache
def _partwise(kind: type) -> bool:
    """Whether a courier class posts through an `Attempt` (`PartwiseCourier`): asked once per class, since a
    runtime protocol's isinstance walks the protocol's members and every send would ask."""
    return issubclass(kind, PartwiseCourier)


def backoff(attempt: int) -> timedelta:
    """Exponential backoff between ticks: 1, 2, 4 … minutes, at most an hour."""
    return min(RETRY_CAP, RETRY_BASE * 2 ** max(0, attempt - 1))


class Sender:
    """Posts claimed deliveries for one process; holds no state that matters beyond the current tick."""

    def __init__(self, services: Services, couriers: Mapping[str, Courier], config: Settings,
                 timer: Timer | None = None) -> None:
        self.services = services
        self.ledger = Ledger(services)
        self.couriers = dict(couriers)
        self.budget = SendBudget(services.database, config.sends_per_second, timer=timer)
        self.default_zone = config.default_timezone
        self.expire_after = timedelta(days=config.expire_after_days)
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
        if self.reaches(person, []):
            return True
        return self.reaches(person, await people.identities_of(session, [person.id]))

    def reaches(self, person: Person, identities: Sequence[ChatIdentity]) -> bool:
        """`reachable`, with the person's chat identities already loaded (a batch's, in one query)."""
        assert person.id is not None
        bare = Recipient(person_id=person.id, email=person.email, name=person.name)
        return any(courier.can_reach(bare) for courier in self.couriers.values()) or bool(
            self.routes(person, identities))

    def can_learn_zones(self) -> bool:
        return any(isinstance(courier, ResolvingCourier) for courier in self.couriers.values())

    async def learn_zone(self, person: Person) -> None:
        """Before planning the first slot of someone whose zone nobody gave: ask their chat profile. A platform
        that fails now only means the zone is asked again before the send."""
        async with self.services.database.session() as session:
            identities = await people.identities_of(session, [person.id or 0])
        try:
            await learn_zone(self.services.database, person, self.routes(person, identities), self._attempt)
        except DeliveryError as exc:
            log.info("time zone of person %s not learned yet: %s", person.id, exc)
        except Exception:  # like planning, one person's lookup never stops the tick
            log.exception("time zone of person %s not learned: the lookup failed", person.id)

    async def prepare(self, ids: Sequence[int], clock: Callable[[], datetime] | None = None) -> list[Outgoing]:
        """Load what the claimed deliveries need (cards, people, identities) in a fixed number of queries."""
        if not ids:
            return []
        async with self.services.database.session() as session:
            found = await claims.addressees(session, ids)
        prepared = []
        for item in found:
            delivery = item.delivery
            assert delivery.id is not None
            card = card_from(delivery, item.version, item.lesson, item.competency_name, item.question)
            progress = delivery.message_ref if delivery.message_ref and "posted" in delivery.message_ref else None
            prepared.append(Outgoing(
                delivery_id=delivery.id, origin=delivery.origin, attempts=delivery.attempts, person=item.person,
                settings=item.settings, zone=zone_of(item.settings, item.person, self.default_zone),
                reply=Reply(messages=[card]), routes=self.routes(item.person, item.identities),
                created_at=delivery.created_at, slot=delivery.slot, clock=clock or self.services.clock,
                progress=progress))
        return prepared

    async def deliver(self, out: Outgoing) -> Outcome:
        """Post one claimed delivery and record the result; never raises for a platform's failure."""
        outcome, record = await self.post(out)
        if record is not None:
            await record
        return outcome

    async def post(self, out: Outgoing) -> tuple[Outcome, Awaitable[None] | None]:
        """Post one claimed delivery; returns the outcome and, for a send the platform took, its record still
        being written (`Ledger.sent` groups it with the other sends that finish meanwhile). A failure is
        recorded before this returns. The dispatcher's sender slot moves on to its next post while the record
        is written (`bot.dispatch.dispatcher`), so a post never waits for the database's write turn.

        A learner reached for the first time gets the welcome as a message of its own just before: if the
        lesson then fails, only the lesson is retried, and the welcome is never repeated.
        """
        error, wait, platform, attempt = "no enabled chat platform can reach this person", None, "none", None
        try:
            held = await self._when(out)
        except DeliveryError as exc:
            return await self._release(out, f"looking the person up: {exc}", exc.retry_after or 0.0, None), None
        if held is not None:
            return held, None
        for courier, recipient in out.routes:
            platform = courier.platform
            attempt = self._attempt(courier, recipient, out.progress_on(platform))
            try:
                await self._welcome(out, courier, recipient)
                sent = await self._post(courier, recipient, out.reply, attempt)
            except DeliveryError as exc:
                error = f"{courier.platform}: {exc}"
                continue
            except Postponed as exc:
                error, wait = f"{courier.platform}: {exc}", exc.wait
                break
            return Outcome.SENT, asyncio.ensure_future(self._record(out, courier, recipient, sent))
        return await self._release(out, error, wait, attempt, platform), None

    async def send_notice(self, person: Person, reply: Reply, *, prefer: str | None = None) -> bool:
        """A message that is not a delivery (a reminder): one try per courier, no retry later."""
        async with self.services.database.session() as session:
            identities = await people.identities_of(session, [person.id or 0])
        for courier, recipient in self.routes(person, identities, prefer):
            try:
                await self._post(courier, recipient, reply, self._attempt(courier, recipient))
                return True
            except (DeliveryError, Postponed) as exc:
                log.info("reminder to person %s not sent via %s: %s", person.id, courier.platform, exc)
        return False

    async def renew_leases(self) -> None:
        """Extend the claims still in hand, so a long wait never lets another process take them over."""
        if self.in_hand:
            async with self.services.database.session() as session:
                await claims.renew_leases(session, sorted(self.in_hand), worker=self.services.worker_id,
                                          lease_until=self.services.clock() + self.lease)

    async def _when(self, out: Outgoing) -> Outcome | None:
        """None when the delivery may be posted now; HELD (and postponed) when it must wait for the learner's
        window or for a later slot. The zone of someone nobody gave one is asked for first."""
        moment = out.clock()
        if not keeps_to_window(out.origin, out.created_at, moment):
            return None
        if own_zone(out.settings, out.person) is None:
            out.routes = await learn_zone(self.services.database, out.person, out.routes, self._attempt)
            out.zone = zone_of(out.settings, out.person, self.default_zone)
        opening = window_opening(out.settings, out.zone, moment)
        if opening > moment:
            return await self._hold(out, opening)
        if out.origin == "scheduled":
            moved = await current_slot(self.services.database, out.delivery_id, out.slot, out.settings, out.zone,
                                       moment)
            if moved is not None:
                log.info("delivery %s of an earlier day now takes slot %s", out.delivery_id, moved.key)
                out.slot = moved.key
                if moved.local_date > moment.astimezone(ZoneInfo(out.zone)).date():
                    return await self._hold(out, moved.at)
        return None

    async def _hold(self, out: Outgoing, until: datetime) -> Outcome:
        async with self.services.database.session() as session:
            await deliveries.postpone(session, out.delivery_id, self.services.worker_id, until=until)
        return Outcome.HELD

    def _key(self, courier: Courier, recipient: Recipient) -> str:
        return f"{courier.platform}:{courier.rate_key(recipient)}"

    def _attempt(self, courier: Courier, recipient: Recipient, progress: Mapping[str, Any] | None = None) -> Attempt:
        """A try through this courier, paced by the shared budget at the courier's own paces (Slack's method
        tiers), else at COACH_SENDS_PER_SECOND; carrying on from an earlier try's `progress`."""
        paces = courier.paces if isinstance(courier, PacedCourier) else None
        progress = progress or {}
        return Attempt(self._key(courier, recipient), self.budget, list(progress.get("posted") or []), paces,
                       progress.get("unsure_since"))

    async def _post(self, courier: Courier, recipient: Recipient, reply: Reply, attempt: Attempt) -> Sent:
        """Send with retries inside the tick; raises DeliveryError (permanent) or Postponed. A throttle holds the
        whole workspace and is waited out (up to MAX_INLINE_WAIT in all); other failures are tried again after a
        short pause, INLINE_ATTEMPTS times. A part that arrived before a later one failed is not posted again."""
        tries, throttled = 0, 0.0
        while True:
            try:
                if _partwise(type(courier)):
                    return await courier.send_attempt(recipient, reply, attempt)
                await attempt.turn(POST)
                return await courier.send(recipient, reply)
            except DeliveryError as exc:
                if exc.permanent:
                    raise
                error, retry_after = str(exc), exc.retry_after
            except Exception as exc:  # a network error the courier did not wrap: transient as well
                error, retry_after = f"{type(exc).__name__}: {exc}", None
            if retry_after is not None:
                await self.budget.hold(attempt.key, retry_after)  # the next try waits for it, as does everyone
                throttled += max(1.0, retry_after)  # a "Retry-After: 0" storm still ends
                if throttled > MAX_INLINE_WAIT:
                    raise Postponed(error, retry_after)
                continue
            tries += 1
            wait = 0.25 * 2 ** tries * (0.5 + random.random())
            if tries >= INLINE_ATTEMPTS:
                raise Postponed(error, wait)
            await self.budget.wait(wait)

    async def _welcome(self, out: Outgoing, courier: Courier, recipient: Recipient) -> None:
        """Greet a learner reached for the first time (once, even with two sends to them at once)."""
        if out.settings.welcomed_at is not None or out.person.id is None:
            return
        now = self.services.clock()
        async with self.services.database.session() as session:
            if not await claims.claim_welcome(session, out.person.id, now):
                return
        try:
            await self._post(courier, recipient, Reply(messages=[welcome_notice(out.person, out.settings, out.zone)]),
                             self._attempt(courier, recipient))
        except BaseException:
            async with self.services.database.session() as session:
                await claims.unclaim_welcome(session, out.person.id, now)
            raise
        out.settings.welcomed_at = now

    async def _record(self, out: Outgoing, courier: Courier, recipient: Recipient, sent: Sent) -> None:
        async def also(session: AsyncSession, _ours: bool) -> None:
            await remember(session, out.person, courier.platform, recipient, sent.learned)

        remind_at = remind_time(out.settings, out.zone, out.clock()) if out.origin in REMINDED_ORIGINS else None
        await self.ledger.sent(out.delivery_id, platform=courier.platform, origin=out.origin,
                               message_ref=sent.message_ref, remind_at=remind_at, also=also)

    async def _release(self, out: Outgoing, error: str, wait: float | None, attempt: Attempt | None,
                       platform: str = "none") -> Outcome:
        """Back to the database: retried after a backoff (inside the window when it keeps to one), failed for
        good when every platform refused the person, or expired when it kept failing for too long."""
        moment = out.clock()
        if wait is None:
            outcome, retry_at = Outcome.FAILED, moment
        elif out.origin not in NEVER_EXPIRE and self.services.clock() - out.created_at >= self.expire_after:
            # how long it has been failing: on the clock its creation was recorded with, not the tick's
            outcome, retry_at = Outcome.EXPIRED, moment
        else:
            delay = max(backoff(out.attempts + 1), timedelta(seconds=wait))
            outcome = Outcome.DEFERRED
            retry_at = retry_time(out.origin, out.created_at, out.settings, out.zone, moment + delay)
        progress = (attempt.progress(platform) if attempt else None) or out.progress
        status = {Outcome.FAILED: "failed", Outcome.EXPIRED: "expired"}.get(outcome, "pending")
        if outcome is not Outcome.DEFERRED:
            log.warning("delivery %s to person %s %s: %s", out.delivery_id, out.person.id, outcome.value, error)
        # The couriers count each failed call; this counts lessons handed back for later, given up or expired.
        label = {Outcome.FAILED: "given_up", Outcome.EXPIRED: "expired"}.get(outcome, "handed_back")
        await self.ledger.handed_back(out.delivery_id, platform=platform, error=error, retry_at=retry_at,
                                      status=status, progress=progress, counted_as=label)
        return outcome
