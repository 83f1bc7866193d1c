"""Who is writing to the bot, when Teams can't say just now: the member lookup, and the contacts to retry.

A Teams account is matched to the org chart by its user id or AAD object id, else by the email that
`TeamsInfo.get_member` reports. That lookup is a connector call like any other: throttled (429) or failing
(5xx, a proxy's error page) at the worst moment — a setup policy installing the app for a whole tenant at
once. A failed lookup says nothing about whether the org chart lists the person, so only Teams' own "no
such member" (404) makes them unknown; any other failure raises `LookupUnavailable`, the person hears "try
again in a minute", and `Contacts` keeps their conversation reference and retries the lookup in the
background. Once it works their reference is stored like anyone's, so scheduled lessons reach them, and an
install that could not be answered gets its welcome then.

The contacts waiting for a retry are kept in the database (`store.contacts`): a restart, or another process
serving Teams, carries on with them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ConversationReference
from msrest.exceptions import HttpOperationError

from bot.couriers import DeliveryError
from handlers.msteams import PLATFORM
from handlers.msteams.posting import Backoff, status_of, with_backoff
from store.contacts import claim_contact, contact_tried, drop_contact, keep_contact, next_contact_due
from store.db import Database
from store.types import utcnow

log = logging.getLogger(__name__)


def reported_zone(activity: Activity) -> str | None:
    """The time zone the person's Teams client reports (`localTimezone`, an IANA name, on every message
    from a person). It is a profile zone like Slack's: kept on the person only when neither they nor the
    org chart gave one (`Coach.identify` checks the name and that order)."""
    zone = getattr(activity, "local_timezone", None)
    return zone if isinstance(zone, str) and zone.strip() else None

def reader_locale(activity: Activity) -> str | None:
    """The locale the person's Teams client runs in: the activity's `locale` (`de-DE`), else the one its
    `clientInfo` entity carries; None when neither says."""
    found = getattr(activity, "locale", None)
    for entity in getattr(activity, "entities", None) or []:
        if not found and getattr(entity, "type", None) == "clientInfo":
            found = (getattr(entity, "additional_properties", None) or {}).get("locale")
    return found if isinstance(found, str) and found.strip() else None


SOON = 0.01
"""Seconds to wait when a contact is due but another process is claiming it right now."""
STOP_SECONDS = 30.0
"""How long a shutdown waits for the try under way to end by itself (as long as it waits for Teams turns)."""
NO_SUCH_MEMBER = 404
"""The connector's answer for a user id it does not know in the conversation (MemberNotFoundInConversation)."""


class LookupUnavailable(Exception):
    """Teams could not say who someone is just now (throttled, failing, unreachable)."""


async def member_email(turn_context: TurnContext, user_id: str, backoff: Backoff) -> str | None:
    """The email (or user principal name) Teams reports for the user; None when Teams says there is no
    such member. Throttling is retried briefly; anything else that fails raises LookupUnavailable."""
    try:
        member = await with_backoff(lambda: TeamsInfo.get_member(turn_context, user_id), backoff)
    except DeliveryError as error:
        cause = error.__cause__
        if isinstance(cause, HttpOperationError) and status_of(cause) == NO_SUCH_MEMBER:
            return None
        log.warning("Teams did not tell who %s is: %s", user_id, error)
        raise LookupUnavailable(str(error)) from error
    return member.email or member.user_principal_name


@dataclass(frozen=True)
class Retry:
    """How the lookups of contacts Teams could not identify are retried: doubling from `first` seconds up
    to `longest`, `attempts` times (about seven hours by default). Each process serving Teams looks for
    contacts that fell due at least every `poll` seconds (another process may have kept them), and holds a
    claimed one for `lease` seconds."""

    first: float = 30.0
    longest: float = 1800.0
    attempts: int = 20
    poll: float = 60.0
    lease: float = 300.0


Resume = Callable[[TurnContext, bool], Awaitable[bool]]
"""Identify the person again in a continued turn (with `welcome` when their install went unanswered);
False when Teams still can't say who they are."""


