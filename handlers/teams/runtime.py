"""Wiring Teams into `coach serve`: the adapter, the bot, `POST /api/messages` and the courier."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from bot.assembly import Platforms
from bot.coach import Coach
from bot.config import Settings
from bot.errors import CoachError
from handlers.teams.courier import TeamsCourier
from handlers.teams.endpoint import ROUTE, messages_handler
from handlers.teams.posting import Backoff
from handlers.teams.turns import CoachBot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BotCredentials:
    """The attribute names `ConfigurationBotFrameworkAuthentication` reads, from the coach's settings."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


def adapter_for(config: Settings) -> CloudAdapter:
    """The SDK's adapter; with an app id it checks every request's JWT, with none it checks nothing."""
    credentials = BotCredentials(
        APP_ID=config.microsoft_app_id,
        APP_PASSWORD=config.microsoft_app_password.get_secret_value(),
        APP_TYPE=config.microsoft_app_type or "MultiTenant",
        APP_TENANTID=config.microsoft_app_tenant_id,
    )
    try:
        return CloudAdapter(ConfigurationBotFrameworkAuthentication(credentials))
    except Exception as error:  # the SDK raises bare Exceptions for missing settings
        raise CoachError(f"the Teams settings are incomplete ({error}); MICROSOFT_APP_TYPE="
                         f"{credentials.APP_TYPE} needs MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and, for "
                         "SingleTenant, MICROSOFT_APP_TENANT_ID") from None


def attach_teams(platforms: Platforms, coach: Coach, config: Settings, *, backoff: Backoff | None = None) -> None:
    """Mount the Bot Framework endpoint and register the Teams courier."""
    adapter = adapter_for(config)
    backoff = backoff or Backoff()
    bot = CoachBot(coach, backoff)
    if not config.microsoft_app_id:
        log.warning("Teams: MICROSOFT_APP_ID is not set, so %s accepts activities WITHOUT authentication "
                    "and replies to any serviceUrl — for local development only", ROUTE)

    def mount(app: web.Application) -> None:
        app.router.add_post(ROUTE, messages_handler(adapter, bot))

    platforms.mounts.append(mount)
    platforms.couriers["teams"] = TeamsCourier(adapter, config.microsoft_app_id, backoff)
