"""The composition root: builds the coach and wires in the chat platforms the configuration enables.

Each platform's runtime is imported only when the configuration enables it, so a process without Teams
never loads the Bot Framework SDK.
"""

from __future__ import annotations

import logging

from bot.chat.coach import Coach
from bot.config import Settings
from bot.dispatch.dispatcher import Dispatcher
from handlers.about import AboutPages
from handlers.api.triggers import TriggerAPI
from handlers.platforms import Platforms

log = logging.getLogger(__name__)


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
    platforms.mounts.append(AboutPages(config).mount)  # the Teams app's About links
    return platforms
