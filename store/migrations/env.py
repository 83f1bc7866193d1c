"""Alembic environment: runs on the connection `store.db.Database` hands over, or on COACH_DATABASE_URL."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import JSON
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import store.models  # noqa: F401

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


async def _run_on_configured_url() -> None:
    from bot.config import Settings
    from store.db import Database

    database = Database(Settings().database_url)
    async with database.engine.begin() as conn:
        await conn.run_sync(_run)
    await database.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_on_configured_url())
