"""One scheduling tick: plan the lessons that are due, send them and any retries, then the reminders.

Planning and sending overlap: the planner feeds a bounded queue that `dispatch_concurrency` senders drain,
so memory stays flat however many learners are due, and the database work of one batch runs while the
previous batch is on the wire.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Settings
from bot.couriers import Courier
from bot.dispatch.planner import plan_batch
from bot.dispatch.rate import Timer
from bot.dispatch.reminders import send_reminders
from bot.dispatch.sender import Outcome, Outgoing, Sender
from bot.services import Services
from bot.team.digest import send_due_digests
from bot.team.shoutouts import post_shoutouts
from store import dispatch as claims
from store import events

log = logging.getLogger(__name__)

EVENT_MEMORY = timedelta(days=7)
"""How long handled platform events are remembered (Slack retries within minutes; a week is generous)."""
RENEW_EVERY = 30.0
"""Seconds between lease renewals of the deliveries in hand (at most a third of the lease)."""


@dataclass
class TickReport:
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    """Handed back after the platform failed for now: retried after a backoff."""
    held: int = 0
    """Claimed but not the moment: outside the learner's window, or its slot is on a later day."""
    expired: int = 0
    reminded: int = 0
    digests: int = 0
    shoutouts: int = 0
    enrolled: int = 0
    forgotten: int = 0
    """Old keys of handled platform events dropped (see store.events.forget_events)."""

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)


class Dispatcher:
    """The process's dispatcher: `tick()` for the scheduler, `send_now()` for a trigger's lesson."""

    def __init__(self, services: Services, couriers: Mapping[str, Courier], config: Settings | None = None, *,
                 timer: Timer | None = None) -> None:
        self.services = services
        self.config = config or services.config
        self.sender = Sender(services, couriers, self.config, timer)
        self.lease = timedelta(seconds=self.config.dispatch_lease_seconds)
        self.planners = 1 if services.database.dialect == "sqlite" else max(1, self.config.dispatch_concurrency)
        """Learners planned at once: SQLite has one writer, PostgreSQL plans in parallel sessions."""
        self._ticking = asyncio.Lock()

    async def tick(self, at: datetime | None = None) -> TickReport:
        """Everything due now — or, for a rehearsal or a catch-up (`coach dispatch --at`), at `at`; ticks of one
        process never overlap.

        "Due" is judged at the tick's start, and whether a learner's window is open at the tick's time as it
        goes on (`at` plus the time the tick has taken). Leases and sent times always come from the coach's
        clock — the wall clock — so that a tick `--at` another time never makes other processes take its
        claims for dead ones. Each lease runs from the moment its claim is made, because a tick lasts until
        everything due has been sent, which can take longer than a lease.
        """
        async with self._ticking:
            if not self.sender.couriers:
                log.warning("dispatch tick skipped: no chat platform is configured")
                return TickReport()
            started = self.services.clock()
            as_of = at or started
            return await self._tick(as_of, lambda: as_of + (self.services.clock() - started))

    async def idle(self) -> None:
        """Return once no tick is running (a graceful stop waits for the one in progress)."""
        async with self._ticking:
            return

    async def send_now(self, delivery_id: int) -> Outcome | None:
        """Send one delivery this process created and claimed (a trigger's lesson) right away."""
        self.sender.in_hand.add(delivery_id)
        try:
            for out in await self.sender.prepare([delivery_id]):
                return await self.sender.deliver(out)
            return None
        finally:
            self.sender.in_hand.discard(delivery_id)

    async def _tick(self, now: datetime, moment: Callable[[], datetime]) -> TickReport:
        report = TickReport()
        batch = max(1, self.config.dispatch_batch)
        queue: asyncio.Queue[Outgoing] = asyncio.Queue(maxsize=batch)
        tasks = [asyncio.create_task(self._send_from(queue, report))
                 for _ in range(max(1, self.config.dispatch_concurrency))]
        tasks.append(asyncio.create_task(self._keep_leases()))
        try:
            while True:
                planned = await plan_batch(self.services, self.sender, now, limit=batch, lease=self.lease,
                                           planners=self.planners)
                report.enrolled += planned.enrolled
                await self._enqueue(queue, planned.created, moment)
                if planned.claimed < batch:
                    break
            while True:
                async with self.services.database.session() as session:
                    ids = await claims.claim_deliveries(session, now, worker=self.services.worker_id,
                                                        lease_until=self._lease_end, limit=batch)
                await self._enqueue(queue, ids, moment)
                if len(ids) < batch:
                    break
            await queue.join()
            report.reminded = await send_reminders(self.sender, now, batch=batch)
            report.digests = await send_due_digests(self.sender, now)
            report.shoutouts = await post_shoutouts(self.services, self.sender.couriers, now)
            async with self.services.database.session() as session:
                report.forgotten = await events.forget_events(session, now - EVENT_MEMORY)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        log.debug("dispatch tick at %s: %s", now.isoformat(), report)
        return report

    def _lease_end(self) -> datetime:
        return self.services.clock() + self.lease

    async def _enqueue(self, queue: asyncio.Queue[Outgoing], ids: list[int], moment: Callable[[], datetime]) -> None:
        fresh = [i for i in ids if i not in self.sender.in_hand]  # never the same claim twice in one process
        self.sender.in_hand.update(fresh)
        ready = await self.sender.prepare(fresh, moment)
        self.sender.in_hand.difference_update(set(fresh) - {out.delivery_id for out in ready})
        for out in ready:
            await queue.put(out)

    async def _send_from(self, queue: asyncio.Queue[Outgoing], report: TickReport) -> None:
        while True:
            out = await queue.get()
            try:
                report.count(await self.sender.deliver(out))
            except Exception:
                # The claim stays ours until its lease runs out; then this or another process retries it.
                log.exception("delivery %s could not be sent or recorded", out.delivery_id)
                report.count(Outcome.DEFERRED)
            finally:
                self.sender.in_hand.discard(out.delivery_id)
                queue.task_done()

    async def _keep_leases(self) -> None:
        while True:
            await asyncio.sleep(min(RENEW_EVERY, self.lease.total_seconds() / 3))
            try:
                await self.sender.renew_leases()
            except Exception:
                log.exception("could not renew the leases of deliveries in hand")
