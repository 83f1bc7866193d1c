"""Sending statements to a Learning Record Store (xAPI 1.0.3 statement API), batched, retried, and each once.

Answers and level-up badges are read in id order after the LRS's cursor (`store.records`); every batch is
POSTed, and the cursor moves past it only once the LRS has accepted it. A batch the LRS refuses because
one of its ids is already stored with other content (409) is sent again statement by statement with PUT,
so one conflict never holds the rest back. Rate limits, server errors and network failures are retried
with exponential backoff (honouring Retry-After); anything else stops the run with a readable error, and
the next run continues from the cursor.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.errors import CoachError
from bot.records.xapi import VERSION, Statements, problems
from store import records
from store.db import Database

log = logging.getLogger(__name__)

SETTLE = timedelta(minutes=2)
"""Rows younger than this wait for the next run: a transaction still open could commit a smaller id."""
RETRYABLE = {429, 500, 502, 503, 504}


class LrsError(CoachError):
    """The LRS refused the statements or could not be reached after every retry."""


@dataclass
class SendReport:
    sent: int = 0
    conflicts: int = 0
    batches: int = 0


def statements_url(base: str) -> str:
    """COACH_LRS_URL may be the LRS's xAPI root (`…/xAPI/`) or its statements resource."""
    base = base.rstrip("/")
    return base if base.endswith("/statements") else base + "/statements"


class LrsClient:
    """The statement resource of one LRS, over one aiohttp session."""

    def __init__(self, url: str, username: str | None, password: str | None, *, attempts: int = 5,
                 backoff: float = 0.5, timeout: float = 30.0) -> None:
        self.url = statements_url(url)
        self.headers = {"X-Experience-API-Version": VERSION, "Content-Type": "application/json"}
        if username:
            self.headers["Authorization"] = aiohttp.encode_basic_auth(username, password or "")
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> LrsClient:
        self._session = aiohttp.ClientSession(timeout=self.timeout, headers=self.headers)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def post(self, statements: list[dict[str, Any]]) -> bool:
        """True when stored (200, or 204 when the LRS already had them all); False on a 409 conflict."""
        status, _ = await self._request("POST", self.url, json.dumps(statements))
        return status != 409

    async def put(self, statement: dict[str, Any]) -> bool:
        """One statement by id; False when the LRS holds a different statement under that id (409)."""
        status, _ = await self._request("PUT", self.url, json.dumps(statement), params={"statementId": statement["id"]})
        return status != 409

    async def _request(self, method: str, url: str, body: str, params: dict[str, str] | None = None) -> tuple[int, str]:
        assert self._session is not None, "use `async with LrsClient(...)`"
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                async with self._session.request(method, url, data=body, params=params) as response:
                    text = await response.text()
                    if response.status in (200, 204, 409):
                        return response.status, text
                    if response.status not in RETRYABLE:
                        raise LrsError(f"the LRS at {self.url} answered {response.status} to {method}: {text[:300]} "
                                       "(check COACH_LRS_URL and the credentials)")
                    wait = _retry_after(response.headers.get("Retry-After"), delay)
                    reason = f"HTTP {response.status}"
            except aiohttp.ClientError as exc:
                wait, reason = delay, f"{type(exc).__name__}: {exc}"
            except TimeoutError:
                wait, reason = delay, "timed out"
            if attempt == self.attempts:
                raise LrsError(f"the LRS at {self.url} could not be reached after {attempt} attempts ({reason}); "
                               "run the export again later: it continues where it stopped")
            log.warning("LRS %s %s failed (%s); retrying in %.1fs", method, self.url, reason, wait)
            await asyncio.sleep(wait)
            delay *= 2
        raise AssertionError("unreachable")


def _retry_after(header: str | None, default: float) -> float:
    try:
        return max(0.0, float(header)) if header else default
    except ValueError:
        return default


async def send_new_statements(database: Database, config: Settings, now: datetime, *,
                              progress: Callable[[int], None] | None = None,
                              client: LrsClient | None = None) -> SendReport:
    """Everything not yet sent to COACH_LRS_URL, in batches of COACH_LRS_BATCH; returns what was sent."""
    if not config.lrs_url:
        raise LrsError("no Learning Record Store is configured: set COACH_LRS_URL (and COACH_LRS_USERNAME, "
                       "COACH_LRS_PASSWORD)")
    password = config.lrs_password.get_secret_value() if config.lrs_password else None
    builder = Statements(config.xapi_base)
    report = SendReport()
    async with client or LrsClient(config.lrs_url, config.lrs_username, password) as lrs:
        for source in ("answer", "badge"):
            while await _send_batch(database, lrs, builder, source, max(1, config.lrs_batch), now - SETTLE,
                                    report, progress):
                pass
    return report


async def _send_batch(database: Database, lrs: LrsClient, builder: Statements, source: str, size: int,
                      settled: datetime, report: SendReport, progress: Callable[[int], None] | None) -> bool:
    """One page of a source: built, sent, and the cursor moved. False when nothing was left to send."""
    async with database.session() as session:
        position = await records.cursor(session, lrs.url, source)
        last_id = position.last_id
        statements, ids = await _page(session, builder, source, last_id, size, settled)
    if not ids:
        return False
    invalid = [(s["id"], p) for s in statements if (p := problems(s))]
    if invalid:
        raise LrsError(f"statement {invalid[0][0]} is not valid xAPI: {'; '.join(invalid[0][1])}")
    conflicts = 0
    if not await lrs.post(statements):
        conflicts = await _one_by_one(lrs, statements)
    async with database.session() as session:
        position = await records.cursor(session, lrs.url, source)
        await records.advance(session, position, max(ids), len(statements) - conflicts)
    report.sent += len(statements) - conflicts
    report.conflicts += conflicts
    report.batches += 1
    if progress is not None:
        progress(len(ids))
    return True


async def _page(session: AsyncSession, builder: Statements, source: str, after: int, size: int,
                settled: datetime) -> tuple[list[dict[str, Any]], list[int]]:
    """The next page's statements and source ids, stopping at the first row that is too young."""
    statements: list[dict[str, Any]] = []
    ids: list[int] = []
    if source == "answer":
        for answer in await records.answers_after(session, after, size):
            if answer.answered_at > settled:
                break
            statements += builder.for_answer(answer)
            ids.append(answer.id)
    else:
        for badge in await records.badges_after(session, after, size):
            if badge.awarded_at > settled:
                break
            statements.append(builder.for_badge(badge))
            ids.append(badge.id)
    return statements, ids


async def _one_by_one(lrs: LrsClient, statements: list[dict[str, Any]]) -> int:
    """PUT each statement of a refused batch; returns how many conflict with what the LRS already holds."""
    conflicts = 0
    for statement in statements:
        if not await lrs.put(statement):
            conflicts += 1
            log.warning("the LRS already holds a different statement with id %s; kept its version", statement["id"])
    return conflicts
