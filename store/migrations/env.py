"""Alembic environment: runs on the connection `store.db.Database` hands over; run by the `alembic` command
itself, on the URL of the Alembic config (`sqlalchemy.url`) or else COACH_DATABASE_URL. The store reads no
application settings (store never imports bot)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from alembic import context
from sqlalchemy import JSON
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import store.models  # noqa: F401
from store.db import Database

target_metadata = SQLModel.metadata


def _render_item(type_: str, obj: Any, _autogen: Any) -> str | bool:
    """Write the portable JSON column as `store.types.JSONType` in generated migrations."""
    if type_ == "type" and isinstance(obj, JSON):
        return "store.types.JSONType"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _configured_url() -> str:
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get("COACH_DATABASE_URL")
    if not url:
        raise SystemExit("set COACH_DATABASE_URL (or sqlalchemy.url in the Alembic config) to the database "
                         "to migrate, e.g. sqlite:///coach.db")
    return url


async def _run_on_configured_url() -> None:
    database = Database(_configured_url())
    async with database.engine.begin() as conn:
        await conn.run_sync(_run)
    await database.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_on_configured_url())
