"""`coach chat --as EMAIL`: talk to the coach in the terminal exactly as in Slack."""

from __future__ import annotations

import typer

from handlers.cli.common import run


def chat(email: str = typer.Option(..., "--as", help="The org-chart email of the person you chat as.")) -> None:
    """Lessons, numbered options, feedback and every /learn word, in the terminal."""
    from rich.console import Console

    from bot.chat.coach import Coach
    from bot.errors import UnknownPerson
    from bot.imports.packs import ensure_starter_content
    from handlers.console.session import ConsoleChat
    from store.people import person_by_email

    async def body(database, config) -> None:  # type: ignore[no-untyped-def]
        await ensure_starter_content(database)
        async with database.session() as session:
            person = await person_by_email(session, email)
        if person is None or not person.active or person.id is None:
            raise UnknownPerson(email)
        terminal = Console()
        await ConsoleChat(Coach(database, config), person.id, terminal, terminal.input).run()

    run(body)
