"""The one aiohttp application `coach serve` runs: health, metrics, and whatever the enabled platforms and
the trigger API mount on it (see `handlers.assembly`)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.metrics import REGISTRY
from store.db import Database

DATABASE = web.AppKey("database", Database)
MAX_BODY = 1024 * 1024

Mount = Callable[[web.Application], None]


def build_app(database: Database, mounts: list[Mount]) -> web.Application:
    """The server with /healthz and /metrics, then each mount's routes."""
    app = web.Application(client_max_size=MAX_BODY)
    app[DATABASE] = database
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    for mount in mounts:
        mount(app)
    return app


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers, 503 otherwise (load balancers take the process out)."""
    if await request.app[DATABASE].ping():
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "database unavailable"}, status=503)


async def metrics(_request: web.Request) -> web.Response:
    body = generate_latest(REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
