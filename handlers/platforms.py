"""What the enabled chat platforms plug into the process, gathered by the composition root
(`handlers.assembly`) and filled in by each platform's `runtime` module."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.couriers import Courier
from bot.dispatch.dispatcher import Dispatcher
from handlers.server import Mount

HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.IGNORECASE)
"""A public host name, as both platforms' app manifests need the coach's endpoint named (no scheme, no path)."""


@dataclass
class Platforms:
    """What the enabled platforms add: HTTP routes, couriers for proactive sends, background tasks
    (e.g. Slack Socket Mode) and clean-up to run at shutdown; and the dispatcher that sends through the
    couriers (its ticker runs in `coach serve` and `coach worker`, the trigger API uses it too)."""

    mounts: list[Mount] = field(default_factory=list)
    couriers: dict[str, Courier] = field(default_factory=dict)
    background: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    cleanups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    dispatcher: Dispatcher | None = None
