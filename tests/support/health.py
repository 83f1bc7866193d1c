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


async def until_serving(http: aiohttp.ClientSession, port: int, process: asyncio.subprocess.Process, *,
                        within: float = PATIENCE, what: str = "coach serve") -> None:
    """Return once `process` answers its health check; else raise a RuntimeError that says which failure it was:
    the process exited first (and with what code), or it never answered within `within` seconds. A server that
    died at start is reported at once rather than after the whole wait, and never taken for a slow one."""
    healthy = asyncio.ensure_future(until_healthy(http, port, within=within))
    exited = asyncio.ensure_future(process.wait())
    try:
        await asyncio.wait({healthy, exited}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in (healthy, exited):
            waiting.cancel()
    if healthy.done() and not healthy.cancelled() and healthy.result():
        return
    if process.returncode is not None:
        raise RuntimeError(f"{what} exited with code {process.returncode} before answering its health check")
    raise RuntimeError(f"{what} did not answer its health check within {within:g} s")
