"""Wiring Slack into the coach's process: the Bolt app with its listeners, the HTTP route (or Socket Mode
when `SLACK_APP_TOKEN` is set), the courier for proactive sends, and shutdown."""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.chat.coach import Coach
from bot.config import Settings
from handlers.platforms import Platforms
from handlers.slack.app import bolt_app, web_client
from handlers.slack.chat import SlackChat
from handlers.slack.courier import SlackCourier, slack_paces
from handlers.slack.http import SlackRoute
from handlers.slack.listeners import SlackListeners
from handlers.slack.people import Directory
from handlers.slack.retries import slot_free
from handlers.slack.work import Background

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 10.0
"""Seconds that work acknowledged before shutdown gets to finish."""


def attach_slack(platforms: Platforms, coach: Coach, config: Settings) -> SlackListeners:
    """Add Slack to the platforms: `/slack/events` (HTTP mode) or a Socket Mode connection, and a courier."""
    assert config.slack_signing_secret is not None
    client = slot_free(web_client(config))
    app = bolt_app(config, client)
    chat = SlackChat(client)
    background = Background()
    listeners = SlackListeners(coach, chat, Directory(coach, client, background), background)
    listeners.register(app)
    courier = SlackCourier(chat, paces=slack_paces(config))
    platforms.couriers["slack"] = courier
    platforms.cleanups.append(courier.close)
    if config.slack_app_token is not None and config.slack_app_token.get_secret_value():
        socket = AsyncSocketModeHandler(app, config.slack_app_token.get_secret_value(), web_client=client)
        platforms.background.append(socket.start_async)
        platforms.cleanups.append(socket.close_async)
        log.info("Slack: Socket Mode")
    else:
        platforms.mounts.append(SlackRoute(app, config.slack_signing_secret.get_secret_value()).mount)
        log.info("Slack: HTTP endpoint /slack/events")

    async def finish_work() -> None:
        try:
            async with asyncio.timeout(SHUTDOWN_GRACE):
                await background.drain()
        except TimeoutError:
            log.warning("%d Slack tasks were still running at shutdown", len(background))

    platforms.cleanups.append(finish_work)
    return listeners
