"""`coach db upgrade`: create or migrate the schema."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from handlers.cli.common import console, run

if TYPE_CHECKING:
    from store.db import Database, SchemaUpgrade

app = typer.Typer(help="The database schema (Alembic migrations).", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Create the schema or migrate it to the newest version (safe to run again, or from several hosts)."""
    from store.db import masked_url

    async def body(database: Database, _config) -> tuple[SchemaUpgrade, str]:  # type: ignore[no-untyped-def]
        return await database.ensure_schema(), masked_url(database.url)

    done, url = run(body)
    console.print(f"{_said(done)} on {url}", highlight=False)


def _said(done: SchemaUpgrade) -> str:
    """What happened, in the words an operator checks a deployment log for."""
    if done.before is None:
        return f"[green]created the schema[/green] at revision {done.after}"
    if done.before != done.after:
        return f"[green]migrated the schema[/green] from revision {done.before} to {done.after}"
    return f"[green]schema up to date[/green] at revision {done.after}"
