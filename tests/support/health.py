"""Waiting for a `coach serve` started in another process to answer `/healthz` (tests and benchmarks)."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.support.waiting import PATIENCE


async def until_healthy(http: aiohttp.ClientSession, port: int, *, within: float = PATIENCE) -> bool:
    """Poll the server's health check until it answers 200; False if it never did within `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        try:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as health:
                if health.status == 200:
                    return True
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    return False
