"""What every command shares: settings, the database, running async code, and errors people can read."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from bot.config import Settings
from bot.errors import CoachError
from bot.logs import configure_logging
from store.db import Database

P = ParamSpec("P")
T = TypeVar("T")

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def settings() -> Settings:
    """The environment's settings, read once per command."""
    return Settings()


def run(main: Callable[[Database, Settings], Awaitable[T]]) -> T:
    """Run an async command body with a database, disposing of it afterwards; CoachError -> exit 1."""

    async def _body() -> T:
        config = settings()
        configure_logging(config)
        database = Database(config.database_url)
        try:
            return await main(database, config)
        finally:
            await database.dispose()

    try:
        return asyncio.run(_body())
    except CoachError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def friendly(command: Callable[P, T]) -> Callable[P, T]:
    """Turn a CoachError raised outside `run` into a one-line message and exit code 1."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return command(*args, **kwargs)
        except CoachError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper
