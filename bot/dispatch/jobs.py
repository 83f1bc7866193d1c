"""The jobs of one scheduling tick, each a small function of the tick, run in order by the dispatcher.

The lesson jobs feed the tick's send queue (sending overlaps planning); the others run once that queue has
drained. Each job can be run alone (`Dispatcher.tick(only=...)`), as PTB's JobQueue runs one job, so a new
periodic task is one function here plus its name in `JOBS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.dispatch.digest import send_due_digests
from bot.dispatch.planner import plan_batch
from bot.dispatch.reminders import send_reminders
from bot.dispatch.sender import Outcome, Sender
from bot.services import Services
from bot.team.rollup import refresh_totals
from bot.team.shoutouts import post_shoutouts
from store import dispatch as claims
from store import events

EVENT_MEMORY = timedelta(days=7)
"""How long handled platform events are remembered (Slack retries within minutes; a week is generous)."""


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
    team_totals: int = 0
    """Rows of kept team totals written when this tick counted them again (0: they were fresh enough)."""

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)


@dataclass
class Tick:
    """What every job of one tick shares: its time, the process's parts, the report it fills in, and
    `enqueue`, which hands claimed deliveries to the tick's senders."""

    now: datetime
    services: Services
    sender: Sender
    report: TickReport
    batch: int
    planners: int
    lease: timedelta
    lease_end: Callable[[], datetime]
    enqueue: Callable[[list[int]], Awaitable[None]]


Job = Callable[[Tick], Awaitable[None]]


async def plan_lessons(tick: Tick) -> None:
    """New lessons for the learners whose slot is due, planned batch by batch and claimed as they are made."""
    while True:
        planned = await plan_batch(tick.services, tick.sender, tick.now, limit=tick.batch, lease=tick.lease,
                                   planners=tick.planners)
        tick.report.enrolled += planned.enrolled
        await tick.enqueue(planned.created)
        if planned.claimed < tick.batch:
            return


async def send_due(tick: Tick) -> None:
    """Deliveries already in the database and due: retries, triggers and nudges, and claims whose process
    died (their lease ran out)."""
    while True:
        async with tick.services.database.session() as session:
            ids = await claims.claim_deliveries(session, tick.now, wall=tick.services.clock(),
                                                worker=tick.services.worker_id, lease_until=tick.lease_end,
                                                limit=tick.batch)
        await tick.enqueue(ids)
        if len(ids) < tick.batch:
            return


async def remind(tick: Tick) -> None:
    tick.report.reminded = await send_reminders(tick.sender, tick.now, batch=tick.batch)


async def digests(tick: Tick) -> None:
    tick.report.digests = await send_due_digests(tick.sender, tick.now)


async def shoutouts(tick: Tick) -> None:
    tick.report.shoutouts = await post_shoutouts(tick.services, tick.sender.couriers, tick.now)


async def forget_old_events(tick: Tick) -> None:
    # Event keys are written on the wall clock (bot.chat.once), as the services' clock is: aged on it, a tick
    # --at next week never forgets the keys that stop a Slack retry from acting twice.
    async with tick.services.database.session() as session:
        tick.report.forgotten = await events.forget_events(session, tick.services.clock() - EVENT_MEMORY)


async def team_totals(tick: Tick) -> None:
    """Count every manager's team totals again when the kept ones are older than `team_totals_every` (or were
    counted under another rule, or before the last import that changed the org chart: until then large teams'
    summaries are counted live), for the summaries of large teams (`bot.team.rollup`): what answers, focuses
    and the passing days (this week, the last 14 days) changed since shows from then on. On the wall clock,
    as summaries read them: a tick `--at` another day does not count them as of that day."""
    config = tick.services.config
    async with tick.services.database.session() as session:
        done = await refresh_totals(session, tick.services.clock(), config.mastery_threshold,
                                    every=timedelta(seconds=config.team_totals_every))
    tick.report.team_totals = done.rows if done.counted else 0


SENDING: dict[str, Job] = {"lessons": plan_lessons, "due": send_due}
"""Jobs that feed the send queue; the tick waits for it to drain before the rest."""
AFTER_SENDING: dict[str, Job] = {"reminders": remind, "digests": digests, "shoutouts": shoutouts,
                                 "clean-up": forget_old_events, "team-totals": team_totals}
JOBS = (*SENDING, *AFTER_SENDING)
"""Every job's name, in the order a tick runs them."""
