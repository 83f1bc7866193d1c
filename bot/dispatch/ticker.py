"""Each process's ticker: APScheduler 3.x runs one interval job that calls `Dispatcher.tick`.

There is no job per learner and no shared job store (APScheduler's job stores must not be shared between
processes): what is due lives in the database, and any number of processes may tick at once. The job
coalesces missed runs and never overlaps itself (`max_instances=1`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.dispatch.dispatcher import Dispatcher

log = logging.getLogger(__name__)

STOP_GRACE = 30.0
"""Seconds a stopping process gives the tick in progress to finish its sends and record them."""


async def run_ticker(dispatcher: Dispatcher, every: float) -> None:
    """Tick now and then every `every` seconds until cancelled; on cancel, let the current tick finish."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(_tick, "interval", args=[dispatcher], seconds=every, id="dispatch", coalesce=True,
                      max_instances=1, misfire_grace_time=max(1, int(every)), next_run_time=datetime.now(UTC))
    scheduler.start()
    log.info("dispatcher ticking every %.0f s as %s", every, dispatcher.services.worker_id)
    try:
        await asyncio.Event().wait()
    finally:
        scheduler.shutdown(wait=False)
        try:
            async with asyncio.timeout(STOP_GRACE):
                await dispatcher.idle()
        except TimeoutError:
            log.warning("stopped during a tick: its claims are taken over when their leases run out")


async def _tick(dispatcher: Dispatcher) -> None:
    try:
        report = await dispatcher.tick()
    except Exception:
        log.exception("dispatch tick failed; the next tick retries what is still due")
        return
    if report.sent or report.failed or report.deferred or report.expired or report.reminded:
        log.info("sent %d, failed %d, deferred %d, expired %d, held %d, reminded %d", report.sent, report.failed,
                 report.deferred, report.expired, report.held, report.reminded)
