"""Validating and importing content packs: the use case behind `coach content` and first start."""

from __future__ import annotations

from pathlib import Path

from content.model import PackSpec, Problem
from content.packs import STARTER, load_packs
from content.provenance import takeover_problem
from store import catalog
from store.catalog import ImportReport, OwnedElsewhere
from store.db import Database


class PackProblems(Exception):
    """The packs did not validate; nothing was imported."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the content")
        self.problems = problems


async def import_content(database: Database, paths: list[Path]) -> ImportReport:
    """Validate everything first — on top of what other packs already loaded provide — then import all of it
    in one transaction, or nothing."""
    async with database.session() as session:
        importing = {pack.id for pack in load_packs(paths)[0]}
        packs, problems = load_packs(paths, await catalog.known_content(session, importing))
        if problems:
            raise PackProblems(problems)
        stored = await catalog.stored_packs(session, {pack.id for pack in packs})
        taken = [takeover_problem(pack, *stored[pack.id]) for pack in packs if pack.id in stored]
        if any(taken):
            raise PackProblems([problem for problem in taken if problem])
        conflicts = await catalog.owned_elsewhere(session, packs)
        if conflicts:
            raise PackProblems([_conflict(packs, c) for c in conflicts])
        return await catalog.import_packs(session, packs)


def _conflict(packs: list[PackSpec], conflict: OwnedElsewhere) -> Problem:
    """Where the import declares an id another pack owns, as FILE:LINE."""
    message = (f"{conflict.kind} '{conflict.id}' already belongs to pack '{conflict.owner}'; import both packs "
               "together to move it, or choose another id")
    for pack in packs:
        if conflict.kind == "lesson":
            for lesson in pack.lessons:
                if lesson.id == conflict.id:
                    return Problem(lesson.file, lesson.line, message)
        items = pack.competencies if conflict.kind == "competency" else pack.roles
        for item in items:
            if item.id == conflict.id:
                return Problem(pack.manifest, item.line, message)
    return Problem(packs[0].manifest, 1, message)


async def ensure_starter_content(database: Database) -> ImportReport | None:
    """On a database that has never had content, import the bundled starter pack (first `serve`, demo)."""
    async with database.session() as session:
        if await catalog.has_content(session):
            return None
    return await import_content(database, [STARTER])