class Contacts:
    """People Teams could not identify, with where to reach them (`store.contacts`), retried one at a time
    by the processes that serve Teams (one at a time, so a tenant that is throttling is not asked faster as
    more people wait)."""

    def __init__(self, database: Database, adapter: CloudAdapter, app_id: str, resume: Resume,
                 retry: Retry) -> None:
        self.database = database
        self.adapter = adapter
        self.app_id = app_id
        self.resume = resume
        self.retry = retry
        self._changed = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Retry the contacts kept so far, also those an earlier process left, and any kept from now on."""
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._run(), name="teams-contacts")

    async def add(self, user_id: str, reference: dict[str, Any], *, welcome: bool) -> None:
        """Retry this person's lookup later (an install still owed its welcome stays owed)."""
        due = utcnow() + timedelta(seconds=self.retry.first)
        async with self.database.session() as session:
            await keep_contact(session, PLATFORM, user_id, reference, welcome=welcome, due_at=due)
        self._changed.set()  # the loop, started with the endpoint's app, looks again now

    async def forget(self, user_id: str) -> None:
        """The person was identified on their own activity: nothing left to retry."""
        async with self.database.session() as session:
            await drop_contact(session, PLATFORM, user_id)

    async def close(self) -> None:
        """Stop retrying once the try under way has written its outcome, waiting at most STOP_SECONDS.

        The loop is not cancelled at once: a task cancelled inside a database transaction can leave SQLite's
        write lock held after the session is gone (SQLAlchemy's aiosqlite driver), and every later write of
        the process then fails with "database is locked". A try still running after STOP_SECONDS is cancelled:
        its contact stays claimed until its lease ends, and the next process tries it again."""
        if self._task is None:
            return
        self._stopping = True
        self._changed.set()
        done, _ = await asyncio.wait({self._task}, timeout=STOP_SECONDS)
        if not done:
            log.warning("a retry of who a Teams user is was still running after %.0f s at shutdown", STOP_SECONDS)
            self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while not self._stopping:
            self._changed.clear()  # before looking, so a contact kept meanwhile wakes the wait below
            try:
                wait = await self._next()
            except Exception:  # the database is down: the contacts wait in it, try again after a poll
                log.exception("retrying who Teams users are failed")
                wait = self.retry.poll
            if wait > 0 and not self._stopping:
                with contextlib.suppress(TimeoutError):  # woken early by a newer contact, or due now
                    await asyncio.wait_for(self._changed.wait(), min(wait, self.retry.poll))

    async def _next(self) -> float:
        """Try the contact due longest, if any; the seconds until another may be due."""
        now = utcnow()
        async with self.database.session() as session:
            contact = await claim_contact(session, PLATFORM, now, timedelta(seconds=self.retry.lease))
            due = None if contact is not None else await next_contact_due(session, PLATFORM)
        if contact is None:
            return self.retry.poll if due is None else max((due - now).total_seconds(), SOON)
        identified = await self._try(contact.address, contact.welcome)
        attempts = contact.attempts + 1
        again = None if identified or attempts >= self.retry.attempts else \
            utcnow() + timedelta(seconds=min(self.retry.first * 2 ** attempts, self.retry.longest))
        async with self.database.session() as session:
            await contact_tried(session, contact, again_at=again)  # given up: their next message tries again
        return 0.0

    async def _try(self, address: dict[str, Any], welcome: bool) -> bool:
        outcome: list[bool] = []

        async def again(turn_context: TurnContext) -> None:
            turn_context.activity.channel_data = turn_context.activity.channel_data or {}  # get_member reads it
            outcome.append(await self.resume(turn_context, welcome))

        try:
            reference = ConversationReference().deserialize(address)
            await self.adapter.continue_conversation(reference, again, self.app_id)
        except Exception:
            log.exception("retrying who a Teams user is failed")
        return bool(outcome and outcome[0])
