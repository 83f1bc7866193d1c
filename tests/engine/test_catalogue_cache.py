"""The per-process catalogue and model cache: read once, then only its version counters, and reloaded when a
content import or a refit in another process (here: another `Database` on the same database) changes them."""

from __future__ import annotations

from pathlib import Path

from bot.engine.catalogue import CatalogueCache
from bot.engine.mastery import ModelParams
from bot.imports.packs import import_content
from store import model_params
from store.db import Database

PACK = """\
id: extra
title: Extra pack
competencies:
  - id: negotiation
    name: Negotiation
    description: Agreeing terms.
roles: []
"""

LESSON = """\
---
id: negotiation-anchor
title: Anchor the first number
competency: negotiation
level: 1
format: text
minutes: 2
questions:
  - ask: Who should name the first number?
    options:
      - {text: Whoever has done the homework, correct: true}
      - Always the other side
    explain: A well-researched first number anchors the talk.
---
Name a researched first number.
"""


async def test_an_import_or_a_refit_in_another_process_is_seen_by_the_next_batch(db: Database, db_url: str,
                                                                               tmp_path: Path) -> None:
    elsewhere = Database(db_url)  # another process's connection pool on the same database
    cache = CatalogueCache()
    try:
        async with db.session() as session:
            first = await cache.current(db, session)
        async with db.session() as session:
            assert await cache.current(db, session) is first  # nothing changed: not read again
        assert cache.loads == 1 and "negotiation-anchor" not in first.lessons

        pack = tmp_path / "extra"
        pack.mkdir()
        (pack / "pack.yaml").write_text(PACK)
        (pack / "anchor.md").write_text(LESSON)
        await import_content(elsewhere, [pack])
        async with db.session() as session:
            after_import = await cache.current(db, session)
        assert cache.loads == 2 and after_import.lessons["negotiation-anchor"].active
        assert [q.ask for q in after_import.current["negotiation-anchor"]] == ["Who should name the first number?"]

        fitted = ModelParams.default().to_json() | {"residual_sd": 0.123}
        async with elsewhere.session() as session:
            await model_params.save_fit(session, fitted, {}, answers=600)
        async with db.session() as session:
            after_fit = await cache.current(db, session)
        assert cache.loads == 3 and after_fit.model.params.residual_sd == 0.123
    finally:
        await elsewhere.dispose()
