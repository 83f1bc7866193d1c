"""How long a test waits for something that should happen, and a poll for it.

A test waits for the event itself (a call the fake recorded, a row, a process's exit) and gives up only after
PATIENCE: a cap reached only when the test is failing anyway, so it is generous. CI runs on a 2-core machine
that other engineers load to a load average of 10-44; there a reply that takes 50 ms on a quiet machine took
over 10 s, and a fixed 10 s cap failed tests whose behaviour was right."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

PATIENCE = 180.0
"""Seconds before a wait for an event counts as a failure (never how long a passing test takes)."""


async def eventually(check: Callable[[], bool | Awaitable[bool]], within: float = PATIENCE,
                     what: str = "the expected effect") -> None:
    """Wait until `check()` holds (work that runs after an HTTP answer, a row another process writes),
    looking every 50 ms; fail naming `what` after `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        held = check()
        if inspect.isawaitable(held):
            held = await held
        if held:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} did not happen within {within:g} s")
        await asyncio.sleep(0.05)
