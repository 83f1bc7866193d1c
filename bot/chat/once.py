"""Acting on a chat platform's event at most once, across retries, double clicks and processes.

Platforms resend: Slack retries an event it got no quick answer to, and a button pressed twice arrives
twice on either platform. The chat handlers name each such event with a key (`slack:event:<id>`,
`teams:press:<conversation>:<message>:<action>`) and run its work through `Once`, which claims the key in
the database first (`store.events`): a key that was handled stays quiet, one being handled is left to
its attempt, and one whose attempt died is taken over.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from store.db import Database
from store.events import claim_event, finish_event, release_event
from store.types import utcnow

log = logging.getLogger(__name__)

LESSON_ACTIONS = frozenset({"next", "lesson"})
"""Button actions (`bot.chat.actions`) that create a lesson: pressed again on the same message, they must not
send another."""
LEASE = timedelta(seconds=50)
"""Longer than any one attempt takes, shorter than Slack's minute before its second retry."""
KEY_LENGTH = 200
"""`ProcessedEvent.key`'s column; longer keys (Teams conversation ids are long) keep a readable start and
a digest of the whole."""


class Once:
    """Act on a platform event at most once, across retries and processes."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def run(self, key: str, work: Callable[[], Awaitable[None]]) -> bool:
        """Run `work` unless `key` was handled (or is being handled); False when it was skipped. When the
        work fails, the key is released so that the platform's next retry acts."""
        key = stored_key(key)
        async with self.database.session() as session:
            claimed = await claim_event(session, key, utcnow(), LEASE)
        if not claimed:
            log.info("already handled: %s", key)
            return False
        try:
            await work()
        except BaseException:
            await self._release(key)
            raise
        async with self.database.session() as session:
            await finish_event(session, key, utcnow())
        return True

    async def _release(self, key: str) -> None:
        try:
            async with self.database.session() as session:
                await release_event(session, key)
        except Exception:
            log.exception("could not release %s; a retry takes over after the lease", key)


def stored_key(key: str) -> str:
    """The key as the database keeps it: itself when it fits, else its start and a digest of all of it."""
    if len(key) <= KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[:KEY_LENGTH - len(digest) - 1]}#{digest}"
