"""The search index the bot builds from the bundled starter pack, for the search-quality tests and bench/search.py.

Ranking does not depend on the database the lessons were read from, so the index is built once from a throwaway
SQLite database rather than once per database backend."""

from __future__ import annotations

import tempfile

from bot.imports.packs import import_content
from content.packs import STARTER
from content.search import LessonIndex
from store import search
from store.db import Database


async def starter_index() -> LessonIndex:
    """The index the bot builds, from the starter pack as imported into a fresh database."""
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{folder}/starter.db")
        await database.ensure_schema()
        await import_content(database, [STARTER])
        async with database.session() as session:
            index = LessonIndex(await search.lesson_documents(session), await search.synonym_groups(session),
                                await search.pack_phrasing(session))
        await database.dispose()
    return index
