"""Who is writing to the bot, when Teams can't say just now: the member lookup, and the contacts to retry.

A Teams account is matched to the org chart by its user id or AAD object id, else by the email that
`TeamsInfo.get_member` reports. That lookup is a connector call like any other: throttled (429) or failing
(5xx, a proxy's error page) at the worst moment — a setup policy installing the app for a whole tenant at
once. A failed lookup says nothing about whether the org chart lists the person, so only Teams' own "no
such member" (404) makes them unknown; any other failure raises `LookupUnavailable`, the person hears "try
again in a minute", and `Contacts` keeps their conversation reference and retries the lookup in the
background. Once it works their reference is stored like anyone's, so scheduled lessons reach them, and an
install that could not be answered gets its welcome then.

The contacts waiting for a retry live in this process only: after a restart, the person's next message
(or the next install event) identifies them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ConversationReference
from msrest.exceptions import HttpOperationError

from bot.couriers import DeliveryError
from handlers.teams.posting import Backoff, status_of, with_backoff

log = logging.getLogger(__name__)

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
    to `longest`, `attempts` times (about seven hours by default), at most `kept` contacts at once."""

    first: float = 30.0
    longest: float = 1800.0
    attempts: int = 20
    kept: int = 10_000


Resume = Callable[[TurnContext, bool], Awaitable[bool]]
"""Identify the person again in a continued turn (with `welcome` when their install went unanswered);
False when Teams still can't say who they are."""


@dataclass
class _Contact:
    reference: dict[str, Any]
    welcome: bool
    attempts: int
    due: float


class Contacts:
    """People Teams could not identify, with where to reach them, retried one at a time in the background
    (one at a time, so a tenant that is throttling is not asked faster as more people wait)."""

    def __init__(self, adapter: CloudAdapter, app_id: str, resume: Resume, retry: Retry) -> None:
        self.adapter = adapter
        self.app_id = app_id
        self.resume = resume
        self.retry = retry
        self._waiting: dict[str, _Contact] = {}
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def add(self, user_id: str, reference: dict[str, Any], *, welcome: bool) -> None:
        """Retry this person's lookup later (an install still owed its welcome stays owed)."""
        earlier = self._waiting.pop(user_id, None)
        if earlier is None and len(self._waiting) >= self.retry.kept:
            self._waiting.pop(next(iter(self._waiting)))
        loop = asyncio.get_running_loop()
        self._waiting[user_id] = _Contact(reference, welcome or bool(earlier and earlier.welcome), 0,
                                          loop.time() + self.retry.first)
        self._changed.set()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run(), name="teams-contacts")

    def forget(self, user_id: str) -> None:
        """The person was identified on their own activity: nothing left to retry."""
        self._waiting.pop(user_id, None)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            user_id, contact = min(self._waiting.items(), key=lambda item: item[1].due)
            delay = contact.due - loop.time()
            if delay > 0:
                self._changed.clear()
                with contextlib.suppress(TimeoutError):  # woken early by a newer contact, or due now
                    await asyncio.wait_for(self._changed.wait(), delay)
                continue
            del self._waiting[user_id]
            if not await self._try(contact):
                self._later(user_id, contact)

    async def _try(self, contact: _Contact) -> bool:
        outcome: list[bool] = []

        async def again(turn_context: TurnContext) -> None:
            turn_context.activity.channel_data = turn_context.activity.channel_data or {}  # get_member reads it
            outcome.append(await self.resume(turn_context, contact.welcome))

        try:
            reference = ConversationReference().deserialize(contact.reference)
            await self.adapter.continue_conversation(reference, again, self.app_id)
        except Exception:
            log.exception("retrying who a Teams user is failed")
        return bool(outcome and outcome[0])

    def _later(self, user_id: str, contact: _Contact) -> None:
        attempts = contact.attempts + 1
        if attempts >= self.retry.attempts or user_id in self._waiting:
            return  # given up (their next message tries again), or a newer contact replaced this one
        wait = min(self.retry.first * 2 ** attempts, self.retry.longest)
        self._waiting[user_id] = _Contact(contact.reference, contact.welcome, attempts,
                                          asyncio.get_running_loop().time() + wait)
