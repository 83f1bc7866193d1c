"""One HTTP session for the Slack courier's Web API calls.

slack_sdk's `AsyncWebClient` without a session opens a new aiohttp session, and so a new connection (and a TLS
handshake with slack.com), for every call, and closes it afterwards. The courier posts thousands of lessons a
tick, so it keeps one session per event loop instead, whose connections stay open between posts; it is opened in
the running loop on first use (a process may run its ticks in more than one loop, as `coach dispatch` and the
tests do) and closed with the process's clean-ups.
"""

from __future__ import annotations

import asyncio

import aiohttp


class KeptSession:
    """The courier's aiohttp session: one per event loop, with the Web API client's timeout for every call."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def session(self) -> aiohttp.ClientSession:
        """The session of the running loop, opened now if this loop has none open."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
            self._loop = loop
        return self._session

    async def close(self) -> None:
        """Close the session if it belongs to the running loop (one of a finished loop went with its loop)."""
        session, self._session = self._session, None
        if session is not None and not session.closed and self._loop is asyncio.get_running_loop():
            await session.close()
