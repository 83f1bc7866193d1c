"""Validating and importing content packs: the use case behind `coach content` and first start."""

from __future__ import annotations

from pathlib import Path

from content.model import Problem
from content.packs import STARTER, load_packs
from store import catalog
from store.catalog import ImportReport
from store.db import Database


class PackProblems(Exception):
    """The packs did not validate; nothing was imported."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the content")
        self.problems = problems


async def import_content(database: Database, paths: list[Path]) -> ImportReport:
    """Validate everything first, then import all of it in one transaction, or nothing."""
    packs, problems = load_packs(paths)
    if problems:
        raise PackProblems(problems)
    async with database.session() as session:
        return await catalog.import_packs(session, packs)


async def ensure_starter_content(database: Database) -> ImportReport | None:
    """On a database that has never had content, import the bundled starter pack (first `serve`, demo)."""
    async with database.session() as session:
        if await catalog.has_content(session):
            return None
    return await import_content(database, [STARTER])
