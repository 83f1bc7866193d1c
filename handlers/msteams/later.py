"""Teams turns answered at once and worked on afterwards, so a slow one never looks dead or times out.

Bot Service gives up on `/api/messages` after about 15 seconds, and a turn can take longer: a manager's
`team` (database work, a heatmap, several sends each retried on a 429). So a message or an install is
acknowledged straight away (200), and its turn runs in the background as a proactive turn in the same
conversation (`continue_conversation_with_claims`, with the request's own authenticated identity): it
first shows the person the typing indicator ("Coach is typing…") when they wrote or pressed something,
then runs the bot's turn on the original activity, so every reply, card update and retry is sent
proactively. Invokes (a file consent, `Action.Execute`) and `expectReplies` requests still run inside
the request, because their answer *is* the response body.

The tasks are kept, not fire-and-forget: at most `CONCURRENCY` turns work at once, shutdown waits for
them (`drain`), and tests wait for them before reading what was sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, DeliveryModes
from botframework.connector.auth import AuthenticateRequestResult

log = logging.getLogger(__name__)

CONCURRENCY = 8
"""Turns worked on at once per process; the rest wait their turn (the requests are answered regardless)."""
DEFERRED = frozenset({ActivityTypes.message, ActivityTypes.installation_update, ActivityTypes.conversation_update})
"""What runs after the answer; everything else (invokes above all) runs inside the request."""
TYPING = frozenset({ActivityTypes.message})
"""After which the person sees "typing…" while the coach works (not after an install: nobody is waiting)."""
DRAIN_SECONDS = 30.0

Logic = Callable[[TurnContext], Awaitable[None]]


def deferred(activity: Activity) -> bool:
    """Whether this activity's turn runs after the request is answered."""
    return activity.type in DEFERRED and activity.delivery_mode != DeliveryModes.expect_replies


class LaterTurns:
    """The background turns of one process."""

    def __init__(self, adapter: CloudAdapter, concurrency: int = CONCURRENCY) -> None:
        self.adapter = adapter
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(concurrency)

    def start(self, authenticated: AuthenticateRequestResult, activity: Activity, logic: Logic) -> None:
        """Run `logic` on `activity` in a proactive turn, after the request that brought it is answered."""
        task = asyncio.ensure_future(self._run(authenticated, activity, logic))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every turn, including those started meanwhile, is done (at shutdown; in tests), for
        at most DRAIN_SECONDS."""
        try:
            async with asyncio.timeout(DRAIN_SECONDS):
                while self._tasks:
                    await asyncio.wait(set(self._tasks))
        except TimeoutError:
            log.warning("%d Teams turns were still running after %.0f s", len(self._tasks), DRAIN_SECONDS)

    def __len__(self) -> int:
        return len(self._tasks)

    async def _run(self, authenticated: AuthenticateRequestResult, activity: Activity, logic: Logic) -> None:
        reference = TurnContext.get_conversation_reference(activity)

        async def turn(context: TurnContext) -> None:
            activity.caller_id = authenticated.caller_id  # as `process_activity` sets it
            context.activity = activity  # the continued turn acts on what the person sent, replying to it
            if activity.type in TYPING:
                await _typing(context)
            await logic(context)

        async with self._slots:
            try:
                await self.adapter.continue_conversation_with_claims(
                    authenticated.claims_identity, reference, authenticated.audience, turn)
            except Exception:
                log.exception("a Teams turn failed after its request was answered (%s activity)", activity.type)


async def _typing(context: TurnContext) -> None:
    """The typing indicator, once and without retries: it is a courtesy, and the reply follows anyway."""
    try:
        await context.send_activity(Activity(type=ActivityTypes.typing))
    except Exception as error:
        log.info("could not show the typing indicator: %s", error)
