"""One scheduling tick: the jobs of `bot.dispatch.jobs` in order, sharing one bounded send queue.

Planning and sending overlap: the planner feeds a bounded queue that `dispatch_concurrency` senders drain,
so memory stays flat however many learners are due, and the database work of one batch runs while the
previous batch is on the wire. A sender does not wait for a send's record before its next post: records are
written by group commit while it posts, at most `UNRECORDED_PER_SENDER` sends per sender between the start of
a post and its committed record (the bound on what a crash can repeat).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import datetime, timedelta

from bot.config import Settings
from bot.couriers import Courier
from bot.dispatch.collector import fewer_collections
from bot.dispatch.jobs import AFTER_SENDING, JOBS, SENDING, Tick, TickReport
from bot.dispatch.rate import Timer
from bot.dispatch.sender import Outcome, Outgoing, Sender
from bot.services import Services

log = logging.getLogger(__name__)

RENEW_EVERY = 30.0
"""Seconds between lease renewals of the deliveries in hand (at most a third of the lease)."""
UNRECORDED_PER_SENDER = 2
"""Sends each sender may have between starting to post and their record committed: its post on the wire and one
posted whose record waits for the next group commit (`bot.lessons.ledger`). A sender does not wait for the
database's write turn before its next post, and a crash repeats at most this many per sender
(docs/operations.md, "When a learner can see a message twice")."""


class Dispatcher:
    """The process's dispatcher: `tick()` for the scheduler, `send_now()` for a trigger's lesson."""

    def __init__(self, services: Services, couriers: Mapping[str, Courier], config: Settings | None = None, *,
                 timer: Timer | None = None) -> None:
        self.services = services
        self.config = config or services.config
        self.sender = Sender(services, couriers, self.config, timer)
        self.lease = timedelta(seconds=self.config.dispatch_lease_seconds)
        self.planners = 1 if services.database.dialect == "sqlite" else max(1, self.config.dispatch_concurrency)
        """Newcomers enrolled (and learners looked up) at once: SQLite has one writer, PostgreSQL takes them in
        parallel sessions. A batch's lessons are planned together (`bot.dispatch.batch_plan`)."""
        self._ticking = asyncio.Lock()

    async def tick(self, at: datetime | None = None, *, only: Collection[str] = JOBS) -> TickReport:
        """Everything due now — or, for a rehearsal or a catch-up (`coach dispatch --at`), at `at`; ticks of one
        process never overlap.

        "Due" is judged at the tick's start, and whether a learner's window is open at the tick's time as it
        goes on (`at` plus the time the tick has taken). Leases, sent and reminded times, how long a failing
        delivery has been failing, and the age of remembered platform events always come from the coach's
        clock — the wall clock — and leases are read with it too, so that a tick `--at` another time never
        takes another process's live claims for dead ones, nor they its own. Each lease runs from the moment
        its claim is made, because a tick lasts until everything due has been sent, which can take longer than
        a lease. `only` names the jobs to run (`bot.dispatch.jobs.JOBS`, all by default).
        """
        unknown = set(only) - set(JOBS)
        if unknown:
            raise ValueError(f"no such dispatch job: {', '.join(sorted(unknown))}")
        async with self._ticking:
            if not self.sender.couriers:
                log.warning("dispatch tick skipped: no chat platform is configured")
                return TickReport()
            started = self.services.clock()
            as_of = at or started
            with fewer_collections():
                return await self._tick(as_of, lambda: as_of + (self.services.clock() - started), only)

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

    async def _tick(self, now: datetime, moment: Callable[[], datetime], only: Collection[str]) -> TickReport:
        report = TickReport()
        batch = max(1, self.config.dispatch_batch)
        queue: asyncio.Queue[Outgoing] = asyncio.Queue(maxsize=batch)
        senders = max(1, self.config.dispatch_concurrency)
        room = asyncio.Semaphore(senders * UNRECORDED_PER_SENDER)
        settling: set[asyncio.Task[None]] = set()
        tasks = [asyncio.create_task(self._send_from(queue, report, room, settling)) for _ in range(senders)]
        tasks.append(asyncio.create_task(self._keep_leases()))
        tick = Tick(now, self.services, self.sender, report, batch, self.planners, self.lease, self._lease_end,
                    lambda ids: self._enqueue(queue, ids, moment))
        try:
            for name, job in SENDING.items():
                if name in only:
                    await job(tick)
            await queue.join()
            for name, job in AFTER_SENDING.items():
                if name in only:
                    await job(tick)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.gather(*settling, return_exceptions=True)  # records of sends posted are never dropped
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

    async def _send_from(self, queue: asyncio.Queue[Outgoing], report: TickReport, room: asyncio.Semaphore,
                         settling: set[asyncio.Task[None]]) -> None:
        """One sender: posts the queued deliveries one after another, leaving each send's record to be written
        (in a group with the others') while it posts the next; `room` bounds the sends not yet recorded."""
        while True:
            out = await queue.get()
            await room.acquire()
            try:
                outcome, record = await self.sender.post(out)
            except asyncio.CancelledError:
                self._settled(out, room, queue)
                raise
            except Exception:
                # The claim stays ours until its lease runs out; then this or another process retries it.
                log.exception("delivery %s could not be sent or recorded", out.delivery_id)
                outcome, record = Outcome.DEFERRED, None
            if record is None:
                report.count(outcome)
                self._settled(out, room, queue)
                continue
            task = asyncio.create_task(self._record(out, outcome, record, report, room, queue))
            settling.add(task)
            task.add_done_callback(settling.discard)

    async def _record(self, out: Outgoing, outcome: Outcome, record: Awaitable[None], report: TickReport,
                      room: asyncio.Semaphore, queue: asyncio.Queue[Outgoing]) -> None:
        try:
            await record
            report.count(outcome)
        except Exception:
            log.exception("delivery %s was posted but could not be recorded", out.delivery_id)
            report.count(Outcome.DEFERRED)
        finally:
            self._settled(out, room, queue)

    def _settled(self, out: Outgoing, room: asyncio.Semaphore, queue: asyncio.Queue[Outgoing]) -> None:
        """The send is over (recorded, handed back, or left to its lease): its lease is no longer renewed."""
        self.sender.in_hand.discard(out.delivery_id)
        room.release()
        queue.task_done()

    async def _keep_leases(self) -> None:
        while True:
            await asyncio.sleep(min(RENEW_EVERY, self.lease.total_seconds() / 3))
            try:
                await self.sender.renew_leases()
            except Exception:
                log.exception("could not renew the leases of deliveries in hand")
