"""What every command shares: settings, the database, running async code, and errors people can read.

Like every `handlers.cli` module it imports only typer and rich up front: the settings, the database and the
coach's own modules are imported by the command that runs, so `coach --help` and a small command start quickly."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import TYPE_CHECKING, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from bot.config import Settings
    from store.db import Database

P = ParamSpec("P")
T = TypeVar("T")

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def settings() -> Settings:
    """The environment's settings, read once per command."""
    from bot.config import Settings

    return Settings()


DATABASE_HINT = ("check COACH_DATABASE_URL: sqlite:///path/file.db in a folder that exists, or "
                 "postgresql://user@host:port/database on a running server")


def run(main: Callable[[Database, Settings], Awaitable[T]]) -> T:
    """Run an async command body with a database, disposing of it afterwards. The database is opened first,
    so a wrong COACH_DATABASE_URL is one line, not a traceback; CoachError -> one line too; both exit 1."""
    from bot.errors import CoachError
    from bot.logs import configure_logging
    from store.db import Database, DatabaseUnavailable

    async def _body() -> T:
        config = settings()
        configure_logging(config)
        database = Database(config.database_url)
        try:
            await database.check()
            return await main(database, config)
        finally:
            await database.dispose()

    try:
        return asyncio.run(_body())
    except DatabaseUnavailable as exc:
        fail(f"{exc}; {DATABASE_HINT}")
    except CoachError as exc:
        fail(str(exc))


def friendly(command: Callable[P, T]) -> Callable[P, T]:
    """Turn a CoachError raised outside `run` into a one-line message and exit code 1."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        from bot.errors import CoachError

        try:
            return command(*args, **kwargs)
        except CoachError as exc:
            fail(str(exc))

    return wrapper


def fail(message: str) -> NoReturn:
    """One line on stderr, `error: …`, and exit code 1."""
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(1) from None
