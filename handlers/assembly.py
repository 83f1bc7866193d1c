"""The composition root: builds the coach and wires in the chat platforms the configuration enables.

This is the one place in `bot/` that imports `handlers/` (lazily, only for enabled platforms), so the
rest of the coach stays platform-neutral.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.chat.coach import Coach
from bot.config import Settings
from bot.couriers import Courier
from bot.dispatch.dispatcher import Dispatcher
from handlers.api.triggers import TriggerAPI
from handlers.server import Mount

log = logging.getLogger(__name__)


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


def attach_platforms(coach: Coach, config: Settings) -> Platforms:
    """Every platform the environment enables (CONTRACTS.md): Slack with its token and signing secret,
    Teams with COACH_TEAMS=1 or an app id."""
    platforms = Platforms()
    if config.slack_enabled:
        from handlers.slack.runtime import attach_slack

        attach_slack(platforms, coach, config)
    if config.teams_enabled:
        from handlers.msteams.runtime import attach_teams

        attach_teams(platforms, coach, config)
    if not platforms.couriers:
        log.warning("no chat platform is configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, "
                    "or COACH_TEAMS=1 / MICROSOFT_APP_ID")
    platforms.dispatcher = Dispatcher(coach.services, platforms.couriers, config)
    platforms.mounts.append(TriggerAPI(coach, platforms.dispatcher).mount)
    return platforms
