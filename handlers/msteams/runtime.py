"""Wiring Teams into `coach serve`: the adapter, the bot, `POST /api/messages` and the courier."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from bot.chat.coach import Coach
from bot.config import Settings
from bot.errors import CoachError
from handlers.msteams.courier import TeamsCourier
from handlers.msteams.endpoint import ROUTE, messages_handler
from handlers.msteams.later import LaterTurns
from handlers.msteams.members import Retry
from handlers.msteams.posting import Backoff
from handlers.msteams.turns import CoachBot
from handlers.platforms import Platforms
from handlers.server import HEALTH

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BotCredentials:
    """The attribute names `ConfigurationBotFrameworkAuthentication` reads, from the coach's settings."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


LATER_TURNS = web.AppKey("teams_later_turns", LaterTurns)
"""Where the app keeps the turns it runs after answering (tests wait for them)."""
BACKOFF = Backoff()
RETRY = Retry()
"""What `attach_teams` uses unless told otherwise (the composition root doesn't; tests shorten them here)."""
DEV_MODE = "UNAUTHENTICATED dev mode: no MICROSOFT_APP_ID, anyone can post activities"
"""What /healthz says while Teams runs without authentication, so a deployment cannot miss it."""
PASSWORDLESS = frozenset({"userassignedmsi"})
"""App types that authenticate without a client secret (a managed identity)."""


def adapter_for(config: Settings) -> CloudAdapter:
    """The SDK's adapter; with an app id it checks every request's JWT, with none it checks nothing.
    An app id without its password would start and then fail at the first reply, so it is refused here."""
    app_type = config.microsoft_app_type or "MultiTenant"
    if config.microsoft_app_id and not config.microsoft_app_password.get_secret_value() \
            and app_type.lower() not in PASSWORDLESS:
        raise CoachError("MICROSOFT_APP_ID is set but MICROSOFT_APP_PASSWORD is not: the coach could not answer "
                         "anyone in Teams. Set the client secret of the Azure Bot's app registration (or "
                         "MICROSOFT_APP_TYPE=UserAssignedMSI for a managed identity)")
    credentials = BotCredentials(
        APP_ID=config.microsoft_app_id,
        APP_PASSWORD=config.microsoft_app_password.get_secret_value(),
        APP_TYPE=app_type,
        APP_TENANTID=config.microsoft_app_tenant_id,
    )
    try:
        return CloudAdapter(ConfigurationBotFrameworkAuthentication(credentials))
    except Exception as error:  # the SDK raises bare Exceptions for missing settings
        raise CoachError(f"the Teams settings are incomplete ({error}); MICROSOFT_APP_TYPE="
                         f"{credentials.APP_TYPE} needs MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and, for "
                         "SingleTenant, MICROSOFT_APP_TENANT_ID") from None


def attach_teams(platforms: Platforms, coach: Coach, config: Settings, *, backoff: Backoff | None = None,
                 retry: Retry | None = None) -> None:
    """Mount the Bot Framework endpoint and register the Teams courier. The warning about a missing app
    id is given when the endpoint is mounted: `coach dispatch` and `coach worker` serve no endpoint."""
    adapter = adapter_for(config)
    backoff = backoff or BACKOFF
    later = LaterTurns(adapter)
    bot = CoachBot(coach, backoff, adapter, config.microsoft_app_id, retry or RETRY, later)
    hosts = config.service_hosts

    def mount(app: web.Application) -> None:
        if hosts is None:
            log.warning("Teams: MICROSOFT_APP_ID is not set, so %s accepts activities WITHOUT authentication "
                        "and replies to any serviceUrl — for local development only. Addresses learned now are "
                        "never used once an app id is set", ROUTE)
            app[HEALTH]["teams"] = DEV_MODE
        app[LATER_TURNS] = later
        app.router.add_post(ROUTE, messages_handler(adapter, bot, later, hosts))

        async def finish_turns(_app: web.Application) -> None:
            await later.drain()

        app.on_shutdown.append(finish_turns)

        async def retry_contacts(_app: web.Application) -> None:
            bot.contacts.start()  # the people Teams could not name, left by this or an earlier process

        app.on_startup.append(retry_contacts)

    platforms.mounts.append(mount)
    platforms.cleanups.append(bot.contacts.close)
    platforms.couriers["teams"] = TeamsCourier(adapter, config.microsoft_app_id, backoff, hosts)
