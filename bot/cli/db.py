"""`coach db upgrade`: create or migrate the schema."""

from __future__ import annotations

import typer

from bot.cli.common import console, run
from store.db import Database

app = typer.Typer(help="The database schema (Alembic migrations).", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Create the schema or migrate it to the newest version (safe to run again, or from several hosts)."""

    async def body(database: Database, _config) -> str:  # type: ignore[no-untyped-def]
        await database.ensure_schema()
        return database.engine.url.render_as_string(hide_password=True)

    url = run(body)
    console.print(f"[green]schema up to date[/green] on {url}")
